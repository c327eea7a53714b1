//! The conserver's acceptance rules for a posted vCon, restated: what its
//! request model for `POST /vcon` and `POST /vcon/external-ingress` refuses
//! with 422, and nothing more. Legacy 0.0.1 vCons, `null` members and
//! unknown members pass, as they do there.
//!
//! Findings carry rule id `conserver` and a JSON pointer.
//!
//! ```
//! use vcon_server::conserver_rules::check;
//! let ok = serde_json::json!({"vcon": "0.0.1", "uuid": "6f1c1a0e-4b2d-4a53-9a3e-1c2d3e4f5a6b",
//!     "created_at": "2024-01-01T00:00:00", "parties": [{"tel": "+15550001111"}],
//!     "dialog": [{"parties": [0], "duration": 10}]});
//! assert!(check(ok.as_object().unwrap()).is_empty());
//! let bad = serde_json::json!({"invalid": "data"});
//! assert_eq!(check(bad.as_object().unwrap()).len(), 3); // vcon, uuid, created_at missing
//! ```

use serde_json::Number;
use vcon_core::tree::{Json, JsonObj, View};

use crate::problem::FindingDoc;

/// Signature algorithm names the conserver accepts in `dialog[].alg`.
const ALGS: &[&str] = &[
    "SHA-256", "SHA-384", "SHA-512", "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256",
    "ES384", "ES512", "PS256", "PS384", "PS512",
];

/// Every rule the conserver's request model enforces; empty when it would
/// accept the object. Works on any of vcon-core's JSON trees: the reader's
/// [`serde_json::Map`] or the borrowed [`vcon_core::tree::Obj`], with the
/// same findings for the same text.
pub fn check<O: JsonObj>(vcon: &O) -> Vec<FindingDoc> {
    let mut out = Findings(Vec::new());
    match vcon.get("vcon").map(Json::view) {
        None => out.push("/vcon", "Field required: `vcon`"),
        Some(View::String(_)) => {}
        Some(_) => out.push("/vcon", "`vcon` must be a string"),
    }
    match vcon.get("uuid").map(Json::view) {
        None => out.push("/uuid", "Field required: `uuid`"),
        Some(View::String(s)) if uuid::Uuid::parse_str(s).is_ok() => {}
        Some(_) => out.push("/uuid", "`uuid` must be a UUID"),
    }
    match vcon.get("created_at").map(Json::view) {
        None => out.push("/created_at", "Field required: `created_at`"),
        Some(v) if is_datetime(v) => {}
        Some(_) => out.push("/created_at", "`created_at` must be an ISO 8601 date-time"),
    }
    optional_string(vcon, "subject", None, &mut out);
    if let Some(v) = vcon.get("redacted")
        && !v.is_object()
    {
        out.push("/redacted", "`redacted` must be an object");
    }
    if let Some(v) = vcon.get("appended")
        && !(v.is_object() || v.is_null())
    {
        out.push("/appended", "`appended` must be an object or null");
    }
    for key in ["group", "analysis", "attachments"] {
        objects(vcon, key, &mut out);
    }
    let parties = objects(vcon, "parties", &mut out);
    for (i, party) in parties.iter().enumerate() {
        if let Some(p) = party.as_object() {
            check_party(p, i, &mut out);
        }
    }
    for (i, dialog) in objects(vcon, "dialog", &mut out).iter().enumerate() {
        if let Some(d) = dialog.as_object() {
            check_dialog(d, i, parties.len(), &mut out);
        }
    }
    out.0
}

struct Findings(Vec<FindingDoc>);

impl Findings {
    fn push(&mut self, pointer: impl Into<String>, message: impl Into<String>) {
        self.0.push(FindingDoc {
            rule: "conserver".to_owned(),
            severity: "error".to_owned(),
            pointer: pointer.into(),
            message: message.into(),
        });
    }
}

/// Where a member is: the top level (`None`) or an entry of an array.
type Base = Option<(&'static str, usize)>;

/// The JSON pointer of member `key` under `base`.
fn pointer(base: Base, key: &str) -> String {
    match base {
        None => format!("/{key}"),
        Some((array, i)) => format!("/{array}/{i}/{key}"),
    }
}

/// The elements of the array `key` (absent or not an array: none); the
/// ones that are not objects are reported.
fn objects<'a, O: JsonObj>(vcon: &'a O, key: &str, out: &mut Findings) -> &'a [O::Val] {
    match vcon.get(key).map(Json::view) {
        None => &[],
        Some(View::Array(items)) => {
            for (i, v) in items.iter().enumerate() {
                if !v.is_object() {
                    out.push(
                        format!("/{key}/{i}"),
                        format!("`{key}` entries must be objects"),
                    );
                }
            }
            items
        }
        Some(_) => {
            out.push(format!("/{key}"), format!("`{key}` must be an array"));
            &[]
        }
    }
}

fn optional_string<'a, O: JsonObj>(
    o: &'a O,
    key: &str,
    base: Base,
    out: &mut Findings,
) -> Option<&'a str> {
    match o.get(key).map(Json::view) {
        None | Some(View::Null) => None,
        Some(View::String(s)) => Some(s),
        Some(_) => {
            out.push(
                pointer(base, key),
                format!("`{key}` must be a string or null"),
            );
            None
        }
    }
}

fn check_party<O: JsonObj>(p: &O, i: usize, out: &mut Findings) {
    let base = Some(("parties", i));
    if let Some(tel) = optional_string(p, "tel", base, out)
        && !is_tel(tel)
    {
        out.push(
            pointer(base, "tel"),
            format!("tel has invalid format: {tel:?}"),
        );
    }
}

fn check_dialog<O: JsonObj>(d: &O, i: usize, parties: usize, out: &mut Findings) {
    let base = Some(("dialog", i));
    match d.get("duration").map(Json::view) {
        None | Some(View::Null) => {}
        Some(v) => match as_float(v) {
            Some(x) if x >= 0.0 => {}
            Some(_) => out.push(pointer(base, "duration"), "duration must be >= 0"),
            None => out.push(pointer(base, "duration"), "duration must be a number"),
        },
    }
    optional_string(d, "start", base, out);
    if let Some(url) = optional_string(d, "url", base, out)
        && !is_url(url)
    {
        out.push(
            pointer(base, "url"),
            format!("url does not look like a valid URL: {url:?}"),
        );
    }
    if let Some(m) = optional_string(d, "mimetype", base, out)
        && !is_mimetype(m)
    {
        out.push(
            pointer(base, "mimetype"),
            format!("mimetype has invalid format: {m:?}"),
        );
    }
    if let Some(alg) = optional_string(d, "alg", base, out)
        && !ALGS.contains(&alg)
    {
        out.push(
            pointer(base, "alg"),
            format!("alg {alg:?} is not a recognised algorithm"),
        );
    }
    match d.get("parties").map(Json::view) {
        None | Some(View::Null) => {}
        Some(View::Array(refs)) => {
            for (j, r) in refs.iter().enumerate() {
                let at = || format!("/dialog/{i}/parties/{j}");
                match as_int(r.view()) {
                    None => out.push(at(), "dialog parties must be integers"),
                    Some(n) if n < 0 || n >= parties as i64 => out.push(
                        at(),
                        format!(
                            "dialog[{i}].parties contains index {n} which is out of range \
                             (parties has {parties} entries)"
                        ),
                    ),
                    Some(_) => {}
                }
            }
        }
        Some(_) => out.push(
            pointer(base, "parties"),
            "dialog parties must be a list of integers",
        ),
    }
}

/// A number, or a string holding one (the conserver's lax parsing).
fn as_float<J: Json>(v: View<'_, J>) -> Option<f64> {
    match v {
        View::Number(n) => n.as_f64(),
        View::String(s) => s.trim().parse::<f64>().ok().filter(|x| x.is_finite()),
        _ => None,
    }
}

/// An integer, an integral float, or a string holding an integer.
fn as_int<J: Json>(v: View<'_, J>) -> Option<i64> {
    match v {
        View::Number(n) => n.as_i64().or_else(|| {
            Number::as_f64(n)
                .filter(|x| x.fract() == 0.0 && x.abs() < 9.0e15)
                .map(|x| x as i64)
        }),
        View::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `[+digit(]` then at least four of digits, spaces and `-().+xX#*`.
fn is_tel(s: &str) -> bool {
    let mut chars = s.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c == '+' || c == '(' || c.is_numeric());
    let rest: Vec<char> = chars.collect();
    first_ok
        && rest.len() >= 4
        && rest
            .iter()
            .all(|&c| c.is_numeric() || c.is_whitespace() || "-().+xX#*".contains(c))
}

/// A scheme (letter, then letters, digits, `+-.`), `://`, then something.
fn is_url(s: &str) -> bool {
    let Some((scheme, rest)) = s.split_once("://") else {
        return false;
    };
    let mut sc = scheme.chars();
    sc.next().is_some_and(|c| c.is_ascii_alphabetic())
        && sc.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        && rest.chars().next().is_some_and(|c| c != '\n')
}

/// `type/subtype` of restricted-name characters (RFC 6838 §4.2).
fn is_mimetype(s: &str) -> bool {
    let s = s.strip_suffix('\n').unwrap_or(s);
    let Some((kind, sub)) = s.split_once('/') else {
        return false;
    };
    let name = |part: &str, extra: &str| {
        let mut c = part.chars();
        c.next().is_some_and(|f| f.is_ascii_alphanumeric())
            && c.all(|x| x.is_ascii_alphanumeric() || "!#$&-^_".contains(x) || extra.contains(x))
    };
    name(kind, "") && name(sub, ".+")
}

/// An ISO 8601 date-time (with or without offset, `T` or space), a date, or
/// a Unix timestamp.
fn is_datetime<J: Json>(v: View<'_, J>) -> bool {
    match v {
        View::Number(_) => true,
        View::String(s) => parse_datetime(s).is_some(),
        _ => false,
    }
}

/// Parses a date-time as the conserver does: RFC 3339, ISO 8601 with `T` or
/// a space and an optional offset, or a date (midnight). Times without an
/// offset are taken as UTC.
///
/// ```
/// use vcon_server::conserver_rules::parse_datetime;
/// let t = parse_datetime("2024-01-01T10:00:00").unwrap();
/// assert_eq!(t.to_rfc3339(), "2024-01-01T10:00:00+00:00");
/// assert!(parse_datetime("soon").is_none());
/// ```
pub fn parse_datetime(text: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    let s = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%:z",
        "%Y-%m-%d %H:%M:%S%.f%:z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(s, f) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, f) {
            return Some(t.and_utc());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    /// The findings on `v`, the same on the reader's map and on the
    /// borrowed tree of its text.
    fn findings(v: Value) -> Vec<String> {
        let text = serde_json::to_vec(&v).unwrap();
        let root = vcon_core::tree::parse(&text, 64).unwrap();
        let from_tree = check(&root);
        let from_map = check(v.as_object().unwrap());
        assert_eq!(from_tree, from_map, "{v}");
        from_map
            .into_iter()
            .map(|f| format!("{} {}", f.pointer, f.message))
            .collect()
    }

    fn base() -> Value {
        json!({"vcon": "0.0.1", "uuid": "11111111-1111-1111-1111-111111111111",
               "created_at": "2024-01-01T00:00:00", "subject": null, "redacted": {},
               "appended": null, "group": [],
               "parties": [{"name": "Agent", "tel": "+15550001111"},
                           {"name": "Customer", "tel": "+15550002222", "jcard": null}],
               "dialog": [{"type": "recording", "start": "2024-01-01T00:00:00", "duration": 120,
                           "parties": [0, 1], "mimetype": "audio/x-wav",
                           "url": "s3://bucket/recording.wav", "alg": "SHA-512",
                           "signature": "abc123", "encoding": null}],
               "analysis": [{"dialog": 7}], "attachments": []})
    }

    #[test]
    fn the_conserver_fixture_shape_passes() {
        assert!(findings(base()).is_empty(), "{:?}", findings(base()));
    }

    #[test]
    fn the_conserver_invalid_fixtures_fail() {
        let cases = [
            ("/dialog/0/parties/1", "parties", json!([0, 99])),
            ("/dialog/0/duration", "duration", json!(-30)),
            ("/dialog/0/url", "url", json!("not-a-url")),
            (
                "/dialog/0/mimetype",
                "mimetype",
                json!("not a valid mimetype!"),
            ),
            ("/dialog/0/alg", "alg", json!("MD5")),
        ];
        for (pointer, key, value) in cases {
            let mut v = base();
            v["dialog"][0][key] = value;
            let f = findings(v);
            assert_eq!(f.len(), 1, "{f:?}");
            assert!(f[0].starts_with(pointer), "{f:?}");
        }
    }

    #[test]
    fn required_members_and_types() {
        assert_eq!(findings(json!({"invalid": "data"})).len(), 3);
        let mut v = base();
        v["redacted"] = Value::Null;
        v["parties"][0]["tel"] = json!("12");
        v["created_at"] = json!("yesterday");
        assert_eq!(findings(v).len(), 3);
    }

    #[test]
    fn formats() {
        assert!(is_tel("(555) 123-4567x890") && is_tel("+1-555-987-6543") && !is_tel("+12"));
        assert!(is_url("https://x") && !is_url("://x") && !is_url("1http://x"));
        assert!(is_mimetype("audio/x-wav") && is_mimetype("application/vnd.a+json"));
        assert!(!is_mimetype("text") && !is_mimetype("text/"));
        for ok in [
            "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.123+02:00",
            "2024-01-01",
            "2024-01-01 10:00:00",
        ] {
            assert!(is_datetime(json!(ok).view()), "{ok}");
        }
        assert!(is_datetime(json!(1700000000).view()) && !is_datetime(json!(null).view()));
    }
}
