//! Stage 6 and the license arithmetic per pool (organization and product): blocks
//! the moves a pool cannot take, then says what to buy, remove or cancel.

use crate::catalog::Catalog;
use crate::codes::Code;
use crate::expand::Entry;
use crate::model::{OrgId, Pool, ProductId, Tenant};
use crate::resolve;
use crate::rules::{Status, Verdict};

/// What happened to one pool in this run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Seats freed by reassigned users who left it.
    pub freed: u64,
    /// Reassigned users who took a seat.
    pub moved_in: u64,
    /// Users blocked with `not-enough-licenses` for it.
    pub blocked: u64,
    /// Users who wanted a seat of it (passed stages 1–3, did not hold it) and ended with an error.
    pub wanted_errors: u64,
    /// Listed in subscription-actions.csv.
    pub touched: bool,
}

impl Tally {
    /// Licenses of `pool` available: total − assigned + freed (negative when
    /// over-assigned).
    pub fn available(&self, pool: &Pool) -> i128 {
        available(pool, self.freed)
    }

    /// Users who wanted a seat: those who took one and those blocked.
    pub fn wanted(&self) -> u64 {
        self.moved_in + self.blocked
    }

    /// Licenses of `pool` to buy for every user who wanted a seat to get one.
    pub fn licenses_to_buy(&self, pool: &Pool) -> u64 {
        (i128::from(self.wanted()) - self.available(pool)).max(0) as u64
    }
}

/// Licenses of `pool` available once `freed` seats are given back.
fn available(pool: &Pool, freed: u64) -> i128 {
    i128::from(pool.total) - i128::from(pool.assigned) + i128::from(freed)
}

/// Blocks the moves that pools cannot take (`not-enough-licenses`) and tallies every
/// pool. `verdicts` are in plan order, one per entry.
pub fn settle(
    tenant: &Tenant,
    entries: &[Entry],
    verdicts: &mut [Verdict],
    allow_partial: bool,
) -> Vec<Tally> {
    let pools = &tenant.pools;
    let org_of = |i: usize| entries[i].org();
    let products =
        |i: usize| resolve::ends(pools, &tenant.plan[entries[i].row()], org_of(i)).products();
    let pool_of = |org: Option<OrgId>, product: ProductId| pools.get(org?, product);
    let mut tallies = vec![Tally::default(); pools.list.len()];
    // Each candidate (passed stage 5, in plan order), and the pools it frees a
    // seat of, flat: `frees[frees_from[m]..frees_from[m + 1]]`. In u32s: in
    // usizes, at ten million users, these lists were a sixth of the run's peak.
    let mut candidates: Vec<Candidate> = Vec::with_capacity(verdicts.len());
    let mut frees: Vec<u32> = Vec::with_capacity(verdicts.len());
    let mut frees_from: Vec<u32> = Vec::with_capacity(verdicts.len() + 1);
    frees_from.push(0);
    // Pools are fewer than subscriptions.csv rows, as entries are than users: u32s.
    let pool_u32 = |p: usize| p as u32;
    // One pass over the users who passed stages 1 to 3: their pools are listed in
    // subscription-actions.csv whatever the counting decides, and those of stage 5
    // are the candidates.
    for (i, v) in verdicts.iter().enumerate() {
        let Some(change) = &v.change else {
            continue;
        };
        let org = org_of(i);
        let (from, to) = products(i);
        let from = from.and_then(|from| pool_of(org, from));
        let to = to.and_then(|to| pool_of(org, to));
        let first_freed = frees.len();
        frees.extend(
            change
                .freed
                .as_slice()
                .iter()
                .filter_map(|&p| pool_of(org, p))
                .map(pool_u32),
        );
        for p in from.into_iter().chain(to) {
            tallies[p].touched = true;
        }
        for &p in &frees[first_freed..] {
            tallies[p as usize].touched = true;
        }
        let takes = to.filter(|_| change.moves_in);
        match v.status {
            Status::Reassigned => {
                candidates.push(Candidate {
                    entry: i as u32,
                    takes: takes.map_or(NO_POOL, pool_u32),
                });
                frees_from.push(frees.len() as u32);
            }
            // Not a candidate: it frees nothing.
            Status::Unchanged | Status::Error => {
                frees.truncate(first_freed);
                if v.status == Status::Error
                    && let Some(p) = takes
                {
                    tallies[p].wanted_errors += 1;
                }
            }
        }
    }
    let freed_by = |m: usize| &frees[frees_from[m] as usize..frees_from[m + 1] as usize];
    let mut open = vec![true; candidates.len()];
    let mut freed = vec![0u64; tallies.len()];
    let mut wanting = vec![0u64; tallies.len()];
    loop {
        freed.fill(0);
        wanting.fill(0);
        for (m, c) in candidates.iter().enumerate().filter(|(m, _)| open[*m]) {
            for &p in freed_by(m) {
                freed[p as usize] += 1;
            }
            if let Some(p) = c.takes() {
                wanting[p] += 1;
            }
        }
        // How many movers each pool keeps; `None` where it takes every one.
        let keep: Vec<Option<u64>> = (0..tallies.len())
            .map(|p| {
                let pool = &pools.list[p];
                let available = available(pool, freed[p]);
                // An over-assigned pool that nobody moves into blocks nobody.
                if wanting[p] == 0 || i128::from(wanting[p]) <= available {
                    None
                } else if allow_partial {
                    Some(available.max(0) as u64)
                } else {
                    Some(0)
                }
            })
            .collect();
        if keep.iter().all(Option::is_none) {
            for (p, tally) in tallies.iter_mut().enumerate() {
                tally.freed = freed[p];
                tally.moved_in = wanting[p];
            }
            break;
        }
        // Block the movers past each short pool's keep, in plan order, and recount:
        // blocked users free nothing.
        let mut seen = vec![0u64; tallies.len()];
        for (m, c) in candidates.iter().enumerate() {
            let Some(p) = c.takes() else { continue };
            if !open[m] {
                continue;
            }
            seen[p] += 1;
            if keep[p].is_some_and(|k| seen[p] > k) {
                open[m] = false;
                tallies[p].blocked += 1;
                // It wanted a seat and ends with an error (the pool then buys
                // licenses, rule 1, whatever this count says).
                tallies[p].wanted_errors += 1;
            }
        }
    }
    for (m, c) in candidates.iter().enumerate() {
        if !open[m] {
            verdicts[c.entry as usize].fail([Code::NotEnoughLicenses].into_iter().collect());
        }
    }
    tallies
}

/// A user who may move, as [`settle`] counts them: 8 bytes, not the 24 of a
/// `(usize, Option<usize>)`.
struct Candidate {
    /// Index into the entries and verdicts.
    entry: u32,
    /// The pool it takes a seat of, or `NO_POOL`.
    takes: u32,
}

const NO_POOL: u32 = u32::MAX;

impl Candidate {
    fn takes(&self) -> Option<usize> {
        (self.takes != NO_POOL).then_some(self.takes as usize)
    }
}

/// What to do with a pool after the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActionKind {
    BuyLicenses,
    CancelSubscription,
    RemoveLicenses,
    Keep,
}

impl ActionKind {
    pub const ALL: [ActionKind; 4] = [
        ActionKind::BuyLicenses,
        ActionKind::CancelSubscription,
        ActionKind::RemoveLicenses,
        ActionKind::Keep,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::BuyLicenses => "buy-licenses",
            ActionKind::CancelSubscription => "cancel-subscription",
            ActionKind::RemoveLicenses => "remove-licenses",
            ActionKind::Keep => "keep",
        }
    }
}

/// One row of subscription-actions.csv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Action {
    pub pool: usize,
    pub kind: ActionKind,
    pub assigned_after: u64,
    pub to_remove: u64,
    pub to_buy: u64,
    pub reason: String,
}

/// The action for every touched pool, sorted by organization then SKU part number
/// (byte order of the lowercased text).
pub fn actions(tenant: &Tenant, catalog: &Catalog, tallies: &[Tally]) -> Vec<Action> {
    let mut actions: Vec<Action> = tallies
        .iter()
        .enumerate()
        .filter(|(_, t)| t.touched)
        .map(|(p, t)| action(tenant, p, t))
        .collect();
    let sort_key = |a: &Action| {
        let pool = &tenant.pools.list[a.pool];
        (
            tenant.orgs.name(pool.org).to_lowercase(),
            tenant.products.name(catalog, pool.product).to_lowercase(),
        )
    };
    actions.sort_by_cached_key(sort_key);
    actions
}

fn action(tenant: &Tenant, p: usize, t: &Tally) -> Action {
    let pool = &tenant.pools.list[p];
    let after = i128::from(pool.assigned) - i128::from(t.freed) + i128::from(t.moved_in);
    // An export may list more holders than the pool counts as assigned: never below 0.
    let assigned_after = after.max(0) as u64;
    let mut action = Action {
        pool: p,
        kind: ActionKind::Keep,
        assigned_after,
        to_remove: 0,
        to_buy: 0,
        reason: String::new(),
    };
    if t.blocked > 0 {
        action.kind = ActionKind::BuyLicenses;
        action.to_buy = t.licenses_to_buy(pool);
        action.reason = format!(
            "{} wanted a license and {} available: buy {} to move the {} blocked",
            users(i128::from(t.wanted())),
            t.available(pool).max(0),
            action.to_buy,
            users(i128::from(t.blocked))
        );
    } else if t.freed > 0 && after <= 0 {
        action.kind = ActionKind::CancelSubscription;
        action.to_remove = pool.total;
        action.reason = format!(
            "every user left this subscription ({} left): cancel it",
            users(i128::from(t.freed))
        );
    } else if (t.freed > 0 || t.moved_in > 0) && t.wanted_errors == 0 && pool.total > assigned_after
    {
        action.kind = ActionKind::RemoveLicenses;
        action.to_remove = pool.total - assigned_after;
        action.reason = format!(
            "{} of {} licenses are no longer needed: remove them (annual commitments reduce seats only at renewal)",
            action.to_remove, pool.total
        );
    } else {
        action.reason = if t.wanted_errors > 0 {
            format!(
                "{} who should move onto it ended with an error: their seats are needed once it is fixed",
                users(i128::from(t.wanted_errors))
            )
        } else if t.freed == 0 && t.moved_in == 0 {
            "no license of it changes hands in this run".to_string()
        } else {
            "every license is still in use".to_string()
        };
    }
    if after < 0 {
        action.reason.push_str(&format!(
            "; note: users.csv shows {} more holders than its assigned count",
            -after
        ));
    }
    action
}

fn users(n: i128) -> String {
    format!("{n} user{}", if n == 1 { "" } else { "s" })
}
