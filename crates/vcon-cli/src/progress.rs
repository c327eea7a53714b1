//! A progress bar for long batches, drawn on standard error only when it is a terminal.

use std::io::IsTerminal as _;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Batches smaller than this finish too fast for a bar to help.
const MIN_ITEMS: usize = 500;

/// A bar for `len` items, hidden unless standard error is a terminal and the batch is long.
pub fn bar(len: usize, enabled: bool) -> ProgressBar {
    if !enabled || len < MIN_ITEMS || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(len as u64), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} files ({per_sec}, ETA {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}
