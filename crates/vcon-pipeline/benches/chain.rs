//! Throughput of a tag + jq + sampler chain on the embedded SQLite store:
//! vCons are stored and queued first (not timed), then the worker pool
//! leases, loads, runs the links, writes the tagged vCon back, and
//! acknowledges with an egress push, until the list is empty.
//!
//! `cargo bench -p vcon-pipeline --bench chain`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use vcon_pipeline::{BuildContext, Pipeline, PipelineConfig, PoolSettings, WorkerPool};
use vcon_store::{
    Durability, ListName, Queue, RecordOptions, SqliteConfig, SqliteStore, Store, VconRecord,
};

const BATCH: u64 = 4_000;

/// On-CPU time of this process's threads so far, by thread name, in
/// nanoseconds (Linux `schedstat`; empty elsewhere). Threads that ended are
/// not counted, which is why the chain's time is taken while it runs.
fn cpu_by_thread() -> BTreeMap<String, u64> {
    let mut out = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return out;
    };
    for task in tasks.flatten() {
        let path = task.path();
        let comm = std::fs::read_to_string(path.join("comm")).unwrap_or_default();
        let ns = std::fs::read_to_string(path.join("schedstat"))
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
            .unwrap_or(0);
        let name = match comm.trim() {
            n if n.starts_with("vcon-store-writ") => "writer",
            n if n.starts_with("tokio-rt-worker") => "tokio workers",
            _ => "other",
        };
        *out.entry(name.to_owned()).or_default() += ns;
    }
    out
}

/// Adds the CPU time used between `before` and now to `into`.
fn add_cpu(into: &mut BTreeMap<String, u64>, before: &BTreeMap<String, u64>) {
    for (name, ns) in cpu_by_thread() {
        let used = ns.saturating_sub(before.get(&name).copied().unwrap_or(0));
        *into.entry(name).or_default() += used;
    }
}

/// Prints CPU microseconds per vCon, by thread kind.
fn print_cpu(label: &str, cpu: &BTreeMap<String, u64>, vcons: u64) {
    if vcons == 0 || cpu.is_empty() {
        return;
    }
    let per = |ns: u64| ns as f64 / 1_000.0 / vcons as f64;
    let total: u64 = cpu.values().sum();
    let parts: Vec<String> = cpu
        .iter()
        .map(|(name, ns)| format!("{name} {:.1}", per(*ns)))
        .collect();
    eprintln!(
        "{label}: on-CPU µs per vCon over {vcons} vCons: total {:.1} ({})",
        per(total),
        parts.join(", ")
    );
}

fn vcon(n: u64) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "uuid": format!("019f15a6-a752-8{:03x}-b9a2-{:012x}", n % 4096, n),
        "created_at": "2026-03-04T05:06:07Z",
        "subject": format!("call {n}"),
        "parties": [{"tel": "+15551230001", "name": "Alice"}, {"tel": "+15551230002", "name": "Bob"}],
        "dialog": [{"type": "text", "start": "2026-03-04T05:06:07Z", "parties": [0, 1],
                    "mediatype": "text/plain", "encoding": "none",
                    "body": "Hello, I would like a refund for my order, please."}]
    }))
    .unwrap()
}

fn config(concurrency: usize, links: &str) -> PipelineConfig {
    PipelineConfig::from_toml(&format!(
        r#"
        [links.tag]
        type = "tag"
        options = {{ tags = ["support"] }}
        [links.has_dialog]
        type = "jq"
        options = {{ filter = ".dialog | length > 0" }}
        [links.sample]
        type = "sampler"
        options = {{ value = 100, deterministic = true }}
        [chains.bench]
        ingress = ["incoming"]
        links = [{links}]
        egress = ["processed"]
        concurrency = {concurrency}
        "#
    ))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("chain");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(BATCH));
    let chains = [
        // The chain of the target: tag changes the vCon, so it is written back.
        ("tag_jq_sampler", r#""tag", "has_dialog", "sample""#),
        // Read-only links: no write-back, only lease, load and acknowledge.
        ("jq_sampler", r#""has_dialog", "sample""#),
    ];
    for (durability, concurrency, (label, links)) in [
        (Durability::Process, 128usize, chains[0]),
        (Durability::Process, 32, chains[0]),
        (Durability::Process, 8, chains[0]),
        (Durability::Full, 32, chains[0]),
        (Durability::Process, 32, chains[1]),
    ] {
        {
            let dir = tempfile::tempdir().unwrap();
            let mut sc = SqliteConfig::in_dir(dir.path());
            sc.durability = durability;
            let store = SqliteStore::open(sc).unwrap();
            let next = AtomicU64::new(0);
            let cpu = Mutex::new((BTreeMap::new(), 0u64));
            let id = BenchmarkId::new(label, format!("{durability:?}_{concurrency}_workers"));
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    runtime.block_on(async {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let incoming = ListName::new("incoming").unwrap();
                            let first = next.fetch_add(BATCH, Ordering::Relaxed);
                            let ingest: Vec<_> = (first..first + BATCH)
                                .map(|n| {
                                    let store = store.clone();
                                    let list = incoming.clone();
                                    tokio::spawn(async move {
                                        let r = VconRecord::from_bytes(
                                            vcon(n),
                                            &RecordOptions::default(),
                                        )
                                        .unwrap();
                                        store.put_and_enqueue(r, &[list]).await.unwrap();
                                    })
                                })
                                .collect();
                            for t in ingest {
                                t.await.unwrap();
                            }
                            let s: Arc<dyn Store> = store.clone();
                            let q: Arc<dyn Queue> = store.clone();
                            let mut pipeline = Pipeline::build(
                                &config(concurrency, links),
                                &BuildContext::new(Some(s.clone())),
                            )
                            .unwrap();
                            pipeline.set_settings(PoolSettings {
                                idle_poll: Duration::from_millis(1),
                                depth_interval: None,
                                ..PoolSettings::default()
                            });
                            let before = cpu_by_thread();
                            let started = Instant::now();
                            let pool = WorkerPool::start(Arc::new(pipeline), s, q.clone());
                            loop {
                                let st = pool.stats();
                                if st.stored + st.stopped >= BATCH {
                                    break;
                                }
                                tokio::time::sleep(Duration::from_millis(1)).await;
                            }
                            total += started.elapsed();
                            if let Ok(mut c) = cpu.lock() {
                                add_cpu(&mut c.0, &before);
                                c.1 += BATCH;
                            }
                            let report = pool.shutdown().await;
                            assert_eq!(report.stats.dead_lettered, 0);
                            q.pop(&ListName::new("processed").unwrap(), 10_000)
                                .await
                                .unwrap();
                        }
                        total
                    })
                });
            });
            if let Ok(c) = cpu.lock() {
                print_cpu(
                    &format!("{label}/{durability:?}_{concurrency}_workers"),
                    &c.0,
                    c.1,
                );
            }
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
