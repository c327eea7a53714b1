//! The background threads run below the caller's priority by their own
//! settings (`SqliteConfig::indexer_nice`, `checkpointer_nice`): read back
//! from `/proc/self/task` (Linux, where the nice value is per thread).
//! One test in this binary, so the store's threads are the only ones named so.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test helpers, not only #[test] fns

mod support;

use std::collections::BTreeMap;

use support::*;
use vcon_store::{DEFAULT_CHECKPOINTER_NICE, DEFAULT_INDEXER_NICE, SqliteConfig, SqliteStore};

/// The nice value of each thread of this process whose name starts with
/// `vcon-store-` (names are cut to 15 bytes), by name.
fn store_thread_nices() -> BTreeMap<String, Vec<i32>> {
    let mut found: BTreeMap<String, Vec<i32>> = BTreeMap::new();
    for task in std::fs::read_dir("/proc/self/task").unwrap() {
        let path = task.unwrap().path();
        let Ok(name) = std::fs::read_to_string(path.join("comm")) else {
            continue; // the thread ended meanwhile
        };
        let name = name.trim().to_owned();
        if !name.starts_with("vcon-store-") {
            continue;
        }
        let nice = nice_of(&std::fs::read_to_string(path.join("stat")).unwrap());
        found.entry(name).or_default().push(nice);
    }
    found
}

/// The nice value in a thread's `stat` file: fields after the
/// parenthesised name start at field 3 (state); the nice value is field 19.
fn nice_of(stat: &str) -> i32 {
    let after_name = &stat[stat.rfind(')').unwrap() + 2..];
    after_name.split(' ').nth(16).unwrap().parse().unwrap()
}

/// This thread's nice value (the store's threads start from it).
fn own_nice() -> i32 {
    nice_of(&std::fs::read_to_string("/proc/thread-self/stat").unwrap())
}

#[test]
fn the_indexer_and_the_checkpointer_run_at_their_own_nice() {
    // The defaults: the indexer lowest, the checkpointer a little lower
    // than the writer.
    let defaults = SqliteConfig::default();
    assert_eq!(defaults.indexer_nice, DEFAULT_INDEXER_NICE);
    assert_eq!(defaults.indexer_nice, 19);
    assert_eq!(defaults.checkpointer_nice, DEFAULT_CHECKPOINTER_NICE);
    assert!(defaults.checkpointer_nice < defaults.indexer_nice);

    let base = own_nice();
    let dir = tempfile::tempdir().unwrap();
    let clock = vcon_store::ManualClock::new(1_800_000_000_000);
    let config = SqliteConfig {
        indexer_nice: 7,
        checkpointer_nice: 3,
        ..config(dir.path(), &clock)
    };
    let store = SqliteStore::open(config).unwrap();
    let expect = |increment: i32| vec![(base + increment).min(19)];
    // Each thread names and lowers itself as it starts: wait for that, 10 s
    // at most.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let nices = loop {
        let nices = store_thread_nices();
        let settled = nices.get("vcon-store-inde") == Some(&expect(7))
            && nices.get("vcon-store-chec") == Some(&expect(3))
            && nices.contains_key("vcon-store-writ");
        if settled || std::time::Instant::now() >= deadline {
            break nices;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    assert_eq!(nices.get("vcon-store-inde"), Some(&expect(7)), "{nices:?}");
    assert_eq!(nices.get("vcon-store-chec"), Some(&expect(3)), "{nices:?}");
    // The writer stays at the caller's priority.
    assert_eq!(nices.get("vcon-store-writ"), Some(&vec![base]), "{nices:?}");
    drop(store);
}
