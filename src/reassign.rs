//! The licenses and disabled plans a user ends with, and what the move frees.

use crate::catalog::Catalog;
use crate::model::{Mode, ProductId, Products, ServicePlanRef, User};
use crate::services::{DataServices, ServiceSet};

/// What a move changes in the license counts and the user's data, kept for every
/// user who passed stages 1 to 3. The licenses after are recomputed when written
/// ([`after`], [`disabled_after`]) rather than held for a million users.
#[derive(Debug)]
pub struct Change {
    /// Direct licenses dropped: each frees a seat of its pool.
    pub freed: Freed,
    /// The user did not hold `To`: a seat of its pool is taken.
    pub moves_in: bool,
    /// Data services the user has before and not after.
    pub lost: ServiceSet,
}

/// The direct licenses a move drops. A swap drops one at most: only a
/// `replace-all` of a user with several direct licenses allocates. 16 bytes:
/// `Many` points to its list through one thin pointer.
#[derive(Debug)]
pub enum Freed {
    None,
    One(ProductId),
    Many(Box<Several>),
}

/// Two direct licenses or more, dropped by one move.
#[derive(Debug)]
pub struct Several(Vec<ProductId>);

impl Freed {
    pub fn as_slice(&self) -> &[ProductId] {
        match self {
            Freed::None => &[],
            Freed::One(product) => std::slice::from_ref(product),
            Freed::Many(several) => &several.0,
        }
    }
}

/// What a move reads besides the user.
pub struct Env<'a> {
    pub catalog: &'a Catalog,
    pub products: &'a Products,
    pub services: &'a DataServices,
}

/// Buffers reused from user to user: a million moves allocate nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    pub after: Vec<ProductId>,
    pub disabled: Vec<ServicePlanRef>,
}

/// The licenses after, into `after`: `swap` keeps every license but `From`, then
/// appends `To` if not already there; `replace-all` gives `To`, plus the licenses
/// from groups (they cannot be removed directly), as SPEC.md words it.
pub fn after(
    user: &User<'_>,
    from: Option<ProductId>,
    to: ProductId,
    mode: Mode,
    after: &mut Vec<ProductId>,
) {
    after.clear();
    match mode {
        Mode::Swap => {
            let kept = user.licenses.iter().filter(|h| Some(h.product()) != from);
            after.extend(kept.map(|h| h.product()));
            if !after.contains(&to) {
                after.push(to);
            }
        }
        Mode::ReplaceAll => {
            after.push(to);
            let groups = user
                .licenses
                .iter()
                .filter(|h| h.via_group() && h.product() != to);
            after.extend(groups.map(|h| h.product()));
        }
    }
}

/// The disabled plans after, into `disabled`: the user's, in their order, that a
/// license after still contains, then the plan row's `Disable` entries not already
/// there.
pub fn disabled_after(
    catalog: &Catalog,
    products: &Products,
    user: &User<'_>,
    after: &[ProductId],
    disable: &[ServicePlanRef],
    disabled: &mut Vec<ServicePlanRef>,
) {
    disabled.clear();
    let contains = |plan| {
        after.iter().any(|&p| {
            products
                .as_sku(p)
                .is_some_and(|sku| catalog.contains(sku, plan))
        })
    };
    let kept = user
        .disabled
        .iter()
        .filter(|d| matches!(d, ServicePlanRef::Known(plan) if contains(*plan)));
    disabled.extend(kept.cloned());
    for plan in disable {
        if matches!(plan, ServicePlanRef::Known(_)) && !disabled.contains(plan) {
            disabled.push(plan.clone());
        }
    }
}

/// Computes what `user`'s move from `from` to `to` frees, takes and loses.
pub fn change(
    env: &Env,
    user: &User<'_>,
    from: Option<ProductId>,
    to: ProductId,
    mode: Mode,
    disable: &[ServicePlanRef],
    scratch: &mut Scratch,
) -> Change {
    let Scratch {
        after: licenses,
        disabled,
    } = scratch;
    after(user, from, to, mode, licenses);
    disabled_after(env.catalog, env.products, user, licenses, disable, disabled);
    let mut dropped = user
        .licenses
        .iter()
        .filter(|h| !h.via_group() && !licenses.contains(&h.product()))
        .map(|h| h.product());
    let freed = match (dropped.next(), dropped.next()) {
        (None, _) => Freed::None,
        (Some(one), None) => Freed::One(one),
        (Some(first), Some(second)) => Freed::Many(Box::new(Several(
            [first, second].into_iter().chain(dropped).collect(),
        ))),
    };
    let before = env.services.of(
        env.products,
        user.licenses.iter().map(|h| h.product()),
        user.disabled,
    );
    let lost = before.lost_in(
        env.services
            .of(env.products, licenses.iter().copied(), disabled),
    );
    Change {
        freed,
        moves_in: user.holds(to).is_none(),
        lost,
    }
}
