//! Text rendering of `vcon show`.

use std::io::{self, Write};

use serde_json::Value;

use super::Layer;
use super::envelope::{EncryptedInfo, SignedInfo};
use super::summary::{ContentInfo, DialogInfo, PartyInfo, Summary};
use crate::output::{Painter, Style, human_bytes};

/// Writes one layer (and the layers inside it).
pub fn layer(out: &mut impl Write, l: &Layer, p: &Painter, gzipped: bool) -> io::Result<()> {
    if let Some(s) = &l.signed {
        signed(out, s, p)?;
        if let Some(inner) = &l.payload {
            writeln!(out)?;
            p.write(out, Style::Yellow, "Payload (decoded, NOT verified):")?;
            writeln!(out)?;
            layer(out, inner, p, false)?;
        }
        if let Some(e) = &l.payload_error {
            writeln!(out, "  payload cannot be shown: {e}")?;
        }
    }
    if let Some(e) = &l.encrypted {
        encrypted(out, e, p)?;
    }
    if let Some(v) = &l.vcon {
        let form = match l.form {
            Some(f) => f.as_str(),
            None => "NO vCon FORM (R-40)",
        };
        vcon(out, v, form, gzipped, p)?;
    }
    Ok(())
}

fn heading(out: &mut impl Write, p: &Painter, text: &str) -> io::Result<()> {
    writeln!(out)?;
    p.write(out, Style::Bold, text)?;
    writeln!(out)
}

fn field(out: &mut impl Write, p: &Painter, name: &str, value: &str) -> io::Result<()> {
    write!(out, "  ")?;
    p.write(out, Style::Dim, &format!("{name:<11}"))?;
    writeln!(out, " {value}")
}

fn or_dash(v: Option<&str>) -> &str {
    v.unwrap_or("-")
}

fn list(v: &[String]) -> String {
    if v.is_empty() {
        "-".to_owned()
    } else {
        v.join(", ")
    }
}

/// A JSON value as written in compact form (`0`, `[0,1]`, `"x"`).
fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn vcon(
    out: &mut impl Write,
    v: &Summary,
    form: &str,
    gzipped: bool,
    p: &Painter,
) -> io::Result<()> {
    write!(out, "vCon ")?;
    p.write(out, Style::Bold, or_dash(v.uuid.as_deref()))?;
    writeln!(out)?;
    let mut f = format!("{form}, syntax {}", v.version);
    if let Some(d) = &v.declared_version {
        f.push_str(&format!(" (vcon member \"{d}\")"));
    }
    if gzipped {
        f.push_str(", gzip");
    }
    field(out, p, "form", &f)?;
    field(out, p, "created", or_dash(v.created_at.as_deref()))?;
    field(out, p, "updated", or_dash(v.updated_at.as_deref()))?;
    field(out, p, "subject", or_dash(v.subject.as_deref()))?;
    field(out, p, "extensions", &list(&v.extensions))?;
    field(out, p, "critical", &list(&v.critical))?;
    for (name, r) in [("redacted", &v.redacted), ("amended", &v.amended)] {
        if let Some(r) = r {
            let mut s = format!("from {}", or_dash(r.uuid.as_deref()));
            if let Some(t) = &r.r#type {
                s.push_str(&format!(" ({t})"));
            }
            if let Some(u) = &r.url {
                s.push_str(&format!(" at {u}"));
            }
            field(out, p, name, &s)?;
        }
    }
    parties(out, &v.parties, p)?;
    dialog(out, v, p)?;
    analysis(out, v, p)?;
    attachments(out, v, p)
}

/// How a party is named in other lines: `0 Alice`, or `0` when nothing identifies it.
fn party_label(parties: &[PartyInfo], index: u64) -> String {
    let found = parties.iter().find(|x| x.index as u64 == index);
    let name = found.and_then(|x| {
        ["name", "tel", "mailto", "sip", "did", "uuid"]
            .iter()
            .find_map(|k| x.fields.get(*k).and_then(Value::as_str))
    });
    match (found, name) {
        (Some(_), Some(n)) => format!("{index} {n}"),
        (Some(_), None) => index.to_string(),
        (None, _) => format!("{index} (no such party)"),
    }
}

/// Dialog `parties`: `0 Alice, 1 Bob`, or one bracket per channel.
fn party_refs(parties: &[PartyInfo], v: &Value) -> String {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map_or_else(|| n.to_string(), |i| party_label(parties, i)),
        Value::Array(items) if items.iter().all(Value::is_number) => items
            .iter()
            .map(|i| party_refs(parties, i))
            .collect::<Vec<_>>()
            .join(", "),
        Value::Array(channels) => channels
            .iter()
            .map(|c| match c {
                Value::Null => "[-]".to_owned(),
                other => format!("[{}]", party_refs(parties, other)),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => compact(other),
    }
}

fn parties(out: &mut impl Write, list: &[PartyInfo], p: &Painter) -> io::Result<()> {
    heading(out, p, &format!("Parties ({})", list.len()))?;
    let name_of = |x: &PartyInfo| x.fields.get("name").map(compact);
    let width = list
        .iter()
        .filter_map(|x| name_of(x).map(|n| n.chars().count()))
        .max()
        .unwrap_or(0);
    for party in list {
        let mut parts = Vec::new();
        if width > 0 {
            parts.push(format!("{:<width$}", name_of(party).unwrap_or_default()));
        }
        for (k, v) in party.fields.iter().filter(|(k, _)| *k != "name") {
            parts.push(format!("{k} {}", compact(v)));
        }
        if party.fields.is_empty() {
            parts.push("(unknown participant)".to_owned());
        }
        writeln!(out, "  [{}] {}", party.index, parts.join("  ").trim_end())?;
    }
    Ok(())
}

fn content(c: &ContentInfo) -> Option<String> {
    match (&c.size, &c.url) {
        (Some(size), _) => Some(format!(
            "{} inline ({})",
            human_bytes(*size),
            c.encoding.as_deref().unwrap_or("no encoding")
        )),
        (None, Some(url)) if c.content_hash => Some(format!("external {url}")),
        (None, Some(url)) => Some(format!("external {url} (no content_hash)")),
        (None, None) if c.content_hash => Some("content removed, content_hash kept".to_owned()),
        (None, None) => None,
    }
}

fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return format!("{secs} s");
    }
    if secs < 60.0 {
        return format!("{secs:.1} s");
    }
    // Display only; durations fit in u64 seconds.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let t = secs.round() as u64;
    if t >= 3600 {
        format!("{}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    } else {
        format!("{}:{:02}", t / 60, t % 60)
    }
}

fn dialog_line(
    out: &mut impl Write,
    d: &DialogInfo,
    all: &[PartyInfo],
    p: &Painter,
) -> io::Result<()> {
    write!(
        out,
        "  [{}] {}  ",
        d.index,
        d.start.as_deref().unwrap_or("(no start)")
    )?;
    p.write(out, Style::Cyan, d.r#type.as_deref().unwrap_or("(no type)"))?;
    if let Some(s) = d.duration {
        write!(out, "  {}", duration(s))?;
    }
    writeln!(out)?;
    let mut parts = Vec::new();
    if let Some(v) = &d.parties {
        parts.push(format!("parties {}", party_refs(all, v)));
    }
    if let Some(v) = &d.originator {
        parts.push(format!("originator {}", party_refs(all, v)));
    }
    if let Some(m) = &d.mediatype {
        parts.push(m.split_whitespace().collect::<Vec<_>>().join(" "));
    }
    if let Some(c) = content(&d.content) {
        parts.push(c);
    }
    if let Some(f) = &d.filename {
        parts.push(format!("file {f}"));
    }
    if let Some(x) = &d.disposition {
        parts.push(format!("disposition {x}"));
    }
    for (k, v) in &d.links {
        let party_valued = matches!(k.as_str(), "transferee" | "transferor" | "transfer_target");
        let shown = if party_valued {
            party_refs(all, v)
        } else {
            compact(v)
        };
        parts.push(format!("{k} {shown}"));
    }
    if !parts.is_empty() {
        writeln!(out, "      {}", parts.join("  "))?;
    }
    Ok(())
}

fn dialog(out: &mut impl Write, v: &Summary, p: &Painter) -> io::Result<()> {
    heading(
        out,
        p,
        &format!("Dialog ({}, by start time)", v.dialog.len()),
    )?;
    for d in &v.dialog {
        dialog_line(out, d, &v.parties, p)?;
    }
    Ok(())
}

fn analysis(out: &mut impl Write, v: &Summary, p: &Painter) -> io::Result<()> {
    heading(out, p, &format!("Analysis ({})", v.analysis.len()))?;
    for a in &v.analysis {
        let mut parts = vec![p.paint(Style::Cyan, a.r#type.as_deref().unwrap_or("(no type)"))];
        match (&a.vendor, &a.product) {
            (Some(v), Some(pr)) => parts.push(format!("by {v} ({pr})")),
            (Some(v), None) => parts.push(format!("by {v}")),
            (None, Some(pr)) => parts.push(format!("product {pr}")),
            (None, None) => {}
        }
        if let Some(d) = &a.dialog {
            parts.push(format!("dialog {}", compact(d)));
        }
        if let Some(m) = &a.mediatype {
            parts.push(m.clone());
        }
        if let Some(c) = content(&a.content) {
            parts.push(c);
        }
        writeln!(out, "  [{}] {}", a.index, parts.join("  "))?;
    }
    Ok(())
}

fn attachments(out: &mut impl Write, v: &Summary, p: &Painter) -> io::Result<()> {
    heading(out, p, &format!("Attachments ({})", v.attachments.len()))?;
    for a in &v.attachments {
        let mut parts = vec![p.paint(Style::Cyan, a.purpose.as_deref().unwrap_or("(no purpose)"))];
        if let Some(x) = &a.party {
            parts.push(format!("party {}", party_refs(&v.parties, x)));
        }
        if let Some(d) = &a.dialog {
            parts.push(format!("dialog {}", compact(d)));
        }
        if let Some(s) = &a.start {
            parts.push(s.clone());
        }
        if let Some(m) = &a.mediatype {
            parts.push(m.clone());
        }
        if let Some(f) = &a.filename {
            parts.push(format!("file {f}"));
        }
        if let Some(c) = content(&a.content) {
            parts.push(c);
        }
        writeln!(out, "  [{}] {}", a.index, parts.join("  "))?;
    }
    Ok(())
}

fn signed(out: &mut impl Write, s: &SignedInfo, p: &Painter) -> io::Result<()> {
    p.write(out, Style::Bold, "Signed vCon (JWS)")?;
    let n = s.signatures.len();
    writeln!(
        out,
        ": {n} signature{}, NOT verified here",
        if n == 1 { "" } else { "s" }
    )?;
    for sig in &s.signatures {
        let mut parts = vec![format!("alg {}", or_dash(sig.alg.as_deref()))];
        if let Some(t) = &sig.typ {
            parts.push(format!("typ {t}"));
        }
        if let Some(k) = &sig.kid {
            parts.push(format!("kid {k}"));
        }
        parts.push(format!("header uuid {}", or_dash(sig.uuid.as_deref())));
        parts.push(format!("x5c {} certificate(s)", sig.x5c_certificates));
        if let Some(u) = &sig.x5u {
            parts.push(format!("x5u {u}"));
        }
        writeln!(out, "  [{}] {}", sig.index, parts.join("  "))?;
    }
    if let Some(b) = s.payload_bytes {
        field(out, p, "payload", &human_bytes(b))?;
    }
    Ok(())
}

fn encrypted(out: &mut impl Write, e: &EncryptedInfo, p: &Painter) -> io::Result<()> {
    p.write(out, Style::Bold, "Encrypted vCon (JWE)")?;
    writeln!(out, ": the content needs the recipient's key")?;
    field(out, p, "alg", or_dash(e.alg.as_deref()))?;
    field(out, p, "enc", or_dash(e.enc.as_deref()))?;
    field(out, p, "cty", or_dash(e.cty.as_deref()))?;
    field(out, p, "uuid", or_dash(e.uuid.as_deref()))?;
    let sizes = |n: Option<u64>| n.map_or_else(|| "-".to_owned(), human_bytes);
    field(
        out,
        p,
        "sizes",
        &format!(
            "ciphertext {}, iv {}, tag {}",
            sizes(e.ciphertext_bytes),
            sizes(e.iv_bytes),
            sizes(e.tag_bytes)
        ),
    )?;
    heading(out, p, &format!("Recipients ({})", e.recipients.len()))?;
    for r in &e.recipients {
        let mut parts = vec![format!("alg {}", or_dash(r.alg.as_deref()))];
        if let Some(k) = &r.kid {
            parts.push(format!("kid {k}"));
        }
        if r.x5c_certificates > 0 {
            parts.push(format!("x5c {} certificate(s)", r.x5c_certificates));
        }
        writeln!(out, "  [{}] {}", r.index, parts.join("  "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(4.72), "4.7 s");
        assert_eq!(duration(61.0), "1:01");
        assert_eq!(duration(3723.4), "1:02:03");
    }

    #[test]
    fn party_references() {
        let parties = vec![PartyInfo {
            index: 0,
            fields: serde_json::from_value(serde_json::json!({"name": "Alice"}))
                .unwrap_or_default(),
        }];
        assert_eq!(
            party_refs(&parties, &serde_json::json!([0, 1])),
            "0 Alice, 1 (no such party)"
        );
        assert_eq!(
            party_refs(&parties, &serde_json::json!([[0], null])),
            "[0 Alice] [-]"
        );
    }
}
