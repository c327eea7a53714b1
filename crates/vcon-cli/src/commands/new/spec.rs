//! Parsing of the `vcon new` flag values: party specs, text specs, media types.

use vcon_core::model::{CcRole, Party};

use crate::cli::UsageError;

/// Party members `--party` accepts, besides the CC extension's `role` and `contact_list`.
pub const PARTY_KEYS: &[&str] = &[
    "tel",
    "sip",
    "stir",
    "mailto",
    "name",
    "did",
    "validation",
    "gmlpos",
    "uuid",
    "type",
    "org",
    "dept",
    "role",
    "contact_list",
];

/// Splits `s` on commas not preceded by a backslash; `\,` becomes `,` and `\\` becomes `\`.
fn split_unescaped(s: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(n @ (',' | '\\')) => push_char(&mut parts, n),
                Some(n) => {
                    push_char(&mut parts, '\\');
                    push_char(&mut parts, n);
                }
                None => push_char(&mut parts, '\\'),
            },
            ',' => parts.push(String::new()),
            c => push_char(&mut parts, c),
        }
    }
    parts
}

fn push_char(parts: &mut [String], c: char) {
    if let Some(last) = parts.last_mut() {
        last.push(c);
    }
}

/// A party from `key=value,key=value`; returns whether a CC member was set.
pub fn party(spec: &str) -> Result<(Party, bool), UsageError> {
    let mut p = Party::default();
    let mut uses_cc = false;
    let bad = |why: String| UsageError(format!("--party '{spec}': {why}"));
    for item in split_unescaped(spec) {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (key, value) = item.split_once('=').ok_or_else(|| {
            bad(format!(
                "`{item}` is not key=value (keys: {})",
                PARTY_KEYS.join(", ")
            ))
        })?;
        let (key, value) = (key.trim(), value.trim().to_owned());
        if value.is_empty() {
            return Err(bad(format!("`{key}` has an empty value")));
        }
        let slot = match key {
            "tel" => &mut p.tel,
            "sip" => &mut p.sip,
            "stir" => &mut p.stir,
            "mailto" => &mut p.mailto,
            "name" => &mut p.name,
            "did" => &mut p.did,
            "validation" => &mut p.validation,
            "gmlpos" => &mut p.gmlpos,
            "uuid" => &mut p.uuid,
            "type" => &mut p.r#type,
            "org" => &mut p.org,
            "dept" => &mut p.dept,
            "role" => {
                p.cc_mut().set_role(Some(CcRole::from(value)));
                uses_cc = true;
                continue;
            }
            "contact_list" => {
                p.cc_mut().set_contact_list(Some(value));
                uses_cc = true;
                continue;
            }
            other => {
                return Err(bad(format!(
                    "unknown key `{other}` (keys: {})",
                    PARTY_KEYS.join(", ")
                )));
            }
        };
        if slot.is_some() {
            return Err(bad(format!("`{key}` is given twice")));
        }
        *slot = Some(value);
    }
    Ok((p, uses_cc))
}

/// Party indices `0` or `0,1`.
pub fn indices(list: &str, flag: &str, spec: &str) -> Result<Vec<u64>, UsageError> {
    list.split(',')
        .map(|i| {
            i.trim().parse::<u64>().map_err(|_| {
                UsageError(format!(
                    "{flag} '{spec}': `{}` is not a party index (0 is the first --party)",
                    i.trim()
                ))
            })
        })
        .collect()
}

/// `PARTIES:REST`, as in `--text '0,1:Hello'`.
pub fn parties_and<'a>(spec: &'a str, flag: &str) -> Result<(Vec<u64>, &'a str), UsageError> {
    let (list, rest) = spec.split_once(':').ok_or_else(|| {
        UsageError(format!(
            "{flag} '{spec}': expected PARTY[,PARTY...]:VALUE, such as '0,1:Hello' (sender first)"
        ))
    })?;
    Ok((indices(list, flag, spec)?, rest))
}

/// A media type for a file name, from its extension.
pub fn mediatype_for(name: &str) -> Option<&'static str> {
    let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match ext.as_str() {
        "wav" => "audio/x-wav",
        "mp3" => "audio/x-mp3",
        "m4a" | "aac" => "audio/x-mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "flac" => "audio/flac",
        "webm" => "video/webm",
        "mp4" | "m4v" => "video/x-mp4",
        "ogv" => "video/ogg",
        "txt" => "text/plain",
        "eml" => "message/rfc822",
        "json" => "application/json",
        "pdf" => "application/pdf",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        _ => return None,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn party_specs() {
        let (p, cc) = party("tel=+15551230001, name=Alice\\, Jr.,mailto=a@example.com").unwrap();
        assert_eq!(p.tel.as_deref(), Some("+15551230001"));
        assert_eq!(p.name.as_deref(), Some("Alice, Jr."));
        assert_eq!(p.mailto.as_deref(), Some("a@example.com"));
        assert!(!cc);
        let (p, cc) = party("name=Bob,role=agent").unwrap();
        assert!(cc);
        assert_eq!(
            p.cc().role().unwrap().map(|r| r.to_string()).as_deref(),
            Some("agent")
        );
        assert!(
            party("nmae=Bob")
                .unwrap_err()
                .0
                .contains("unknown key `nmae`")
        );
        assert!(party("Bob").unwrap_err().0.contains("not key=value"));
        assert!(party("name=A,name=B").unwrap_err().0.contains("twice"));
    }

    #[test]
    fn text_specs() {
        assert_eq!(
            parties_and("0,1:Hi: there", "--text").unwrap(),
            (vec![0, 1], "Hi: there")
        );
        assert!(parties_and("Hi", "--text").is_err());
        assert!(
            parties_and("a:Hi", "--text")
                .unwrap_err()
                .0
                .contains("`a` is not a party index")
        );
    }

    #[test]
    fn mediatypes() {
        assert_eq!(mediatype_for("call.WAV"), Some("audio/x-wav"));
        assert_eq!(mediatype_for("x/y/rec.mp3"), Some("audio/x-mp3"));
        assert_eq!(mediatype_for("noext"), None);
    }
}
