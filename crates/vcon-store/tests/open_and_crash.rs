//! Opening: the directory lock, corrupt and foreign files, newer schemas.
//! Crash safety: a child process is aborted (as by `kill -9`) after its
//! writes were acknowledged; reopening finds every acknowledged write and
//! redelivers what was leased and not acknowledged.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use std::process::Command;
use std::time::Duration;

use support::*;
use vcon_store::{Durability, Queue, SqliteConfig, SqliteStore, Store, StoreError};

#[tokio::test]
async fn a_second_store_on_the_same_directory_is_refused_until_shutdown() {
    let t = open();
    let err = SqliteStore::open(SqliteConfig::in_dir(t.dir.path())).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err}");
    assert!(err.to_string().contains("LOCK"), "{err}");
    t.store.shutdown().await.unwrap();
    assert!(matches!(
        t.store.put(record_n(1)).await,
        Err(StoreError::Closed { .. })
    ));
    let again = SqliteStore::open(SqliteConfig::in_dir(t.dir.path())).unwrap();
    again.health().await.unwrap();
    again.shutdown().await.unwrap();
}

#[test]
fn corrupt_and_foreign_files_are_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("vcon.db"), vec![0x5a; 8192]).unwrap();
    let err = SqliteStore::open(SqliteConfig::in_dir(dir.path())).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("vcon.db"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("vcon.db");
    raw_sql(&path, "CREATE TABLE other (x);");
    let err = SqliteStore::open(SqliteConfig::in_dir(dir.path())).unwrap_err();
    assert!(err.to_string().contains("another program"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    raw_sql(&dir.path().join("vcon.db"), "PRAGMA user_version = 99;");
    let err = SqliteStore::open(SqliteConfig::in_dir(dir.path())).unwrap_err();
    assert!(
        err.to_string().contains("schema version 99 is newer"),
        "{err}"
    );
}

/// Runs SQL on a database file outside the store.
fn raw_sql(path: &std::path::Path, sql: &str) {
    rusqlite::Connection::open(path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
}

/// Environment variable that turns this test binary into the crashing child.
const CHILD_DIR: &str = "VCON_STORE_CRASH_CHILD_DIR";

/// The child: writes, prints what was acknowledged, then aborts without
/// any shutdown (SIGABRT: no destructors, no flush, like `kill -9`).
#[test]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return; // only meaningful as the child of `acknowledged_writes_survive_a_crash`
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let cfg = SqliteConfig {
            durability: Durability::Full,
            ..SqliteConfig::in_dir(&dir)
        };
        let store = SqliteStore::open(cfg).unwrap();
        let q = list("ingress");
        let mut tasks = Vec::new();
        for n in 0..200u64 {
            let s = store.clone();
            let q = q.clone();
            tasks.push(tokio::spawn(async move {
                s.put_and_enqueue(record_n(n), &[q]).await.unwrap();
                n
            }));
        }
        for t in tasks {
            println!("STORED {}", t.await.unwrap());
        }
        let leased = store
            .lease(&q, 50, Duration::from_secs(3600))
            .await
            .unwrap();
        let acked: Vec<_> = leased[..20].iter().map(|l| l.id).collect();
        store.ack(&acked).await.unwrap();
        println!("LEASED_OPEN {}", leased.len() - 20);
        // More writes in flight when the process dies: unacknowledged, may or may not be there.
        for n in 200..300u64 {
            let s = store.clone();
            let q = q.clone();
            tokio::spawn(async move { s.put_and_enqueue(record_n(n), &[q]).await });
        }
        use std::io::Write as _;
        std::io::stdout().flush().unwrap();
        std::process::abort();
    });
}

#[tokio::test]
async fn acknowledged_writes_survive_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success(), "the child must die by abort");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let acked: Vec<u64> = stdout
        .lines()
        .filter_map(|l| l.rsplit_once("STORED ")?.1.trim().parse().ok())
        .collect();
    assert_eq!(acked.len(), 200, "child output: {stdout}");
    assert!(stdout.contains("LEASED_OPEN 30"), "{stdout}");

    let store = SqliteStore::open(SqliteConfig::in_dir(dir.path())).unwrap();
    for n in acked {
        let got = store.get(&uuid(n)).await.unwrap();
        assert_eq!(
            got.map(|g| g.bytes.to_vec()),
            Some(bytes(&vcon(n))),
            "vCon {n} lost"
        );
    }
    // 200 queued, 20 acknowledged; the 30 leased are visible again at once,
    // plus whatever of the in-flight 100 made it (each stored and queued, or neither).
    let q = list("ingress");
    let stats = store.stats(&q).await.unwrap();
    assert_eq!(stats.in_flight, 0);
    let extra = store.count(&Default::default()).await.unwrap() - 200;
    assert_eq!(stats.ready, 180 + extra);
    // Every stored vCon is searchable, also those whose index rows were
    // still waiting when the process died (re-indexed from their bytes).
    let all = store.count(&Default::default()).await.unwrap();
    let by_text = vcon_store::SearchQuery {
        text: Some("hello".into()),
        ..Default::default()
    };
    assert_eq!(store.count(&by_text).await.unwrap(), all);
    let one = vcon_store::SearchQuery {
        tel: Some("+15550000123".into()),
        ..Default::default()
    };
    assert_eq!(store.search(&one).await.unwrap().items[0].uuid, uuid(123));
    let leases = store
        .lease(&q, 1000, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(leases.iter().filter(|l| l.attempts == 2).count(), 30);
    store.shutdown().await.unwrap();
}
