//! replan: checks a batch of manual Microsoft 365 plan changes against the rules of
//! Microsoft's "change plans manually" procedure and computes every user's new
//! license assignment.
//!
//! The pipeline, one module a stage: [`input`] reads the CSV exports into a
//! [`model::Tenant`] (resolving product names through the [`catalog`]), [`plan`]
//! expands plan.csv into one entry per user, [`rules`] checks each user and
//! computes the move ([`reassign`], [`services`]), [`count`] settles the license
//! arithmetic per pool, and [`output`] writes the result files. [`run`] ties the
//! stages together; [`cli`] turns arguments into settings.

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
pub mod generate;
pub mod input;
pub mod message;
pub mod model;
pub mod money;
pub mod output;
pub mod plan;
pub mod progress;
pub mod reassign;
pub mod report;
pub mod report_html;
pub mod rules;
pub mod run;
pub mod services;
