//! Plan expansion, stage 1: expands plan.csv into one entry per planned user, in
//! plan order (a `*` row in users.csv order), settling rows that name the same user.

use rayon::prelude::*;
use rustc_hash::FxHashMap as HashMap;

use crate::codes::Code;
use crate::model::{Mode, Names, OrgId, PlanRow, ProductId, ServicePlanRef, Target, Tenant, User};
use crate::resolve::{self, Lookup, Resolved, key};

/// One planned user: 20 bytes, as there is one per planned user (ten million of
/// them take 200 MB, not the 400 MB of `usize` and `Option` fields).
#[derive(Debug)]
pub(crate) struct Entry {
    row: u32,
    /// `NONE` when the plan names a user who is not in users.csv.
    user: u32,
    /// `NONE` when the user's organization is not known.
    org: u32,
    /// Another row that gives this user a different move.
    pub(crate) conflict: Option<Conflict>,
}

const NONE: u32 = u32::MAX;
const _: () = assert!(std::mem::size_of::<Entry>() <= 20);

impl Entry {
    fn new(row: usize, user: Option<u32>, org: Option<OrgId>) -> Entry {
        Entry {
            row: row as u32,
            user: user.unwrap_or(NONE),
            org: org.map_or(NONE, |o| o.0),
            conflict: None,
        }
    }

    /// The first plan row for this user (index into `Tenant::plan`).
    pub(crate) fn row(&self) -> usize {
        self.row as usize
    }

    /// The user in users.csv; `None` when the plan names a user who is not there.
    pub(crate) fn user(&self) -> Option<u32> {
        (self.user != NONE).then_some(self.user)
    }

    /// The user's organization, kept here because every later stage asks for it.
    pub(crate) fn org(&self) -> Option<OrgId> {
        (self.org != NONE).then_some(OrgId(self.org))
    }
}

/// Two plan rows that disagree about one user.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Conflict {
    /// `duplicate-user` (named rows) or `ambiguous-plan` (`*` rows).
    pub(crate) code: Code,
    /// The row that disagrees with the first (index into `Tenant::plan`).
    row: u32,
}

impl Conflict {
    /// The line in plan.csv of the row that disagrees with the first.
    pub(crate) fn line(&self, tenant: &Tenant) -> u64 {
        tenant.plan[self.row as usize].line
    }
}

/// The plan, one entry per user.
#[derive(Debug)]
pub struct Expansion {
    pub(crate) entries: Vec<Entry>,
    /// Lines of `*` rows that matched nobody.
    pub(crate) unmatched: Vec<u64>,
}

const NO_ENTRY: u32 = u32::MAX;

impl Expansion {
    /// How many planned users: one entry each.
    pub fn planned(&self) -> usize {
        self.entries.len()
    }
}

/// Expands every plan row.
pub fn expand(tenant: &Tenant, names: &Names) -> Expansion {
    let users = &tenant.users;
    let row_user: Vec<Option<u32>> = tenant
        .plan
        .par_iter()
        .map(|row| match &row.target {
            Target::Named(name) => names.find(users, name),
            Target::Holders { .. } => None,
        })
        .collect();
    // A row for a named user wins over `*` rows, wherever it stands.
    let mut named = vec![false; users.len()];
    for &u in row_user.iter().flatten() {
        named[u as usize] = true;
    }
    let holders = holders(tenant);
    let mut entry_of = vec![NO_ENTRY; users.len()];
    let mut missing: HashMap<String, usize> = HashMap::default();
    // At most a row per named user plus every holder: no regrowing (a copy of
    // the entries, and half as much again in memory, at the peak).
    let most = row_user.len() + holders.iter().map(Vec::len).sum::<usize>();
    let mut entries: Vec<Entry> = Vec::with_capacity(most);
    let mut unmatched = Vec::new();
    for (r, row) in tenant.plan.iter().enumerate() {
        match &row.target {
            Target::Named(name) => {
                let user = row_user[r];
                let existing = match user {
                    Some(u) => Some(entry_of[u as usize])
                        .filter(|&e| e != NO_ENTRY)
                        .map(|e| e as usize),
                    None => missing.get(&name.to_lowercase()).copied(),
                };
                let org = user.and_then(|u| users.org(u));
                match existing {
                    Some(e) => disagree(tenant, &mut entries[e], r, org, Code::DuplicateUser),
                    None => {
                        match user {
                            Some(u) => entry_of[u as usize] = entries.len() as u32,
                            None => {
                                missing.insert(name.to_lowercase(), entries.len());
                            }
                        }
                        entries.push(Entry::new(r, user, org));
                    }
                }
            }
            Target::Holders { .. } => {
                if holders[r].is_empty() {
                    unmatched.push(row.line);
                }
                for &(u, org) in &holders[r] {
                    let u = u as usize;
                    if named[u] {
                        continue;
                    }
                    match entry_of[u] {
                        NO_ENTRY => {
                            entry_of[u] = entries.len() as u32;
                            entries.push(Entry::new(r, Some(u as u32), org));
                        }
                        e => disagree(
                            tenant,
                            &mut entries[e as usize],
                            r,
                            org,
                            Code::AmbiguousPlan,
                        ),
                    }
                }
            }
        }
    }
    Expansion { entries, unmatched }
}

/// Users scanned per parallel task when matching `*` rows.
const CHUNK: usize = 1 << 14;

/// A `*` row as the scan of the users tries it.
struct Scan<'a> {
    r: usize,
    row: &'a PlanRow,
    /// `From` as an unknown product: [`holds_from`].
    unknown_from: Option<ProductId>,
}

/// For each plan row, the users a `*` row matches and their organizations, in
/// users.csv order (none for a named row). One pass over the users in file order,
/// in parallel parts, tries each user against the rows for every organization and
/// those scoped to the user's own: users are visited where they lie in memory, not
/// organization by organization all over it (matching took 0.39 s at 10M users
/// when they were visited by organization, 0.2 s now).
fn holders(tenant: &Tenant) -> Vec<Vec<(u32, Option<OrgId>)>> {
    let users = &tenant.users;
    let orgs = tenant.orgs.len();
    let mut found: Vec<Vec<(u32, Option<OrgId>)>> = vec![Vec::new(); tenant.plan.len()];
    // The rows for every organization, and those scoped to each with `From`
    // resolved once for it (a row naming an organization nobody knows matches nobody).
    let mut everywhere: Vec<Scan> = Vec::new();
    let mut scoped: Vec<Vec<(Scan, Resolved)>> = (0..orgs).map(|_| Vec::new()).collect();
    for (r, row) in tenant.plan.iter().enumerate() {
        let Target::Holders { organization } = &row.target else {
            continue;
        };
        let unknown_from = row
            .from
            .as_deref()
            .and_then(|f| tenant.products.find_other(f));
        let scan = Scan {
            r,
            row,
            unknown_from,
        };
        match organization {
            None => everywhere.push(scan),
            Some(name) => {
                if let Some(org) = tenant.orgs.find(name) {
                    let from = resolve_from(tenant, row, Some(org));
                    scoped[org.0 as usize].push((scan, from));
                }
            }
        }
    }
    if everywhere.is_empty() && scoped.iter().all(Vec::is_empty) {
        return found;
    }
    // Each part: (row, user) for every match, in users.csv order.
    let parts: Vec<Vec<(u32, u32)>> = (0..users.len().div_ceil(CHUNK))
        .into_par_iter()
        .map(|part| {
            let mut matches = Vec::new();
            // `From` of the rows for every organization, resolved once per
            // organization met (the last slot for users of none).
            let mut from_of_org: Vec<Option<Resolved>> = vec![None; everywhere.len() * (orgs + 1)];
            let first = part * CHUNK;
            for u in first..(first + CHUNK).min(users.len()) {
                let u = u as u32;
                let user = users.get(u);
                let slot = user.org.map_or(orgs, |o| o.0 as usize);
                for (k, scan) in everywhere.iter().enumerate() {
                    let from = *from_of_org[k * (orgs + 1) + slot]
                        .get_or_insert_with(|| resolve_from(tenant, scan.row, user.org));
                    if holds_from(scan.row, from, scan.unknown_from, &user) {
                        matches.push((scan.r as u32, u));
                    }
                }
                for (scan, from) in user.org.map_or(&[][..], |o| &scoped[o.0 as usize]) {
                    if holds_from(scan.row, *from, scan.unknown_from, &user) {
                        matches.push((scan.r as u32, u));
                    }
                }
            }
            matches
        })
        .collect();
    // Sized before filling: no list regrows.
    let mut counts = vec![0usize; tenant.plan.len()];
    for &(r, _) in parts.iter().flatten() {
        counts[r as usize] += 1;
    }
    for (list, &n) in found.iter_mut().zip(&counts) {
        list.reserve_exact(n);
    }
    for &(r, u) in parts.iter().flatten() {
        found[r as usize].push((u, users.org(u)));
    }
    found
}

/// `From` of `row` as it resolves for a user of `org`.
fn resolve_from(tenant: &Tenant, row: &PlanRow, org: Option<OrgId>) -> Resolved {
    resolve::ends(&tenant.pools, row, org)
        .from
        .unwrap_or(Resolved::Unknown)
}

/// Whether a `*` row applies to `user`: they hold its `From`. A `From` that does not
/// resolve for the user's organization still matches a user holding one of its
/// candidates, or the same text: stage 3 then reports it instead of hiding it.
fn holds_from(
    row: &PlanRow,
    from: Resolved,
    unknown_from: Option<ProductId>,
    user: &User<'_>,
) -> bool {
    let Some(lookup) = &row.from_lookup else {
        return false;
    };
    let held = |p: ProductId| user.holds(p).is_some();
    match from {
        Resolved::Product(p) => held(p),
        Resolved::Ambiguous | Resolved::Unknown => {
            let candidate = match lookup {
                Lookup::Ambiguous(skus) => skus.iter().any(|&s| held(ProductId::sku(s))),
                Lookup::Sku(_) | Lookup::Unknown => false,
            };
            candidate || unknown_from.is_some_and(held)
        }
    }
}

/// Marks `entry` with `code` if `row` gives its user another move than its first row.
fn disagree(tenant: &Tenant, entry: &mut Entry, r: usize, org: Option<OrgId>, code: Code) {
    let (first, row) = (&tenant.plan[entry.row()], &tenant.plan[r]);
    if entry.conflict.is_none() && Intent::of(tenant, first, org) != Intent::of(tenant, row, org) {
        entry.conflict = Some(Conflict {
            code,
            row: r as u32,
        });
    }
}

/// What a row asks for a user of `org`, as compared between rows: products as
/// resolved (not as spelled), disabled service plans as a set, and the mode.
#[derive(PartialEq, Eq, Debug)]
struct Intent {
    from: Option<Side>,
    to: Side,
    disable: Vec<ServicePlanKey>,
    mode: Mode,
}

#[derive(PartialEq, Eq, Debug)]
enum Side {
    Product(ProductId),
    Text(String),
}

#[derive(PartialEq, Eq, PartialOrd, Ord, Debug)]
enum ServicePlanKey {
    Known(u32),
    Other(String),
}

impl Intent {
    fn of(tenant: &Tenant, row: &PlanRow, org: Option<OrgId>) -> Intent {
        let side = |resolved: Resolved, text: &str| match resolved {
            Resolved::Product(p) => Side::Product(p),
            Resolved::Ambiguous | Resolved::Unknown => Side::Text(key(text)),
        };
        let mut disable: Vec<ServicePlanKey> = row
            .disable
            .iter()
            .map(|p| match p {
                ServicePlanRef::Known(plan) => ServicePlanKey::Known(*plan),
                ServicePlanRef::Other(text) => ServicePlanKey::Other(key(text)),
            })
            .collect();
        disable.sort();
        disable.dedup();
        let ends = resolve::ends(&tenant.pools, row, org);
        Intent {
            from: ends.from.zip(row.from.as_deref()).map(|(r, t)| side(r, t)),
            to: side(ends.to, &row.to),
            disable,
            mode: row.mode,
        }
    }
}
