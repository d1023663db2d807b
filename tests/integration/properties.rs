//! Property tests over generated tenants, through the real binary: no planned
//! user is lost or doubled, the counts of subscription-actions.csv and
//! summary.json add up from result.csv, graph-requests.jsonl applied as Graph
//! applies it gives what result.csv says, and a plan applied once and run again
//! changes nothing.
//!
//! Each case writes a small tenant (up to 3 organizations, 16 users, 8 plan rows,
//! catalog products and one the catalog does not know) and runs `replan run`.
//! The number of cases per property is modest for CI; `PROPTEST_CASES=2000
//! cargo test --release properties` runs more.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::sample::{Index, select, subsequence};

use crate::util::{Case, Outcome, assert_consistent};

/// Products the tenants use: catalog SKUs (some with data services, some not),
/// and one the catalog does not know.
const PRODUCTS: [&str; 9] = [
    "O365_BUSINESS_PREMIUM",
    "SPB",
    "O365_BUSINESS_ESSENTIALS",
    "ENTERPRISEPACK",
    "SPE_E3",
    "O365_BUSINESS",
    "VISIOCLIENT",
    "POWER_BI_PRO",
    "TRIAL_X",
];
/// Catalog products only: what `From`/`To` name in a clean plan.
const CATALOG_PRODUCTS: [&str; 8] = [
    "O365_BUSINESS_PREMIUM",
    "SPB",
    "O365_BUSINESS_ESSENTIALS",
    "ENTERPRISEPACK",
    "SPE_E3",
    "O365_BUSINESS",
    "VISIOCLIENT",
    "POWER_BI_PRO",
];
/// Service plans for `Disabled plans` and `Disable`: real ones and one unknown.
const PLANS: [&str; 4] = [
    "SWAY",
    "YAMMER_ENTERPRISE",
    "EXCHANGE_S_STANDARD",
    "NOT_A_PLAN",
];
const STATUSES: [&str; 5] = ["Active", "Active", "Enabled", "Warning", "Suspended"];
const MODES: [&str; 4] = ["", "swap", "replace-all", "Replace-All"];

fn cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}

#[derive(Clone, Debug)]
struct Sub {
    product: &'static str,
    status: &'static str,
    total: u64,
    assigned: u64,
    /// Written as two rows that add up.
    split: bool,
    /// The pool's SkuId is given (on its last row); TRIAL_X's is [`TRIAL_ID`].
    sku_id: bool,
}

/// The SKU id subscriptions.csv gives TRIAL_X, when it gives one.
const TRIAL_ID: &str = "7e570000-1111-4222-8333-944445555666";

#[derive(Clone, Debug)]
struct User {
    upn: String,
    usage_location: bool,
    blocked: bool,
    licenses: Vec<&'static str>,
    groups: Vec<&'static str>,
    disabled: Vec<&'static str>,
    /// Entra object id, when users.csv gives one.
    object_id: Option<String>,
    /// The Licenses cell names catalog products by SKU id rather than part number.
    by_id: bool,
}

#[derive(Clone, Debug)]
enum Target {
    /// `*`, optionally limited to one organization.
    Star(Option<String>),
    Named(String),
}

#[derive(Clone, Debug)]
struct Row {
    target: Target,
    from: Option<&'static str>,
    to: &'static str,
    disable: Vec<&'static str>,
    mode: &'static str,
}

#[derive(Clone, Debug)]
struct Tenant {
    /// Organization name and its subscriptions (an organization without any is
    /// unknown to replan).
    orgs: Vec<(String, Vec<Sub>)>,
    users: Vec<User>,
    plan: Vec<Row>,
}

impl Tenant {
    fn users_csv(&self) -> String {
        let mut s = String::from(
            "User principal name,Object Id,Usage location,Block credential,Licenses,Disabled plans,Group licenses\n",
        );
        let catalog = catalog();
        for u in &self.users {
            let licenses = if u.licenses.is_empty() {
                "Unlicensed".to_string()
            } else if u.by_id {
                let name = |l: &&'static str| match catalog.ids.get(*l) {
                    Some(ids) => ids[0].to_uppercase(),
                    None => l.to_string(),
                };
                u.licenses.iter().map(name).collect::<Vec<_>>().join("+")
            } else {
                u.licenses.join("+")
            };
            s += &format!(
                "{},{},{},{},{},{},{}\n",
                u.upn,
                u.object_id.as_deref().unwrap_or(""),
                if u.usage_location { "US" } else { "" },
                if u.blocked { "True" } else { "False" },
                licenses,
                u.disabled.join(";"),
                u.groups.join("+")
            );
        }
        s
    }

    fn subscriptions_csv(&self) -> String {
        let mut s = String::from("Organization,Product,SkuId,Status,Total,Assigned\n");
        for (org, subs) in &self.orgs {
            for sub in subs {
                // What Get-MgSubscribedSku gives: the catalog's id, TRIAL_ID for TRIAL_X.
                let id = match catalog().ids.get(sub.product) {
                    _ if !sub.sku_id => "",
                    Some(ids) => ids[0].as_str(),
                    None => TRIAL_ID,
                };
                if sub.split {
                    let (t1, a1) = (sub.total / 2, sub.assigned / 2);
                    s += &format!("{org},{},,{},{t1},{a1}\n", sub.product, sub.status);
                    s += &format!(
                        "{org},{},{id},Expired,{},{}\n",
                        sub.product,
                        sub.total - t1,
                        sub.assigned - a1
                    );
                } else {
                    s += &format!(
                        "{org},{},{id},{},{},{}\n",
                        sub.product, sub.status, sub.total, sub.assigned
                    );
                }
            }
        }
        s
    }

    fn plan_csv(&self) -> String {
        let mut s = String::from("User,From,To,Disable,Organization,Mode\n");
        for row in &self.plan {
            let (user, org) = match &row.target {
                Target::Star(org) => ("*", org.as_deref().unwrap_or("")),
                Target::Named(name) => (name.as_str(), ""),
            };
            s += &format!(
                "{user},{},{},{},{org},{}\n",
                row.from.unwrap_or(""),
                row.to,
                row.disable.join(";"),
                row.mode
            );
        }
        s
    }

    fn case(&self) -> Case {
        Case::new()
            .bytes("users.csv", self.users_csv())
            .bytes("subscriptions.csv", self.subscriptions_csv())
            .bytes("plan.csv", self.plan_csv())
    }

    /// The organization of a user principal name, if replan knows it (it has a
    /// subscription): without domains.csv an organization's name is its domain.
    fn org_of(&self, upn: &str) -> Option<&str> {
        let domain = upn.rsplit_once('@')?.1.to_lowercase();
        self.orgs
            .iter()
            .find(|(name, subs)| !subs.is_empty() && *name == domain)
            .map(|(name, _)| name.as_str())
    }

    /// The users result.csv must list, in plan order, worked out from SPEC.md:
    /// a named row's user once (as spelled in users.csv, or in the plan when not
    /// there), then for a `*` row every holder of `From` in its scope, in
    /// users.csv order, unless a named row or an earlier row already has them.
    fn planned(&self) -> Vec<String> {
        let find = |name: &str| self.users.iter().find(|u| u.upn.eq_ignore_ascii_case(name));
        let named: BTreeSet<String> = self
            .plan
            .iter()
            .filter_map(|r| match &r.target {
                Target::Named(n) => find(n).map(|u| u.upn.to_lowercase()),
                Target::Star(_) => None,
            })
            .collect();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for row in &self.plan {
            match &row.target {
                Target::Named(name) => {
                    let spelled = find(name).map_or(name.clone(), |u| u.upn.clone());
                    if seen.insert(spelled.to_lowercase()) {
                        out.push(spelled);
                    }
                }
                Target::Star(scope) => {
                    let from = row.from.expect("a `*` row has From");
                    if scope
                        .as_deref()
                        .is_some_and(|o| !self.orgs.iter().any(|(n, s)| n == o && !s.is_empty()))
                    {
                        continue;
                    }
                    for u in &self.users {
                        let key = u.upn.to_lowercase();
                        let in_scope = scope
                            .as_deref()
                            .is_none_or(|o| self.org_of(&u.upn) == Some(o));
                        let holds = u.licenses.contains(&from) || u.groups.contains(&from);
                        if in_scope && holds && !named.contains(&key) && seen.insert(key) {
                            out.push(u.upn.clone());
                        }
                    }
                }
            }
        }
        out
    }

    /// The tenant after applying a run: every reassigned user's licenses and
    /// disabled plans as result.csv says, and every pool's assigned count as
    /// subscription-actions.csv says.
    fn applied(&self, run: &Outcome) -> Tenant {
        let mut next = self.clone();
        let result = run.result();
        let (user, status, after, disabled) = (
            result.col("user"),
            result.col("status"),
            result.col("licenses_after"),
            result.col("disabled_plans"),
        );
        for row in result.rows.iter().filter(|r| r[status] == "reassigned") {
            let u = next
                .users
                .iter_mut()
                .find(|u| u.upn == row[user])
                .unwrap_or_else(|| panic!("a reassigned user who is not in users.csv: {row:?}"));
            u.licenses = split(&row[after], '+');
            u.disabled = split(&row[disabled], ';');
        }
        let actions = run.actions();
        let (org, product, assigned) = (
            actions.col("organization"),
            actions.col("product"),
            actions.col("assigned_after"),
        );
        for row in &actions.rows {
            let Some((_, subs)) = next.orgs.iter_mut().find(|(name, _)| *name == row[org]) else {
                panic!("an action for an organization of no subscription: {row:?}")
            };
            let sub = subs
                .iter_mut()
                .find(|s| s.product == row[product])
                .unwrap_or_else(|| panic!("an action for a pool that is not listed: {row:?}"));
            sub.assigned = row[assigned].parse().expect("assigned_after is a number");
            sub.split = false;
        }
        next
    }
}

/// Products or plans joined by `sep`, as the generator's own names.
fn split(cell: &str, sep: char) -> Vec<&'static str> {
    cell.split(sep)
        .filter(|s| !s.is_empty())
        .map(|s| {
            PRODUCTS
                .iter()
                .chain(&PLANS)
                .find(|p| **p == s)
                .copied()
                .unwrap_or_else(|| panic!("an output name the tenant never used: {s}"))
        })
        .collect()
}

/// How messy a generated tenant is.
#[derive(Clone, Copy, Debug)]
enum Kind {
    /// Anything the inputs allow: unknown users and organizations, short pools,
    /// inactive subscriptions, conflicting rows, chains of `*` rows.
    Messy,
    /// As messy, but without what makes a re-run legitimately move users again:
    /// no `*` row moves users onto another `*` row's `From`, and `From` ≠ `To`.
    Rerunnable,
    /// Everything in order: every user can move, so the run must end with exit 0.
    Clean,
}

fn sub_strategy() -> impl Strategy<Value = Option<Sub>> {
    (
        prop::bool::weighted(0.75),
        select(&STATUSES[..]),
        0u64..10,
        0u64..10,
        prop::bool::weighted(0.15),
        prop::bool::weighted(0.6),
    )
        .prop_map(|(present, status, total, assigned, split, sku_id)| {
            present.then_some(Sub {
                product: "",
                status,
                total,
                assigned,
                split,
                sku_id,
            })
        })
}

fn user_strategy() -> impl Strategy<Value = RawUser> {
    (
        any::<Index>(),
        prop::bool::weighted(0.08),
        prop::bool::weighted(0.9),
        prop::bool::weighted(0.1),
        subsequence(&PRODUCTS[..], 0..=3),
        any::<u8>(),
        subsequence(&PLANS[..], 0..=2),
        prop::option::weighted(0.7, any::<u128>()),
        prop::bool::weighted(0.2),
    )
}

fn row_strategy() -> impl Strategy<Value = RawRow> {
    (
        prop::bool::weighted(0.5),
        any::<Index>(),
        prop::bool::weighted(0.08),
        prop::bool::weighted(0.2),
        prop::option::weighted(0.85, select(&PRODUCTS[..])),
        select(&PRODUCTS[..]),
        prop::option::weighted(0.3, any::<Index>()),
        select(&MODES[..]),
        prop::collection::vec(select(&PLANS[..]), 0..=1),
    )
}

fn tenant(kind: Kind) -> impl Strategy<Value = Tenant> {
    (
        1usize..=3,
        prop::collection::vec(prop::collection::vec(sub_strategy(), PRODUCTS.len()), 3),
        prop::collection::vec(user_strategy(), 0..=16),
        prop::collection::vec(row_strategy(), 0..=8),
    )
        .prop_map(move |(n_orgs, subs, users, rows)| build(kind, n_orgs, subs, users, rows))
}

/// A generated user: organization, foreign domain, usage location, blocked,
/// licenses, which of them come through groups (bits), disabled plans, object
/// id, licenses named by SKU id.
type RawUser = (
    Index,
    bool,
    bool,
    bool,
    Vec<&'static str>,
    u8,
    Vec<&'static str>,
    Option<u128>,
    bool,
);
/// A generated plan row: `*`, user, unknown user, upper case, From, To,
/// organization scope, mode, Disable.
type RawRow = (
    bool,
    Index,
    bool,
    bool,
    Option<&'static str>,
    &'static str,
    Option<Index>,
    &'static str,
    Vec<&'static str>,
);

fn build(
    kind: Kind,
    n_orgs: usize,
    subs: Vec<Vec<Option<Sub>>>,
    users: Vec<RawUser>,
    rows: Vec<RawRow>,
) -> Tenant {
    let clean = matches!(kind, Kind::Clean);
    let names: Vec<String> = (0..n_orgs).map(|i| format!("org{i}.com")).collect();
    let orgs: Vec<(String, Vec<Sub>)> = names
        .iter()
        .zip(subs)
        .map(|(name, subs)| {
            let subs = subs
                .into_iter()
                .zip(PRODUCTS)
                .filter_map(|(sub, product)| match (clean, sub) {
                    // Every pool listed, active, with room for every user.
                    (true, sub) => Some(Sub {
                        product,
                        status: "Active",
                        total: sub.as_ref().map_or(0, |s| s.assigned) + 20,
                        assigned: sub.as_ref().map_or(0, |s| s.assigned),
                        split: false,
                        sku_id: sub.as_ref().is_none_or(|s| s.sku_id),
                    }),
                    (false, sub) => sub.map(|s| Sub { product, ..s }),
                })
                .collect();
            (name.clone(), subs)
        })
        .collect();
    let mut users: Vec<User> = users
        .into_iter()
        .enumerate()
        .map(
            |(
                i,
                (org, foreign, usage_location, blocked, licenses, group_bits, disabled, id, by_id),
            )| {
                let domain = if foreign && !clean {
                    "elsewhere.com".to_string()
                } else {
                    names[org.index(names.len())].clone()
                };
                let groups = licenses
                    .iter()
                    .enumerate()
                    .filter(|(bit, _)| group_bits & (1 << bit) != 0 && group_bits & 0xf0 == 0)
                    .map(|(_, l)| *l)
                    .collect();
                User {
                    upn: format!("user{i}@{domain}"),
                    usage_location: usage_location || clean,
                    blocked,
                    licenses,
                    groups,
                    disabled,
                    object_id: id.map(guid),
                    by_id,
                }
            },
        )
        .collect();
    let mut plan: Vec<Row> = Vec::new();
    let mut named: BTreeSet<String> = BTreeSet::new();
    for (star, user, unknown, upper, from, to, scope, mode, disable) in rows {
        let row = if star {
            let Some(from) = from else { continue };
            Row {
                target: Target::Star(scope.map(|o| names[o.index(names.len())].clone())),
                from: Some(from),
                to,
                disable,
                mode,
            }
        } else if users.is_empty() || unknown {
            if clean {
                continue;
            }
            Row {
                target: Target::Named(format!("ghost{}@org0.com", user.index(3))),
                from,
                to,
                disable,
                mode,
            }
        } else {
            let u = &users[user.index(users.len())];
            let name = if upper {
                u.upn.to_uppercase()
            } else {
                u.upn.clone()
            };
            // Mostly a license the user holds (directly, when clean), or none (an add).
            let held = u
                .licenses
                .iter()
                .filter(|l| !clean || !u.groups.contains(l))
                .nth(user.index(4));
            let from = match (clean, held) {
                (true, held) => from.and(held.copied()),
                (false, Some(held)) if !upper => from.map(|_| *held),
                (false, _) => from,
            };
            if clean && !named.insert(u.upn.clone()) {
                continue;
            }
            Row {
                target: Target::Named(name),
                from,
                to,
                disable,
                mode,
            }
        };
        plan.push(row);
    }
    if !matches!(kind, Kind::Messy) {
        plan.retain(|r| r.from != Some(r.to));
        let froms = star_froms(&plan);
        plan.retain(|r| !(matches!(r.target, Target::Star(_)) && froms.contains(&r.to)));
    }
    if clean {
        // Catalog products only, no `Disable` (it must name plans of `To`), and one
        // `*` row at most (two that reach one user are an ambiguous plan).
        let mut stars = 0;
        plan.retain(|r| {
            let star = matches!(r.target, Target::Star(_));
            stars += usize::from(star);
            CATALOG_PRODUCTS.contains(&r.to)
                && r.from.is_none_or(|f| CATALOG_PRODUCTS.contains(&f))
                && (!star || stars == 1)
        });
        for row in &mut plan {
            row.disable.clear();
        }
        // A `*` row's From that reaches a user through a group is an error.
        let froms = star_froms(&plan);
        for user in &mut users {
            user.groups.retain(|g| !froms.contains(g));
        }
    }
    Tenant { orgs, users, plan }
}

/// The `From` of every `*` row.
fn star_froms(plan: &[Row]) -> Vec<&'static str> {
    plan.iter()
        .filter(|r| matches!(r.target, Target::Star(_)))
        .filter_map(|r| r.from)
        .collect()
}

/// result.csv's users, in file order.
fn result_users(run: &Outcome) -> Vec<String> {
    run.result()
        .column("user")
        .iter()
        .map(|s| s.to_string())
        .collect()
}

/// Every listed pool's total and assigned count as subscriptions.csv adds them up.
fn pools(tenant: &Tenant) -> BTreeMap<(String, String), (u64, u64)> {
    let mut pools = BTreeMap::new();
    for (org, subs) in &tenant.orgs {
        for sub in subs {
            pools.insert(
                (org.clone(), sub.product.to_string()),
                (sub.total, sub.assigned),
            );
        }
    }
    pools
}

#[track_caller]
fn check_conservation(tenant: &Tenant, run: &Outcome) {
    assert!(run.code == 0 || run.code == 1, "{}", run.describe());
    // Every planned user exactly once, in plan order.
    let got = result_users(run);
    let expected = tenant.planned();
    assert_eq!(
        got,
        expected,
        "result.csv users\n{}\n{}",
        run.result().text,
        tenant.plan_csv()
    );
    // summary.json, subscription-actions.csv and backup.csv add up from result.csv.
    assert_consistent(run);
    check_requests(tenant, run);
    let pools = pools(tenant);
    let actions = run.actions();
    let (org, product) = (actions.col("organization"), actions.col("product"));
    for row in &actions.rows {
        let key = (row[org].clone(), row[product].clone());
        let (total, assigned) = pools
            .get(&key)
            .unwrap_or_else(|| panic!("an action for a pool that is not listed: {row:?}"));
        assert_eq!(row[actions.col("total")], total.to_string(), "{row:?}");
        assert_eq!(
            row[actions.col("assigned_before")],
            assigned.to_string(),
            "{row:?}"
        );
    }
    // Every listed pool that a reassigned user leaves or joins has its row.
    let listed: BTreeSet<(String, String)> = actions
        .rows
        .iter()
        .map(|r| (r[org].clone(), r[product].clone()))
        .collect();
    let result = run.result();
    let (status, organization, before, after) = (
        result.col("status"),
        result.col("organization"),
        result.col("licenses_before"),
        result.col("licenses_after"),
    );
    for row in result.rows.iter().filter(|r| r[status] == "reassigned") {
        let (b, a) = (split(&row[before], '+'), split(&row[after], '+'));
        for p in b
            .iter()
            .filter(|p| !a.contains(p))
            .chain(a.iter().filter(|p| !b.contains(p)))
        {
            let key = (row[organization].clone(), p.to_string());
            if pools.contains_key(&key) {
                assert!(
                    listed.contains(&key),
                    "pool {key:?} changed but has no action\n{}",
                    actions.text
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(48))]

    /// No planned user lost or doubled; the outputs add up, whatever the flags.
    #[test]
    fn every_planned_user_once_and_the_counts_add_up(
        tenant in tenant(Kind::Messy),
        partial in any::<bool>(),
        strict in prop::bool::weighted(0.25),
    ) {
        let mut args = Vec::new();
        if partial {
            args.push("--allow-partial");
        }
        if strict {
            args.push("--strict");
        }
        let run = tenant.case().run(&args);
        check_conservation(&tenant, &run);
    }
}

proptest! {
    #![proptest_config(cases(24))]

    /// A clean tenant moves everyone; applied and run again, nothing changes.
    #[test]
    fn a_clean_plan_applied_then_run_again_changes_nothing(tenant in tenant(Kind::Clean)) {
        let case = tenant.case();
        let first = case.run(&[]);
        first.assert_exit(0);
        check_conservation(&tenant, &first);
        let applied = tenant.applied(&first);
        let case = case
            .bytes("users.csv", applied.users_csv())
            .bytes("subscriptions.csv", applied.subscriptions_csv());
        let second = case.run(&[]);
        second.assert_exit(0);
        let result = second.result();
        prop_assert!(
            result.column("status").iter().all(|s| *s == "unchanged"),
            "a re-run changed something:\n{}\nfirst run:\n{}",
            result.text,
            first.result().text
        );
        check_conservation(&applied, &second);
    }

    /// With errors in the plan, a re-run still moves nobody twice: every user
    /// reassigned the first time is unchanged the second, or no longer planned.
    #[test]
    fn a_messy_plan_applied_then_run_again_moves_nobody_twice(
        tenant in tenant(Kind::Rerunnable),
        threads in 1u8..=2,
    ) {
        let case = tenant.case();
        let threads = threads.to_string();
        let first = case.run(&["--threads", &threads]);
        check_conservation(&tenant, &first);
        let reassigned: BTreeSet<String> = first
            .result()
            .rows
            .iter()
            .filter(|r| r[first.result().col("status")] == "reassigned")
            .map(|r| r[first.result().col("user")].clone())
            .collect();
        let applied = tenant.applied(&first);
        let case = case
            .bytes("users.csv", applied.users_csv())
            .bytes("subscriptions.csv", applied.subscriptions_csv());
        let second = case.run(&[]);
        check_conservation(&applied, &second);
        let result = second.result();
        let (user, status) = (result.col("user"), result.col("status"));
        for row in &result.rows {
            prop_assert!(
                !(reassigned.contains(&row[user]) && row[status] != "unchanged"),
                "{} was reassigned, and is {} on the re-run:\n{}\nfirst run:\n{}",
                row[user],
                row[status],
                result.text,
                first.result().text
            );
        }
    }
}

/// What the tests know of Microsoft's table, read from it directly: each SKU
/// part number's ids, each service plan's id by name, and the plans (by id) of
/// each product.
struct Catalog {
    ids: BTreeMap<String, Vec<String>>,
    plan_ids: BTreeMap<String, String>,
    plans: BTreeMap<String, BTreeSet<String>>,
}

fn catalog() -> &'static Catalog {
    static CATALOG: std::sync::OnceLock<Catalog> = std::sync::OnceLock::new();
    CATALOG.get_or_init(|| {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/ms-licensing-catalog.csv");
        let mut reader = csv::Reader::from_path(path).unwrap();
        let mut catalog = Catalog {
            ids: BTreeMap::new(),
            plan_ids: BTreeMap::new(),
            plans: BTreeMap::new(),
        };
        for record in reader.records() {
            let record = record.unwrap();
            let (part, id, plan, plan_id) = (
                record[1].trim(),
                record[2].trim().to_lowercase(),
                record[3].trim(),
                record[4].trim().to_lowercase(),
            );
            let ids = catalog.ids.entry(part.to_string()).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
            catalog
                .plan_ids
                .entry(plan.to_string())
                .or_insert(plan_id.clone());
            catalog
                .plans
                .entry(part.to_string())
                .or_default()
                .insert(plan_id);
        }
        catalog
    })
}

/// A GUID made of 128 bits, in upper case as some exports write it.
fn guid(bits: u128) -> String {
    let hex = format!("{bits:032X}");
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}

/// A user's licenses as Graph holds them: SKU id → disabled service plan ids.
type Assigned = BTreeMap<String, Vec<String>>;

/// graph-requests.jsonl carries result.csv out: for every reassigned row with a
/// line, the user's licenses before (as users.csv gives them) with the line's
/// body applied as Graph applies it (remove, then add or replace each license
/// with its disabled plans) are exactly the licenses after of result.csv, each
/// direct one with the disabled plans after that are its plans, in result.csv's
/// order (a group license keeps its own: it changes only in its group). Every
/// other reassigned row is skipped (it needs a SKU id nobody gives) or changes
/// nothing in Microsoft 365.
#[track_caller]
fn check_requests(tenant: &Tenant, run: &Outcome) {
    let catalog = catalog();
    let result = run.result();
    let col = |name| result.col(name);
    let (user, org, status) = (col("user"), col("organization"), col("status"));
    let (before, after, disabled) = (
        col("licenses_before"),
        col("licenses_after"),
        col("disabled_plans"),
    );
    let summary = run.summary();
    let skipped: BTreeSet<u64> = summary["graph"]["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().unwrap())
        .collect();
    let plan_ids = |names: &[&str], part: &str| -> Vec<String> {
        let plans = catalog.plans.get(part);
        names
            .iter()
            .filter_map(|n| catalog.plan_ids.get(*n))
            .filter(|id| plans.is_some_and(|p| p.contains(*id)))
            .cloned()
            .collect()
    };
    for (i, row) in result.rows.iter().enumerate() {
        let line = i as u64 + 2;
        let request = run.request(line);
        if row[status] != "reassigned" {
            assert!(request.is_none(), "a request for a {} row", row[status]);
            continue;
        }
        let u = tenant
            .users
            .iter()
            .find(|u| u.upn == row[user])
            .expect("a reassigned user of users.csv");
        let pool_id = |part: &str| {
            tenant
                .orgs
                .iter()
                .find(|(name, _)| *name == row[org])
                .and_then(|(_, subs)| subs.iter().find(|s| s.product == part && s.sku_id))
                .map(|_| TRIAL_ID.to_string())
        };
        // The license's SKU id, if known: the catalog's sole id, or the pool's.
        let id = |part: &str| match catalog.ids.get(part) {
            Some(ids) => Some(ids[0].clone()),
            None => pool_id(part),
        };
        let (b, a) = (split(&row[before], '+'), split(&row[after], '+'));
        let group = |part: &str| u.groups.contains(&part);
        let held: Assigned = b
            .iter()
            .filter_map(|p| Some((id(p)?, plan_ids(&u.disabled, p))))
            .collect();
        let disabled_after = split(&row[disabled], ';');
        let expected: Assigned = a
            .iter()
            .filter_map(|p| {
                let id = id(p)?;
                let plans = match held.get(&id) {
                    Some(own) if group(p) => own.clone(),
                    _ => plan_ids(&disabled_after, p),
                };
                Some((id, plans))
            })
            .collect();
        // Direct licenses the request must name: added, removed, or whose
        // disabled plans change.
        let changed = |p: &str| {
            let set = |names: &[&str]| plan_ids(names, p).into_iter().collect::<BTreeSet<_>>();
            !b.contains(&p) || set(&u.disabled) != set(&disabled_after)
        };
        let named: Vec<&str> = a
            .iter()
            .copied()
            .filter(|p| changed(p))
            .chain(b.iter().copied().filter(|p| !a.contains(p)))
            .filter(|p| !group(p))
            .collect();
        let unknown = named.iter().any(|p| id(p).is_none());
        let Some(request) = request else {
            if skipped.contains(&line) {
                assert!(
                    unknown,
                    "line {line} skipped though every id is known\n{}",
                    result.text
                );
            } else {
                assert!(
                    named.is_empty(),
                    "line {line} has no request but changes {named:?}\n{}",
                    result.text
                );
            }
            continue;
        };
        assert!(!unknown, "line {line} needs an id nobody gives: {request}");
        let ids = |parts: &[&str]| -> Vec<String> { parts.iter().filter_map(|p| id(p)).collect() };
        assert_eq!(request["before"], serde_json::json!(ids(&b)), "line {line}");
        assert_eq!(request["after"], serde_json::json!(ids(&a)), "line {line}");
        let mut now = held.clone();
        let body = &request["body"];
        for removed in body["removeLicenses"].as_array().unwrap() {
            let removed = removed.as_str().unwrap();
            assert!(
                now.remove(removed).is_some(),
                "line {line} removes {removed}, which the user does not hold: {request}"
            );
        }
        for added in body["addLicenses"].as_array().unwrap() {
            let plans: Vec<String> = added["disabledPlans"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_string())
                .collect();
            now.insert(added["skuId"].as_str().unwrap().to_string(), plans);
        }
        assert_eq!(
            now, expected,
            "line {line}: the request applied to the licenses before is not result.csv's after\n{request}\n{}",
            result.text
        );
        // And it names nothing that needs no change, never a group license.
        assert_eq!(
            body["addLicenses"].as_array().unwrap().len()
                + body["removeLicenses"].as_array().unwrap().len(),
            named.len(),
            "line {line}: {request}"
        );
    }
}
