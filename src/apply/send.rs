//! The sending loop, a thin shell around [`Batch`]: up to 4 batches in flight, each
//! carried to Graph and back round after round, waiting and taking fresh tokens
//! as it asks, and journaled as soon as it is over. Time comes in through a
//! [`Clock`], so that waits can be tested without waiting.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use indicatif::ProgressBar;

use super::batch::{self, Batch, Ended, Next, Phase};
use super::decide::{self, Answer, NETWORK_RETRIES, THROTTLED_IN_A_ROW, Wait};
use super::graph::{Graph, GraphUrl, NoAnswer};
use super::journal::Journal;
use super::requests::Request;
use super::token::{Source, Token};
use crate::error::Error;

/// Batches in flight at once: Graph's directory write limits make more pointless.
pub const IN_FLIGHT: usize = 4;

/// The time of day and waiting.
pub trait Clock: Sync {
    fn now(&self) -> SystemTime;
    fn sleep(&self, wait: Wait);
}

/// The system's clock; backoffs may be scaled down (tests against a stand-in on
/// this machine only: see `cli`), Graph's `Retry-After` never is.
pub struct SystemClock {
    pub scale: f64,
}

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn sleep(&self, wait: Wait) {
        std::thread::sleep(wait.duration(self.scale));
    }
}

/// The variable by which the tests shorten waits (left out of the documentation).
pub const WAIT_SCALE: &str = "REPLAN_TEST_WAIT_SCALE";

/// How much of each wait to wait: all of it, unless [`WAIT_SCALE`] says less and
/// Graph is a stand-in on this machine. Graph's own `Retry-After` is always
/// honoured in full.
pub fn wait_scale(variable: Option<&str>, graph: &GraphUrl) -> f64 {
    let scale = variable
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| (0.0..=1.0).contains(s));
    match scale {
        Some(scale) if graph.is_loopback() => scale,
        _ => 1.0,
    }
}

/// One organization's tokens, shared by the batches in flight: a 401 seen by
/// several of them takes one fresh token, not one each.
pub struct Tokens<'a> {
    source: &'a Source,
    organization: &'a str,
    /// The token and how many fresh ones were taken before it.
    current: Mutex<(Token, u64)>,
}

impl<'a> Tokens<'a> {
    pub fn new(source: &'a Source, organization: &'a str) -> Result<Tokens<'a>, String> {
        let token = source.token(organization)?;
        Ok(Tokens {
            source,
            organization,
            current: Mutex::new((token, 0)),
        })
    }

    pub fn get(&self) -> (Token, u64) {
        match self.current.lock() {
            Ok(current) => current.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// A fresh token, unless one was taken since `seen` was handed out.
    pub fn refresh(&self, seen: u64) -> Result<(), String> {
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if current.1 == seen {
            *current = (self.source.token(self.organization)?, seen + 1);
        }
        Ok(())
    }
}

/// What the loop shares between its batches.
pub struct Shell<'a> {
    pub graph: &'a Graph,
    pub clock: &'a dyn Clock,
    pub journal: &'a Mutex<Journal>,
    pub bar: &'a ProgressBar,
    /// Why the apply stopped, once it has.
    pub stopped: &'a Mutex<Option<String>>,
}

impl Shell<'_> {
    /// Stops the apply: no batch starts after this.
    pub fn stop_with(&self, why: String) {
        let mut stopped = self.stopped.lock().unwrap_or_else(|p| p.into_inner());
        stopped.get_or_insert(why);
    }

    pub fn is_stopped(&self) -> bool {
        self.stopped
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    /// Journals these outcomes now.
    pub fn journal<'r>(
        &self,
        ended: impl IntoIterator<Item = (&'r Request, &'r Ended)>,
    ) -> Result<(), Error> {
        let mut journal = self.journal.lock().unwrap_or_else(|p| p.into_inner());
        journal.append(ended, self.clock.now())
    }

    /// The organization's verified domains (`GET /organization`), or why the
    /// apply stops.
    pub fn verified_domains(&self, tokens: &Tokens<'_>) -> Result<Vec<String>, String> {
        let path = "/organization?$select=id,displayName,verifiedDomains";
        let (mut refreshed, mut throttled, mut network) = (false, 0, 0);
        loop {
            let (token, seen) = tokens.get();
            let wait = match self.graph.get(&token, path) {
                Err(NoAnswer(e)) => {
                    network += 1;
                    if network > NETWORK_RETRIES {
                        return Err(format!("network error {network} times in a row: {e}"));
                    }
                    Wait::backoff(network)
                }
                Ok(reply) => {
                    let answer = decide::answer(
                        reply.status,
                        reply.retry_after.as_deref(),
                        Some(&reply.body),
                    );
                    match answer {
                        Answer::Ok { .. } => return Ok(decide::verified_domains(&reply.body)),
                        Answer::Throttled { retry_after } => {
                            throttled += 1;
                            if throttled >= THROTTLED_IN_A_ROW {
                                return Err(format!("throttled {throttled} times in a row"));
                            }
                            Wait::throttled(retry_after, throttled)
                        }
                        Answer::Unauthorized if !refreshed => {
                            refreshed = true;
                            tokens.refresh(seen)?;
                            Wait::NONE
                        }
                        Answer::Unauthorized => {
                            return Err("Graph refused the token (401)".to_string());
                        }
                        Answer::Failed {
                            status,
                            code,
                            message,
                        } => {
                            return Err(format!(
                                "Graph answered {status} {code}: {message} (the token needs Organization.Read.All)"
                            ));
                        }
                    }
                }
            };
            self.clock.sleep(wait);
        }
    }

    /// Sends one organization's requests, in batches of at most 20 in file order,
    /// at most [`IN_FLIGHT`] at once. Returns each request's outcome, in order:
    /// `None` for those the apply stopped before.
    pub fn send(
        &self,
        requests: &[&Request],
        tokens: &Tokens<'_>,
    ) -> Result<Vec<Option<Ended>>, Error> {
        let chunks: Vec<&[&Request]> = requests.chunks(batch::SIZE).collect();
        let next = AtomicUsize::new(0);
        let results: Mutex<Vec<Option<Vec<Option<Ended>>>>> = Mutex::new(vec![None; chunks.len()]);
        let failure: Mutex<Option<Error>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..IN_FLIGHT.min(chunks.len()) {
                scope.spawn(|| {
                    while !self.is_stopped() {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(chunk) = chunks.get(k) else { break };
                        match self.batch(chunk, tokens) {
                            Ok(ended) => {
                                let mut results = results.lock().unwrap_or_else(|p| p.into_inner());
                                if let Some(slot) = results.get_mut(k) {
                                    *slot = Some(ended);
                                }
                            }
                            Err(e) => {
                                self.stop_with(e.to_string());
                                failure
                                    .lock()
                                    .unwrap_or_else(|p| p.into_inner())
                                    .get_or_insert(e);
                            }
                        }
                    }
                });
            }
        });
        if let Some(e) = failure.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        let results = results.into_inner().unwrap_or_else(|p| p.into_inner());
        Ok(chunks
            .iter()
            .zip(results)
            .flat_map(|(chunk, ended)| ended.unwrap_or_else(|| vec![None; chunk.len()]))
            .collect())
    }

    /// One batch, round after round until each user has an outcome or the apply
    /// stops; journaled before it returns.
    fn batch(
        &self,
        requests: &[&Request],
        tokens: &Tokens<'_>,
    ) -> Result<Vec<Option<Ended>>, Error> {
        let mut batch = Batch::new(requests.iter().copied());
        loop {
            let (token, seen) = tokens.get();
            for phase in [Phase::Read, Phase::Write] {
                let Some(body) = batch.build(phase) else {
                    continue;
                };
                match self.graph.post(&token, "/$batch", &body) {
                    Ok(reply) => batch.take(
                        phase,
                        reply.status,
                        reply.retry_after.as_deref(),
                        &reply.body,
                    ),
                    Err(NoAnswer(e)) => batch.network_error(phase, &e),
                }
            }
            match batch.after_round() {
                Next::Finished => break,
                Next::Stop(why) => {
                    self.stop_with(why);
                    break;
                }
                Next::Round { refresh, wait } => {
                    if refresh && let Err(why) = tokens.refresh(seen) {
                        self.stop_with(why);
                        break;
                    }
                    self.clock.sleep(wait);
                }
            }
        }
        let ended: Vec<(&Request, Option<Ended>)> = batch.ended().collect();
        self.journal(ended.iter().filter_map(|(r, e)| Some((*r, e.as_ref()?))))?;
        self.bar.inc(requests.len() as u64);
        Ok(ended.into_iter().map(|(_, e)| e).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_stand_in_on_this_machine_may_shorten_waits() {
        let local = GraphUrl::parse("http://127.0.0.1:8080").unwrap();
        let graph = GraphUrl::parse("https://graph.microsoft.com").unwrap();
        assert_eq!(wait_scale(Some("0"), &local), 0.0);
        assert_eq!(wait_scale(Some("0.25"), &local), 0.25);
        assert_eq!(wait_scale(None, &local), 1.0);
        assert_eq!(wait_scale(Some("0"), &graph), 1.0);
        // Never longer, never negative, never garbage.
        for text in ["2", "-1", "NaN", "inf", "fast"] {
            assert_eq!(wait_scale(Some(text), &local), 1.0, "{text}");
        }
    }
}
