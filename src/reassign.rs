//! The licenses and disabled plans a user ends with, and what the move frees.

use crate::catalog::Catalog;
use crate::model::{Mode, PlanRef, ProductId, Products, User};
use crate::services::{DataServices, ServiceSet};

/// A user's move as it would be applied.
#[derive(Debug)]
pub struct Change {
    /// Licenses after, in order: those kept, then `To`.
    pub after: Vec<ProductId>,
    /// Disabled plans after.
    pub disabled: Vec<PlanRef>,
    /// Direct licenses dropped: each frees a seat of its pool.
    pub freed: Vec<ProductId>,
    /// The user did not hold `To`: a seat of its pool is taken.
    pub moves_in: bool,
    /// Data services the user has before and not after.
    pub lost: ServiceSet,
}

/// What the tools a change needs.
pub struct Env<'a> {
    pub catalog: &'a Catalog,
    pub products: &'a Products,
    pub services: &'a DataServices,
}

/// Computes `user`'s move from `from` to `to`.
pub fn change(
    env: &Env,
    user: &User,
    from: Option<ProductId>,
    to: ProductId,
    mode: Mode,
    disable: &[PlanRef],
) -> Change {
    let kept = |h: &&crate::model::Held| match mode {
        Mode::Swap => Some(h.product) != from,
        // Group licenses cannot be removed directly: they stay.
        Mode::ReplaceAll => h.via_group,
    };
    let mut after: Vec<ProductId> = user.licenses.iter().filter(kept).map(|h| h.product).collect();
    let moves_in = user.holds(to).is_none();
    if !after.contains(&to) {
        after.push(to);
    }
    let freed = user
        .licenses
        .iter()
        .filter(|h| !h.via_group && !after.contains(&h.product))
        .map(|h| h.product)
        .collect();
    let contains = |plan| {
        after.iter().any(|&p| {
            env.products
                .as_sku(p)
                .is_some_and(|sku| env.catalog.contains(sku, plan))
        })
    };
    let mut disabled: Vec<PlanRef> = user
        .disabled
        .iter()
        .filter(|d| matches!(d, PlanRef::Known(plan) if contains(*plan)))
        .cloned()
        .collect();
    for plan in disable {
        if matches!(plan, PlanRef::Known(_)) && !disabled.contains(plan) {
            disabled.push(plan.clone());
        }
    }
    let before = env.services.of(
        env.products,
        user.licenses.iter().map(|h| h.product),
        &user.disabled,
    );
    let lost = before.lost_in(env.services.of(env.products, after.iter().copied(), &disabled));
    Change {
        after,
        disabled,
        freed,
        moves_in,
        lost,
    }
}
