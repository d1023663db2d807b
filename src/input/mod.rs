//! Reads the four input files into a [`Tenant`]: domains.csv, then subscriptions.csv
//! (organizations and pools), then users.csv (whose products resolve through their
//! organization's subscriptions), then plan.csv.

// Indices here may come from the files: `get` them, never index.
#![warn(clippy::indexing_slicing)]

pub mod domains;
pub mod plan;
pub mod prices;
pub mod subscriptions;
pub mod table;
pub mod users;

use rustc_hash::FxHashMap as HashMap;
use std::path::PathBuf;

use indicatif::ProgressBar;

use crate::audit::{Digest, DigestSlot};
use crate::catalog::{Catalog, Lookup};
use crate::error::InputError;
use crate::input::prices::Prices;
use crate::input::table::Source;
use crate::model::{Names, Orgs, PlanRef, Pools, Products, RowCounts, Tenant};

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
pub struct Digests {
    pub users: Digest,
    pub subscriptions: Digest,
    pub plan: Digest,
    pub domains: Option<Digest>,
    pub prices: Option<Digest>,
}

impl InputPaths {
    /// Every input file given.
    pub fn all(&self) -> impl Iterator<Item = &PathBuf> {
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
    let (domains, domains_digest) = match &paths.domains {
        Some(path) => {
            let (source, slot) = Source::open(path)?;
            (Some(domains::read(source)?), Some(slot))
        }
        None => (None, None),
    };
    let mut orgs = Orgs::default();
    let mut pools = Pools::default();
    let mut products = Products::new(catalog);
    let (source, subscriptions_digest) = Source::open(&paths.subscriptions)?;
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
    let (source, users_digest) = Source::open(&paths.users)?;
    let (users, names, user_rows, mut warnings) =
        users::read(source, &mut lookups, &orgs, &pools, &mut products, progress)?;
    let (source, plan_digest) = Source::open(&paths.plan)?;
    let (plan, plan_rows) = plan::read(source, &mut lookups)?;
    // Last: a price names a product and an organization the other files define.
    let (prices, price_rows, prices_digest) = match &paths.prices {
        Some(path) => {
            let (source, slot) = Source::open(path)?;
            let (prices, rows, more) = prices::read(source, &mut lookups, &orgs, &products)?;
            warnings.extend(more);
            (prices, Some(rows), Some(slot))
        }
        None => (Prices::default(), None, None),
    };
    let digest = |path: &PathBuf, slot: &DigestSlot| {
        slot.get().ok_or_else(|| InputError::Io {
            file: path.display().to_string(),
            source: std::io::Error::other("the file was not read to its end"),
        })
    };
    let optional = |path: &Option<PathBuf>, slot: Option<DigestSlot>| match (path, slot) {
        (Some(path), Some(slot)) => digest(path, &slot).map(Some),
        _ => Ok(None),
    };
    let digests = Digests {
        users: digest(&paths.users, &users_digest)?,
        subscriptions: digest(&paths.subscriptions, &subscriptions_digest)?,
        plan: digest(&paths.plan, &plan_digest)?,
        domains: optional(&paths.domains, domains_digest)?,
        prices: optional(&paths.prices, prices_digest)?,
    };
    let tenant = Tenant {
        products,
        orgs,
        pools,
        users,
        plan,
        rows: RowCounts {
            users: user_rows,
            subscriptions,
            plan: plan_rows,
            domains: domain_rows,
            prices: price_rows,
        },
        warnings,
        prices,
        digests,
    };
    Ok((tenant, names))
}

/// Product names already looked up: exports repeat the same few names on every row.
pub struct Lookups<'c> {
    catalog: &'c Catalog,
    /// Text as written → index in `found`: one hash per cell on the common path.
    seen: HashMap<String, usize>,
    found: Vec<Lookup>,
    /// Service plans by the text as written.
    plans: HashMap<String, PlanRef>,
}

impl<'c> Lookups<'c> {
    pub fn new(catalog: &'c Catalog) -> Lookups<'c> {
        Lookups {
            catalog,
            seen: HashMap::default(),
            found: Vec::new(),
            plans: HashMap::default(),
        }
    }

    pub fn catalog(&self) -> &'c Catalog {
        self.catalog
    }

    /// The service plan named `text`, as [`PlanRef::new`] finds it.
    pub fn plan(&mut self, text: &str) -> PlanRef {
        if let Some(plan) = self.plans.get(text) {
            return plan.clone();
        }
        let plan = PlanRef::new(self.catalog, text);
        self.plans.insert(text.to_string(), plan.clone());
        plan
    }

    #[allow(
        clippy::indexing_slicing,
        reason = "`seen` holds only indices of `found`"
    )]
    pub fn get(&mut self, text: &str) -> &Lookup {
        let i = match self.seen.get(text) {
            Some(&i) => i,
            None => {
                self.found.push(self.catalog.lookup(text));
                self.seen.insert(text.to_string(), self.found.len() - 1);
                self.found.len() - 1
            }
        };
        &self.found[i]
    }
}

/// `true`/`false`/`yes`/`no`/`1`/`0`, any case; `None` for anything else.
pub fn yes_no(cell: &str) -> Option<bool> {
    let is = |words: [&str; 3]| words.iter().any(|w| cell.eq_ignore_ascii_case(w));
    if is(["true", "yes", "1"]) {
        Some(true)
    } else if is(["false", "no", "0"]) {
        Some(false)
    } else {
        None
    }
}

/// A count: plain digits only (`1,000` and `1e3` are refused).
pub fn parse_count(cell: &str) -> Option<u64> {
    if cell.is_empty() || !cell.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    cell.parse().ok()
}

/// Products joined by `+`; a `+` with a space on either side belongs to a name
/// (`Enterprise Mobility + Security E5`).
pub fn split_products(cell: &str) -> impl Iterator<Item = &str> {
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
        assert_eq!(yes_no("maybe"), None);
    }
}
