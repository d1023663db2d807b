//! Reads the input files into a [`Tenant`]: domains.csv, then subscriptions.csv
//! (organizations and pools), then users.csv (whose products resolve through their
//! organization's subscriptions), then plan.csv, then prices.csv. Each file's size
//! and SHA-256 are taken as it is read.

// Indices here may come from the files: `get` them, never index.
#![warn(clippy::indexing_slicing)]

pub(crate) mod domains;
pub(crate) mod plan;
pub(crate) mod prices;
pub(crate) mod subscriptions;
pub(crate) mod table;
pub(crate) mod unknown;
pub(crate) mod users;

use std::path::PathBuf;

use indicatif::ProgressBar;

use crate::audit::{Digest, DigestSlot};
use crate::catalog::Catalog;
use crate::error::InputError;
use crate::input::prices::Prices;
use crate::input::table::Source;
use crate::model::{Names, Orgs, Pools, Products, RowCounts, Tenant};
use crate::resolve::Lookups;

/// Where each input file is.
#[derive(Clone, Debug)]
pub struct InputPaths {
    pub users: PathBuf,
    pub subscriptions: PathBuf,
    pub plan: PathBuf,
    pub domains: Option<PathBuf>,
    pub prices: Option<PathBuf>,
}

/// The size and SHA-256 of each input file, taken as it was read.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Digests {
    pub(crate) users: Digest,
    pub(crate) subscriptions: Digest,
    pub(crate) plan: Digest,
    pub(crate) domains: Option<Digest>,
    pub(crate) prices: Option<Digest>,
}

impl InputPaths {
    /// Every input file given.
    pub(crate) fn all(&self) -> impl Iterator<Item = &PathBuf> {
        [&self.users, &self.subscriptions, &self.plan]
            .into_iter()
            .chain(self.domains.as_ref())
            .chain(self.prices.as_ref())
    }
}

/// Reads every input, or says where the first unusable one is wrong. The users'
/// names come apart from the tenant: only the plan's expansion needs them.
/// `progress` follows the bytes of users.csv read, the one input that can be large.
pub fn read(
    paths: &InputPaths,
    catalog: &Catalog,
    progress: &ProgressBar,
) -> Result<(Tenant, Names), InputError> {
    let mut lookups = Lookups::new(catalog);
    let (domains, domains_slot) = match &paths.domains {
        Some(path) => {
            let (source, slot) = Source::open(path)?;
            (Some(domains::read(source)?), Some(slot))
        }
        None => (None, None),
    };
    let mut orgs = Orgs::default();
    let mut pools = Pools::default();
    let mut products = Products::new(catalog);
    let (source, subscriptions_slot) = Source::open(&paths.subscriptions)?;
    let subscriptions = subscriptions::read(
        source,
        domains.as_ref(),
        &mut lookups,
        &mut orgs,
        &mut pools,
        &mut products,
    )?;
    let domain_rows = domains.as_ref().map(|d| d.rows);
    domains::register(domains, &mut orgs)?;
    let (source, users_slot) = Source::open(&paths.users)?;
    let mut users = users::read(source, &mut lookups, &orgs, &pools, &mut products, progress)?;
    let (source, plan_slot) = Source::open(&paths.plan)?;
    let (plan, plan_rows) = plan::read(source, &mut lookups)?;
    // Last: a price names a product and an organization the other files define.
    let (prices, price_rows, prices_slot) = match &paths.prices {
        Some(path) => {
            let (source, slot) = Source::open(path)?;
            let (prices, rows, warnings) = prices::read(source, &mut lookups, &orgs, &products)?;
            users.warnings.extend(warnings);
            (prices, Some(rows), Some(slot))
        }
        None => (Prices::default(), None, None),
    };
    let digests = Digests {
        users: whole(&paths.users, &users_slot)?,
        subscriptions: whole(&paths.subscriptions, &subscriptions_slot)?,
        plan: whole(&paths.plan, &plan_slot)?,
        domains: optional(&paths.domains, domains_slot)?,
        prices: optional(&paths.prices, prices_slot)?,
    };
    let tenant = Tenant {
        products,
        orgs,
        pools,
        users: users.users,
        plan,
        rows: RowCounts {
            users: users.rows,
            subscriptions,
            plan: plan_rows,
            domains: domain_rows,
            prices: price_rows,
        },
        warnings: users.warnings,
        unknown_licenses: users.unknown,
        prices,
        digests,
    };
    Ok((tenant, users.names))
}

/// The digest of a file read to its end.
fn whole(path: &std::path::Path, slot: &DigestSlot) -> Result<Digest, InputError> {
    slot.get().ok_or_else(|| InputError::Io {
        file: path.display().to_string(),
        source: std::io::Error::other("the file was not read to its end"),
    })
}

fn optional(
    path: &Option<PathBuf>,
    slot: Option<DigestSlot>,
) -> Result<Option<Digest>, InputError> {
    match (path, slot) {
        (Some(path), Some(slot)) => whole(path, &slot).map(Some),
        _ => Ok(None),
    }
}

/// `true`/`false`/`yes`/`no`/`1`/`0`, and PowerShell's `$true`/`$false`, any
/// case; `None` for anything else.
pub(crate) fn yes_no(cell: &str) -> Option<bool> {
    let is = |words: [&str; 4]| words.iter().any(|w| cell.eq_ignore_ascii_case(w));
    if is(["true", "yes", "1", "$true"]) {
        Some(true)
    } else if is(["false", "no", "0", "$false"]) {
        Some(false)
    } else {
        None
    }
}

/// A count: plain digits only (`1,000` and `1e3` are refused).
pub(crate) fn parse_count(cell: &str) -> Option<u64> {
    if cell.is_empty() || !cell.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    cell.parse().ok()
}

/// Products joined by `+`; a `+` with a space on either side belongs to a name
/// (`Enterprise Mobility + Security E5`).
pub(crate) fn split_products(cell: &str) -> impl Iterator<Item = &str> {
    let mut rest = cell;
    std::iter::from_fn(move || {
        while !rest.is_empty() {
            let cut = rest.match_indices('+').find(|&(i, _)| {
                !rest[..i].ends_with(char::is_whitespace)
                    && !rest[i + 1..].starts_with(char::is_whitespace)
            });
            let part = match cut {
                Some((i, _)) => {
                    let part = &rest[..i];
                    rest = &rest[i + 1..];
                    part
                }
                None => std::mem::take(&mut rest),
            };
            let part = table::clean(part);
            if !part.is_empty() {
                return Some(part);
            }
        }
        None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plus_with_spaces_belongs_to_the_name() {
        let got: Vec<_> =
            split_products("Enterprise Mobility + Security E5+Visio Plan 2+SPB").collect();
        assert_eq!(
            got,
            ["Enterprise Mobility + Security E5", "Visio Plan 2", "SPB"]
        );
        let got: Vec<_> = split_products("A +B+ C+D").collect();
        assert_eq!(got, ["A +B+ C", "D"]);
    }

    #[test]
    fn counts_are_plain_digits() {
        assert_eq!(parse_count("25"), Some(25));
        for bad in [
            "",
            "1,000",
            "1e3",
            "-1",
            "+3",
            "2.0",
            "99999999999999999999999",
        ] {
            assert_eq!(parse_count(bad), None, "{bad}");
        }
    }

    #[test]
    fn booleans() {
        assert_eq!(yes_no("TRUE"), Some(true));
        assert_eq!(yes_no("No"), Some(false));
        assert_eq!(yes_no("0"), Some(false));
        assert_eq!(yes_no("$False"), Some(false));
        assert_eq!(yes_no("$TRUE"), Some(true));
        assert_eq!(yes_no("$yes"), None);
        assert_eq!(yes_no("maybe"), None);
    }
}
