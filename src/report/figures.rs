//! The run's figures as report.html shows them: plain data, gathered in one pass
//! over the verdicts, and bounded whatever the number of users (aggregates, and
//! at most [`USERS_SHOWN`] users in any list).

use std::collections::BTreeMap;
use std::ops::Range;

use rayon::prelude::*;

use rustc_hash::FxHashMap;

use crate::codes::Code;
use crate::costs::{self, Costs};
use crate::count::ActionKind;
use crate::output::head;
use crate::rules::Status;
use crate::run::Processed;
use crate::summary::Summary;

/// Users shown in any list of users; the rest are in result.csv.
pub const USERS_SHOWN: usize = 10;
/// Organizations with a bar of their own in the outcome chart; the rest are summed.
pub const ORGANIZATIONS_CHARTED: usize = 20;
/// Organizations named in the title.
pub const ORGANIZATIONS_NAMED: usize = 20;
/// Pools shown in the subscriptions section; the rest are in subscription-actions.csv.
pub const POOLS_SHOWN: usize = 100;
/// Rows of the moves table.
pub const MOVES_SHOWN: usize = 50;
/// Unknown licenses listed, and `*` rows that matched nobody.
pub const TEXTS_SHOWN: usize = 20;

/// The first items of a list, and how many more there are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed<T> {
    pub shown: Vec<T>,
    pub more: u64,
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Listed {
            shown: Vec::new(),
            more: 0,
        }
    }
}

impl<T> Listed<T> {
    /// The items of `later` after these, the first `limit` shown.
    fn then(&mut self, later: Listed<T>, limit: usize) {
        for item in later.shown {
            self.push(item, limit);
        }
        self.more += later.more;
    }

    /// Keeps `item` if fewer than `limit` are shown, else counts it.
    fn push(&mut self, item: T, limit: usize) {
        if self.shown.len() < limit {
            self.shown.push(item);
        } else {
            self.more += 1;
        }
    }

    /// The first `limit` of `items`.
    fn of(items: impl IntoIterator<Item = T>, limit: usize) -> Listed<T> {
        let mut listed = Listed::default();
        for item in items {
            listed.push(item, limit);
        }
        listed
    }

    pub fn total(&self) -> u64 {
        self.shown.len() as u64 + self.more
    }
}

/// A planned user as a list shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserLine {
    pub user: String,
    pub organization: String,
    pub from: String,
    pub to: String,
    /// The data services lost, in the backup list; else empty.
    pub services: String,
}

/// Users per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    pub reassigned: u64,
    pub unchanged: u64,
    pub error: u64,
}

impl Outcome {
    pub fn planned(&self) -> u64 {
        self.reassigned + self.unchanged + self.error
    }
}

/// One bar of the outcome chart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrgOutcome {
    /// The organization; `None` for the bar that sums the others.
    pub name: Option<String>,
    /// How many organizations the "others" bar sums.
    pub others: u64,
    pub outcome: Outcome,
}

/// A monthly amount in one currency, as exact decimal text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Money {
    pub amount: String,
    /// ISO code, or `""` when prices.csv names none.
    pub currency: String,
}

/// A pool's monthly cost before and after its action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolCost {
    pub price: Money,
    pub before: Money,
    pub after: Money,
    pub change: Money,
}

/// One row of subscription-actions.csv.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolLine {
    pub organization: String,
    /// SKU part number, as subscription-actions.csv names it.
    pub product: String,
    /// The catalog's display name, when the catalog knows the product.
    pub display_name: Option<String>,
    pub action: ActionKind,
    pub total: u64,
    pub assigned_before: u64,
    pub assigned_after: u64,
    pub to_remove: u64,
    pub to_buy: u64,
    pub reason: String,
    /// `None`: no price (never shown as 0); or prices.csv not given.
    pub cost: Option<PoolCost>,
}

/// Monthly totals in one currency, over the priced pools.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostLine {
    pub currency: String,
    pub before: String,
    pub after: String,
    pub change: String,
}

/// A code, how many users carry it, and the first of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeLine {
    pub code: Code,
    pub users: Listed<UserLine>,
}

/// A data service lost by users who must back up first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceLine {
    pub service: &'static str,
    pub users: u64,
}

/// Users reassigned from one product to another in one organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MoveLine {
    pub organization: String,
    pub from: String,
    pub to: String,
    pub users: u64,
}

/// Graph requests written for one organization.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestLine {
    pub organization: String,
    pub requests: u64,
}

/// What `replan apply` will send (graph-requests.jsonl).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Applying {
    pub requests: u64,
    /// By organization name; the first [`ORGANIZATIONS_CHARTED`].
    pub organizations: Listed<RequestLine>,
    /// result.csv lines of reassigned users with no request.
    pub skipped: Listed<u64>,
}

/// An input file of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputLine {
    pub file: &'static str,
    pub path: String,
    pub bytes: u64,
    pub rows: u64,
    pub sha256: String,
}

/// An output file of the audit trail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputLine {
    pub file: &'static str,
    pub bytes: u64,
    pub sha256: String,
}

/// summary.json `audit`, but report.html's own entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditTrail {
    pub command: Vec<String>,
    pub started: String,
    /// `None` when SOURCE_DATE_EPOCH made the run reproducible.
    pub elapsed_ms: Option<u64>,
    pub version: String,
    pub catalog_source: String,
    pub catalog_sha256: String,
    pub catalog_products: u64,
    pub inputs: Vec<InputLine>,
    pub outputs: Vec<OutputLine>,
}

/// Everything report.html shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figures {
    pub organizations: Listed<String>,
    pub exit_code: u8,
    pub strict: bool,
    pub outcome: Outcome,
    /// Sums over subscription-actions.csv.
    pub licenses_to_remove: u64,
    pub licenses_to_buy: u64,
    pub subscriptions_to_cancel: u64,
    /// Rows of backup.csv.
    pub users_to_back_up: u64,
    /// Without prices.csv: `None`.
    pub costs: Option<Vec<CostLine>>,
    /// `organization/SKU` of the pools with no price.
    pub unpriced: Listed<String>,
    pub by_organization: Vec<OrgOutcome>,
    pub pools: Listed<PoolLine>,
    /// Error codes on error rows, in the order of SPEC's table.
    pub errors: Vec<CodeLine>,
    pub backup_services: Vec<ServiceLine>,
    pub backup_users: Listed<UserLine>,
    /// Warning codes on reassigned rows.
    pub warnings: Vec<CodeLine>,
    pub unmatched_plan_rows: Listed<u64>,
    /// Unknown license text → users holding it, most held first.
    pub unknown_licenses: Listed<(String, u64)>,
    pub moves: Listed<MoveLine>,
    pub applying: Applying,
    /// The output folder as given, for the `replan apply` command.
    pub out: String,
    pub audit: AuditTrail,
}

/// Planned users counted in one parallel task of [`UserFigures::of`].
const CHUNK: usize = 1 << 16;

/// What each planned user adds to the figures, over consecutive users. Those of
/// successive ranges merge in plan order ([`UserFigures::then`]): the users are
/// counted in parallel, and every list still shows the first users of result.csv.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct UserFigures {
    outcome: Outcome,
    /// Per organization id.
    per_org: Vec<Outcome>,
    /// Users of no organization.
    no_org: Outcome,
    errors: BTreeMap<Code, Listed<UserLine>>,
    warnings: BTreeMap<Code, Listed<UserLine>>,
    /// Data services lost by the users who must back up first.
    services: BTreeMap<&'static str, u64>,
    backup_users: Listed<UserLine>,
    /// Reassigned users per (plan row, organization): the first of them, and how many.
    moves: FxHashMap<(usize, Option<u32>), (usize, u64)>,
}

impl UserFigures {
    /// Every planned user's, counted in parallel.
    pub fn of(p: &Processed) -> UserFigures {
        let planned = p.verdicts.len();
        let parts: Vec<UserFigures> = (0..planned.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| UserFigures::of_range(p, c * CHUNK..((c + 1) * CHUNK).min(planned)))
            .collect();
        parts
            .into_iter()
            .fold(UserFigures::default(), UserFigures::then)
    }

    fn of_range(p: &Processed, users: Range<usize>) -> UserFigures {
        let mut f = UserFigures {
            per_org: vec![Outcome::default(); p.tenant.orgs.len()],
            ..UserFigures::default()
        };
        let entries = &p.expansion.entries[users.clone()];
        let verdicts = &p.verdicts[users.clone()];
        for (i, (entry, verdict)) in users.zip(entries.iter().zip(verdicts)) {
            let counts = match entry.org() {
                Some(org) => &mut f.per_org[org.0 as usize],
                None => &mut f.no_org,
            };
            for c in [&mut f.outcome, counts] {
                match verdict.status {
                    Status::Reassigned => c.reassigned += 1,
                    Status::Unchanged => c.unchanged += 1,
                    Status::Error => c.error += 1,
                }
            }
            let codes = verdict.codes();
            let backup = codes.contains(Code::DowngradeBackupRequired);
            if verdict.status == Status::Reassigned {
                // From and To depend only on the row and the organization: named
                // once per pair in `Figures::gather`, not once per user.
                let key = (entry.row(), entry.org().map(|o| o.0));
                f.moves.entry(key).or_insert((i, 0)).1 += 1;
            }
            let by_code = match verdict.status {
                Status::Error => &mut f.errors,
                Status::Reassigned | Status::Unchanged => &mut f.warnings,
            };
            let room =
                |list: Option<&Listed<UserLine>>| list.is_none_or(|l| l.shown.len() < USERS_SHOWN);
            let listed = codes.iter().any(|c| room(by_code.get(&c)))
                || (backup && room(Some(&f.backup_users)));
            // A user shown in no list costs a count, not a lookup of their names.
            let line = listed.then(|| {
                let h = head(p, i, &p.ends(i));
                UserLine {
                    user: h.user.to_string(),
                    organization: h.organization.to_string(),
                    from: h.from.to_string(),
                    to: h.to.to_string(),
                    services: String::new(),
                }
            });
            for code in codes.iter() {
                let list = by_code.entry(code).or_default();
                match &line {
                    Some(line) if list.shown.len() < USERS_SHOWN => list.shown.push(line.clone()),
                    _ => list.more += 1,
                }
            }
            if backup {
                let lost = verdict.change.as_ref().map(|c| c.lost).unwrap_or_default();
                for service in lost.names() {
                    *f.services.entry(service).or_default() += 1;
                }
                match line {
                    Some(mut line) if f.backup_users.shown.len() < USERS_SHOWN => {
                        line.services = lost.names().collect::<Vec<_>>().join(", ");
                        f.backup_users.shown.push(line);
                    }
                    _ => f.backup_users.more += 1,
                }
            }
        }
        f
    }

    /// These users' figures, then those of the users after them.
    fn then(mut self, later: UserFigures) -> UserFigures {
        add(&mut self.outcome, later.outcome);
        if self.per_org.len() < later.per_org.len() {
            self.per_org.resize(later.per_org.len(), Outcome::default());
        }
        for (counts, more) in self.per_org.iter_mut().zip(later.per_org) {
            add(counts, more);
        }
        add(&mut self.no_org, later.no_org);
        for (mine, theirs) in [
            (&mut self.errors, later.errors),
            (&mut self.warnings, later.warnings),
        ] {
            for (code, list) in theirs {
                mine.entry(code).or_default().then(list, USERS_SHOWN);
            }
        }
        for (service, users) in later.services {
            *self.services.entry(service).or_default() += users;
        }
        self.backup_users.then(later.backup_users, USERS_SHOWN);
        for (key, (first, users)) in later.moves {
            // The earlier users' first stays first.
            self.moves.entry(key).or_insert((first, 0)).1 += users;
        }
        self
    }
}

fn add(counts: &mut Outcome, more: Outcome) {
    counts.reassigned += more.reassigned;
    counts.unchanged += more.unchanged;
    counts.error += more.error;
}

impl Figures {
    /// The figures of a run whose other outputs are written (`summary.audit.outputs`
    /// holds them), its planned users' counted in `users`; `out` is the output
    /// folder as given.
    pub fn gather(p: &Processed, users: UserFigures, summary: &Summary, out: &str) -> Figures {
        let tenant = &p.tenant;
        let UserFigures {
            outcome,
            per_org,
            no_org,
            errors,
            warnings,
            services,
            backup_users,
            moves,
        } = users;
        // Each (row, organization) pair's From and To, as result.csv names them.
        let mut named: FxHashMap<(&str, &str, &str), u64> = FxHashMap::default();
        for (i, users) in moves.into_values() {
            let h = head(p, i, &p.ends(i));
            *named.entry((h.organization, h.from, h.to)).or_default() += users;
        }
        let by_organization = chart(
            per_org
                .iter()
                .enumerate()
                .map(|(o, c)| {
                    (
                        tenant.orgs.name(crate::model::OrgId(o as u32)).to_string(),
                        *c,
                    )
                })
                .chain(std::iter::once((String::new(), no_org)))
                .filter(|(_, c)| c.planned() > 0)
                .collect(),
        );
        let costs = Costs::of(p);
        let money = |amount: crate::money::Amount, currency: &str| Money {
            amount: amount.to_string(),
            currency: currency.to_string(),
        };
        let pools = Listed::of(
            p.actions.iter().map(|action| {
                let pool = &tenant.pools.list[action.pool];
                let cost = costs::of_pool(p, action).map(|c| {
                    let currency = c.price.currency.code();
                    PoolCost {
                        price: money(c.price.amount, currency),
                        before: money(c.before, currency),
                        after: money(c.after, currency),
                        change: money(c.change(), currency),
                    }
                });
                PoolLine {
                    organization: tenant.orgs.name(pool.org).to_string(),
                    product: tenant.products.name(&p.catalog, pool.product).to_string(),
                    display_name: tenant
                        .products
                        .as_sku(pool.product)
                        .map(|s| p.catalog.sku(s).display_name.clone()),
                    action: action.kind,
                    total: pool.total,
                    assigned_before: pool.assigned,
                    assigned_after: action.assigned_after,
                    to_remove: action.to_remove,
                    to_buy: action.to_buy,
                    reason: action.reason.clone(),
                    cost,
                }
            }),
            POOLS_SHOWN,
        );
        let sum = |f: fn(&crate::count::Action) -> u64| p.actions.iter().map(f).sum::<u64>();
        let mut moves: Vec<MoveLine> = named
            .into_iter()
            .map(|((organization, from, to), users)| MoveLine {
                organization: organization.to_string(),
                from: from.to_string(),
                to: to.to_string(),
                users,
            })
            .collect();
        // Per organization, the largest moves first; a total order, whatever the
        // hash map's.
        moves.sort_by_cached_key(|m| {
            (
                m.organization.to_lowercase(),
                std::cmp::Reverse(m.users),
                m.from.clone(),
                m.to.clone(),
            )
        });
        let code_lines = |map: BTreeMap<Code, Listed<UserLine>>| {
            map.into_iter()
                .map(|(code, users)| CodeLine { code, users })
                .collect()
        };
        let audit = &summary.audit;
        Figures {
            organizations: Listed::of(by_organization_names(p), ORGANIZATIONS_NAMED),
            exit_code: p.exit_code().code(),
            strict: p.strict,
            outcome,
            licenses_to_remove: sum(|a| a.to_remove),
            licenses_to_buy: sum(|a| a.to_buy),
            subscriptions_to_cancel: p
                .actions
                .iter()
                .filter(|a| a.kind == ActionKind::CancelSubscription)
                .count() as u64,
            users_to_back_up: backup_users.total(),
            costs: costs.priced.then(|| {
                costs
                    .currencies
                    .iter()
                    .map(|(currency, totals)| CostLine {
                        currency: currency.code().to_string(),
                        before: totals.before.to_string(),
                        after: totals.after.to_string(),
                        change: totals.change().to_string(),
                    })
                    .collect()
            }),
            unpriced: Listed::of(costs.unpriced.iter().cloned(), TEXTS_SHOWN),
            by_organization,
            pools,
            errors: code_lines(errors),
            backup_services: services
                .into_iter()
                .map(|(service, users)| ServiceLine { service, users })
                .collect(),
            backup_users,
            warnings: code_lines(warnings),
            unmatched_plan_rows: Listed::of(
                summary.unmatched_plan_rows.iter().copied(),
                TEXTS_SHOWN,
            ),
            unknown_licenses: Listed::of(summary.unknown_licenses.iter().cloned(), TEXTS_SHOWN),
            moves: Listed::of(moves, MOVES_SHOWN),
            applying: Applying {
                requests: summary.graph.requests,
                organizations: Listed::of(
                    summary
                        .graph
                        .organizations
                        .iter()
                        .map(|(organization, &requests)| RequestLine {
                            organization: organization.clone(),
                            requests,
                        }),
                    ORGANIZATIONS_CHARTED,
                ),
                skipped: Listed::of(summary.graph.skipped.iter().copied(), USERS_SHOWN),
            },
            out: out.to_string(),
            audit: AuditTrail {
                command: audit.command.clone(),
                started: audit.started.clone(),
                elapsed_ms: (!audit.reproducible).then_some(summary.elapsed_ms),
                version: summary.version.to_string(),
                catalog_source: audit.catalog.source.clone(),
                catalog_sha256: audit.catalog.sha256.clone(),
                catalog_products: audit.catalog.products,
                inputs: audit
                    .inputs
                    .iter()
                    .map(|(file, f)| InputLine {
                        file,
                        path: f.path.clone(),
                        bytes: f.bytes,
                        rows: f.rows,
                        sha256: f.sha256.clone(),
                    })
                    .collect(),
                outputs: audit
                    .outputs
                    .iter()
                    .map(|(file, f)| OutputLine {
                        file,
                        bytes: f.bytes,
                        sha256: f.sha256.clone(),
                    })
                    .collect(),
            },
        }
    }
}

/// The organizations of the run: those of subscriptions.csv and domains.csv, in
/// the order first met.
fn by_organization_names(p: &Processed) -> Vec<String> {
    (0..p.tenant.orgs.len() as u32)
        .map(|o| p.tenant.orgs.name(crate::model::OrgId(o)).to_string())
        .collect()
}

/// The bars of the outcome chart: the organizations with the most planned users
/// (ties by name), then one bar for the others.
fn chart(mut orgs: Vec<(String, Outcome)>) -> Vec<OrgOutcome> {
    orgs.sort_by(|(a, x), (b, y)| {
        y.planned()
            .cmp(&x.planned())
            .then_with(|| a.to_lowercase().cmp(&b.to_lowercase()))
    });
    let mut bars: Vec<OrgOutcome> = Vec::new();
    let mut others = OrgOutcome {
        name: None,
        others: 0,
        outcome: Outcome::default(),
    };
    for (n, (name, c)) in orgs.into_iter().enumerate() {
        if n < ORGANIZATIONS_CHARTED {
            bars.push(OrgOutcome {
                name: Some(name),
                others: 0,
                outcome: c,
            });
        } else {
            others.others += 1;
            add(&mut others.outcome, c);
        }
    }
    if others.others > 0 {
        bars.push(others);
    }
    bars
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::generated;

    #[test]
    fn users_counted_in_ranges_and_merged_give_the_figures_of_one_pass() {
        let (_dir, p) = generated(3000);
        let planned = p.verdicts.len();
        let whole = UserFigures::of_range(&p, 0..planned);
        // The lists are cut at USERS_SHOWN: merging must keep the first users.
        assert!(whole.errors.values().any(|list| list.more > 0));
        assert!(whole.backup_users.more > 0);
        assert!(whole.moves.values().any(|&(_, users)| users > 1));
        for size in [1, 7, 100, planned - 1] {
            let merged = (0..planned)
                .step_by(size)
                .map(|start| UserFigures::of_range(&p, start..(start + size).min(planned)))
                .fold(UserFigures::default(), UserFigures::then);
            assert_eq!(merged, whole, "ranges of {size} users");
        }
        assert_eq!(UserFigures::of(&p), whole);
    }

    #[test]
    fn a_list_merged_keeps_the_first_items_and_counts_the_rest() {
        let mut earlier = Listed::of([1, 2], 3);
        earlier.then(Listed::of([3, 4, 5], 3), 3);
        assert_eq!(
            earlier,
            Listed {
                shown: vec![1, 2, 3],
                more: 2
            }
        );
    }
}
