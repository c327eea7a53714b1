//! Where a key of a conserver `config.yml` is: the line of a dotted path
//! (`chains.main.links[1]`) in block-style YAML, so that what the import
//! reports about it can name the line. Indexes (`[1]`) are not followed:
//! the line is the key's. Keys in flow style (`{a: 1}`), with anchors or
//! complex quoting are not found; the report then goes without a line.

/// The 1-based line of the key at `at` in `text`, if found.
///
/// ```
/// use vcon_pipeline::yaml_place::line_of;
/// let text = "links:\n  tag:\n    module: links.tag\nchains:\n  main:\n    links: [tag, x]\n";
/// assert_eq!(line_of(text, "chains.main.links[1]"), Some(6));
/// assert_eq!(line_of(text, "links.tag"), Some(2));
/// assert_eq!(line_of(text, "chains.other"), None);
/// ```
pub fn line_of(text: &str, at: &str) -> Option<usize> {
    let lines: Vec<&str> = text.lines().collect();
    let mut from = 0;
    let mut parent: Option<usize> = None;
    let mut found = None;
    for key in at.split('.') {
        let key = key.split('[').next().unwrap_or(key);
        if key.is_empty() {
            continue;
        }
        let (line, indent) = child(&lines, from, parent, key)?;
        found = Some(line + 1);
        from = line + 1;
        parent = Some(indent);
    }
    found
}

/// The line (0-based) and indent of `key` among the direct children of the
/// mapping whose key is at indent `parent` (`None`: the top level), looking
/// from line `from` to the end of that mapping.
fn child(lines: &[&str], from: usize, parent: Option<usize>, key: &str) -> Option<(usize, usize)> {
    let mut level = None;
    for (i, line) in lines.iter().enumerate().skip(from) {
        let body = line.trim_start();
        if body.is_empty() || body.starts_with('#') || body.starts_with("---") {
            continue;
        }
        let indent = line.len() - body.len();
        if parent.is_some_and(|p| indent <= p) {
            return None;
        }
        // The first key below the parent sets the children's indent.
        if *level.get_or_insert(indent) != indent {
            continue;
        }
        if key_of(body) == Some(key) {
            return Some((i, indent));
        }
    }
    None
}

/// The key of a `key: value` line (quotes removed), if it is one.
fn key_of(body: &str) -> Option<&str> {
    let (key, _) = body.split_once(':')?;
    let key = key.trim_end();
    let unquoted = key
        .strip_prefix('"')
        .and_then(|k| k.strip_suffix('"'))
        .or_else(|| key.strip_prefix('\'').and_then(|k| k.strip_suffix('\'')));
    Some(unquoted.unwrap_or(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "\
# conserver
links:
  tag:
    module: links.tag
    options:
      tags: [a]
  transcribe:
    module: links.deepgram_link

storages:
  \"files\":
    module: storage.file
chains:
  main:
    links:
      - tag
      - transcribe
    ingress_lists: [in]
  spare:
    links: [tag]
";

    #[test]
    fn keys_are_found_at_their_own_level() {
        assert_eq!(line_of(CONFIG, "links"), Some(2));
        assert_eq!(line_of(CONFIG, "links.transcribe"), Some(7));
        assert_eq!(line_of(CONFIG, "links.tag.options.tags"), Some(6));
        assert_eq!(line_of(CONFIG, "storages.files"), Some(11));
        assert_eq!(line_of(CONFIG, "chains.main.links[1]"), Some(15));
        // `links` of `spare`, not of `main` nor the top level.
        assert_eq!(line_of(CONFIG, "chains.spare.links"), Some(20));
    }

    #[test]
    fn what_is_not_there_has_no_line() {
        assert_eq!(line_of(CONFIG, "chains.other"), None);
        // `module` is a key of `tag`, not of `links`.
        assert_eq!(line_of(CONFIG, "links.module"), None);
        assert_eq!(line_of(CONFIG, "chains.main.enabled"), None);
        assert_eq!(line_of("{links: {a: 1}}", "links.a"), None);
        assert_eq!(line_of("", "links"), None);
    }
}
