//! replan: checks a batch of manual Microsoft 365 plan changes against the rules of
//! Microsoft's "change plans manually" procedure and computes every user's new
//! license assignment.
//!
//! The pipeline, one module a stage: [`input`] reads the CSV exports into a
//! [`model::Tenant`], [`resolve`] resolving the product and service plan names
//! they give through the [`catalog`]; [`expand`] expands plan.csv into one entry
//! per user, [`rules`] checks each user and computes the change ([`reassign`],
//! [`services`]), [`count`] settles the license arithmetic per pool, and
//! [`output`] writes the result files, [`summary`] what the user reads. [`run`]
//! ties the stages together; [`cli`] turns arguments into settings.

// Files nobody checked must not panic the library: errors are returned, never
// unwrapped (unit tests may unwrap: clippy.toml). Indexing is checked where the
// index comes from input ([`input`], [`catalog`]).
#![warn(clippy::unwrap_used, clippy::expect_used)]

// The public surface: the binary's entry point, and the stages fuzz/ and tests/
// drive as `replan run` does (reading, expanding, processing, summarizing,
// writing). The rest is the crate's own.
pub mod audit;
pub mod catalog;
pub mod cli;
pub mod error;
pub mod exit;
pub mod expand;
pub mod input;
pub mod output;
pub mod progress;
pub mod run;
pub mod summary;

pub(crate) mod apply;
pub(crate) mod codes;
pub(crate) mod costs;
pub(crate) mod count;
pub(crate) mod generate;
pub(crate) mod guid;
pub(crate) mod lock;
pub(crate) mod message;
pub(crate) mod model;
pub(crate) mod money;
pub(crate) mod reassign;
pub(crate) mod report;
pub(crate) mod requests;
pub(crate) mod resolve;
pub(crate) mod rules;
pub(crate) mod services;
