//! What the user reads: summary.json, the short text summary of `run`, the findings
//! of `check`, and warnings about plan rows that matched nobody.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use rayon::prelude::*;
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use crate::audit::{Audit, Invocation};
use crate::codes::Code;
use crate::costs::Costs;
use crate::count::ActionKind;
use crate::expand::Entry;
use crate::input::unknown;
use crate::model::{OrgId, RowCounts, Target};
use crate::rules::{Status, Verdict};
use crate::run::{Processed, Settings};

/// Users per status.
#[derive(Clone, Copy, Debug, Default, Serialize, PartialEq, Eq)]
pub struct StatusCounts {
    pub reassigned: u64,
    pub unchanged: u64,
    pub error: u64,
}

impl StatusCounts {
    fn add(&mut self, status: Status) {
        match status {
            Status::Reassigned => self.reassigned += 1,
            Status::Unchanged => self.unchanged += 1,
            Status::Error => self.error += 1,
        }
    }

    fn merge(&mut self, more: StatusCounts) {
        self.reassigned += more.reassigned;
        self.unchanged += more.unchanged;
        self.error += more.error;
    }
}

/// Planned users per status, per code and per organization.
struct Counts {
    status: StatusCounts,
    codes: [u64; Code::ALL.len()],
    /// Per organization id.
    per_org: Vec<StatusCounts>,
    /// Users with no known organization, if any.
    no_org: Option<StatusCounts>,
}

impl Counts {
    fn new(orgs: usize) -> Counts {
        Counts {
            status: StatusCounts::default(),
            codes: [0; Code::ALL.len()],
            per_org: vec![StatusCounts::default(); orgs],
            no_org: None,
        }
    }

    fn add(&mut self, entry: &Entry, verdict: &Verdict) {
        self.status.add(verdict.status);
        for code in verdict.codes().iter() {
            self.codes[code as usize] += 1;
        }
        match entry.org() {
            Some(org) => self.per_org[org.0 as usize].add(verdict.status),
            None => self.no_org.get_or_insert_default().add(verdict.status),
        }
    }

    fn merge(mut self, other: Counts) -> Counts {
        self.status.merge(other.status);
        for (n, more) in self.codes.iter_mut().zip(other.codes) {
            *n += more;
        }
        for (counts, more) in self.per_org.iter_mut().zip(other.per_org) {
            counts.merge(more);
        }
        if let Some(more) = other.no_org {
            self.no_org.get_or_insert_default().merge(more);
        }
        self
    }
}

/// summary.json's `graph`: the lines of graph-requests.jsonl, per organization,
/// and the result.csv lines of reassigned users left without one.
#[derive(Debug, Default, Serialize)]
pub struct Graph {
    pub requests: u64,
    pub organizations: BTreeMap<String, u64>,
    pub skipped: Vec<u64>,
}

/// summary.json, and what `--json` prints.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub version: &'static str,
    /// Data rows read per input file.
    pub inputs: RowCounts,
    pub planned: u64,
    pub status: StatusCounts,
    /// Code → users carrying it, in the order of SPEC's tables.
    #[serde(serialize_with = "ordered")]
    pub codes: Vec<(&'static str, u64)>,
    /// Organization name → status counts; users with no known organization under "".
    pub organizations: BTreeMap<String, StatusCounts>,
    #[serde(serialize_with = "ordered")]
    pub actions: Vec<(&'static str, u64)>,
    pub unmatched_plan_rows: Vec<u64>,
    /// License text as first spelled → users holding it, held by the most first.
    #[serde(serialize_with = "ordered")]
    pub unknown_licenses: Vec<(String, u64)>,
    /// What graph-requests.jsonl holds; filled in as it is written.
    pub graph: Graph,
    pub costs: Costs,
    pub audit: Audit,
    pub elapsed_ms: u64,
}

/// A list of pairs as a JSON object, in the list's order.
pub(crate) fn ordered<S: Serializer, K: Serialize, V: Serialize>(
    pairs: &[(K, V)],
    s: S,
) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(pairs.len()))?;
    for (k, v) in pairs {
        map.serialize_entry(k, v)?;
    }
    map.end()
}

impl Summary {
    pub fn of(p: &Processed, settings: &Settings, invocation: &Invocation) -> Summary {
        let orgs = p.tenant.orgs.len();
        // Sums, in any order: counted in parallel.
        let Counts {
            status,
            codes,
            per_org,
            no_org,
        } = p
            .expansion
            .entries
            .par_iter()
            .zip(&p.verdicts)
            .with_min_len(1 << 16)
            .fold(
                || Counts::new(orgs),
                |mut counts, (entry, verdict)| {
                    counts.add(entry, verdict);
                    counts
                },
            )
            .reduce(|| Counts::new(orgs), Counts::merge);
        let mut organizations: BTreeMap<String, StatusCounts> = per_org
            .into_iter()
            .enumerate()
            .filter(|(_, c)| *c != StatusCounts::default())
            .map(|(o, c)| (p.tenant.orgs.name(OrgId(o as u32)).to_string(), c))
            .collect();
        if let Some(counts) = no_org {
            organizations.insert(String::new(), counts);
        }
        Summary {
            version: env!("CARGO_PKG_VERSION"),
            inputs: p.tenant.rows,
            planned: p.verdicts.len() as u64,
            status,
            codes: Code::ALL
                .iter()
                .filter(|c| codes[**c as usize] > 0)
                .map(|c| (c.as_str(), codes[*c as usize]))
                .collect(),
            organizations,
            actions: ActionKind::ALL
                .iter()
                .map(|k| {
                    (
                        k.as_str(),
                        p.actions.iter().filter(|a| a.kind == *k).count() as u64,
                    )
                })
                .collect(),
            unmatched_plan_rows: p.expansion.unmatched.clone(),
            unknown_licenses: p
                .tenant
                .unknown_licenses
                .iter()
                .map(|u| (u.text.clone(), u.users))
                .collect(),
            graph: Graph::default(),
            costs: Costs::of(p),
            audit: Audit::of(p, settings, invocation),
            elapsed_ms: p.started.elapsed().as_millis() as u64,
        }
    }

    /// The few lines `run` prints.
    pub fn text(&self) -> String {
        let mut s = format!(
            "{} planned users: {} reassigned, {} unchanged, {} error\n",
            self.planned, self.status.reassigned, self.status.unchanged, self.status.error
        );
        for (code, n) in &self.codes {
            let _ = writeln!(s, "  {code}: {n}");
        }
        let actions: Vec<String> = self
            .actions
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if !actions.is_empty() {
            let _ = writeln!(s, "subscriptions: {}", actions.join(", "));
        }
        let graph = &self.graph;
        if graph.requests > 0 || !graph.skipped.is_empty() {
            let _ = write!(s, "Graph requests: {}", graph.requests);
            if !graph.skipped.is_empty() {
                let _ = write!(s, "; reassigned users without one: {}", graph.skipped.len());
            }
            s.push('\n');
        }
        s
    }
}

/// How many users `check` names per code.
const EXAMPLES: usize = 5;

/// `check`'s findings: per code, in table order, the count and the first users.
pub fn findings(p: &Processed, summary: &Summary) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{} planned users: {} would be reassigned, {} unchanged, {} error",
        summary.planned, summary.status.reassigned, summary.status.unchanged, summary.status.error
    );
    for code in Code::ALL {
        let mut carriers = p
            .expansion
            .entries
            .iter()
            .zip(&p.verdicts)
            .filter(|(_, v)| v.codes().contains(code));
        let shown: Vec<&str> = carriers
            .by_ref()
            .take(EXAMPLES)
            .map(|(e, _)| user_text(p, e))
            .collect();
        if shown.is_empty() {
            continue;
        }
        let more = carriers.count();
        let _ = write!(s, "{code}: {} ({}", shown.len() + more, shown.join(", "));
        if more > 0 {
            let _ = write!(s, ", and {more} more");
        }
        let _ = writeln!(s, ")");
    }
    let unknown = &p.tenant.unknown_licenses;
    if !unknown.is_empty() {
        let _ = writeln!(
            s,
            "unknown licenses (not in the catalog nor in subscriptions.csv): {}",
            unknown.len()
        );
        for u in unknown {
            let _ = writeln!(
                s,
                "  `{}`: {}, first {}",
                u.text,
                unknown::users(u.users),
                u.first_user
            );
        }
    }
    for action in &p.actions {
        if action.kind == ActionKind::Keep {
            continue;
        }
        let pool = &p.tenant.pools.list[action.pool];
        let _ = writeln!(
            s,
            "{} {} {}: {}",
            action.kind.as_str(),
            p.tenant.orgs.name(pool.org),
            p.tenant.products.name(&p.catalog, pool.product),
            action.reason
        );
    }
    s
}

fn user_text<'a>(p: &'a Processed, entry: &'a Entry) -> &'a str {
    match (entry.user(), &p.tenant.plan[entry.row()].target) {
        (Some(u), _) => p.tenant.users.upn(u),
        (None, Target::Named(name)) => name,
        (None, Target::Holders { .. }) => "*",
    }
}

/// One warning line per `*` row that matched nobody.
pub fn unmatched_warnings(p: &Processed, plan_file: &str) -> Vec<String> {
    p.expansion
        .unmatched
        .iter()
        .map(|line| {
            let row = p.tenant.plan.iter().find(|r| r.line == *line);
            let (from, scope) = match row {
                Some(r) => (
                    r.from.as_deref().unwrap_or(""),
                    match &r.target {
                        Target::Holders { organization: Some(o) } => format!(" in {o}"),
                        Target::Holders { organization: None } | Target::Named(_) => String::new(),
                    },
                ),
                None => ("", String::new()),
            };
            format!("warning: {plan_file}:{line}: this `*` row matches nobody: no user{scope} holds `{from}`")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::generated;

    #[test]
    fn counts_of_parts_merged_are_the_counts_of_all() {
        let (_dir, p) = generated(3000);
        let orgs = p.tenant.orgs.len();
        let count = |range: std::ops::Range<usize>| {
            let mut counts = Counts::new(orgs);
            for i in range {
                counts.add(&p.expansion.entries[i], &p.verdicts[i]);
            }
            counts
        };
        let planned = p.verdicts.len();
        let all = count(0..planned);
        let merged = count(0..1000).merge(count(1000..planned));
        assert_eq!(merged.status, all.status);
        assert_eq!(merged.codes, all.codes);
        assert_eq!(merged.per_org, all.per_org);
        assert_eq!(merged.no_org, all.no_org);
        // Not trivially equal: both parts hold users of every status and organization.
        assert!(all.status.reassigned > 0 && all.status.error > 0);
        assert!(all.per_org.iter().all(|c| c.reassigned + c.error > 1));
        assert_eq!(
            all.status.reassigned + all.status.unchanged + all.status.error,
            planned as u64
        );
    }
}
