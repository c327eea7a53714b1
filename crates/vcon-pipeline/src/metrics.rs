//! Metric names, recorded through the `metrics` facade. `vcon serve`
//! installs the exporter (Prometheus); without one, recording is free.
//!
//! | name | kind | labels |
//! |---|---|---|
//! | `vcon_pipeline_link_duration_seconds` | histogram | `chain`, `link` |
//! | `vcon_pipeline_link_failures_total` | counter | `chain`, `link`, `class` (`retryable`/`permanent`/`timeout`) |
//! | `vcon_pipeline_storage_duration_seconds` | histogram | `chain`, `storage` |
//! | `vcon_pipeline_storage_failures_total` | counter | `chain`, `storage` |
//! | `vcon_pipeline_storage_delete_failures_total` | counter | `storage` (a delete or expiry not carried out there) |
//! | `vcon_pipeline_in_flight` | gauge | `chain` |
//! | `vcon_pipeline_processed_total` | counter | `chain`, `outcome` (`stored`/`stopped`/`missing`) |
//! | `vcon_pipeline_retries_total` | counter | `chain` |
//! | `vcon_pipeline_dead_letters_total` | counter | `chain` |
//! | `vcon_pipeline_requeued_total` | counter | `chain` (handed back at shutdown) |
//! | `vcon_pipeline_queue_depth` | gauge | `list` (ready + delayed + in flight) |
//! | `vcon_pipeline_queue_dead` | gauge | `list` (dead letters kept) |
//! | `vcon_pipeline_diet_media_post_failures_total` | counter | |

/// Per-link run time.
pub const LINK_DURATION: &str = "vcon_pipeline_link_duration_seconds";
/// Per-link failures.
pub const LINK_FAILURES: &str = "vcon_pipeline_link_failures_total";
/// Per-storage write time.
pub const STORAGE_DURATION: &str = "vcon_pipeline_storage_duration_seconds";
/// Per-storage failures.
pub const STORAGE_FAILURES: &str = "vcon_pipeline_storage_failures_total";
/// Per-storage delete failures (API deletes and retention).
pub const STORAGE_DELETE_FAILURES: &str = "vcon_pipeline_storage_delete_failures_total";
/// vCons being processed now.
pub const IN_FLIGHT: &str = "vcon_pipeline_in_flight";
/// vCons finished (acknowledged).
pub const PROCESSED: &str = "vcon_pipeline_processed_total";
/// Failed attempts handed back for a retry.
pub const RETRIES: &str = "vcon_pipeline_retries_total";
/// vCons moved to the dead-letter list.
pub const DEAD_LETTERS: &str = "vcon_pipeline_dead_letters_total";
/// vCons handed back unfinished at shutdown.
pub const REQUEUED: &str = "vcon_pipeline_requeued_total";
/// Items in a list.
pub const QUEUE_DEPTH: &str = "vcon_pipeline_queue_depth";
/// Dead letters of a list.
pub const QUEUE_DEAD: &str = "vcon_pipeline_queue_dead";

/// Registers descriptions and units with the installed recorder (call once
/// after installing it; optional).
pub fn describe() {
    use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
    describe_histogram!(
        LINK_DURATION,
        Unit::Seconds,
        "Run time of one link on one vCon."
    );
    describe_counter!(LINK_FAILURES, "Link failures, by class.");
    describe_histogram!(
        STORAGE_DURATION,
        Unit::Seconds,
        "Write time of one storage for one vCon."
    );
    describe_counter!(STORAGE_FAILURES, "Storage write failures.");
    describe_counter!(
        STORAGE_DELETE_FAILURES,
        "Deletes (API or retention) a storage failed to carry out."
    );
    describe_gauge!(IN_FLIGHT, "vCons being processed now.");
    describe_counter!(PROCESSED, "vCons finished and acknowledged, by outcome.");
    describe_counter!(RETRIES, "Failed attempts scheduled for a retry.");
    describe_counter!(DEAD_LETTERS, "vCons moved to the dead-letter list.");
    describe_counter!(
        REQUEUED,
        "vCons handed back to the queue unfinished at shutdown."
    );
    describe_gauge!(
        QUEUE_DEPTH,
        "Items in a list (ready, delayed and in flight)."
    );
    describe_gauge!(QUEUE_DEAD, "Dead letters kept for a list.");
}
