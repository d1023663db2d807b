//! The one human sentence of each result row.

use std::fmt::{self, Write};

use crate::codes::Code;
use crate::model::{Mode, OrgId, PlanRow, Target};
use crate::resolve::{self, Resolved, key};
use crate::rules::{self, Status, Verdict};
use crate::run::{Processed, RowEnds};

/// Writes the `message` of result row `i` into `out`, which is cleared first (a
/// million rows reuse one buffer).
pub fn message(p: &Processed, i: usize, ends: &RowEnds<'_>, out: &mut String) {
    let verdict = &p.verdicts[i];
    let (to, from_product) = (ends.to_name, ends.from);
    out.clear();
    let mut parts = Sentence { out };
    match verdict.status {
        Status::Reassigned => {
            let row = &p.tenant.plan[p.expansion.entries[i].row()];
            match (row.mode, from_product) {
                (Mode::ReplaceAll, _) => say!(parts, "replaced every direct license with {to}"),
                (Mode::Swap, Some(_)) => say!(parts, "moved from {} to {to}", ends.from_name),
                (Mode::Swap, None) => say!(parts, "added {to}"),
            }
        }
        Status::Unchanged => {
            if from_product.is_some() {
                say!(
                    parts,
                    "already holds {to} and not {}: nothing to do",
                    ends.from_name
                )
            } else {
                say!(parts, "already holds {to}: nothing to do")
            }
        }
        Status::Error => {}
    }
    for code in verdict.codes().iter() {
        explain(&mut parts, p, i, ends, code);
    }
    parts.end();
}

/// The clause that explains `code` on result row `i`: why the rule that made it
/// found it, asked of the functions that made it.
fn explain(parts: &mut Sentence<'_>, p: &Processed, i: usize, ends: &RowEnds<'_>, code: Code) {
    let (entry, verdict) = (&p.expansion.entries[i], &p.verdicts[i]);
    let tenant = &p.tenant;
    let row = &tenant.plan[entry.row()];
    let org = entry.org();
    let org_name = org.map_or("", |o| tenant.orgs.name(o));
    let (from, to) = (ends.from_name, ends.to_name);
    let to_pool = || org.zip(ends.to).and_then(|(o, t)| tenant.pools.get(o, t));
    match code {
        Code::DuplicateUser | Code::AmbiguousPlan => {
            let other = entry.conflict.map_or(0, |c| c.line(tenant));
            let rows = if code == Code::DuplicateUser {
                "rows"
            } else {
                "`*` rows"
            };
            say!(
                parts,
                "the plan's {rows} on lines {} and {other} give this user different moves: keep one",
                row.line
            )
        }
        // Clauses open with prose, not with a name: the capital letter of the
        // sentence must not respell a user or a product.
        Code::UserNotFound => say!(parts, "there is no {} in users.csv", user_text(row)),
        Code::OrganizationUnknown => say!(
            parts,
            "no organization owns the domain of {}: add it to domains.csv",
            entry.user().map_or("", |u| tenant.users.upn(u))
        ),
        Code::UnknownProduct => {
            let texts = sides(p, row, org, code);
            say!(
                parts,
                "the catalog has no product named {}",
                texts.join(" or ")
            )
        }
        Code::AmbiguousProduct => {
            let texts = sides(p, row, org, code);
            let (names, are) = if texts.len() == 1 {
                ("name", "is")
            } else {
                ("names", "are each")
            };
            say!(
                parts,
                "the display {names} {} {are} shared by several products and {org_name} subscribes to none or several of them: name it by SKU part number",
                texts.join(" and ")
            )
        }
        Code::SourceNotHeld => say!(parts, "the user does not hold {from}"),
        Code::GroupInherited => say!(
            parts,
            "{from} comes to the user through a group: change the group's licenses instead"
        ),
        Code::UnknownServicePlan => {
            let bad: Vec<&str> = ends
                .to
                .map(|to| {
                    rules::not_service_plans_of(&p.catalog, &tenant.products, to, &row.disable)
                })
                .into_iter()
                .flatten()
                .map(|plan| plan.name(&p.catalog))
                .collect();
            say!(parts, "{to} has no service plan named {}", bad.join(" or "))
        }
        Code::DowngradeBackupRequired => match verdict.status {
            Status::Error => say!(
                parts,
                "the move loses {}: back up the user's data, then run without --strict",
                lost(verdict)
            ),
            Status::Reassigned | Status::Unchanged => say!(
                parts,
                "back up the user's data first: the move loses {}",
                lost(verdict)
            ),
        },
        Code::TargetNotListed => say!(
            parts,
            "no organization has a {to} subscription: buy one for {org_name}"
        ),
        Code::TargetOtherOrganization => {
            let others: Vec<&str> = ends
                .to
                .map(|t| tenant.pools.holders(t))
                .unwrap_or_default()
                .iter()
                .map(|&o| tenant.orgs.name(o))
                .collect();
            say!(
                parts,
                "{to} is subscribed only by {}, not by {org_name}: subscriptions cannot cross organization boundaries, buy {to} for {org_name}",
                others.join(", ")
            )
        }
        Code::TargetInactive => {
            let status = to_pool().map_or("", |pool| tenant.pools.list[pool].status.as_str());
            if status.eq_ignore_ascii_case("warning") {
                say!(
                    parts,
                    "the {to} subscription of {org_name} is in its grace period (Warning): renew it before moving users onto it"
                )
            } else {
                say!(
                    parts,
                    "the {to} subscription of {org_name} is {status}, not active: reactivate it or buy a new one"
                )
            }
        }
        Code::MissingUsageLocation => say!(
            parts,
            "the user has no usage location, which Microsoft requires for any license assignment"
        ),
        Code::NotEnoughLicenses => match to_pool() {
            Some(pool) => {
                let (tally, pool) = (&p.tallies[pool], &tenant.pools.list[pool]);
                say!(
                    parts,
                    "not enough {to} licenses in {org_name}: {} available for {} users, buy {} more",
                    tally.available(pool).max(0),
                    tally.wanted(),
                    tally.licenses_to_buy(pool)
                )
            }
            None => say!(parts, "not enough {to} licenses in {org_name}"),
        },
        Code::SourceInactive => say!(
            parts,
            "the {from} subscription of {org_name} is not listed or not active"
        ),
        Code::SignInBlocked => say!(parts, "sign-in is blocked for this user"),
    }
}

fn user_text(row: &PlanRow) -> &str {
    match &row.target {
        Target::Named(name) => name,
        Target::Holders { .. } => "*",
    }
}

/// The data services the move loses, `, `-separated.
fn lost(verdict: &Verdict) -> Join<impl Iterator<Item = &'static str> + Clone> {
    Join(verdict.change.iter().flat_map(|c| c.lost.names()), ", ")
}

/// Items shown with a separator between them, without collecting them first.
struct Join<I>(I, &'static str);

impl<'a, I: Iterator<Item = &'a str> + Clone> fmt::Display for Join<I> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, item) in self.0.clone().enumerate() {
            if n > 0 {
                f.write_str(self.1)?;
            }
            f.write_str(item)?;
        }
        Ok(())
    }
}

/// The plan's `From`/`To` texts that get `code` (`unknown-product` or
/// `ambiguous-product`) for a user of `org`, as [`resolve::catalog_product`] decides.
fn sides<'a>(p: &'a Processed, row: &'a PlanRow, org: Option<OrgId>, code: Code) -> Vec<&'a str> {
    let mut texts: Vec<&str> = Vec::new();
    let ends = resolve::ends(&p.tenant.pools, row, org);
    let sides: [(Option<Resolved>, &str); 2] = [
        (ends.from, row.from.as_deref().unwrap_or("")),
        (Some(ends.to), &row.to),
    ];
    for (resolved, text) in sides {
        if let Some(resolved) = resolved
            && resolve::catalog_product(&p.tenant.products, resolved) == Err(code)
            && !texts.iter().any(|t| key(t) == key(text))
        {
            texts.push(text);
        }
    }
    texts
}

/// Clauses joined into one sentence as they come: `; `-separated, the first
/// letter capitalized, with a full stop.
struct Sentence<'a> {
    out: &'a mut String,
}

/// Adds a clause to a [`Sentence`].
macro_rules! say {
    ($sentence:expr, $($arg:tt)*) => {
        $sentence.say(format_args!($($arg)*))
    };
}
use say;

impl Sentence<'_> {
    fn say(&mut self, clause: fmt::Arguments<'_>) {
        if !self.out.is_empty() {
            self.out.push_str("; ");
        }
        // Writing into a String cannot fail.
        let _ = self.out.write_fmt(clause);
    }

    fn end(self) {
        let out = self.out;
        if let Some(first) = out.chars().next()
            && !first.is_uppercase()
        {
            if first.is_ascii() {
                out[..1].make_ascii_uppercase();
            } else {
                let upper: String = first.to_uppercase().collect();
                out.replace_range(..first.len_utf8(), &upper);
            }
        }
        out.push('.');
    }
}
