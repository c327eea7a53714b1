//! The HTTP side of `vcon bench-server`: the target (base URL, token, API
//! flavour) and a keep-alive HTTP/1.1 connection per client task, on hyper
//! directly (no pool, no redirects, no decompression: the least client work
//! per request). Responses are read whole, then dropped.

use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

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
    host: HeaderValue,
    /// Path prefix of the base URL, without a trailing `/` (`""`, `/api`).
    prefix: String,
    /// The API flavour.
    pub api: Api,
    /// `(header, value)` carrying the token on vCon routes.
    auth: (HeaderName, HeaderValue),
    /// The conserver token header, for the list routes (`/vcon/count`).
    list_auth: (HeaderName, HeaderValue),
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
        let host = HeaderValue::from_str(authority.as_str())
            .with_context(|| format!("--url `{url}`: host is not a header value"))?;
        let prefix = uri.path().trim_end_matches('/').to_owned();
        let conserver_token = HeaderValue::from_str(token)
            .context("--token contains characters not allowed in a header")?;
        let bearer = HeaderValue::from_str(&format!("Bearer {token}"))
            .context("--token contains characters not allowed in a header")?;
        let conserver = (HeaderName::from_static(CONSERVER_HEADER), conserver_token);
        let auth = match api {
            Api::Native => (AUTHORIZATION, bearer),
            Api::Conserver => conserver.clone(),
        };
        Ok(Self {
            authority: authority_text,
            host,
            prefix,
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

    /// A POST of a vCon body.
    pub fn post(&self, path_and_query: &str, body: Bytes) -> Result<Request<Full<Bytes>>> {
        let content_type = match self.api {
            Api::Native => "application/vcon",
            Api::Conserver => "application/json",
        };
        Request::builder()
            .method(Method::POST)
            .uri(path_and_query)
            .header(HOST, self.host.clone())
            .header(self.auth.0.clone(), self.auth.1.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static(content_type))
            .body(Full::new(body))
            .context("building a request")
    }

    /// A GET on a vCon route.
    pub fn get(&self, path_and_query: &str) -> Result<Request<Full<Bytes>>> {
        self.get_with(path_and_query, &self.auth)
    }

    /// A GET on a list route (`/stats/queue`, `/vcon/count`), which takes the
    /// conserver header on both servers.
    pub fn get_list(&self, path_and_query: &str) -> Result<Request<Full<Bytes>>> {
        self.get_with(&format!("{}{path_and_query}", self.prefix), &self.list_auth)
    }

    fn get_with(
        &self,
        path_and_query: &str,
        auth: &(HeaderName, HeaderValue),
    ) -> Result<Request<Full<Bytes>>> {
        Request::builder()
            .method(Method::GET)
            .uri(path_and_query)
            .header(HOST, self.host.clone())
            .header(auth.0.clone(), auth.1.clone())
            .body(Full::new(Bytes::new()))
            .context("building a request")
    }
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

/// One keep-alive HTTP/1.1 connection, reopened after an error.
pub struct Conn {
    authority: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

/// The answer to one request.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The body.
    pub body: Bytes,
}

impl Conn {
    /// A connection to `authority`, opened at the first request.
    pub fn new(authority: &str) -> Self {
        Self {
            authority: authority.to_owned(),
            sender: None,
        }
    }

    async fn open(&self) -> Result<SendRequest<Full<Bytes>>> {
        let stream =
            tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(&self.authority))
                .await
                .with_context(|| format!("connecting to {}: timed out", self.authority))?
                .with_context(|| format!("connecting to {}", self.authority))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .with_context(|| format!("HTTP handshake with {}", self.authority))?;
        tokio::spawn(async move {
            // Ends when the server closes or the sender is dropped.
            let _ = connection.await;
        });
        Ok(sender)
    }

    /// Sends `request` and reads the whole answer. A transport error
    /// closes the connection (the next request reconnects).
    pub async fn send(&mut self, request: Request<Full<Bytes>>) -> Result<Answer> {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => self.open().await?,
        };
        sender.ready().await.context("connection closed")?;
        let response = sender
            .send_request(request)
            .await
            .context("sending the request")?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .context("reading the response")?
            .to_bytes();
        self.sender = Some(sender);
        Ok(Answer { status, body })
    }
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
        let r = conserver.get_list("/vcon/count?egress_list=x").unwrap();
        assert_eq!(r.uri(), "/api/vcon/count?egress_list=x");
        assert!(r.headers().contains_key(CONSERVER_HEADER));
    }

    #[test]
    fn only_http_urls_are_accepted() {
        assert!(Target::new("https://x", "t", Api::Native).is_err());
        assert!(Target::new("127.0.0.1:8000", "t", Api::Native).is_err());
        assert!(Target::new("http://x", "bad\ntoken", Api::Native).is_err());
    }
}
