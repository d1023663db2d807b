//! The tenant in memory, as the inputs describe it: products, organizations and
//! their domains, license pools, users, and the plan's rows. Built by
//! [`crate::input`], read by every later stage.

mod organizations;
mod plan;
mod pools;
mod products;
mod users;

pub use organizations::{OrgId, Orgs};
pub use plan::{Mode, PlanRow, Target};
pub use pools::{Pool, Pools};
pub use products::{ProductId, Products, ServicePlanRef};
pub use users::{Duplicate, Held, Names, User, Users};

/// How many data rows each input file had.
#[derive(Clone, Copy, Debug, Default)]
pub struct RowCounts {
    pub users: u64,
    pub subscriptions: u64,
    pub plan: u64,
    pub domains: Option<u64>,
    pub prices: Option<u64>,
}

/// Everything the inputs say.
#[derive(Debug)]
pub struct Tenant {
    pub products: Products,
    pub orgs: Orgs,
    pub pools: Pools,
    pub users: Users,
    pub plan: Vec<PlanRow>,
    pub rows: RowCounts,
    /// Input that is usable but almost surely not what was meant, located like an
    /// error; printed on stderr.
    pub warnings: Vec<String>,
    /// prices.csv's prices (none without the file).
    pub prices: crate::input::prices::Prices,
    /// Each input file's size and SHA-256, for the audit trail.
    pub digests: crate::input::Digests,
}
