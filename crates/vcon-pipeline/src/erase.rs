//! [`StorageEraser`]: deletes a vCon from every storage of a pipeline, each
//! distinct storage once, as the conserver's `DELETE /vcon/{uuid}` deletes
//! from every configured storage. `vcon serve` calls it after deleting
//! from its working store, for API deletes and retention.
//!
//! Best effort: every storage is tried (at once), and what each did is
//! reported ([`EraseReport`]). A failure is logged (warning) and counted in
//! [`crate::metrics::STORAGE_DELETE_FAILURES`]; a storage that cannot
//! delete ([`StorageError::Unsupported`], the `webhook`) is reported as
//! skipped, not failed. The working store's own storage (`embedded`) is
//! left out: the caller's delete covers it.

use futures_util::future::join_all;

use crate::metrics as m;
use crate::pipeline::{NamedStorage, Pipeline};
use crate::storage::{DeleteRequest, StorageError};

/// The storages a delete is fanned out to.
#[derive(Debug, Clone, Default)]
pub struct StorageEraser {
    storages: Vec<NamedStorage>,
}

/// What one fanned-out delete did, storage by storage (configured names).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EraseReport {
    /// Storages that removed the vCon.
    pub deleted: Vec<String>,
    /// Storages that did not hold it.
    pub absent: Vec<String>,
    /// Storages that cannot delete (nothing was sent).
    pub skipped: Vec<String>,
    /// Storages that failed, with the error.
    pub failed: Vec<(String, String)>,
}

impl EraseReport {
    /// Whether no storage failed.
    pub fn is_ok(&self) -> bool {
        self.failed.is_empty()
    }

    /// The names of the storages that failed, comma-separated (empty when none).
    pub fn failed_names(&self) -> String {
        self.failed
            .iter()
            .map(|(name, _)| name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl StorageEraser {
    /// Deletes go to these storages: each name once (the first kept), the
    /// working store's own left out.
    pub fn new(storages: impl IntoIterator<Item = NamedStorage>) -> Self {
        let mut kept: Vec<NamedStorage> = Vec::new();
        for s in storages {
            if !s.storage.is_working_store() && !kept.iter().any(|k| k.name == s.name) {
                kept.push(s);
            }
        }
        Self { storages: kept }
    }

    /// The storages of every chain of `pipeline`, enabled or not (a
    /// disabled chain's storage may still hold what it wrote before).
    pub fn of_pipeline(pipeline: &Pipeline) -> Self {
        Self::new(
            pipeline
                .chains()
                .iter()
                .flat_map(|c| c.storages.iter().cloned()),
        )
    }

    /// Whether there is no storage to delete from.
    pub fn is_empty(&self) -> bool {
        self.storages.is_empty()
    }

    /// The storages' names, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.storages.iter().map(|s| s.name.as_str())
    }

    /// Deletes the vCon from every storage at once and reports what each
    /// did. Never fails: failures are in the report, logged and counted.
    pub async fn delete(&self, request: &DeleteRequest<'_>) -> EraseReport {
        let mut report = EraseReport::default();
        if self.storages.is_empty() {
            return report;
        }
        let deletes = self.storages.iter().map(|s| async move {
            let result = s.storage.delete(request).await;
            (s, result)
        });
        for (s, result) in join_all(deletes).await {
            let name = s.name.clone();
            match result {
                Ok(true) => {
                    tracing::debug!(storage = %name, uuid = request.uuid, "deleted from storage");
                    report.deleted.push(name);
                }
                Ok(false) => report.absent.push(name),
                Err(StorageError::Unsupported { .. }) => {
                    tracing::debug!(storage = %name, uuid = request.uuid, "storage cannot delete; skipped");
                    report.skipped.push(name);
                }
                Err(e) => {
                    tracing::warn!(storage = %name, uuid = request.uuid, error = %e, "delete from storage failed");
                    metrics::counter!(m::STORAGE_DELETE_FAILURES, "storage" => name.clone())
                        .increment(1);
                    report.failed.push((name, e.to_string()));
                }
            }
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use async_trait::async_trait;

    use super::*;
    use crate::storage::{SaveRequest, Storage};

    /// Answers deletes as scripted and records the uuids asked.
    #[derive(Debug)]
    struct Scripted {
        answer: fn(&str) -> Result<bool, StorageError>,
        asked: Mutex<Vec<String>>,
        working: bool,
    }

    impl Scripted {
        fn new(answer: fn(&str) -> Result<bool, StorageError>) -> Arc<Self> {
            Arc::new(Self {
                answer,
                asked: Mutex::default(),
                working: false,
            })
        }
    }

    #[async_trait]
    impl Storage for Scripted {
        async fn save(&self, _: &SaveRequest<'_>) -> Result<(), StorageError> {
            Ok(())
        }
        async fn delete(&self, request: &DeleteRequest<'_>) -> Result<bool, StorageError> {
            self.asked.lock().unwrap().push(request.uuid.to_owned());
            (self.answer)(request.uuid)
        }
        fn is_working_store(&self) -> bool {
            self.working
        }
    }

    fn named(name: &str, s: &Arc<Scripted>) -> NamedStorage {
        NamedStorage::new(name, Arc::clone(s) as Arc<dyn Storage>)
    }

    #[tokio::test]
    async fn every_distinct_storage_is_asked_once_and_failures_are_reported() {
        let archive = Scripted::new(|_| Ok(true));
        let empty = Scripted::new(|_| Ok(false));
        let broken = Scripted::new(|u| {
            Err(StorageError::Io {
                operation: "remove",
                path: format!("/x/{u}.vcon"),
                source: std::io::Error::other("disk gone"),
            })
        });
        let hook = Scripted::new(|u| {
            Err(StorageError::Unsupported {
                operation: "delete",
                uuid: u.to_owned(),
            })
        });
        let working = Arc::new(Scripted {
            answer: |_| Ok(true),
            asked: Mutex::default(),
            working: true,
        });
        let eraser = StorageEraser::new([
            named("archive", &archive),
            named("empty", &empty),
            named("archive", &archive), // a second chain's use of it
            named("broken", &broken),
            named("hook", &hook),
            named("store", &working),
        ]);
        assert_eq!(
            eraser.names().collect::<Vec<_>>(),
            ["archive", "empty", "broken", "hook"]
        );
        let report = eraser
            .delete(&DeleteRequest {
                uuid: "u-1",
                created_at: None,
                tenant: None,
            })
            .await;
        assert_eq!(report.deleted, ["archive"]);
        assert_eq!(report.absent, ["empty"]);
        assert_eq!(report.skipped, ["hook"]);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].0, "broken");
        assert!(report.failed[0].1.contains("/x/u-1.vcon"), "{report:?}");
        assert!(!report.is_ok());
        assert_eq!(report.failed_names(), "broken");
        assert_eq!(archive.asked.lock().unwrap().as_slice(), ["u-1"]);
        assert!(working.asked.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn no_storages_is_an_empty_report() {
        let eraser = StorageEraser::default();
        assert!(eraser.is_empty());
        let report = eraser
            .delete(&DeleteRequest {
                uuid: "u-1",
                created_at: None,
                tenant: None,
            })
            .await;
        assert!(report.is_ok() && report == EraseReport::default());
    }
}
