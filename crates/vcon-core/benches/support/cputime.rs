//! A criterion [`Measurement`] of the benchmark thread's on-CPU time:
//! `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`, nanosecond resolution (through
//! `rustix`, so no `unsafe` here).
//!
//! On a shared 2-core machine where other jobs compile, wall-clock samples
//! include the time the thread waited for a core; on-CPU time does not (cache
//! and memory-bandwidth interference remain). Every benchmark here is
//! single-threaded, so the thread's CPU time is all the work done.

use criterion::Throughput;
use criterion::measurement::{Measurement, ValueFormatter};

/// On-CPU time of the calling thread, in nanoseconds.
pub fn thread_cpu_ns() -> u64 {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    let secs = u64::try_from(t.tv_sec).unwrap_or(0);
    let nanos = u64::try_from(t.tv_nsec).unwrap_or(0);
    secs.saturating_mul(1_000_000_000).saturating_add(nanos)
}

/// The measurement: nanoseconds of on-CPU time of the benchmark thread.
pub struct CpuTime;

impl Measurement for CpuTime {
    type Intermediate = u64;
    type Value = u64;

    fn start(&self) -> u64 {
        thread_cpu_ns()
    }
    fn end(&self, start: u64) -> u64 {
        thread_cpu_ns().saturating_sub(start)
    }
    fn add(&self, a: &u64, b: &u64) -> u64 {
        a + b
    }
    fn zero(&self) -> u64 {
        0
    }
    fn to_f64(&self, v: &u64) -> f64 {
        *v as f64
    }
    fn formatter(&self) -> &dyn ValueFormatter {
        &NanosFormatter
    }
}

/// Formats nanoseconds and byte/element rates like criterion's wall-clock formatter.
struct NanosFormatter;

fn per_second(
    amount: f64,
    typical: f64,
    values: &mut [f64],
    units: [&'static str; 4],
    step: f64,
) -> &'static str {
    let rate = amount * (1e9 / typical.max(f64::MIN_POSITIVE));
    let (div, unit) = if rate < step {
        (1.0, units[0])
    } else if rate < step * step {
        (step, units[1])
    } else if rate < step * step * step {
        (step * step, units[2])
    } else {
        (step * step * step, units[3])
    };
    for v in values {
        *v = amount * (1e9 / v.max(f64::MIN_POSITIVE)) / div;
    }
    unit
}

impl ValueFormatter for NanosFormatter {
    fn scale_values(&self, ns: f64, values: &mut [f64]) -> &'static str {
        let (factor, unit) = if ns < 1.0 {
            (1e3, "ps")
        } else if ns < 1e3 {
            (1.0, "ns")
        } else if ns < 1e6 {
            (1e-3, "µs")
        } else if ns < 1e9 {
            (1e-6, "ms")
        } else {
            (1e-9, "s")
        };
        for v in values {
            *v *= factor;
        }
        unit
    }

    fn scale_throughputs(
        &self,
        typical: f64,
        throughput: &Throughput,
        values: &mut [f64],
    ) -> &'static str {
        match *throughput {
            Throughput::Bytes(b) => per_second(
                b as f64,
                typical,
                values,
                ["  B/s", "KiB/s", "MiB/s", "GiB/s"],
                1024.0,
            ),
            Throughput::BytesDecimal(b) => per_second(
                b as f64,
                typical,
                values,
                ["  B/s", "KB/s", "MB/s", "GB/s"],
                1000.0,
            ),
            Throughput::Elements(e) => per_second(
                e as f64,
                typical,
                values,
                [" elem/s", "Kelem/s", "Melem/s", "Gelem/s"],
                1000.0,
            ),
            Throughput::Bits(b) => per_second(
                b as f64,
                typical,
                values,
                ["  b/s", "Kb/s", "Mb/s", "Gb/s"],
                1000.0,
            ),
        }
    }

    fn scale_for_machines(&self, _values: &mut [f64]) -> &'static str {
        "ns"
    }
}
