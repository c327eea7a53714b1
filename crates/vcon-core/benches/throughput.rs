//! Throughput of reading, validating and writing vCons, against the raw speed
//! of `serde_json` parsing the same bytes into a `serde_json::Value`.
//!
//! ```text
//! cargo bench -p vcon-core --bench throughput
//! python3 bench/criterion_summary.py      # rates per second and ratios to serde_json
//! VCON_BENCH_CLOCK=cpu cargo bench -p vcon-core --bench throughput   # on-CPU time instead
//! ```
//!
//! Groups (one per corpus; inputs come from `support/corpus.rs`, seed 1):
//!
//! * `realistic`: 1,000 realistic call vCons (about 2.2 KB each) per iteration;
//! * `inline_2mib`, `inline_8mib`: one vCon with a 2 MiB / 8 MiB base64url
//!   inline recording per iteration.
//!
//! Functions in every group:
//!
//! * `serde_json_value`: `serde_json::from_slice::<Value>` (the baseline);
//! * `serde_json_borrowed`: `serde_json::from_slice` into a borrowed tree
//!   (`support/borrowed.rs`: no hashing, strings borrowed): what a zero-copy
//!   reader could cost, for comparison only;
//! * `parse`: `vcon_core::read::read` (bounded reader: depth, duplicates, form);
//! * `parse_tree`: `vcon_core::tree::parse`, the fast path's borrowed tree
//!   (depth, duplicates, UTF-8 checked as by the reader);
//! * `validate`: `validate_object` on an already parsed object;
//! * `parse_validate`: `validate_bytes` (what `vcon validate` does per file:
//!   the fast path, borrowed tree);
//! * `parse_validate_value`: `validate_bytes_with_reader` (the reference
//!   path: bounded reader, `serde_json::Value` tree, same rules);
//! * `serialize`: `serde_json::to_vec` of the parsed object;
//! * `model_parse`: `vcon_core::model::Vcon::from_slice` (reader + typed model);
//! * `model_serialize`: `Vcon::to_vec` of a typed model;
//! * `migrate`: `vcon_core::migrate::migrate` of the parsed object of the same
//!   vCons rewritten in legacy 0.0.1 syntax (`corpus::to_legacy`); the
//!   throughput is that of the legacy bytes, and cloning the input object
//!   (migrate takes it by value) happens outside the timed region.

#![allow(missing_docs)]

mod support;

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::{Measurement, WallTime};
use criterion::{BatchSize, BenchmarkGroup, Criterion, Throughput};
use serde_json::{Map, Value};
use support::corpus;
use vcon_core::migrate::migrate;
use vcon_core::model::Vcon;
use vcon_core::read::{ReadLimits, read};
use vcon_core::tree;
use vcon_core::validate::{Options, validate_bytes, validate_bytes_with_reader, validate_object};

/// Number of realistic vCons per iteration of the `realistic` group.
const REALISTIC_DOCS: u64 = 1_000;
/// Corpus seed (the same as `gen_corpus`'s default).
const SEED: u64 = 1;

fn parsed(docs: &[Vec<u8>]) -> Vec<Map<String, Value>> {
    let limits = ReadLimits::default();
    docs.iter()
        .map(|d| read(d, &limits).map(|doc| doc.object).unwrap_or_default())
        .collect()
}

fn check_corpus_is_valid(name: &str, docs: &[Vec<u8>], options: &Options) {
    let invalid = docs
        .iter()
        .map(|d| validate_bytes(d, options))
        .filter(|r| !r.is_valid())
        .collect::<Vec<_>>();
    if let Some(first) = invalid.first() {
        eprintln!(
            "note: {} of {} `{name}` vCons are invalid under the strict profile; first findings: {:?}",
            invalid.len(),
            docs.len(),
            first.findings.iter().take(3).collect::<Vec<_>>()
        );
    }
}

fn run_group<M: Measurement>(g: &mut BenchmarkGroup<'_, M>, docs: &[Vec<u8>], legacy: &[Vec<u8>]) {
    let options = Options::default();
    let limits = ReadLimits::default();
    let objects = parsed(docs);
    let models: Vec<Vcon> = docs
        .iter()
        .filter_map(|d| Vcon::from_slice(d).ok())
        .collect();
    assert_eq!(
        models.len(),
        docs.len(),
        "every generated vCon reads as a typed model"
    );
    let legacy_objects = parsed(legacy);

    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for d in docs {
                let v: Result<Value, _> = serde_json::from_slice(black_box(d));
                black_box(v.ok());
            }
        });
    });
    g.bench_function("serde_json_borrowed", |b| {
        b.iter(|| {
            for d in docs {
                black_box(support::borrowed::parse(black_box(d)).ok());
            }
        });
    });
    g.bench_function("parse", |b| {
        b.iter(|| {
            for d in docs {
                black_box(read(black_box(d), &limits).ok());
            }
        });
    });
    g.bench_function("parse_tree", |b| {
        b.iter(|| {
            for d in docs {
                black_box(tree::parse(black_box(d), limits.max_depth).ok());
            }
        });
    });
    g.bench_function("validate", |b| {
        b.iter(|| {
            for o in &objects {
                black_box(validate_object(black_box(o), &options));
            }
        });
    });
    g.bench_function("parse_validate", |b| {
        b.iter(|| {
            for d in docs {
                black_box(validate_bytes(black_box(d), &options));
            }
        });
    });
    g.bench_function("parse_validate_value", |b| {
        b.iter(|| {
            for d in docs {
                black_box(validate_bytes_with_reader(black_box(d), &options));
            }
        });
    });
    g.bench_function("serialize", |b| {
        b.iter(|| {
            for o in &objects {
                black_box(serde_json::to_vec(black_box(o)).ok());
            }
        });
    });
    g.bench_function("model_parse", |b| {
        b.iter(|| {
            for d in docs {
                black_box(Vcon::from_slice(black_box(d)).ok());
            }
        });
    });
    g.bench_function("model_serialize", |b| {
        b.iter(|| {
            for m in &models {
                black_box(black_box(m).to_vec().ok());
            }
        });
    });
    g.throughput(Throughput::Bytes(
        legacy.iter().map(|d| d.len() as u64).sum(),
    ));
    g.bench_function("migrate", |b| {
        b.iter_batched(
            || legacy_objects.clone(),
            |objects| {
                for o in objects {
                    black_box(migrate(black_box(o)).ok());
                }
            },
            BatchSize::PerIteration,
        );
    });
}

fn bytes_of(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap_or_default()
}

fn realistic<M: Measurement>(c: &mut Criterion<M>, suffix: &str) {
    let docs = corpus::realistic_corpus(SEED, REALISTIC_DOCS);
    let legacy: Vec<Vec<u8>> = (0..REALISTIC_DOCS)
        .map(|i| corpus::legacy_bytes(SEED, i))
        .collect();
    check_corpus_is_valid("realistic", &docs, &Options::default());
    let bytes: u64 = docs.iter().map(|d| d.len() as u64).sum();
    let mut g = c.benchmark_group(format!("realistic{suffix}"));
    g.throughput(Throughput::Bytes(bytes));
    g.measurement_time(Duration::from_secs(6));
    g.sample_size(40);
    run_group(&mut g, &docs, &legacy);
    g.finish();
}

fn inline<M: Measurement>(c: &mut Criterion<M>, suffix: &str) {
    for mib in [2usize, 8] {
        let value = corpus::inline_recording(SEED, mib * corpus::MIB);
        let legacy = vec![bytes_of(corpus::to_legacy(value.clone()))];
        let docs = vec![bytes_of(value)];
        check_corpus_is_valid(&format!("inline_{mib}mib"), &docs, &Options::default());
        let mut g = c.benchmark_group(format!("inline_{mib}mib{suffix}"));
        g.throughput(Throughput::Bytes(docs[0].len() as u64));
        g.measurement_time(Duration::from_secs(if mib > 4 { 8 } else { 5 }));
        g.sample_size(20);
        run_group(&mut g, &docs, &legacy);
        g.finish();
    }
}

/// Wall-clock time by default; with `VCON_BENCH_CLOCK=cpu`, the benchmark
/// thread's on-CPU time (`support::cputime`), in groups suffixed `-cpu`.
fn main() {
    if std::env::var("VCON_BENCH_CLOCK").is_ok_and(|v| v == "cpu") {
        let mut c = Criterion::default()
            .with_measurement(support::cputime::CpuTime)
            .configure_from_args();
        realistic(&mut c, "-cpu");
        inline(&mut c, "-cpu");
        c.final_summary();
    } else {
        let mut c = Criterion::<WallTime>::default().configure_from_args();
        realistic(&mut c, "");
        inline(&mut c, "");
        c.final_summary();
    }
}
