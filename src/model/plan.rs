//! The rows of plan.csv, validated and with their products looked up.

use crate::model::ServicePlanRef;
use crate::resolve::Lookup;

/// How a plan row reassigns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Remove `From`, add `To`, keep every other license.
    Swap,
    /// End with `To` plus the licenses that come through groups.
    ReplaceAll,
}

/// Who a plan row is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// `*`: every holder of `From`, in an organization if given.
    Holders {
        organization: Option<String>,
    },
    Named(String),
}

/// One row of plan.csv, validated and with its products looked up.
#[derive(Debug)]
pub struct PlanRow {
    /// Line in plan.csv (the header is line 1).
    pub line: u64,
    pub target: Target,
    /// As written; `None` when empty.
    pub from: Option<String>,
    pub to: String,
    pub from_lookup: Option<Lookup>,
    pub to_lookup: Lookup,
    pub disable: Vec<ServicePlanRef>,
    pub mode: Mode,
}
