//! The HTTP side of `vcon bench-server`: the target (base URL, token, API
//! flavour) and the requests it takes, prepared as bytes once (head and
//! body), to be written as they are on a keep-alive connection
//! ([`super::wire::Conn`]).

use anyhow::{Context as _, Result, bail};
use http::Uri;

/// Which API the server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Api {
    /// vconkit's native API: `POST /v1/vcons`, `GET /v1/vcons/{uuid}`,
    /// `Authorization: Bearer TOKEN`.
    Native,
    /// The conserver's API: `POST /vcon`, `GET /vcon/{uuid}`,
    /// `x-conserver-api-token: TOKEN` (vcon serve answers it too).
    Conserver,
}

/// Where and how to send requests.
#[derive(Debug, Clone)]
pub struct Target {
    /// `host:port` to connect to.
    pub authority: String,
    /// `Host` header value.
    host: String,
    /// Path prefix of the base URL, without a trailing `/` (`""`, `/api`).
    prefix: String,
    /// The API flavour.
    pub api: Api,
    /// The header line (without CRLF) carrying the token on vCon routes.
    auth: String,
    /// The conserver token header line, for the list routes (`/stats/queue`).
    list_auth: String,
}

/// The conserver's token header.
const CONSERVER_HEADER: &str = "x-conserver-api-token";

impl Target {
    /// A target from `--url`, `--token` and `--api`. Only `http://` URLs:
    /// a load generator measuring the server should not measure TLS.
    pub fn new(url: &str, token: &str, api: Api) -> Result<Self> {
        let uri: Uri = url
            .parse()
            .with_context(|| format!("--url `{url}` is not a URL"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some(other) => bail!("--url `{url}`: scheme `{other}` is not supported (http:// only)"),
            None => bail!("--url `{url}`: give the scheme, as in http://127.0.0.1:8000"),
        }
        let Some(authority) = uri.authority() else {
            bail!("--url `{url}`: no host");
        };
        let port = authority.port_u16().unwrap_or(80);
        let host_name = authority.host();
        let authority_text = format!("{host_name}:{port}");
        if !is_header_value(token) {
            bail!("--token contains characters not allowed in a header");
        }
        let conserver = format!("{CONSERVER_HEADER}: {token}");
        let auth = match api {
            Api::Native => format!("authorization: Bearer {token}"),
            Api::Conserver => conserver.clone(),
        };
        Ok(Self {
            authority: authority_text,
            host: authority.as_str().to_owned(),
            prefix: uri.path().trim_end_matches('/').to_owned(),
            api,
            auth,
            list_auth: conserver,
        })
    }

    /// Path and query of a vCon write, queueing on `ingress` lists.
    pub fn ingest_path(&self, ingress: &[String]) -> String {
        let (path, key) = match self.api {
            Api::Native => ("/v1/vcons", "ingress"),
            Api::Conserver => ("/vcon", "ingress_lists"),
        };
        let mut out = format!("{}{path}", self.prefix);
        for (i, list) in ingress.iter().enumerate() {
            out.push(if i == 0 { '?' } else { '&' });
            out.push_str(key);
            out.push('=');
            out.push_str(&encode_query_value(list));
        }
        out
    }

    /// Path of one vCon.
    pub fn read_path(&self, uuid: &str) -> String {
        match self.api {
            Api::Native => format!("{}/v1/vcons/{uuid}", self.prefix),
            Api::Conserver => format!("{}/vcon/{uuid}", self.prefix),
        }
    }

    /// The head of a POST of a `body_len`-byte vCon to `path_and_query`,
    /// up to and including its empty line (the body follows it).
    pub fn post_head(&self, path_and_query: &str, body_len: usize) -> Vec<u8> {
        let content_type = match self.api {
            Api::Native => "application/vcon",
            Api::Conserver => "application/json",
        };
        format!(
            "POST {path_and_query} HTTP/1.1\r\nhost: {}\r\n{}\r\ncontent-type: {content_type}\r\ncontent-length: {body_len}\r\n\r\n",
            self.host, self.auth
        )
        .into_bytes()
    }

    /// A GET on a vCon route.
    pub fn get(&self, path_and_query: &str) -> Vec<u8> {
        self.get_with(path_and_query, &self.auth)
    }

    /// A GET on a list route (`/stats/queue`), which takes the conserver
    /// header on both servers.
    pub fn get_list(&self, path_and_query: &str) -> Vec<u8> {
        self.get_with(&format!("{}{path_and_query}", self.prefix), &self.list_auth)
    }

    fn get_with(&self, path_and_query: &str, auth: &str) -> Vec<u8> {
        format!(
            "GET {path_and_query} HTTP/1.1\r\nhost: {}\r\n{auth}\r\n\r\n",
            self.host
        )
        .into_bytes()
    }
}

/// Whether `text` may be sent as a header value: visible ASCII, spaces and
/// tabs (no CR or LF, which would end the header).
fn is_header_value(text: &str) -> bool {
    text.bytes()
        .all(|b| b == b'\t' || (b' '..=b'~').contains(&b))
}

/// Percent-encodes a query value (lists names are usually plain).
pub fn encode_query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_api_and_the_base_path() {
        let native = Target::new("http://127.0.0.1:8000", "t", Api::Native).unwrap();
        assert_eq!(native.authority, "127.0.0.1:8000");
        assert_eq!(native.ingest_path(&[]), "/v1/vcons");
        assert_eq!(
            native.ingest_path(&["a b".into(), "c".into()]),
            "/v1/vcons?ingress=a%20b&ingress=c"
        );
        let conserver = Target::new("http://localhost/api/", "t", Api::Conserver).unwrap();
        assert_eq!(conserver.authority, "localhost:80");
        assert_eq!(
            conserver.ingest_path(&["main".into()]),
            "/api/vcon?ingress_lists=main"
        );
        assert_eq!(conserver.read_path("u"), "/api/vcon/u");
        let r = String::from_utf8(conserver.get_list("/stats/queue?list_name=x")).unwrap();
        assert_eq!(
            r,
            "GET /api/stats/queue?list_name=x HTTP/1.1\r\nhost: localhost\r\n\
             x-conserver-api-token: t\r\n\r\n"
        );
        let post = String::from_utf8(native.post_head("/v1/vcons", 12)).unwrap();
        assert_eq!(
            post,
            "POST /v1/vcons HTTP/1.1\r\nhost: 127.0.0.1:8000\r\nauthorization: Bearer t\r\n\
             content-type: application/vcon\r\ncontent-length: 12\r\n\r\n"
        );
    }

    #[test]
    fn only_http_urls_are_accepted() {
        assert!(Target::new("https://x", "t", Api::Native).is_err());
        assert!(Target::new("127.0.0.1:8000", "t", Api::Native).is_err());
        assert!(Target::new("http://x", "bad\ntoken", Api::Native).is_err());
    }
}
