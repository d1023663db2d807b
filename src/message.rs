//! The one human sentence of each result row.

use std::fmt::{self, Write};

use crate::codes::Code;
use crate::model::{Mode, OrgId, PlanRow, ServicePlanRef, Target};
use crate::resolve::{self, Resolved, key};
use crate::rules::{Status, Verdict};
use crate::run::{Processed, RowEnds};

/// Writes the `message` of result row `i` into `out`, which is cleared first (a
/// million rows reuse one buffer).
pub fn message(p: &Processed, i: usize, ends: &RowEnds<'_>, out: &mut String) {
    let (entry, verdict) = (&p.expansion.entries[i], &p.verdicts[i]);
    let tenant = &p.tenant;
    let row = &tenant.plan[entry.row()];
    let org = entry.org();
    let org_name = org.map_or("", |o| tenant.orgs.name(o));
    let (from, to) = (ends.from_name, ends.to_name);
    let (from_product, to_product) = (ends.from, ends.to);
    out.clear();
    let mut parts = Sentence { out };
    match verdict.status {
        Status::Reassigned => {
            match (row.mode, from_product) {
                (Mode::ReplaceAll, _) => say!(parts, "replaced every direct license with {to}"),
                (Mode::Swap, Some(_)) => say!(parts, "moved from {from} to {to}"),
                (Mode::Swap, None) => say!(parts, "added {to}"),
            }
            for code in verdict.codes().iter() {
                match code {
                    Code::DowngradeBackupRequired => say!(
                        parts,
                        "back up the user's data first: the move loses {}",
                        lost(verdict)
                    ),
                    Code::SourceInactive => {
                        say!(
                            parts,
                            "the {from} subscription of {org_name} is not listed or not active"
                        )
                    }
                    _ => say!(parts, "sign-in is blocked for this user"),
                }
            }
        }
        Status::Unchanged => {
            if from_product.is_some() {
                say!(parts, "already holds {to} and not {from}: nothing to do")
            } else {
                say!(parts, "already holds {to}: nothing to do")
            }
        }
        Status::Error => {
            for code in verdict.codes().iter() {
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
                    Code::UserNotFound => {
                        say!(parts, "there is no {} in users.csv", user_text(row))
                    }
                    Code::OrganizationUnknown => say!(
                        parts,
                        "no organization owns the domain of {}: add it to domains.csv",
                        entry.user().map_or("", |u| tenant.users.upn(u))
                    ),
                    Code::UnknownProduct => {
                        let texts = sides(p, row, org, |r| {
                            r == Resolved::Unknown
                                || matches!(r, Resolved::Product(x) if tenant.products.as_sku(x).is_none())
                        });
                        say!(
                            parts,
                            "the catalog has no product named {}",
                            texts.join(" or ")
                        )
                    }
                    Code::AmbiguousProduct => {
                        let texts = sides(p, row, org, |r| r == Resolved::Ambiguous);
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
                        let bad: Vec<&str> = row
                            .disable
                            .iter()
                            .filter(|plan| {
                                !matches!((plan, to_product.and_then(|t| tenant.products.as_sku(t))),
                                    (ServicePlanRef::Known(x), Some(sku)) if p.catalog.contains(sku, *x))
                            })
                            .map(|plan| plan.name(&p.catalog))
                            .collect();
                        say!(parts, "{to} has no service plan named {}", bad.join(" or "))
                    }
                    Code::DowngradeBackupRequired => say!(
                        parts,
                        "the move loses {}: back up the user's data, then run without --strict",
                        lost(verdict)
                    ),
                    Code::TargetNotListed => say!(
                        parts,
                        "no organization has a {to} subscription: buy one for {org_name}"
                    ),
                    Code::TargetOtherOrganization => {
                        let others: Vec<&str> = to_product
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
                        let status = org
                            .zip(to_product)
                            .and_then(|(o, t)| tenant.pools.get(o, t))
                            .map_or("", |pool| tenant.pools.list[pool].status.as_str());
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
                    Code::NotEnoughLicenses => {
                        let pool = org
                            .zip(to_product)
                            .and_then(|(o, t)| tenant.pools.get(o, t));
                        match pool {
                            Some(pool) => {
                                let tally = &p.tallies[pool];
                                let total = &tenant.pools.list[pool];
                                let available = tally.available(total.total, total.assigned).max(0);
                                let wanted = tally.moved_in + tally.blocked;
                                say!(
                                    parts,
                                    "not enough {to} licenses in {org_name}: {available} available for {wanted} users, buy {} more",
                                    (i128::from(wanted)
                                        - tally.available(total.total, total.assigned))
                                    .max(0)
                                )
                            }
                            None => say!(parts, "not enough {to} licenses in {org_name}"),
                        }
                    }
                    Code::SourceInactive | Code::SignInBlocked => say!(parts, "{code}"),
                }
            }
        }
    }
    parts.end();
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

/// The plan's `From`/`To` texts whose resolution for `org` matches `bad`.
fn sides<'a>(
    p: &'a Processed,
    row: &'a PlanRow,
    org: Option<OrgId>,
    bad: impl Fn(Resolved) -> bool,
) -> Vec<&'a str> {
    let mut texts: Vec<&str> = Vec::new();
    let ends = resolve::ends(&p.tenant.pools, row, org);
    let sides: [(Option<Resolved>, &str); 2] = [
        (ends.from, row.from.as_deref().unwrap_or("")),
        (Some(ends.to), &row.to),
    ];
    for (resolved, text) in sides {
        if let Some(resolved) = resolved
            && bad(resolved)
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
