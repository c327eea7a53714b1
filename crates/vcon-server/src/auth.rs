//! Tokens: the admin token (generated at first start, kept only as its
//! SHA-256), the conserver's global tokens (`CONSERVER_API_TOKEN`,
//! `CONSERVER_API_TOKEN_FILE`) and its per-ingress-list keys.
//!
//! Scopes: the admin token opens both APIs (when `auth.enabled`); a
//! conserver token opens the conserver-compatible routes only, and is
//! checked there even when `auth.enabled = false`, as the conserver checks
//! any key it was given.
//!
//! Presented tokens are hashed with SHA-256 and compared with every known
//! hash in constant time ([`subtle`]), so neither the comparison nor the
//! stored file reveals a token. A 256-bit random token needs no slow hash.
//!
//! ```
//! use vcon_server::auth::TokenHash;
//! let h = TokenHash::of("s3cret");
//! assert!(h.matches("s3cret"));
//! assert!(!h.matches("s3cres"));
//! assert_eq!(TokenHash::parse(&h.to_text()).unwrap(), h);
//! ```

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::http::{HeaderMap, HeaderName, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::live::Swap;
use crate::problem::ApiError;

/// The SHA-256 of a token.
#[derive(Clone, PartialEq, Eq)]
pub struct TokenHash([u8; 32]);

impl std::fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenHash(..)")
    }
}

impl TokenHash {
    /// The hash of `token`.
    pub fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// Whether `token` hashes to this value (constant time in the hash).
    pub fn matches(&self, token: &str) -> bool {
        Self::of(token).ct_matches(self)
    }

    fn ct_matches(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// `sha256:` and 64 lower-case hex digits, as kept in the hash file.
    pub fn to_text(&self) -> String {
        let mut s = String::with_capacity(7 + 64);
        s.push_str("sha256:");
        for b in self.0 {
            s.push_str(&format!("{b:02x}"));
        }
        s
    }

    /// Parses [`TokenHash::to_text`] output (surrounding whitespace ignored).
    pub fn parse(text: &str) -> Result<Self, AuthError> {
        let hex = text
            .trim()
            .strip_prefix("sha256:")
            .ok_or(AuthError::BadHash)?;
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(AuthError::BadHash);
        }
        let mut out = [0u8; 32];
        for (i, chunk) in hex.as_bytes().chunks(2).enumerate() {
            let pair = std::str::from_utf8(chunk).map_err(|_| AuthError::BadHash)?;
            out[i] = u8::from_str_radix(pair, 16).map_err(|_| AuthError::BadHash)?;
        }
        Ok(Self(out))
    }
}

/// Whether any of `hashes` matches `token`. Every hash is compared, so the
/// time taken does not tell which one matched.
fn any_matches(hashes: &[TokenHash], token: &str) -> bool {
    let presented = TokenHash::of(token);
    hashes
        .iter()
        .fold(false, |found, h| found | h.ct_matches(&presented))
}

/// Why tokens could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The hash file or a token file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS reported.
        source: std::io::Error,
    },
    /// The hash file does not hold `sha256:` and 64 hex digits.
    #[error("the admin token hash file does not hold `sha256:` and 64 hex digits")]
    BadHash,
    /// The operating system gave no random bytes.
    #[error("no random bytes for the admin token: {0}")]
    Random(String),
}

/// Where tokens come from besides the data directory: the environment.
#[derive(Debug, Clone, Default)]
pub struct TokenSources {
    /// `VCON_ADMIN_TOKEN`: the admin token to use instead of the stored one.
    pub admin_token: Option<String>,
    /// `CONSERVER_API_TOKEN`: one global conserver token.
    pub conserver_api_token: Option<String>,
    /// `CONSERVER_API_TOKEN_FILE`: a file of global conserver tokens, one a line.
    pub conserver_api_token_file: Option<PathBuf>,
}

impl TokenSources {
    /// Reads the three variables through `env` (empty values count as unset).
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Self {
        let get = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        Self {
            admin_token: get("VCON_ADMIN_TOKEN"),
            conserver_api_token: get("CONSERVER_API_TOKEN"),
            conserver_api_token_file: get("CONSERVER_API_TOKEN_FILE").map(PathBuf::from),
        }
    }
}

/// The admin token in force and, at first start, the new token to show once.
#[derive(Debug)]
pub struct AdminToken {
    /// Its hash.
    pub hash: TokenHash,
    /// The token just generated (first start only): print it once, never store it.
    pub generated: Option<String>,
}

/// Finds the admin token: `from_env` when given (nothing is written), else
/// the hash kept in `hash_file`, else a new random token whose hash is
/// written to `hash_file` (mode 0600) and which is returned to be shown once.
pub fn admin_token(hash_file: &Path, from_env: Option<&str>) -> Result<AdminToken, AuthError> {
    if let Some(token) = from_env {
        return Ok(AdminToken {
            hash: TokenHash::of(token),
            generated: None,
        });
    }
    let io = |source| AuthError::Io {
        path: hash_file.to_owned(),
        source,
    };
    match std::fs::read_to_string(hash_file) {
        Ok(text) => {
            return Ok(AdminToken {
                hash: TokenHash::parse(&text)?,
                generated: None,
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(e)),
    }
    if let Some(dir) = hash_file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| AuthError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    let mut raw = [0u8; 32];
    getrandom::fill(&mut raw).map_err(|e| AuthError::Random(e.to_string()))?;
    let token = format!("vcon_{}", URL_SAFE_NO_PAD.encode(raw));
    let hash = TokenHash::of(&token);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(hash_file).map_err(io)?;
    file.write_all(format!("{}\n", hash.to_text()).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io)?;
    Ok(AdminToken {
        hash,
        generated: Some(token),
    })
}

/// Every line of a token file, trimmed (blank ones kept, as empty strings).
fn token_file_lines(path: &Path) -> Result<Vec<String>, AuthError> {
    let text = std::fs::read_to_string(path).map_err(|source| AuthError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(text.lines().map(|l| l.trim().to_owned()).collect())
}

/// The conserver's global tokens from `CONSERVER_API_TOKEN` and the lines of
/// `CONSERVER_API_TOKEN_FILE`, as the conserver reads them: `None` (no
/// check) when the variable is unset and the file unset or without lines;
/// otherwise the hashes of the non-blank ones. A file of blank lines thus
/// turns the check on and lets no token through, as in the conserver,
/// where a blank line is a key no header can present.
pub fn conserver_tokens(sources: &TokenSources) -> Result<Option<Vec<TokenHash>>, AuthError> {
    let mut configured = false;
    let mut hashes = Vec::new();
    if let Some(t) = &sources.conserver_api_token {
        configured = true;
        hashes.push(TokenHash::of(t));
    }
    if let Some(file) = &sources.conserver_api_token_file {
        let lines = token_file_lines(file)?;
        configured |= !lines.is_empty();
        hashes.extend(
            lines
                .iter()
                .filter(|l| !l.is_empty())
                .map(|l| TokenHash::of(l)),
        );
    }
    Ok(configured.then_some(hashes))
}

/// The keys of one ingress list in `ingress_auth`.
#[derive(Debug, Clone)]
pub enum IngressKeys {
    /// Hashes of the accepted keys.
    Keys(Vec<TokenHash>),
    /// The configured value is neither a string nor a list of strings.
    Invalid,
}

/// Every token check of the server.
#[derive(Debug, Clone)]
pub struct Auth {
    enabled: bool,
    /// The admin token: full access to both APIs (when `enabled`).
    admin: Vec<TokenHash>,
    /// The conserver's global tokens; `Some` when configured, even empty.
    conserver: Option<Vec<TokenHash>>,
    header: HeaderName,
    /// Keys of `POST /vcon/external-ingress`, replaced by `POST /config`
    /// (shared by the clones).
    ingress: Arc<Swap<BTreeMap<String, IngressKeys>>>,
}

/// The tokens [`Auth`] checks, as hashes.
#[derive(Debug, Clone, Default)]
pub struct Tokens {
    /// The admin token (empty when native auth is off): both APIs.
    pub admin: Vec<TokenHash>,
    /// The conserver's global tokens (`CONSERVER_API_TOKEN`, the lines of
    /// `CONSERVER_API_TOKEN_FILE`): the conserver-compatible routes only.
    /// `None` when neither is set; `Some` (even empty, for a file of blank
    /// lines) turns the conserver check on whatever `enabled` says, as the
    /// conserver does when it has any key.
    pub conserver: Option<Vec<TokenHash>>,
}

impl Auth {
    /// Checks built from hashes. `enabled = false` lets every request of
    /// the native API through, and of the conserver API unless conserver
    /// tokens are configured (external ingress keeps its keys).
    pub fn new(
        enabled: bool,
        tokens: Tokens,
        header: HeaderName,
        ingress: BTreeMap<String, IngressKeys>,
    ) -> Self {
        Self {
            enabled,
            admin: tokens.admin,
            conserver: tokens.conserver,
            header,
            ingress: Arc::new(Swap::new(ingress)),
        }
    }

    /// Replaces the `ingress_auth` keys: checks from now on use these.
    pub fn set_ingress(&self, ingress: BTreeMap<String, IngressKeys>) {
        self.ingress.store(ingress);
    }

    /// Whether requests need a token.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The header the conserver routes read the token from.
    pub fn header_name(&self) -> &HeaderName {
        &self.header
    }

    /// Checks `Authorization: Bearer TOKEN` (native API): 401 otherwise.
    pub fn check_bearer(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if !self.enabled {
            return Ok(());
        }
        let Some(value) = headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::Unauthorized(
                "this API needs `Authorization: Bearer TOKEN`".into(),
            ));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| {
                let (scheme, rest) = v.split_once(' ')?;
                scheme.eq_ignore_ascii_case("bearer").then(|| rest.trim())
            })
            .ok_or_else(|| {
                ApiError::Unauthorized("the Authorization header is not `Bearer TOKEN`".into())
            })?;
        if any_matches(&self.admin, token) {
            Ok(())
        } else {
            Err(ApiError::Unauthorized("the token is not valid".into()))
        }
    }

    /// Checks the conserver header (conserver API): 403 "Invalid API Key"
    /// otherwise, as the conserver answers. The admin token passes when
    /// native auth is on; configured conserver tokens are enforced even
    /// when it is off (the conserver checks any key it was given).
    pub fn check_conserver(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        if !self.enabled && self.conserver.is_none() {
            return Ok(());
        }
        let token = headers
            .get(&self.header)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty());
        let conserver = self.conserver.as_deref().unwrap_or_default();
        let admin = if self.enabled { &self.admin[..] } else { &[] };
        match token {
            // `|` not `||`: both lists are compared whichever matches.
            Some(t) if any_matches(admin, t) | any_matches(conserver, t) => Ok(()),
            _ => Err(ApiError::Forbidden("Invalid API Key".into())),
        }
    }

    /// Checks a key for `POST /vcon/external-ingress?ingress_list=LIST`,
    /// with the conserver's messages (all 403).
    pub fn check_ingress(&self, list: &str, headers: &HeaderMap) -> Result<(), ApiError> {
        let token = headers
            .get(&self.header)
            .and_then(|v| v.to_str().ok())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiError::Forbidden("API Key required".into()))?;
        let ingress = self.ingress.load();
        if ingress.is_empty() {
            return Err(ApiError::Forbidden(
                "No ingress authentication configured".into(),
            ));
        }
        match ingress.get(list) {
            None => Err(ApiError::Forbidden(format!(
                "Ingress list '{list}' not configured"
            ))),
            Some(IngressKeys::Invalid) => Err(ApiError::Forbidden(format!(
                "Invalid configuration for ingress list '{list}'"
            ))),
            Some(IngressKeys::Keys(keys)) if any_matches(keys, token) => Ok(()),
            Some(IngressKeys::Keys(_)) => Err(ApiError::Forbidden(format!(
                "Invalid API Key for ingress list '{list}'"
            ))),
        }
    }
}

/// Ingress keys from a conserver `config.yml` value of `ingress_auth`: a
/// string or a list of strings per list; anything else is kept as
/// [`IngressKeys::Invalid`], which refuses every key, as the conserver does.
pub fn ingress_keys_from_yaml(value: &serde_json::Value) -> BTreeMap<String, IngressKeys> {
    let mut out = BTreeMap::new();
    let Some(map) = value.as_object() else {
        return out;
    };
    for (list, keys) in map {
        let entry = match keys {
            serde_json::Value::String(k) => IngressKeys::Keys(vec![TokenHash::of(k)]),
            serde_json::Value::Array(items) => items
                .iter()
                .map(|k| k.as_str().map(TokenHash::of))
                .collect::<Option<Vec<_>>>()
                .map_or(IngressKeys::Invalid, IngressKeys::Keys),
            _ => IngressKeys::Invalid,
        };
        out.insert(list.clone(), entry);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(name: &str, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    fn auth() -> Auth {
        let ingress = ingress_keys_from_yaml(&serde_json::json!({
            "a": "key-a", "b": ["key-b1", "key-b2"], "bad": {"x": 1}
        }));
        Auth::new(
            true,
            Tokens {
                admin: vec![TokenHash::of("admin")],
                conserver: Some(vec![TokenHash::of("conserver")]),
            },
            HeaderName::from_static("x-conserver-api-token"),
            ingress,
        )
    }

    #[test]
    fn first_start_generates_a_token_and_stores_only_its_hash() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("sub/admin-token.sha256");
        let first = admin_token(&file, None).unwrap();
        let token = first.generated.clone().unwrap();
        assert!(token.starts_with("vcon_") && token.len() == 48, "{token}");
        let stored = std::fs::read_to_string(&file).unwrap();
        assert!(!stored.contains(&token[5..]));
        assert_eq!(stored.trim(), TokenHash::of(&token).to_text());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let second = admin_token(&file, None).unwrap();
        assert!(second.generated.is_none(), "printed once only");
        assert!(second.hash.matches(&token));
    }

    #[test]
    fn env_token_replaces_the_stored_one_and_writes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("admin-token.sha256");
        let t = admin_token(&file, Some("from-env")).unwrap();
        assert!(t.generated.is_none());
        assert!(t.hash.matches("from-env"));
        assert!(!file.exists());
    }

    #[test]
    fn bearer_tokens() {
        let a = auth();
        assert!(
            a.check_bearer(&headers("authorization", "Bearer admin"))
                .is_ok()
        );
        assert!(
            a.check_bearer(&headers("authorization", "bearer admin"))
                .is_ok()
        );
        // A conserver token is for the conserver API only.
        let e = a
            .check_bearer(&headers("authorization", "Bearer conserver"))
            .unwrap_err();
        assert_eq!(e.status().as_u16(), 401);
        let e = a
            .check_bearer(&headers("authorization", "Bearer nope"))
            .unwrap_err();
        assert_eq!(e.status().as_u16(), 401);
        assert!(a.check_bearer(&HeaderMap::new()).is_err());
        assert!(
            a.check_bearer(&headers("authorization", "Basic YWRtaW4="))
                .is_err()
        );
    }

    #[test]
    fn conserver_header_is_403_invalid_api_key() {
        let a = auth();
        assert!(
            a.check_conserver(&headers("x-conserver-api-token", "conserver"))
                .is_ok()
        );
        assert!(
            a.check_conserver(&headers("x-conserver-api-token", "admin"))
                .is_ok()
        );
        let e = a.check_conserver(&HeaderMap::new()).unwrap_err();
        assert_eq!(e.status().as_u16(), 403);
        assert_eq!(e.to_problem().detail, "Invalid API Key");
    }

    #[test]
    fn conserver_tokens_are_enforced_when_native_auth_is_off() {
        let h = |v| headers("x-conserver-api-token", v);
        let header = HeaderName::from_static("x-conserver-api-token");
        let off = |conserver| {
            Auth::new(
                false,
                Tokens {
                    admin: Vec::new(),
                    conserver,
                },
                header.clone(),
                BTreeMap::new(),
            )
        };
        let with_token = off(Some(vec![TokenHash::of("conserver")]));
        assert!(with_token.check_conserver(&h("conserver")).is_ok());
        assert!(with_token.check_conserver(&h("admin")).is_err());
        assert!(with_token.check_conserver(&HeaderMap::new()).is_err());
        // The native API is open either way.
        assert!(with_token.check_bearer(&HeaderMap::new()).is_ok());
        // Nothing configured: open, as the conserver without keys.
        assert!(off(None).check_conserver(&HeaderMap::new()).is_ok());
        // Configured but empty (a file of blank lines): nothing passes.
        let blank = off(Some(Vec::new()));
        assert!(blank.check_conserver(&h("")).is_err());
        assert!(blank.check_conserver(&HeaderMap::new()).is_err());
    }

    #[test]
    fn conserver_tokens_read_as_the_conserver_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tokens");
        let sources = |token: Option<&str>| TokenSources {
            admin_token: None,
            conserver_api_token: token.map(str::to_owned),
            conserver_api_token_file: Some(file.clone()),
        };
        std::fs::write(&file, "").unwrap();
        assert!(conserver_tokens(&sources(None)).unwrap().is_none());
        let only_env = conserver_tokens(&sources(Some("env"))).unwrap().unwrap();
        assert!(any_matches(&only_env, "env"));
        std::fs::write(&file, "\n").unwrap();
        assert_eq!(conserver_tokens(&sources(None)).unwrap(), Some(Vec::new()));
        std::fs::write(&file, " a \nb\n").unwrap();
        let both = conserver_tokens(&sources(None)).unwrap().unwrap();
        assert!(any_matches(&both, "a") && any_matches(&both, "b"));
        assert!(!any_matches(&both, " a "));
        std::fs::remove_file(&file).unwrap();
        let e = conserver_tokens(&sources(None)).unwrap_err();
        assert!(e.to_string().contains("tokens"), "{e}");
    }

    #[test]
    fn ingress_keys_follow_the_conserver_messages() {
        let a = auth();
        let h = |v| headers("x-conserver-api-token", v);
        assert!(a.check_ingress("a", &h("key-a")).is_ok());
        assert!(a.check_ingress("b", &h("key-b2")).is_ok());
        let detail = |r: Result<(), ApiError>| r.unwrap_err().to_problem().detail;
        assert_eq!(
            detail(a.check_ingress("a", &HeaderMap::new())),
            "API Key required"
        );
        assert_eq!(
            detail(a.check_ingress("a", &h("key-b1"))),
            "Invalid API Key for ingress list 'a'"
        );
        assert_eq!(
            detail(a.check_ingress("zz", &h("key-a"))),
            "Ingress list 'zz' not configured"
        );
        assert_eq!(
            detail(a.check_ingress("bad", &h("x"))),
            "Invalid configuration for ingress list 'bad'"
        );
        let none = Auth::new(
            true,
            Tokens::default(),
            HeaderName::from_static("x-conserver-api-token"),
            BTreeMap::new(),
        );
        assert_eq!(
            detail(none.check_ingress("a", &h("k"))),
            "No ingress authentication configured"
        );
    }

    #[test]
    fn token_files_are_read_line_by_line() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("tokens");
        std::fs::write(&f, "one\n\n  two  \n").unwrap();
        assert_eq!(
            token_file_lines(&f).unwrap(),
            vec!["one".to_owned(), String::new(), "two".to_owned()]
        );
        let sources = TokenSources {
            admin_token: None,
            conserver_api_token: None,
            conserver_api_token_file: Some(f),
        };
        let tokens = conserver_tokens(&sources).unwrap().unwrap();
        assert_eq!(tokens.len(), 2, "blank lines are no token");
        assert!(any_matches(&tokens, "one") && any_matches(&tokens, "two"));
    }
}
