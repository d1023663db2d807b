//! Stages 2 to 5 of SPEC.md for one planned user: identity, products, already done,
//! and the move. One function per rule; a stage that finds an error stops there.
//! Stage 1 is in [`crate::expand`], stage 6 (counting) in [`crate::count`].

use crate::catalog::Catalog;
use crate::codes::{Code, CodeSet};
use crate::expand::Entry;
use crate::model::{OrgId, ProductId, Products, ServicePlanRef, Tenant, User};
use crate::reassign::{self, Change, Env, Scratch};
use crate::resolve;
use crate::services::DataServices;

/// How a planned user ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Before counting: passed every rule, and counting may still block the move.
    Reassigned,
    Unchanged,
    Error,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Reassigned => "reassigned",
            Status::Unchanged => "unchanged",
            Status::Error => "error",
        }
    }
}

/// The verdict on one planned user: 32 bytes, as ten million planned users keep
/// one each until the outputs are written.
#[derive(Debug)]
pub struct Verdict {
    pub status: Status,
    /// The codes written in result.csv: on `error` rows the errors of the first
    /// failing stage, on `reassigned` rows the warnings, none on `unchanged` ones.
    /// (`From` and `To` as resolved are not kept: [`crate::resolve::ends`].)
    codes: CodeSet,
    /// The move, for users who passed stages 1 to 3.
    pub change: Option<Change>,
}

const _: () = assert!(std::mem::size_of::<Verdict>() <= 32);

impl Verdict {
    /// The codes written in result.csv.
    pub fn codes(&self) -> CodeSet {
        self.codes
    }

    fn error(mut self, errors: CodeSet) -> Verdict {
        self.fail(errors);
        self
    }

    /// Turns the verdict into an error with these codes (and no warning).
    pub fn fail(&mut self, errors: CodeSet) {
        self.status = Status::Error;
        self.codes = errors;
    }
}

/// What the rules read.
pub struct Rules<'a> {
    pub catalog: &'a Catalog,
    pub tenant: &'a Tenant,
    pub services: &'a DataServices,
    pub strict: bool,
}

impl Rules<'_> {
    /// Runs stages 2 to 5 on one entry of the expanded plan.
    pub fn evaluate(&self, entry: &Entry, scratch: &mut Scratch) -> Verdict {
        let tenant = self.tenant;
        let row = &tenant.plan[entry.row()];
        let user = entry.user().map(|u| tenant.users.get(u));
        let org = entry.org();
        let ends = resolve::ends(&tenant.pools, row, org);
        let verdict = Verdict {
            status: Status::Reassigned,
            codes: CodeSet::EMPTY,
            change: None,
        };
        // Stage 1: plan.
        if let Some(conflict) = entry.conflict {
            return verdict.error([conflict.code].into_iter().collect());
        }
        // Stage 2: identity.
        let Some(user) = user else {
            return verdict.error([Code::UserNotFound].into_iter().collect());
        };
        let Some(org) = org else {
            return verdict.error([Code::OrganizationUnknown].into_iter().collect());
        };
        // Stage 3: products.
        let catalog_product = |r| resolve::catalog_product(&tenant.products, r);
        let checked = (
            catalog_product(ends.to),
            ends.from.map(catalog_product).transpose(),
        );
        let (to, from) = match checked {
            (Ok(to), Ok(from)) => (to, from),
            (to, from) => return verdict.error(to.err().into_iter().chain(from.err()).collect()),
        };
        let env = Env {
            catalog: self.catalog,
            products: &tenant.products,
            services: self.services,
        };
        let user = &user;
        let change = reassign::change(&env, user, from, to, row.mode, &row.disable, scratch);
        // Stage 4: already done.
        if already_done(user, from, to) {
            return Verdict {
                status: Status::Unchanged,
                change: Some(change),
                ..verdict
            };
        }
        // Stage 5: the move.
        let downgrade = downgrade(&change);
        let mut errors: CodeSet = [
            source_not_held(user, from),
            group_inherited(user, from),
            unknown_service_plan(self.catalog, &tenant.products, to, &row.disable),
            downgrade.filter(|_| self.strict),
        ]
        .into_iter()
        .flatten()
        .collect();
        if change.moves_in {
            for code in [
                target_subscription(tenant, org, to),
                missing_usage_location(user),
            ]
            .into_iter()
            .flatten()
            {
                errors.insert(code);
            }
        }
        let verdict = Verdict {
            change: Some(change),
            ..verdict
        };
        if !errors.is_empty() {
            return verdict.error(errors);
        }
        Verdict {
            codes: [
                downgrade,
                source_inactive(tenant, org, from),
                sign_in_blocked(user),
            ]
            .into_iter()
            .flatten()
            .collect(),
            ..verdict
        }
    }
}

/// Stage 4: the user holds `To` and not `From` (or `From` is empty).
fn already_done(user: &User<'_>, from: Option<ProductId>, to: ProductId) -> bool {
    user.holds(to).is_some() && from.is_none_or(|f| user.holds(f).is_none())
}

/// `source-not-held`: `From` is set and the user does not hold it.
fn source_not_held(user: &User<'_>, from: Option<ProductId>) -> Option<Code> {
    from.filter(|&f| user.holds(f).is_none())
        .map(|_| Code::SourceNotHeld)
}

/// `group-inherited`: `From` reaches the user through a group.
fn group_inherited(user: &User<'_>, from: Option<ProductId>) -> Option<Code> {
    from.and_then(|f| user.holds(f))
        .filter(|h| h.via_group())
        .map(|_| Code::GroupInherited)
}

/// `unknown-service-plan`: a `Disable` entry is not a service plan of `To`.
fn unknown_service_plan(
    catalog: &Catalog,
    products: &Products,
    to: ProductId,
    disable: &[ServicePlanRef],
) -> Option<Code> {
    not_service_plans_of(catalog, products, to, disable)
        .next()
        .map(|_| Code::UnknownServicePlan)
}

/// The `Disable` entries that are not service plans of `To`; none when `To` is
/// not a catalog product (stage 3 reports that).
pub fn not_service_plans_of<'a>(
    catalog: &'a Catalog,
    products: &Products,
    to: ProductId,
    disable: &'a [ServicePlanRef],
) -> impl Iterator<Item = &'a ServicePlanRef> {
    let sku = products.as_sku(to);
    disable.iter().filter(move |plan| match (sku, plan) {
        (None, _) => false,
        (Some(sku), ServicePlanRef::Known(plan)) => !catalog.contains(sku, *plan),
        (Some(_), ServicePlanRef::Other(_)) => true,
    })
}

/// `downgrade-backup-required`: the user loses a data service.
fn downgrade(change: &Change) -> Option<Code> {
    (!change.lost.is_empty()).then_some(Code::DowngradeBackupRequired)
}

/// `target-not-listed`, `target-other-organization` or `target-inactive`: the
/// organization must have an active subscription of `To`.
fn target_subscription(tenant: &Tenant, org: OrgId, to: ProductId) -> Option<Code> {
    match tenant.pools.get(org, to) {
        Some(pool) => (!tenant.pools.list[pool].active).then_some(Code::TargetInactive),
        None if tenant.pools.holders(to).is_empty() => Some(Code::TargetNotListed),
        None => Some(Code::TargetOtherOrganization),
    }
}

/// `missing-usage-location`: Microsoft requires one for any license assignment.
fn missing_usage_location(user: &User<'_>) -> Option<Code> {
    (!user.usage_location).then_some(Code::MissingUsageLocation)
}

/// `source-inactive`: the organization's `From` subscription is not listed, or not active.
fn source_inactive(tenant: &Tenant, org: OrgId, from: Option<ProductId>) -> Option<Code> {
    let from = from?;
    let active = tenant
        .pools
        .get(org, from)
        .is_some_and(|p| tenant.pools.list[p].active);
    (!active).then_some(Code::SourceInactive)
}

/// `sign-in-blocked`.
fn sign_in_blocked(user: &User<'_>) -> Option<Code> {
    user.blocked.then_some(Code::SignInBlocked)
}
