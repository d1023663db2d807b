//! The tenant in memory, as the inputs describe it: products, organizations and
//! their domains, license pools, users, and the plan's rows. Built by
//! [`crate::input`], read by every later stage.

use serde::Serialize;

mod organizations;
mod plan;
mod pools;
mod products;
mod users;

pub use organizations::{OrgId, Orgs};
pub use plan::{Mode, PlanRow, Target};
pub use pools::{Pool, Pools};
pub use products::{ProductId, Products, ServicePlanRef, UnknownLicense};
pub use users::{Duplicate, Held, Names, User, Users};

/// How many data rows each input file had (summary.json's `inputs`).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct RowCounts {
    pub users: u64,
    pub subscriptions: u64,
    pub plan: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domains: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prices: Option<u64>,
}

/// Everything the inputs say.
#[derive(Debug)]
pub struct Tenant {
    pub(crate) products: Products,
    pub(crate) orgs: Orgs,
    pub(crate) pools: Pools,
    pub(crate) users: Users,
    pub(crate) plan: Vec<PlanRow>,
    pub rows: RowCounts,
    /// Input that is usable but almost surely not what was meant, located like an
    /// error; printed on stderr.
    pub(crate) warnings: Vec<String>,
    /// Licenses of users.csv that resolve to no product, held by the most users
    /// first.
    pub(crate) unknown_licenses: Vec<UnknownLicense>,
    /// prices.csv's prices (none without the file).
    pub(crate) prices: crate::input::prices::Prices,
    /// Each input file's size and SHA-256, for the audit trail.
    pub(crate) digests: crate::input::Digests,
}
