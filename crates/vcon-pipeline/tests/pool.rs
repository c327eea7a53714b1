//! The worker pool on the embedded store: a chain end to end, retries and
//! dead letters, reprocessing, concurrency, graceful shutdown.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::Value;
use support::{CountingLink, FlakyLink, StuckLink, ingest, list, open_store, vuuid, wait_until};
use vcon_core::tags::get_tag;
use vcon_pipeline::links::validate::{ValidateLink, ValidateOptions};
use vcon_pipeline::{
    BuildContext, Chain, NamedLink, Pipeline, PipelineConfig, PoolSettings, RetryConfig, WorkerPool,
};
use vcon_store::{Queue, Store};

const PATIENCE: Duration = Duration::from_secs(60);

fn fast() -> PoolSettings {
    PoolSettings {
        lease: Duration::from_secs(120),
        idle_poll: Duration::from_millis(5),
        depth_interval: Some(Duration::from_millis(20)),
        shutdown_grace: Duration::from_secs(30),
    }
}

fn no_backoff(max_attempts: u32) -> RetryConfig {
    RetryConfig {
        max_attempts,
        initial_backoff_ms: 0,
        multiplier: 2.0,
        max_backoff_ms: 0,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_runs_links_writes_storages_and_pushes_egress() {
    let t = open_store();
    let archive = t.dir.path().join("archive");
    let config = PipelineConfig::from_toml(&format!(
        r#"
        idle_poll_ms = 5
        [links.tag_support]
        type = "tag"
        options = {{ tags = ["support"] }}
        [links.route_support]
        type = "tag_router"
        options = {{ routes = {{ support = "support_team" }} }}
        [links.not_call_2]
        type = "jq"
        options = {{ filter = '.subject != "call 2"' }}
        [links.keep_all]
        type = "sampler"
        options = {{ value = 100 }}

        [storages.main]
        type = "embedded"
        [storages.archive]
        type = "directory"
        options = {{ path = "{}" }}

        [chains.inbound]
        ingress = ["incoming"]
        links = ["tag_support", "route_support", "not_call_2", "keep_all"]
        storages = ["main", "archive"]
        egress = ["processed"]
        concurrency = 2
        "#,
        archive.display()
    ))
    .unwrap();
    let store: Arc<dyn Store> = t.store.clone();
    let queue: Arc<dyn Queue> = t.store.clone();
    let pipeline = Pipeline::build(&config, &BuildContext::new(Some(store.clone()))).unwrap();
    pipeline.healthcheck().await.unwrap();
    for n in 1..=3 {
        ingest(&t.store, n, "incoming").await;
    }
    let pool = WorkerPool::start(Arc::new(pipeline), store.clone(), queue.clone());
    wait_until("3 vCons finished", PATIENCE, || async {
        let s = pool.stats();
        s.stored + s.stopped == 3
    })
    .await;
    let report = pool.shutdown().await;
    assert!(report.drained);
    assert_eq!((report.stats.stored, report.stats.stopped), (2, 1));
    assert_eq!(report.stats.dead_lettered + report.stats.retried, 0);

    for n in [1u64, 3] {
        // Written back to the store with the tag.
        let stored = store.get(&vuuid(n)).await.unwrap().unwrap();
        let v: Value = serde_json::from_slice(&stored.bytes).unwrap();
        assert_eq!(
            get_tag(v.as_object().unwrap(), "support")
                .unwrap()
                .as_deref(),
            Some("support")
        );
        // Written to the date-partitioned directory, the same bytes.
        let file = archive.join(format!("2026/03/04/{}.vcon", support::uuid(n)));
        assert_eq!(
            std::fs::read(&file).unwrap(),
            stored.bytes.to_vec(),
            "{}",
            file.display()
        );
    }
    // vCon 2 was filtered by jq: not archived...
    assert!(
        !archive
            .join(format!("2026/03/04/{}.vcon", support::uuid(2)))
            .exists()
    );
    // ...but the tag_router before jq had already routed it, as in the conserver.
    let mut routed: Vec<String> = queue
        .pop(&list("support_team"), 10)
        .await
        .unwrap()
        .iter()
        .map(|u| u.to_string())
        .collect();
    routed.sort();
    assert_eq!(
        routed,
        vec![support::uuid(1), support::uuid(2), support::uuid(3)]
    );
    let mut egress: Vec<String> = queue
        .pop(&list("processed"), 10)
        .await
        .unwrap()
        .iter()
        .map(|u| u.to_string())
        .collect();
    egress.sort();
    assert_eq!(egress, vec![support::uuid(1), support::uuid(3)]);
    let ingress = queue.stats(&list("incoming")).await.unwrap();
    assert_eq!((ingress.depth(), ingress.dead), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retryable_failures_are_retried_then_dead_lettered_then_reprocessed() {
    let t = open_store();
    let flaky = Arc::new(FlakyLink::new(true));
    let mut chain = Chain::new(
        "flaky_chain",
        vec![list("in")],
        vec![NamedLink::new("flaky", flaky.clone())],
        vec![],
    );
    chain.retry = no_backoff(3);
    chain.egress = vec![list("out")];
    let pipeline = Arc::new(Pipeline::new(vec![chain], fast()).unwrap());
    ingest(&t.store, 7, "in").await;
    let pool = WorkerPool::start(pipeline.clone(), t.store.clone(), t.store.clone());
    wait_until("the vCon is dead-lettered", PATIENCE, || async {
        pool.stats().dead_lettered == 1
    })
    .await;
    assert_eq!(
        flaky.calls.load(Ordering::SeqCst),
        3,
        "three deliveries, then the dead-letter list"
    );
    assert_eq!(pool.stats().retried, 2);
    let dead = t.store.dlq_list(&list("in"), 0, 10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].uuid, vuuid(7));
    assert_eq!(dead[0].attempts, 3);
    assert!(
        dead[0].error.contains("link `flaky`") && dead[0].error.contains("503"),
        "{}",
        dead[0].error
    );
    assert!(t.store.pop(&list("out"), 10).await.unwrap().is_empty());

    // The downstream recovers; an operator reprocesses the dead letters.
    flaky.failing.store(false, Ordering::SeqCst);
    assert_eq!(t.store.dlq_reprocess(&list("in"), 10).await.unwrap(), 1);
    wait_until("the reprocessed vCon is stored", PATIENCE, || async {
        pool.stats().stored == 1
    })
    .await;
    let report = pool.shutdown().await;
    assert!(report.drained);
    assert_eq!(flaky.calls.load(Ordering::SeqCst), 4);
    assert_eq!(t.store.pop(&list("out"), 10).await.unwrap(), vec![vuuid(7)]);
    assert_eq!(t.store.stats(&list("in")).await.unwrap().dead, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_go_to_the_dead_letter_list_at_once() {
    let t = open_store();
    let validate = Arc::new(ValidateLink::new(&ValidateOptions::default()));
    let mut chain = Chain::new(
        "checked",
        vec![list("in")],
        vec![NamedLink::new("validate", validate)],
        vec![],
    );
    chain.retry = no_backoff(5);
    let pipeline = Arc::new(Pipeline::new(vec![chain], fast()).unwrap());
    // A vCon whose dialog names a party that does not exist.
    let mut bad = support::vcon(11);
    bad["dialog"][0]["parties"] = serde_json::json!([0, 9]);
    let record =
        vcon_store::VconRecord::from_bytes(serde_json::to_vec(&bad).unwrap(), &Default::default())
            .unwrap();
    t.store
        .put_and_enqueue(record, &[list("in")])
        .await
        .unwrap();
    let pool = WorkerPool::start(pipeline, t.store.clone(), t.store.clone());
    wait_until("the invalid vCon is dead-lettered", PATIENCE, || async {
        pool.stats().dead_lettered == 1
    })
    .await;
    let report = pool.shutdown().await;
    assert_eq!(report.stats.retried, 0, "an invalid vCon is not retried");
    let dead = t.store.dlq_list(&list("in"), 0, 10).await.unwrap();
    assert_eq!(dead[0].attempts, 1);
    assert!(
        dead[0].error.contains("invalid") && dead[0].error.contains("/dialog/0/parties"),
        "{}",
        dead[0].error
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_vcons_through_several_workers_are_each_processed_once() {
    const N: u64 = 300;
    let t = open_store();
    let counter = Arc::new(CountingLink::default());
    let mut chain = Chain::new(
        "parallel",
        vec![list("a"), list("b")],
        vec![NamedLink::new("count", counter.clone())],
        vec![],
    );
    chain.concurrency = 8;
    chain.egress = vec![list("done")];
    let pipeline = Arc::new(Pipeline::new(vec![chain], fast()).unwrap());
    for n in 0..N {
        ingest(&t.store, n, if n % 2 == 0 { "a" } else { "b" }).await;
    }
    let pool = WorkerPool::start(pipeline, t.store.clone(), t.store.clone());
    wait_until("every vCon is stored", PATIENCE, || async {
        pool.stats().stored == N
    })
    .await;
    let report = pool.shutdown().await;
    assert!(report.drained);
    // No loss and, without crashes, no duplicates: the counting link saw each uuid once.
    let mut seen = counter.seen.lock().unwrap().clone();
    assert_eq!(seen.len() as u64, N, "deliveries");
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len() as u64, N, "distinct vCons");
    let done = t.store.pop(&list("done"), 1000).await.unwrap();
    assert_eq!(done.len() as u64, N);
    for l in ["a", "b"] {
        assert_eq!(t.store.stats(&list(l)).await.unwrap().depth(), 0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_requeues_what_did_not_finish_within_the_grace_period() {
    let t = open_store();
    let stuck = Arc::new(StuckLink::default());
    let chain = Chain::new(
        "slow",
        vec![list("in")],
        vec![NamedLink::new("stuck", stuck.clone())],
        vec![],
    );
    let pipeline = Arc::new(Pipeline::new(vec![chain], fast()).unwrap());
    ingest(&t.store, 1, "in").await;
    let pool = WorkerPool::start(pipeline, t.store.clone(), t.store.clone());
    stuck.started.notified().await;
    let report = pool.shutdown_within(Duration::from_millis(50)).await;
    assert!(!report.drained);
    assert_eq!(report.stats.requeued, 1);
    assert_eq!(report.stats.stored + report.stats.dead_lettered, 0);
    // Handed back at once: ready for the next process, nothing dead, attempts kept.
    let stats = t.store.stats(&list("in")).await.unwrap();
    assert_eq!((stats.ready, stats.in_flight, stats.dead), (1, 0, 0));
    let lease = t
        .store
        .lease(&list("in"), 1, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(lease[0].attempts, 2);
    assert!(
        lease[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("shutdown")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_lets_in_flight_work_finish_within_the_grace_period() {
    let t = open_store();
    let gate = Arc::new(support::GateLink::default());
    let mut chain = Chain::new(
        "gated",
        vec![list("in")],
        vec![NamedLink::new("gate", gate.clone())],
        vec![],
    );
    chain.egress = vec![list("out")];
    let pipeline = Arc::new(Pipeline::new(vec![chain], fast()).unwrap());
    ingest(&t.store, 1, "in").await;
    ingest(&t.store, 2, "in").await;
    let pool = WorkerPool::start(pipeline, t.store.clone(), t.store.clone());
    gate.started.notified().await;
    // Shut down while the first vCon is in a link, then let it finish.
    pool.stop_leasing();
    gate.open.notify_one();
    let report = pool.shutdown_within(Duration::from_secs(60)).await;
    assert!(report.drained);
    assert_eq!(
        (report.stats.stored, report.stats.requeued),
        (1, 1),
        "{:?}",
        report.stats
    );
    // The in-flight one finished and went on; the other, leased ahead, was
    // handed back unstarted, with no attempt spent.
    assert_eq!(t.store.pop(&list("out"), 10).await.unwrap().len(), 1);
    let stats = t.store.stats(&list("in")).await.unwrap();
    assert_eq!((stats.ready, stats.in_flight), (1, 0));
    let lease = t
        .store
        .lease(&list("in"), 1, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!((lease[0].attempts, lease[0].last_error.clone()), (1, None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chain_leases_eight_per_slot_ahead_at_most_and_releases_them_at_shutdown() {
    let t = open_store();
    let stuck = Arc::new(StuckLink::default());
    let mut chain = Chain::new(
        "ahead",
        vec![list("in")],
        vec![NamedLink::new("stuck", stuck.clone())],
        vec![],
    );
    chain.concurrency = 2;
    let pipeline = Arc::new(Pipeline::new(vec![chain], fast()).unwrap());
    for n in 1..=20 {
        ingest(&t.store, n, "in").await;
    }
    let pool = WorkerPool::start(pipeline, t.store.clone(), t.store.clone());
    // Both runners must be inside the link before shutdown: a lease that is
    // held but not yet started is handed back without waiting for the grace.
    wait_until("2 processing and 16 leased ahead", PATIENCE, || async {
        stuck.entered.load(Ordering::SeqCst) >= 2
            && t.store.stats(&list("in")).await.unwrap().in_flight >= 18
    })
    .await;
    // Both slots are stuck, so nothing frees a lease slot: the bound holds.
    let stats = t.store.stats(&list("in")).await.unwrap();
    assert_eq!((stats.ready, stats.in_flight), (2, 18));
    let report = pool.shutdown_within(Duration::from_millis(50)).await;
    assert!(!report.drained);
    assert_eq!(report.stats.requeued, 18, "{:?}", report.stats);
    assert_eq!(report.stats.stored + report.stats.dead_lettered, 0);
    let stats = t.store.stats(&list("in")).await.unwrap();
    assert_eq!((stats.ready, stats.in_flight, stats.dead), (20, 0, 0));
    // The two started and stuck spent an attempt; the 16 leased ahead were
    // released unstarted and spent none (as the two never leased).
    let mut seen: Vec<(u32, Option<String>)> = t
        .store
        .lease(&list("in"), 20, Duration::from_secs(5))
        .await
        .unwrap()
        .into_iter()
        .map(|l| (l.attempts, l.last_error))
        .collect();
    seen.sort();
    let grace = Some("shutdown: not finished within the grace period".to_owned());
    let mut want = vec![(1, None); 18];
    want.extend([(2, grace.clone()), (2, grace)]);
    assert_eq!(seen, want);
}

/// Holds its first call until `open`; counts calls and the highest attempt seen.
#[derive(Debug, Default)]
struct FirstCallGate {
    entered: tokio::sync::Notify,
    open: tokio::sync::Notify,
    calls: std::sync::atomic::AtomicU32,
    max_attempt: std::sync::atomic::AtomicU32,
}

#[async_trait::async_trait]
impl vcon_pipeline::Link for FirstCallGate {
    async fn process(
        &self,
        _: &mut vcon_pipeline::VconDoc,
        ctx: &vcon_pipeline::LinkContext<'_>,
    ) -> Result<vcon_pipeline::Flow, vcon_pipeline::LinkError> {
        self.max_attempt.fetch_max(ctx.attempt, Ordering::SeqCst);
        if self.calls.fetch_add(1, Ordering::SeqCst) == 0 {
            self.entered.notify_one();
            self.open.notified().await;
        }
        Ok(vcon_pipeline::Flow::Continue)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vcon_leased_ahead_that_waited_past_half_its_lease_is_released_not_run() {
    let t = open_store();
    let gate = Arc::new(FirstCallGate::default());
    let mut chain = Chain::new(
        "one_slot",
        vec![list("in")],
        vec![NamedLink::new("gate", gate.clone())],
        vec![],
    );
    chain.egress = vec![list("out")];
    let settings = PoolSettings {
        // Long enough that the gated vCon's own lease (6 s) outlasts the
        // wait below by seconds even on a loaded machine.
        lease: Duration::from_secs(6),
        ..fast()
    };
    let pipeline = Arc::new(Pipeline::new(vec![chain], settings).unwrap());
    for n in 1..=9 {
        ingest(&t.store, n, "in").await;
    }
    let pool = WorkerPool::start(pipeline, t.store.clone(), t.store.clone());
    // One vCon holds the only slot; eight are leased ahead behind it.
    gate.entered.notified().await;
    wait_until("8 leased ahead", PATIENCE, || async {
        t.store.stats(&list("in")).await.unwrap().in_flight >= 9
    })
    .await;
    // Let more than half their lease (3 s) pass before a slot frees.
    tokio::time::sleep(Duration::from_millis(3100)).await;
    gate.open.notify_one();
    wait_until("all 9 on the egress list", PATIENCE, || async {
        t.store.stats(&list("out")).await.unwrap().depth() >= 9
    })
    .await;
    let report = pool.shutdown_within(Duration::from_secs(60)).await;
    // The eight were released when their slot came, leased again and run
    // once each, on their first attempt.
    assert_eq!(
        (report.stats.stored, report.stats.requeued),
        (9, 8),
        "{:?}",
        report.stats
    );
    assert_eq!(gate.calls.load(Ordering::SeqCst), 9);
    assert_eq!(gate.max_attempt.load(Ordering::SeqCst), 1);
    let stats = t.store.stats(&list("in")).await.unwrap();
    assert_eq!((stats.depth(), stats.dead), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_queued_uuid_whose_vcon_is_gone_is_acknowledged() {
    let t = open_store();
    let counter = Arc::new(CountingLink::default());
    let chain = Chain::new(
        "c",
        vec![list("in")],
        vec![NamedLink::new("count", counter.clone())],
        vec![],
    );
    let pipeline = Arc::new(Pipeline::new(vec![chain], fast()).unwrap());
    t.store.enqueue(&list("in"), &[vuuid(42)]).await.unwrap();
    let pool = WorkerPool::start(pipeline, t.store.clone(), t.store.clone());
    wait_until("the orphan item is acknowledged", PATIENCE, || async {
        pool.stats().missing == 1
    })
    .await;
    pool.shutdown().await;
    assert!(counter.seen.lock().unwrap().is_empty());
    assert_eq!(t.store.stats(&list("in")).await.unwrap().depth(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_counts_live_chain_runners() {
    let t = open_store();
    let chains = ["a", "b"]
        .into_iter()
        .map(|name| {
            let counting = Arc::new(CountingLink::default());
            Chain::new(
                name,
                vec![list(name)],
                vec![NamedLink::new("count", counting)],
                vec![],
            )
        })
        .collect();
    let pipeline = Arc::new(Pipeline::new(chains, fast()).unwrap());
    let pool = WorkerPool::start(pipeline, t.store.clone(), t.store.clone());
    let health = pool.health();
    assert_eq!(health.started(), 2);
    assert_eq!(health.alive(), 2);
    assert!(health.all_alive());

    // Dropping the pool aborts its runners: the handle sees them gone, as
    // it would see one that returned or panicked.
    drop(pool);
    wait_until("the aborted runners are counted gone", PATIENCE, || async {
        health.alive() == 0
    })
    .await;
    assert!(!health.all_alive());
}

/// A storage in memory: the uuids it holds.
#[derive(Debug, Default)]
struct MemoryStorage {
    held: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

#[async_trait::async_trait]
impl vcon_pipeline::Storage for MemoryStorage {
    async fn save(
        &self,
        request: &vcon_pipeline::SaveRequest<'_>,
    ) -> Result<(), vcon_pipeline::StorageError> {
        self.held.lock().unwrap().insert(request.uuid.to_owned());
        Ok(())
    }

    async fn delete(
        &self,
        request: &vcon_pipeline::DeleteRequest<'_>,
    ) -> Result<bool, vcon_pipeline::StorageError> {
        Ok(self.held.lock().unwrap().remove(request.uuid))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vcon_deleted_while_in_the_chain_leaves_no_copy_in_its_storages() {
    let t = open_store();
    let gate = Arc::new(support::GateLink::default());
    let memory = Arc::new(MemoryStorage::default());
    let mut chain = Chain::new(
        "gated",
        vec![list("in")],
        vec![NamedLink::new("gate", gate.clone())],
        vec![
            vcon_pipeline::NamedStorage::new("memory", memory.clone()),
            vcon_pipeline::NamedStorage::new(
                "working",
                Arc::new(vcon_pipeline::storages::embedded::EmbeddedStorage::new(
                    t.store.clone(),
                )),
            ),
        ],
    );
    chain.egress = vec![list("out")];
    let pipeline = Arc::new(Pipeline::new(vec![chain], fast()).unwrap());
    ingest(&t.store, 1, "in").await;
    ingest(&t.store, 2, "in").await;
    let pool = WorkerPool::start(pipeline, t.store.clone(), t.store.clone());
    // vCon 1 is in the link: delete it (its delete finds no copy yet to ask
    // the storages about), then let the chain go on.
    gate.started.notified().await;
    assert!(t.store.delete(&vuuid(1), None).await.unwrap());
    gate.open.notify_one();
    gate.started.notified().await;
    gate.open.notify_one();
    wait_until("both are acknowledged", PATIENCE, || async {
        let s = pool.stats();
        s.stored + s.missing == 2
    })
    .await;
    let stats = pool.shutdown().await.stats;
    assert_eq!((stats.stored, stats.missing), (1, 1), "{stats:?}");
    // The deleted one was taken back out of the storage, and not forwarded.
    let held: Vec<String> = memory.held.lock().unwrap().iter().cloned().collect();
    assert_eq!(held, [support::uuid(2)]);
    let out = t.store.pop(&list("out"), 10).await.unwrap();
    assert_eq!(out, [vuuid(2)]);
    // Nor did the `embedded` storage write it back into the working store.
    assert!(
        t.store.get(&vuuid(1)).await.unwrap().is_none(),
        "resurrected"
    );
    assert!(t.store.get(&vuuid(2)).await.unwrap().is_some());
}
