//! The scheduling priority of the store's background threads, the indexer
//! and the checkpointer ([`super::config::SqliteConfig::indexer_nice`],
//! [`super::config::SqliteConfig::checkpointer_nice`]).
//!
//! On 2 cores under durable ingest the writer's cycle (commit, `fdatasync`,
//! answers) is what every client waits for, and after each `fdatasync` the
//! writer must get a core back at once. The indexer's large transactions
//! and the checkpointer's copies can wait: their work is not on any
//! request's path (a search that waits for the indexer asks it to flush).

/// Raises the calling thread's nice value by `increment` (on Linux the nice
/// value belongs to the thread, not the process), up to 19. Best effort: a
/// refusal leaves the thread as it was. Elsewhere it does nothing.
pub(super) fn lower_this_thread(increment: u8) {
    #[cfg(target_os = "linux")]
    if increment > 0
        && let Ok(current) = rustix::process::getpriority_process(None)
    {
        let lowered = current.saturating_add(i32::from(increment)).min(19);
        let _ = rustix::process::setpriority_process(None, lowered);
    }
    #[cfg(not(target_os = "linux"))]
    let _ = increment;
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn only_the_calling_thread_is_lowered() {
        let before = rustix::process::getpriority_process(None).unwrap();
        let (was, is) = std::thread::spawn(|| {
            let was = rustix::process::getpriority_process(None).unwrap();
            lower_this_thread(5);
            (was, rustix::process::getpriority_process(None).unwrap())
        })
        .join()
        .unwrap();
        assert_eq!(is, (was + 5).min(19));
        assert_eq!(rustix::process::getpriority_process(None).unwrap(), before);
        // Nothing asked, nothing changed.
        let unchanged = std::thread::spawn(|| {
            let was = rustix::process::getpriority_process(None).unwrap();
            lower_this_thread(0);
            was == rustix::process::getpriority_process(None).unwrap()
        })
        .join()
        .unwrap();
        assert!(unchanged);
    }
}
