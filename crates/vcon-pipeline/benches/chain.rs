//! Throughput of a tag + jq + sampler chain on the embedded SQLite store:
//! vCons are stored and queued first (not timed), then the worker pool
//! leases, loads, runs the links, writes the tagged vCon back, and
//! acknowledges with an egress push, until the list is empty.
//!
//! `cargo bench -p vcon-pipeline --bench chain`

#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use serde_json::json;
use vcon_pipeline::{BuildContext, Pipeline, PipelineConfig, PoolSettings, WorkerPool};
use vcon_store::{
    Durability, ListName, Queue, RecordOptions, SqliteConfig, SqliteStore, Store, VconRecord,
};

const BATCH: u64 = 4_000;

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
        }
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
