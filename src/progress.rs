//! Progress bars on stderr: only on a terminal, never with `--quiet`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Whether and how to show progress.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    shown: bool,
}

impl Progress {
    /// Shown when stderr is a terminal, unless `quiet`.
    pub(crate) fn new(quiet: bool) -> Progress {
        Progress {
            shown: !quiet && std::io::stderr().is_terminal(),
        }
    }

    /// Never shown.
    pub fn hidden() -> Progress {
        Progress { shown: false }
    }

    /// A bar of `len` steps.
    pub fn bar(&self, len: u64, label: &'static str) -> ProgressBar {
        if !self.shown {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{msg:>12} [{bar:40}] {human_pos}/{human_len}")
        {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(label);
        bar
    }

    /// A bar of `len` bytes.
    pub(crate) fn bytes(&self, len: u64, label: &'static str) -> ProgressBar {
        let bar = self.bar(len, label);
        if let Ok(style) = ProgressStyle::with_template(
            "{msg:>12} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec})",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }
}
