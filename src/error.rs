//! Errors that stop a run before any output is written
//! ([`crate::exit::Exit::Unusable`]): unusable invocation or input. Findings about
//! users are not errors: they are data in the result (see [`crate::codes`]).

use std::io;
use std::path::PathBuf;

/// Input that cannot be used, located in its file.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file cannot be opened or read.
    #[error("{file}: cannot read: {source}")]
    Io {
        file: String,
        #[source]
        source: io::Error,
    },
    /// Something wrong at a place in the file (line and column are 1-based).
    #[error("{file}:{line}:{column}: {message}")]
    At {
        file: String,
        line: u64,
        column: usize,
        message: String,
    },
}

/// Everything that makes `replan` exit with code 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Input(#[from] InputError),
    /// Arguments that cannot work together.
    #[error("{0}")]
    Usage(String),
    /// An output file could not be written; nothing was replaced.
    #[error("{path}: cannot write: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}
