//! The one human sentence of each result row.

use crate::catalog::{Lookup, key};
use crate::codes::Code;
use crate::model::{Mode, PlanRef, Resolved};
use crate::rules::Status;
use crate::run::Processed;

/// The `message` of result row `i`.
pub fn message(p: &Processed, i: usize) -> String {
    let (entry, verdict) = (&p.expansion.entries[i], &p.verdicts[i]);
    let tenant = &p.tenant;
    let row = &tenant.plan[entry.row];
    let user = entry.user.map(|u| tenant.users.get(u));
    let org = user.and_then(|u| u.org);
    let org_name = org.map_or("", |o| tenant.orgs.name(o));
    let name = |product| tenant.products.name(&p.catalog, product);
    let from = verdict.from.map(name).or(row.from.as_deref()).unwrap_or("");
    let to = verdict.to.map(name).unwrap_or(&row.to);
    let mut parts: Vec<String> = Vec::new();
    match verdict.status {
        Status::Reassigned => {
            parts.push(match (row.mode, verdict.from) {
                (Mode::ReplaceAll, _) => format!("replaced every direct license with {to}"),
                (Mode::Swap, Some(_)) => format!("moved from {from} to {to}"),
                (Mode::Swap, None) => format!("added {to}"),
            });
            for code in verdict.warnings.iter() {
                parts.push(match code {
                    Code::DowngradeBackupRequired => format!(
                        "back up the user's data first: the move loses {}",
                        lost(verdict)
                    ),
                    Code::SourceInactive => {
                        format!("the {from} subscription of {org_name} is not listed or not active")
                    }
                    _ => "sign-in is blocked for this user".to_string(),
                });
            }
        }
        Status::Unchanged => parts.push(if verdict.from.is_some() {
            format!("already holds {to} and not {from}: nothing to do")
        } else {
            format!("already holds {to}: nothing to do")
        }),
        Status::Error => {
            for code in verdict.errors.iter() {
                parts.push(match code {
                    Code::DuplicateUser | Code::AmbiguousPlan => {
                        let other = entry.conflict.map_or(0, |c| c.line);
                        let rows = if code == Code::DuplicateUser { "rows" } else { "`*` rows" };
                        format!(
                            "the plan's {rows} on lines {} and {other} give this user different moves: keep one",
                            row.line
                        )
                    }
                    // Clauses open with prose, not with a name: the capital letter of the
                    // sentence must not respell a user or a product.
                    Code::UserNotFound => format!("there is no {} in users.csv", user_text(row)),
                    Code::OrganizationUnknown => format!(
                        "no organization owns the domain of {}: add it to domains.csv",
                        entry.user.map_or("", |u| tenant.users.upn(u))
                    ),
                    Code::UnknownProduct => {
                        let texts = sides(p, row, org, |r| r == Resolved::Unknown || matches!(r, Resolved::Product(x) if tenant.products.as_sku(x).is_none()));
                        format!("the catalog has no product named {}", texts.join(" or "))
                    }
                    Code::AmbiguousProduct => {
                        let texts = sides(p, row, org, |r| r == Resolved::Ambiguous);
                        let (names, are) = if texts.len() == 1 { ("name", "is") } else { ("names", "are each") };
                        format!(
                            "the display {names} {} {are} shared by several products and {org_name} subscribes to none or several of them: name it by SKU part number",
                            texts.join(" and ")
                        )
                    }
                    Code::SourceNotHeld => format!("the user does not hold {from}"),
                    Code::GroupInherited => format!(
                        "{from} comes to the user through a group: change the group's licenses instead"
                    ),
                    Code::UnknownServicePlan => {
                        let bad: Vec<&str> = row
                            .disable
                            .iter()
                            .filter(|plan| {
                                !matches!((plan, verdict.to.and_then(|t| tenant.products.as_sku(t))),
                                    (PlanRef::Known(x), Some(sku)) if p.catalog.contains(sku, *x))
                            })
                            .map(|plan| plan.name(&p.catalog))
                            .collect();
                        format!("{to} has no service plan named {}", bad.join(" or "))
                    }
                    Code::DowngradeBackupRequired => format!(
                        "the move loses {}: back up the user's data, then run without --strict",
                        lost(verdict)
                    ),
                    Code::TargetNotListed => format!(
                        "no organization has a {to} subscription: buy one for {org_name}"
                    ),
                    Code::TargetOtherOrganization => {
                        let others: Vec<&str> = verdict
                            .to
                            .map(|t| tenant.pools.holders(t))
                            .unwrap_or_default()
                            .iter()
                            .map(|&o| tenant.orgs.name(o))
                            .collect();
                        format!(
                            "{to} is subscribed only by {}, not by {org_name}: subscriptions cannot cross organization boundaries, buy {to} for {org_name}",
                            others.join(", ")
                        )
                    }
                    Code::TargetInactive => {
                        let status = org
                            .zip(verdict.to)
                            .and_then(|(o, t)| tenant.pools.get(o, t))
                            .map_or("", |pool| tenant.pools.list[pool].status.as_str());
                        if status.eq_ignore_ascii_case("warning") {
                            format!("the {to} subscription of {org_name} is in its grace period (Warning): renew it before moving users onto it")
                        } else {
                            format!("the {to} subscription of {org_name} is {status}, not active: reactivate it or buy a new one")
                        }
                    }
                    Code::MissingUsageLocation => "the user has no usage location, which Microsoft requires for any license assignment".to_string(),
                    Code::NotEnoughLicenses => {
                        let pool = org.zip(verdict.to).and_then(|(o, t)| tenant.pools.get(o, t));
                        match pool {
                            Some(pool) => {
                                let tally = &p.tallies[pool];
                                let total = &tenant.pools.list[pool];
                                let available = tally.available(total.total, total.assigned).max(0);
                                let wanted = tally.moved_in + tally.blocked;
                                format!(
                                    "not enough {to} licenses in {org_name}: {available} available for {wanted} users, buy {} more",
                                    (i128::from(wanted) - tally.available(total.total, total.assigned)).max(0)
                                )
                            }
                            None => format!("not enough {to} licenses in {org_name}"),
                        }
                    }
                    Code::SourceInactive | Code::SignInBlocked => code.to_string(),
                });
            }
        }
    }
    sentence(&parts)
}

fn user_text(row: &crate::model::PlanRow) -> &str {
    match &row.target {
        crate::model::Target::Named(name) => name,
        crate::model::Target::Holders { .. } => "*",
    }
}

fn lost(verdict: &crate::rules::Verdict) -> String {
    verdict
        .moved
        .as_ref()
        .map(|c| c.lost.names().collect::<Vec<_>>().join(", "))
        .unwrap_or_default()
}

/// The plan's `From`/`To` texts whose resolution for `org` matches `bad`.
fn sides<'a>(
    p: &'a Processed,
    row: &'a crate::model::PlanRow,
    org: Option<crate::model::OrgId>,
    bad: impl Fn(Resolved) -> bool,
) -> Vec<&'a str> {
    let mut texts: Vec<&str> = Vec::new();
    let sides: [(Option<&Lookup>, &str); 2] = [
        (row.from_lookup.as_ref(), row.from.as_deref().unwrap_or("")),
        (Some(&row.to_lookup), &row.to),
    ];
    for (lookup, text) in sides {
        if let Some(lookup) = lookup
            && bad(p.tenant.pools.resolve(lookup, org))
            && !texts.iter().any(|t| key(t) == key(text))
        {
            texts.push(text);
        }
    }
    texts
}

/// Joins clauses into one sentence: capitalized, `; `-separated, with a full stop.
fn sentence(parts: &[String]) -> String {
    let mut s = parts.join("; ");
    if let Some(first) = s.chars().next() {
        let upper: String = first.to_uppercase().collect();
        s.replace_range(..first.len_utf8(), &upper);
    }
    s.push('.');
    s
}
