//! `replan apply`: sends the requests of `OUT/graph-requests.jsonl` to Microsoft
//! Graph, reading each user first, and journals every outcome in `OUT/applied.csv`
//! so that an apply that stopped resumes where it stopped.
//!
//! The decisions are pure and tested on values: what an answer means
//! ([`decide`]), where a batch of users stands ([`batch`]). Around them, a thin
//! shell: the requests file ([`requests`]), the journal ([`journal`]), tokens
//! ([`token`]), the HTTP client ([`graph`]) and the sending loop ([`send`]).

pub mod batch;
pub mod decide;
pub mod graph;
pub mod journal;
pub mod requests;
pub mod send;
pub mod token;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::Serialize;

use self::batch::Ended;
use self::decide::Outcome;
use self::graph::{Graph, GraphUrl};
use self::journal::{Earlier, Journal};
use self::requests::Request;
use self::send::{Clock, Shell, Tokens};
use self::token::Source;
use crate::error::Error;
use crate::exit::Exit;
use crate::lock::OutLock;
use crate::progress::Progress;

/// Resolved settings of `replan apply`.
#[derive(Debug)]
pub struct Settings {
    /// The output folder of `run`.
    pub out: PathBuf,
    /// `--organization`, as given; empty: the one the file holds.
    pub organizations: Vec<String>,
    /// `None` when neither `--token-command` nor `REPLAN_GRAPH_TOKEN` is given.
    pub tokens: Option<Source>,
    pub graph: GraphUrl,
    pub dry_run: bool,
}

/// Outcomes per organization, counting the journal's earlier rows too.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub applied: u64,
    #[serde(rename = "already-applied")]
    pub already_applied: u64,
    pub drifted: u64,
    pub failed: u64,
    #[serde(rename = "wrong-tenant")]
    pub wrong_tenant: u64,
    /// Requests without an outcome: never sent (the apply stopped), or, with
    /// `--dry-run`, not sent yet.
    #[serde(rename = "not-sent")]
    pub not_sent: u64,
    /// `--dry-run` only: the requests an apply would send now (all but the
    /// `applied` and `already-applied` ones).
    #[serde(rename = "to-send", skip_serializing_if = "Option::is_none")]
    pub to_send: Option<u64>,
}

impl Counts {
    fn add(&mut self, outcome: Option<Outcome>) {
        let n = match outcome {
            None => &mut self.not_sent,
            Some(Outcome::Applied) => &mut self.applied,
            Some(Outcome::AlreadyApplied) => &mut self.already_applied,
            Some(Outcome::Drifted) => &mut self.drifted,
            Some(Outcome::Failed) => &mut self.failed,
            Some(Outcome::WrongTenant) => &mut self.wrong_tenant,
        };
        *n += 1;
    }

    fn all_done(&self) -> bool {
        self.drifted + self.failed + self.wrong_tenant + self.not_sent == 0
    }
}

/// What an apply did.
#[derive(Debug, Serialize)]
pub struct Report {
    pub organizations: BTreeMap<String, Counts>,
    #[serde(rename = "exit_code", serialize_with = "code")]
    pub exit: Exit,
    #[serde(skip)]
    pub dry_run: bool,
    /// Why the apply stopped before the end, if it did.
    #[serde(skip)]
    pub stopped: Option<String>,
    /// The first users whose request did not end as planned, for stderr.
    #[serde(skip)]
    pub problems: Vec<String>,
}

impl Report {
    /// The counts, one line per organization.
    pub fn text(&self) -> String {
        let mut text = String::new();
        if self.organizations.is_empty() {
            text.push_str("nothing to apply: graph-requests.jsonl holds no request\n");
        }
        for (name, c) in &self.organizations {
            let _ = match c.to_send {
                Some(n) => writeln!(
                    text,
                    "{name}: {n} requests would be sent ({} applied, {} already-applied earlier)",
                    c.applied, c.already_applied
                ),
                None => writeln!(
                    text,
                    "{name}: {} applied, {} already-applied, {} drifted, {} failed, {} wrong-tenant, {} not sent",
                    c.applied, c.already_applied, c.drifted, c.failed, c.wrong_tenant, c.not_sent
                ),
            };
        }
        text
    }
}

fn code<S: serde::Serializer>(exit: &Exit, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u8(exit.code())
}

/// How many users' problems stderr names.
const SHOWN: usize = 10;

/// Runs `replan apply`.
pub fn apply(settings: &Settings, progress: &Progress, clock: &dyn Clock) -> Result<Report, Error> {
    let out = &settings.out;
    let requests_path = out.join(crate::output::GRAPH);
    if !requests_path.is_file() {
        return Err(Error::Usage(format!(
            "{} not found: `replan run --out {}` writes it",
            requests_path.display(),
            out.display()
        )));
    }
    // Taken before anything is read: the journal read is the one appended to.
    let _lock = if settings.dry_run {
        None
    } else {
        Some(OutLock::take(out)?)
    };
    let all = requests::read(&requests_path)?;
    let selected = select(&all, &settings.organizations)?;
    let journal_path = out.join(journal::FILE);
    let earlier = journal::read(&journal_path)?;
    let latest = latest(&earlier);
    let last = |r: &Request| {
        latest
            .get(&r.line)
            .and_then(|rows| rows.iter().rev().find(|e| e.is_of(r)))
            .map(|e| e.outcome)
    };
    let pending: Vec<&Request> = selected
        .iter()
        .copied()
        .filter(|r| !last(r).is_some_and(Outcome::is_done))
        .collect();

    if settings.dry_run {
        return Ok(dry_run(&selected, &last));
    }
    let (now, stopped) = if pending.is_empty() {
        (HashMap::new(), None)
    } else {
        send(settings, &pending, &journal_path, progress, clock)?
    };
    Ok(report(&selected, &last, &now, stopped))
}

/// An earlier outcome of a request, from the journal.
type Last<'a> = dyn Fn(&Request) -> Option<Outcome> + 'a;

/// What `--dry-run` prints: the journal's counts, and what an apply would send.
fn dry_run(selected: &[&Request], last: &Last<'_>) -> Report {
    let mut organizations: BTreeMap<String, Counts> = BTreeMap::new();
    for r in selected {
        let counts = organizations.entry(r.organization.clone()).or_default();
        counts.add(last(r));
        *counts.to_send.get_or_insert(0) += u64::from(!last(r).is_some_and(Outcome::is_done));
    }
    Report {
        organizations,
        exit: Exit::Success,
        dry_run: true,
        stopped: None,
        problems: Vec::new(),
    }
}

/// Sends the pending requests, organization after organization, and returns
/// their outcomes by line, and why the apply stopped if it did.
fn send(
    settings: &Settings,
    pending: &[&Request],
    journal_path: &Path,
    progress: &Progress,
    clock: &dyn Clock,
) -> Result<(HashMap<u64, Ended>, Option<String>), Error> {
    let source = settings.tokens.as_ref().ok_or_else(|| {
        Error::Usage(format!(
            "no token: give --token-command CMD or set {}",
            token::ENV
        ))
    })?;
    let groups = by_organization(pending);
    // The first token before anything is written: without one, the invocation is
    // unusable as it stands (exit 2, nothing sent or written).
    let mut first = match groups.first() {
        Some((organization, _)) => Some(Tokens::new(source, organization).map_err(Error::Usage)?),
        None => None,
    };
    let journal = Mutex::new(Journal::open(journal_path)?);
    let bar = progress.bar(pending.len() as u64, "applying");
    let stop = Mutex::new(None);
    let graph = Graph::new(settings.graph.clone());
    let shell = Shell {
        graph: &graph,
        clock,
        journal: &journal,
        bar: &bar,
        stopped: &stop,
    };
    let mut now = HashMap::new();
    for (organization, requests) in groups {
        let tokens = match first
            .take()
            .map_or_else(|| Tokens::new(source, organization), Ok)
        {
            Ok(tokens) => tokens,
            Err(why) => {
                shell.stop_with(why);
                break;
            }
        };
        let ended = match shell.verified_domains(&tokens) {
            Err(why) => {
                shell.stop_with(format!("{organization}: {why}"));
                break;
            }
            Ok(domains) if requests.iter().all(|r| decide::covers(&domains, &r.user)) => {
                shell.send(&requests, &tokens)?
            }
            Ok(_) => {
                let wrong = Ended {
                    outcome: Outcome::WrongTenant,
                    status: None,
                    code: String::new(),
                    message: String::new(),
                };
                shell.journal(requests.iter().map(|r| (*r, &wrong)))?;
                bar.inc(requests.len() as u64);
                vec![Some(wrong); requests.len()]
            }
        };
        for (r, e) in requests.iter().zip(ended) {
            if let Some(e) = e {
                now.insert(r.line, e);
            }
        }
        if shell.is_stopped() {
            break;
        }
    }
    bar.finish_and_clear();
    let stopped = stop.into_inner().unwrap_or_else(|p| p.into_inner());
    Ok((now, stopped))
}

/// The counts per organization, this apply's outcomes over the journal's.
fn report(
    selected: &[&Request],
    last: &Last<'_>,
    now: &HashMap<u64, Ended>,
    stopped: Option<String>,
) -> Report {
    let mut organizations: BTreeMap<String, Counts> = BTreeMap::new();
    let mut problems = Vec::new();
    for r in selected {
        let ended = now.get(&r.line);
        let outcome = ended.map(|e| e.outcome).or_else(|| last(r));
        organizations
            .entry(r.organization.clone())
            .or_default()
            .add(outcome);
        if let Some(e) = ended.filter(|e| !e.outcome.is_done())
            && problems.len() < SHOWN
        {
            problems.push(problem(r, e));
        }
    }
    let exit = if organizations.values().all(Counts::all_done) {
        Exit::Success
    } else {
        Exit::Findings
    };
    Report {
        organizations,
        exit,
        dry_run: false,
        stopped,
        problems,
    }
}

/// The requests of the organizations asked for (all of them when the file holds
/// one), in file order.
fn select<'r>(all: &'r [Request], asked: &[String]) -> Result<Vec<&'r Request>, Error> {
    let mut held: Vec<&str> = Vec::new();
    for r in all {
        if !held.iter().any(|h| h.eq_ignore_ascii_case(&r.organization)) {
            held.push(&r.organization);
        }
    }
    let list = |names: &[&str]| names.join(", ");
    if asked.is_empty() {
        if held.len() > 1 {
            return Err(Error::Usage(format!(
                "graph-requests.jsonl holds {} organizations ({}): choose with --organization NAME (each organization is a tenant with its own sign-in)",
                held.len(),
                list(&held)
            )));
        }
        return Ok(all.iter().collect());
    }
    for name in asked {
        if !held.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            return Err(Error::Usage(format!(
                "--organization {name}: graph-requests.jsonl holds no request for it (it holds: {})",
                list(&held)
            )));
        }
    }
    Ok(all
        .iter()
        .filter(|r| {
            asked
                .iter()
                .any(|a| a.eq_ignore_ascii_case(&r.organization))
        })
        .collect())
}

/// The journal's rows by line, in journal order.
fn latest(earlier: &[Earlier]) -> HashMap<u64, Vec<&Earlier>> {
    let mut by_line: HashMap<u64, Vec<&Earlier>> = HashMap::new();
    for e in earlier {
        by_line.entry(e.line).or_default().push(e);
    }
    by_line
}

/// The pending requests grouped by organization, organizations in file order.
fn by_organization<'r>(pending: &[&'r Request]) -> Vec<(&'r str, Vec<&'r Request>)> {
    let mut groups: Vec<(&str, Vec<&Request>)> = Vec::new();
    for &r in pending {
        match groups.iter_mut().find(|(o, _)| *o == r.organization) {
            Some((_, list)) => list.push(r),
            None => groups.push((&r.organization, vec![r])),
        }
    }
    groups
}

/// One line of stderr about a request that did not end as planned.
fn problem(r: &Request, e: &Ended) -> String {
    let what = match e.outcome {
        Outcome::Drifted => {
            "its licenses changed since the export: nothing sent (export and plan again)"
                .to_string()
        }
        Outcome::WrongTenant => {
            "the token's tenant does not own its domain: nothing sent".to_string()
        }
        _ => {
            let status = e.status.map(|s| s.to_string()).unwrap_or_default();
            format!("Graph answered {status} {}: {}", e.code, e.message)
        }
    };
    format!(
        "line {} {} ({}): {} — {what}",
        r.line,
        r.user,
        r.organization,
        e.outcome.as_str()
    )
}

/// The journal of `out`, for messages.
pub fn journal_path(out: &Path) -> PathBuf {
    out.join(journal::FILE)
}
