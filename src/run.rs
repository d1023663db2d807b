//! The pipeline: read inputs (resolving products) → expand the plan → apply the
//! rules (in parallel) → count licenses → the actions. Writing is left to the caller ([`crate::output`]).

use std::path::PathBuf;
use std::time::Instant;

use rayon::prelude::*;

use crate::catalog::Catalog;
use crate::count::{self, Action, Tally};
use crate::error::Error;
use crate::exit::Exit;
use crate::expand::{self, Entry, Expansion};
use crate::input::{self, InputPaths};
use crate::model::{ProductId, Tenant};
use crate::progress::Progress;
use crate::reassign::Scratch;
use crate::resolve;
use crate::rules::{Rules, Status, Verdict};
use crate::services::DataServices;

/// Resolved, validated settings for `run` and `check`.
#[derive(Clone, Debug)]
pub struct Settings {
    pub inputs: InputPaths,
    /// `--catalog`; the built-in table when `None`.
    pub catalog: Option<PathBuf>,
    pub allow_partial: bool,
    pub strict: bool,
    /// Worker threads; rayon's default (one per core) when `None`.
    pub threads: Option<usize>,
}

/// Everything a run found, ready to be written or reported.
pub struct Processed {
    pub(crate) catalog: Catalog,
    pub(crate) tenant: Tenant,
    pub(crate) expansion: Expansion,
    /// One per entry of `expansion`, in plan order.
    pub(crate) verdicts: Vec<Verdict>,
    /// One per pool of `tenant.pools`.
    pub(crate) tallies: Vec<Tally>,
    pub(crate) actions: Vec<Action>,
    pub(crate) strict: bool,
    pub(crate) started: Instant,
}

/// `From` and `To` of a result row: the products they resolve to for the
/// user's organization ([`crate::resolve::ends`]), and their names as the outputs
/// show them (the plan's text where they do not resolve).
#[derive(Clone, Copy, Debug)]
pub(crate) struct RowEnds<'a> {
    pub(crate) from: Option<ProductId>,
    pub(crate) to: Option<ProductId>,
    pub(crate) from_name: &'a str,
    pub(crate) to_name: &'a str,
}

/// Rows evaluated between two steps of the progress bar.
const PROGRESS: usize = 256;

/// Rows evaluated per parallel task.
const CHUNK: usize = 2048;

/// The worker threads of a run: `--threads`, or one per core.
pub fn pool(settings: &Settings) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(settings.threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {:?} threads: {e}", settings.threads)))
}

/// Reads, checks and counts; writes nothing. Runs on the current rayon pool
/// ([`pool`]).
pub fn process(settings: &Settings, progress: &Progress) -> Result<Processed, Error> {
    let started = Instant::now();
    let users_size = std::fs::metadata(&settings.inputs.users).map_or(0, |m| m.len());
    let reading = progress.bytes(users_size, "reading");
    let catalog = match &settings.catalog {
        Some(path) => Catalog::load(path)?,
        None => Catalog::builtin()?,
    };
    let (tenant, names) = input::read(&settings.inputs, &catalog, &reading)?;
    reading.finish_and_clear();
    let services = DataServices::new(&catalog);
    let expansion = expand::expand(&tenant, &names);
    drop(names);
    let rules = Rules {
        catalog: &catalog,
        tenant: &tenant,
        services: &services,
        strict: settings.strict,
    };
    let bar = progress.bar(expansion.entries.len() as u64, "checking");
    // An indexed iterator collects straight into the vector (a flat_map would
    // collect into pieces, then copy: twice the verdicts' memory at the peak).
    let entries = &expansion.entries;
    let mut verdicts: Vec<Verdict> = entries
        .par_iter()
        .enumerate()
        .with_min_len(CHUNK)
        .map_init(Scratch::default, |scratch, (i, entry)| {
            tenant.users.warm_ahead(entries, i, Entry::user);
            if i % PROGRESS == 0 {
                bar.inc(PROGRESS.min(entries.len() - i) as u64);
            }
            rules.evaluate(entry, scratch)
        })
        .collect();
    bar.finish_and_clear();
    let tallies = count::settle(
        &tenant,
        &expansion.entries,
        &mut verdicts,
        settings.allow_partial,
    );
    let actions = count::actions(&tenant, &catalog, &tallies);
    Ok(Processed {
        catalog,
        tenant,
        expansion,
        verdicts,
        tallies,
        actions,
        strict: settings.strict,
        started,
    })
}

impl Processed {
    /// How many planned users the plan expanded to: one result row each.
    pub fn planned(&self) -> usize {
        self.verdicts.len()
    }

    /// `From` and `To` of planned user `i`, resolved once for all the row's cells.
    pub(crate) fn ends(&self, i: usize) -> RowEnds<'_> {
        let entry = &self.expansion.entries[i];
        let row = &self.tenant.plan[entry.row()];
        let (from, to) = resolve::ends(&self.tenant.pools, row, entry.org()).products();
        let name = |product| self.tenant.products.name(&self.catalog, product);
        RowEnds {
            from,
            to,
            from_name: from.map(name).or(row.from.as_deref()).unwrap_or(""),
            to_name: to.map(name).unwrap_or(&row.to),
        }
    }

    /// Whether any reassigned user carries a warning, or a `*` row matched nobody.
    pub(crate) fn has_warnings(&self) -> bool {
        !self.expansion.unmatched.is_empty()
            || self
                .verdicts
                .iter()
                .any(|v| v.status == Status::Reassigned && !v.codes().is_empty())
    }

    /// [`Exit::Success`]: every planned user reassigned or already done (and,
    /// with `--strict`, no warning); [`Exit::Findings`]: some errors, or warnings
    /// under `--strict`.
    pub fn exit_code(&self) -> Exit {
        let errors = self.verdicts.iter().any(|v| v.status == Status::Error);
        if errors || (self.strict && self.has_warnings()) {
            Exit::Findings
        } else {
            Exit::Success
        }
    }
}

/// A tenant that `replan generate` makes of `users` users, processed; the
/// folder holds its inputs.
#[cfg(test)]
pub(crate) fn generated(users: u64) -> (tempfile::TempDir, Processed) {
    use crate::generate::{self, Shape, Spec};

    let dir = tempfile::tempdir().unwrap();
    let spec = Spec {
        users,
        organizations: 3,
        seed: 7,
        shape: Shape::default(),
    };
    generate::generate(&spec, dir.path()).unwrap();
    let file = |name: &str| dir.path().join(name);
    let settings = Settings {
        inputs: InputPaths {
            users: file("users.csv"),
            subscriptions: file("subscriptions.csv"),
            plan: file("plan.csv"),
            domains: Some(file("domains.csv")),
            prices: Some(file("prices.csv")),
        },
        catalog: None,
        allow_partial: false,
        strict: false,
        threads: None,
    };
    let p = process(&settings, &Progress::hidden()).unwrap();
    (dir, p)
}
