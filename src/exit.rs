//! How a command ends: the exit codes of every command, in one type (README,
//! "Exit codes").

use std::process::ExitCode;

/// The outcome of a command, as its exit code tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: every planned user reassigned or already done (with `--strict`, no
    /// warning either); for `generate`, the files are written; for `apply`, every
    /// selected request ended `applied` or `already-applied`.
    Success,
    /// 1: the plan was processed and some users have errors, or `--strict` found
    /// warnings; the outputs are written. For `apply`: some requests ended
    /// `failed`, `drifted` or `wrong-tenant`, or were not sent (stopped early).
    Findings,
    /// 2: unusable invocation or input; nothing is written (`apply`: nothing sent).
    Unusable,
}

impl Exit {
    /// The number the process exits with.
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Findings => 1,
            Exit::Unusable => 2,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(exit.code())
    }
}
