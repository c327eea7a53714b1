//! Shared helpers: vCons, stores in temporary directories, test links, waiting.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Map, Value, json};
use tokio::sync::Notify;
use vcon_pipeline::{Flow, Link, LinkContext, LinkError, VconDoc};
use vcon_store::{
    Durability, ListName, RecordOptions, SqliteConfig, SqliteStore, VconRecord, VconUuid,
};

/// A deterministic uuid for test number `n`.
pub fn uuid(n: u64) -> String {
    format!("019f15a6-a752-8{:03x}-b9a2-{:012x}", n % 4096, n)
}

/// A strictly valid unsigned vCon.
pub fn vcon(n: u64) -> Value {
    json!({
        "uuid": uuid(n),
        "created_at": "2026-03-04T05:06:07Z",
        "subject": format!("call {n}"),
        "parties": [{"tel": "+15551230001", "name": "Alice"}, {"tel": "+15551230002", "name": "Bob"}],
        "dialog": [{"type": "text", "start": "2026-03-04T05:06:07Z", "parties": [0, 1],
                    "mediatype": "text/plain", "encoding": "none", "body": format!("hello {n}")}]
    })
}

/// A vCon as an object.
pub fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("not an object: {other}"),
    }
}

/// A document of vCon `n`.
pub fn doc(n: u64) -> VconDoc {
    VconDoc::from_object(object(vcon(n))).unwrap()
}

/// A document of any JSON object.
pub fn doc_of(v: Value) -> VconDoc {
    VconDoc::from_object(object(v)).unwrap()
}

/// A link context for tests.
pub fn ctx() -> LinkContext<'static> {
    LinkContext {
        chain: "test",
        link: "under_test",
        attempt: 1,
    }
}

/// A store in a fresh temporary directory (fsync off: tests and benches).
pub struct TestStore {
    pub store: Arc<SqliteStore>,
    pub dir: tempfile::TempDir,
}

pub fn open_store() -> TestStore {
    let dir = tempfile::tempdir().unwrap();
    let mut config = SqliteConfig::in_dir(dir.path().join("data"));
    config.durability = Durability::Process;
    let store = SqliteStore::open(config).unwrap();
    TestStore { store, dir }
}

pub fn list(name: &str) -> ListName {
    ListName::new(name).unwrap()
}

pub fn vuuid(n: u64) -> VconUuid {
    VconUuid::parse(&uuid(n)).unwrap()
}

/// Stores vCon `n` and queues it on `list`.
pub async fn ingest(store: &SqliteStore, n: u64, list_name: &str) {
    use vcon_store::Store;
    let record = VconRecord::from_bytes(
        serde_json::to_vec(&vcon(n)).unwrap(),
        &RecordOptions::default(),
    )
    .unwrap();
    store
        .put_and_enqueue(record, &[list(list_name)])
        .await
        .unwrap();
}

/// Polls `check` until it holds; panics after `limit` (a guard against a
/// hang, not a timing assertion).
pub async fn wait_until<F, Fut>(what: &str, limit: Duration, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "gave up waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Counts the vCons it sees (not idempotent on purpose) and adds a tag.
#[derive(Debug, Default)]
pub struct CountingLink {
    pub seen: std::sync::Mutex<Vec<String>>,
}

#[async_trait]
impl Link for CountingLink {
    async fn process(&self, doc: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        self.seen.lock().unwrap().push(doc.uuid().to_owned());
        tokio::task::yield_now().await;
        Ok(Flow::Continue)
    }
}

/// Fails (retryably or not) while `failing` is set; counts calls.
#[derive(Debug)]
pub struct FlakyLink {
    pub failing: AtomicBool,
    pub retryable: bool,
    pub calls: AtomicUsize,
}

impl FlakyLink {
    pub fn new(retryable: bool) -> Self {
        Self {
            failing: AtomicBool::new(true),
            retryable,
            calls: AtomicUsize::new(0),
        }
    }
}

#[async_trait]
impl Link for FlakyLink {
    async fn process(&self, _: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.failing.load(Ordering::SeqCst) {
            return Err(LinkError::Http {
                url: "http://downstream.test/".into(),
                reason: "HTTP 503 Service Unavailable".into(),
                retryable: self.retryable,
            });
        }
        Ok(Flow::Continue)
    }
}

/// Signals and counts when it starts, then never finishes.
#[derive(Debug, Default)]
pub struct StuckLink {
    pub started: Notify,
    /// How many calls have entered `process` (and are stuck there).
    pub entered: AtomicUsize,
}

#[async_trait]
impl Link for StuckLink {
    async fn process(&self, _: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        self.entered.fetch_add(1, Ordering::SeqCst);
        self.started.notify_one();
        std::future::pending::<()>().await;
        Ok(Flow::Continue)
    }
}

pub mod http;

/// Signals when it starts, then waits for `open` before going on.
#[derive(Debug, Default)]
pub struct GateLink {
    pub started: Notify,
    pub open: Notify,
}

#[async_trait]
impl Link for GateLink {
    async fn process(&self, _: &mut VconDoc, _: &LinkContext<'_>) -> Result<Flow, LinkError> {
        self.started.notify_one();
        self.open.notified().await;
        Ok(Flow::Continue)
    }
}
