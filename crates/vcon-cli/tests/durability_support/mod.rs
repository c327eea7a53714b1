//! Helpers of `durability.rs`: `vcon serve` as a child process, a small
//! keep-alive HTTP/1.1 client, and vCon bodies.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::client::conn::http1::SendRequest;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;

/// The admin token of the servers started here (also accepted as the
/// conserver token).
pub const TOKEN: &str = "durability-test-admin-token";

/// A deadline `d` from now (hang protection only).
pub fn deadline(d: Duration) -> Instant {
    Instant::now() + d
}

/// vCon number `i`: its uuid and compact JSON bytes (valid in the strict
/// profile).
pub fn vcon_body(i: u64) -> (String, Bytes) {
    // UUIDv8 from a fixed time plus `i`, and the test process id: distinct
    // across the tests of one run.
    let uuid = vcon_core::id::uuid8_from_parts(
        1_780_000_000_000 + i,
        0,
        0x0d0c_0000_0000_0000 | u64::from(std::process::id()),
    )
    .to_string();
    let body = serde_json::json!({
        "vcon": "0.4.0",
        "uuid": uuid,
        "created_at": "2026-01-02T03:04:05Z",
        "subject": format!("durability {i}"),
        "parties": [{"tel": "+15551230001", "name": "Alice"}, {"tel": "+15551230002", "name": "Bob"}],
        "dialog": [{"type": "text", "start": "2026-01-02T03:04:05Z", "parties": [0, 1],
                    "mediatype": "text/plain", "encoding": "none", "body": format!("Hello, message {i}.")}],
    });
    (uuid, Bytes::from(serde_json::to_vec(&body).unwrap()))
}

/// `vcon serve` running as a child process.
pub struct Serve {
    child: Option<Child>,
    /// `host:port` it listens on.
    pub addr: String,
    log: PathBuf,
}

impl Serve {
    /// Starts `vcon serve --listen 127.0.0.1:0` on `data` with `config`,
    /// waits for its "listening on" line, and copies its standard error to
    /// `log` from then on (printed if the test fails).
    pub fn start(data: &Path, config: &Path, log: PathBuf) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vcon"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data)
            .arg("--config")
            .arg(config)
            .env("VCON_ADMIN_TOKEN", TOKEN)
            .env("VCON_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut printed = String::new();
        let addr = loop {
            let mut line = String::new();
            if stderr.read_line(&mut line).unwrap() == 0 {
                let status = child.wait().unwrap();
                panic!("vcon serve ended ({status}) before listening:\n{printed}");
            }
            printed.push_str(&line);
            if let Some(rest) = line.split("listening on http://").nth(1) {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // Keep reading: a full pipe would block the server.
        let mut file = std::fs::File::create(&log).unwrap();
        file.write_all(printed.as_bytes()).unwrap();
        std::thread::spawn(move || {
            let _ = std::io::copy(&mut stderr, &mut file);
        });
        Self {
            child: Some(child),
            addr,
            log,
        }
    }

    /// SIGKILL (`Child::kill`), then reaps it. True when it was running.
    pub fn kill9(&mut self) -> bool {
        let Some(mut child) = self.child.take() else {
            return false;
        };
        let running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        running
    }

    /// SIGTERM, and asserts a graceful exit (code 0).
    pub fn stop(mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let code = child.wait().unwrap().code();
        assert_eq!(code, Some(0), "graceful stop; log:\n{}", self.log_text());
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
            if std::thread::panicking() {
                eprintln!(
                    "vcon serve log ({}):\n{}",
                    self.log.display(),
                    self.log_text()
                );
            }
        }
    }
}

/// A keep-alive HTTP/1.1 connection with the test token.
pub struct Http {
    addr: String,
    sender: Option<SendRequest<Full<Bytes>>>,
}

type Answer = Result<(u16, Bytes), Box<dyn std::error::Error + Send + Sync>>;

impl Http {
    /// A client of `addr` (`host:port`), connecting at the first request.
    pub fn new(addr: &str) -> Self {
        Self {
            addr: addr.to_owned(),
            sender: None,
        }
    }

    async fn send(&mut self, request: Request<Full<Bytes>>) -> Answer {
        let mut sender = match self.sender.take() {
            Some(s) if !s.is_closed() => s,
            _ => {
                let stream = tokio::net::TcpStream::connect(&self.addr).await?;
                let (sender, conn) =
                    hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
                tokio::spawn(conn);
                sender
            }
        };
        sender.ready().await?;
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        self.sender = Some(sender);
        Ok((status, body))
    }

    fn request(
        &self,
        method: Method,
        path: &str,
        conserver: bool,
    ) -> hyper::http::request::Builder {
        let builder = Request::builder()
            .method(method)
            .uri(path)
            .header("host", &self.addr);
        if conserver {
            builder.header("x-conserver-api-token", TOKEN)
        } else {
            builder.header("authorization", format!("Bearer {TOKEN}"))
        }
    }

    /// POSTs a vCon to the native API.
    pub async fn post(&mut self, path: &str, body: Bytes) -> Answer {
        let r = self
            .request(Method::POST, path, false)
            .header("content-type", "application/vcon")
            .body(Full::new(body))?;
        self.send(r).await
    }

    /// GETs a native API path.
    pub async fn get(&mut self, path: &str) -> Answer {
        let r = self
            .request(Method::GET, path, false)
            .body(Full::new(Bytes::new()))?;
        self.send(r).await
    }

    /// GETs a conserver API path.
    pub async fn get_conserver(&mut self, path: &str) -> Answer {
        let r = self
            .request(Method::GET, path, true)
            .body(Full::new(Bytes::new()))?;
        self.send(r).await
    }

    /// The depth of `list` (`GET /stats/queue`).
    pub async fn depth(&mut self, list: &str) -> u64 {
        let (status, body) = self
            .get_conserver(&format!("/stats/queue?list_name={list}"))
            .await
            .unwrap();
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
        v["depth"].as_u64().unwrap()
    }
}
