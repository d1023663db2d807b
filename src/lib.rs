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

pub mod audit;
pub mod catalog;
pub mod cli;
pub mod codes;
pub mod costs;
pub mod count;
pub mod error;
pub mod expand;
pub mod generate;
pub mod input;
pub mod message;
pub mod model;
pub mod money;
pub mod output;
pub mod progress;
pub mod reassign;
pub mod report;
pub mod resolve;
pub mod rules;
pub mod run;
pub mod services;
pub mod summary;
