//! One batch of at most 20 users, as a state machine without I/O: it builds the
//! JSON batches to send (the reads, then the writes of the users still exactly at
//! `before`), takes Graph's answers, and says what comes next (another round, a
//! wait, a fresh token, a stop) until every user has an outcome. The sending loop
//! ([`super::send`]) only carries its batches to Graph and back.

use serde_json::{Value, json};

use super::decide::{self, Answer, Check, NETWORK_RETRIES, Outcome, THROTTLED_IN_A_ROW, Wait};
use super::requests::Request;

/// Users per batch: JSON batching takes at most 20 requests.
pub const SIZE: usize = 20;

/// How a user's request ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    pub outcome: Outcome,
    /// The HTTP status that decided it; `None` for `wrong-tenant`.
    pub status: Option<u16>,
    /// Graph's error code and message: empty unless `failed`.
    pub code: String,
    pub message: String,
}

impl Ended {
    fn new(outcome: Outcome, status: u16) -> Ended {
        Ended {
            outcome,
            status: Some(status),
            code: String::new(),
            message: String::new(),
        }
    }

    fn failed(status: u16, code: String, message: String) -> Ended {
        Ended {
            outcome: Outcome::Failed,
            status: Some(status),
            code,
            message,
        }
    }
}

/// Which JSON batch a set of answers belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// `GET /users/KEY?$select=id,assignedLicenses`.
    Read,
    /// `POST /users/KEY/assignLicense`.
    Write,
}

#[derive(Clone, Debug, Default)]
struct State {
    /// What the user's next request is; `None` once ended.
    next: Option<Phase>,
    /// This apply sent the user's write: if they are now at `after`, it went
    /// through although Graph answered otherwise.
    wrote: bool,
    /// Throttled answers in a row to the user's read, and to their write: only an
    /// answer to the same request that is not throttled starts its row again (the
    /// read before each write does not end the write's).
    throttled_reads: u32,
    throttled_writes: u32,
    /// A fresh token was taken for this user's 401.
    refreshed: bool,
    /// Graph refused the user's write: the outcome, unless reading the user again
    /// shows the write (or one still on its way when an earlier apply was killed)
    /// went through after all.
    refused: Option<Ended>,
    ended: Option<Ended>,
}

impl State {
    /// The row of throttled answers to this phase's request.
    fn throttled(&mut self, phase: Phase) -> &mut u32 {
        match phase {
            Phase::Read => &mut self.throttled_reads,
            Phase::Write => &mut self.throttled_writes,
        }
    }
}

/// What the loop does after a round.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Next {
    /// Every user has an outcome.
    Finished,
    /// Send the next round, after taking a fresh token and waiting, if asked.
    Round { refresh: bool, wait: Wait },
    /// Give up (throttled or network errors too often): the apply stops, and the
    /// users without an outcome are left to the next apply.
    Stop(String),
}

/// One batch of users and where each of them stands.
#[derive(Debug)]
pub struct Batch<'a> {
    requests: Vec<&'a Request>,
    states: Vec<State>,
    network_errors: u32,
    /// What this round's answers asked for: the longest wait a throttled request
    /// needs (its `Retry-After`, else the backoff of its own row).
    throttled: Option<Wait>,
    refresh: bool,
    network: bool,
    stop: Option<String>,
}

impl<'a> Batch<'a> {
    /// At most [`SIZE`] requests.
    pub fn new(requests: impl IntoIterator<Item = &'a Request>) -> Batch<'a> {
        let requests: Vec<&'a Request> = requests.into_iter().collect();
        let state = State {
            next: Some(Phase::Read),
            ..State::default()
        };
        Batch {
            states: vec![state; requests.len()],
            requests,
            network_errors: 0,
            throttled: None,
            refresh: false,
            network: false,
            stop: None,
        }
    }

    /// The JSON batch of this phase's requests; `None` when none is due. Request
    /// ids are the users' places in the batch. Building the writes marks them
    /// sent: from then on a write may have gone through, whatever Graph answers.
    pub fn build(&mut self, phase: Phase) -> Option<Value> {
        let mut requests = Vec::new();
        for (i, (request, state)) in self.requests.iter().zip(&mut self.states).enumerate() {
            if state.next != Some(phase) {
                continue;
            }
            requests.push(match phase {
                Phase::Read => json!({
                    "id": i.to_string(),
                    "method": "GET",
                    "url": request.read_url(),
                }),
                Phase::Write => {
                    state.wrote = true;
                    json!({
                        "id": i.to_string(),
                        "method": "POST",
                        "url": request.url,
                        "headers": {"Content-Type": "application/json"},
                        "body": request.body,
                    })
                }
            });
        }
        (!requests.is_empty()).then(|| json!({ "requests": requests }))
    }

    /// Takes the answer to this phase's JSON batch: its status, `Retry-After`
    /// header and body.
    pub fn take(&mut self, phase: Phase, status: u16, retry_after: Option<&str>, body: &Value) {
        let responses = body.get("responses").and_then(Value::as_array);
        let whole = decide::answer(status, retry_after, Some(body));
        let responses = match (whole, responses) {
            (Answer::Ok { .. }, Some(responses)) => responses,
            // An answer that is not one (cut, garbled) is as good as none.
            (Answer::Ok { .. }, None) => {
                let why = "Graph's answer to a batch holds no responses";
                return self.network_error(phase, why);
            }
            (answer, _) => return self.each_due(phase, &answer, Some(body)),
        };
        let mut answered = vec![false; self.states.len()];
        for response in responses {
            let Some(i) = response
                .get("id")
                .and_then(Value::as_str)
                .and_then(|id| id.parse::<usize>().ok())
                .filter(|&i| self.states.get(i).is_some_and(|s| s.next == Some(phase)))
            else {
                continue;
            };
            let status = response
                .get("status")
                .and_then(Value::as_u64)
                .and_then(|s| u16::try_from(s).ok())
                .unwrap_or(0);
            let retry_after = response
                .get("headers")
                .and_then(|h| header(h, "retry-after"));
            let body = response.get("body");
            let answer = decide::answer(status, retry_after, body);
            if let Some(flag) = answered.get_mut(i) {
                *flag = true;
            }
            self.one(i, phase, answer, body);
        }
        // A request Graph did not answer is tried again, as if throttled.
        let missed = Answer::Throttled { retry_after: None };
        let due: Vec<usize> = (0..self.states.len())
            .filter(|&i| self.due(i, phase) && !answered.get(i).copied().unwrap_or(true))
            .collect();
        for i in due {
            self.one(i, phase, missed.clone(), None);
        }
    }

    /// This phase's JSON batch got no answer (connection refused or dropped, a
    /// timeout): a write may have gone through, so everyone is read again.
    pub fn network_error(&mut self, phase: Phase, error: &str) {
        self.network_errors += 1;
        self.network = true;
        for state in &mut self.states {
            if state.next == Some(phase) {
                state.next = Some(Phase::Read);
            }
        }
        if self.network_errors > NETWORK_RETRIES {
            self.stop = Some(format!(
                "network error {} times in a row: {error}",
                self.network_errors
            ));
        }
    }

    /// What comes after this round; starts the next.
    pub fn after_round(&mut self) -> Next {
        let mut wait = self.throttled.unwrap_or(Wait::NONE);
        if self.network {
            wait = wait.max(Wait::backoff(self.network_errors));
        }
        let next = match self.stop.take() {
            Some(why) => Next::Stop(why),
            None if self.states.iter().all(|s| s.next.is_none()) => Next::Finished,
            None => Next::Round {
                refresh: self.refresh,
                wait,
            },
        };
        self.throttled = None;
        self.refresh = false;
        self.network = false;
        next
    }

    /// How each user of the batch ended, in batch order; `None` for those still
    /// without an outcome (the apply stopped).
    pub fn ended(self) -> impl Iterator<Item = (&'a Request, Option<Ended>)> {
        self.requests
            .into_iter()
            .zip(self.states.into_iter().map(|s| s.ended))
    }

    fn due(&self, i: usize, phase: Phase) -> bool {
        self.states.get(i).is_some_and(|s| s.next == Some(phase))
    }

    /// The same answer for every user of this phase (Graph answered the batch as
    /// a whole).
    fn each_due(&mut self, phase: Phase, answer: &Answer, body: Option<&Value>) {
        let due: Vec<usize> = (0..self.states.len())
            .filter(|&i| self.due(i, phase))
            .collect();
        for i in due {
            self.one(i, phase, answer.clone(), body);
        }
    }

    /// Takes one user's answer.
    fn one(&mut self, i: usize, phase: Phase, answer: Answer, body: Option<&Value>) {
        let (Some(state), Some(request)) = (self.states.get_mut(i), self.requests.get(i).copied())
        else {
            return;
        };
        if !matches!(answer, Answer::Throttled { .. }) {
            *state.throttled(phase) = 0;
        }
        let end = |state: &mut State, ended: Ended| {
            state.next = None;
            state.ended = Some(ended);
        };
        match answer {
            Answer::Ok { status } => match phase {
                Phase::Write => end(state, Ended::new(Outcome::Applied, status)),
                Phase::Read => match decide::assigned(body) {
                    None => end(
                        state,
                        Ended::failed(
                            status,
                            String::new(),
                            "Graph's answer holds no assignedLicenses".into(),
                        ),
                    ),
                    Some(current) => match decide::check(&current, &request.before, &request.after)
                    {
                        Check::Send => match state.refused.take() {
                            Some(refused) => end(state, refused),
                            None => state.next = Some(Phase::Write),
                        },
                        Check::Done if state.wrote => {
                            end(state, Ended::new(Outcome::Applied, status))
                        }
                        Check::Done => end(state, Ended::new(Outcome::AlreadyApplied, status)),
                        Check::Drifted => end(state, Ended::new(Outcome::Drifted, status)),
                    },
                },
            },
            Answer::Throttled { retry_after } => {
                let row = state.throttled(phase);
                *row += 1;
                let row = *row;
                state.next = Some(Phase::Read);
                let wait = Wait::throttled(retry_after, row);
                self.throttled = Some(self.throttled.map_or(wait, |w| w.max(wait)));
                if row >= THROTTLED_IN_A_ROW {
                    self.stop.get_or_insert_with(|| {
                        format!("{} was throttled {row} times in a row", request.user)
                    });
                }
            }
            Answer::Unauthorized if !state.refreshed => {
                state.refreshed = true;
                state.next = Some(Phase::Read);
                self.refresh = true;
            }
            Answer::Unauthorized => {
                let (code, message) = graph_error(body);
                end(state, Ended::failed(401, code, message));
            }
            Answer::Failed {
                status,
                code,
                message,
            } => {
                let failed = Ended::failed(status, code, message);
                match phase {
                    Phase::Read => end(state, failed),
                    Phase::Write => {
                        state.refused = Some(failed);
                        state.next = Some(Phase::Read);
                    }
                }
            }
        }
    }
}

/// A header of a batch response, by name ignoring case.
fn header<'v>(headers: &'v Value, name: &str) -> Option<&'v str> {
    let headers = headers.as_object()?;
    let (_, value) = headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
    value.as_str()
}

fn graph_error(body: Option<&Value>) -> (String, String) {
    match decide::answer(400, None, body) {
        Answer::Failed { code, message, .. } => (code, message),
        _ => (String::new(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// The wait Graph's `Retry-After: n` asks for.
    fn retry_after(n: u64) -> Wait {
        Wait::throttled(Some(Duration::from_secs(n)), 1)
    }

    const A: &str = "aaaaaaaa-0000-0000-0000-000000000000";
    const B: &str = "bbbbbbbb-0000-0000-0000-000000000000";

    fn request(line: u64) -> Request {
        Request {
            line,
            organization: "Contoso".into(),
            user: format!("u{line}@contoso.com"),
            method: "POST".into(),
            url: format!("/users/u{line}%40contoso.com/assignLicense"),
            body: json!({"addLicenses": [{"skuId": B, "disabledPlans": []}], "removeLicenses": [A]}),
            before: vec![A.into()],
            after: vec![B.into()],
        }
    }

    fn user(sku: &str) -> Value {
        json!({"id": "x", "assignedLicenses": [{"skuId": sku, "disabledPlans": []}]})
    }

    /// Graph's answer to a batch: `(id, status, retry-after, body)`, in the
    /// order given (Graph answers in any order).
    fn answers(list: &[(usize, u16, Option<&str>, Value)]) -> Value {
        let responses: Vec<Value> = list
            .iter()
            .map(|(id, status, retry, body)| {
                let mut r = json!({"id": id.to_string(), "status": status, "body": body});
                if let Some(s) = retry {
                    r["headers"] = json!({"Retry-After": s});
                }
                r
            })
            .collect();
        json!({ "responses": responses })
    }

    fn outcomes(batch: Batch<'_>) -> Vec<Option<(Outcome, Option<u16>)>> {
        batch
            .ended()
            .map(|(_, e)| e.map(|e| (e.outcome, e.status)))
            .collect()
    }

    fn ids(batch: &Value) -> Vec<(String, String)> {
        batch["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r["id"].as_str().unwrap().to_string(),
                    r["method"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn users_at_before_are_written_others_are_not() {
        let requests = [request(2), request(3), request(4)];
        let mut batch = Batch::new(&requests);
        let reads = batch.build(Phase::Read).unwrap();
        assert_eq!(
            reads["requests"][0],
            json!({"id": "0", "method": "GET", "url": "/users/u2%40contoso.com?$select=id,assignedLicenses"})
        );
        assert!(
            batch.build(Phase::Write).is_none(),
            "no write before a read"
        );
        // Answers in another order than asked.
        batch.take(
            Phase::Read,
            200,
            None,
            &answers(&[
                (2, 200, None, user("cccccccc-0000-0000-0000-000000000000")),
                (1, 200, None, user(B)),
                (0, 200, None, user(A)),
            ]),
        );
        let writes = batch.build(Phase::Write).unwrap();
        assert_eq!(ids(&writes), [("0".to_string(), "POST".to_string())]);
        assert_eq!(
            writes["requests"][0]["url"],
            "/users/u2%40contoso.com/assignLicense"
        );
        assert_eq!(writes["requests"][0]["body"], requests[0].body);
        assert_eq!(
            writes["requests"][0]["headers"]["Content-Type"],
            "application/json"
        );
        batch.take(
            Phase::Write,
            200,
            None,
            &answers(&[(0, 200, None, json!({}))]),
        );
        assert_eq!(batch.after_round(), Next::Finished);
        assert_eq!(
            outcomes(batch),
            [
                Some((Outcome::Applied, Some(200))),
                Some((Outcome::AlreadyApplied, Some(200))),
                Some((Outcome::Drifted, Some(200))),
            ]
        );
    }

    #[test]
    fn a_write_throttled_after_it_went_through_ends_applied_and_is_not_sent_again() {
        let requests = [request(2)];
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        batch.take(Phase::Read, 200, None, &answers(&[(0, 200, None, user(A))]));
        batch.build(Phase::Write).unwrap();
        batch.take(
            Phase::Write,
            200,
            None,
            &answers(&[(
                0,
                429,
                Some("3"),
                json!({"error": {"code": "TooManyRequests"}}),
            )]),
        );
        assert_eq!(
            batch.after_round(),
            Next::Round {
                refresh: false,
                wait: retry_after(3)
            }
        );
        // Read again: the write went through.
        assert!(batch.build(Phase::Write).is_none());
        batch.build(Phase::Read).unwrap();
        batch.take(Phase::Read, 200, None, &answers(&[(0, 200, None, user(B))]));
        assert!(batch.build(Phase::Write).is_none(), "written twice");
        assert_eq!(batch.after_round(), Next::Finished);
        assert_eq!(outcomes(batch), [Some((Outcome::Applied, Some(200)))]);
    }

    #[test]
    fn a_throttled_batch_waits_retry_after_else_doubling() {
        let requests = [request(2), request(3)];
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        batch.take(Phase::Read, 503, None, &json!({}));
        let wait = |wait| Next::Round {
            refresh: false,
            wait,
        };
        assert_eq!(batch.after_round(), wait(Wait::backoff(1)));
        batch.build(Phase::Read);
        batch.take(Phase::Read, 504, None, &json!({}));
        assert_eq!(batch.after_round(), wait(Wait::backoff(2)));
        batch.build(Phase::Read);
        batch.take(Phase::Read, 429, Some("11"), &json!({}));
        assert_eq!(batch.after_round(), wait(retry_after(11)));
        // Per request, the longest Retry-After of the round.
        batch.build(Phase::Read);
        batch.take(
            Phase::Read,
            200,
            None,
            &answers(&[
                (0, 429, Some("5"), json!({})),
                (1, 429, Some("9"), json!({})),
            ]),
        );
        assert_eq!(batch.after_round(), wait(retry_after(9)));
    }

    #[test]
    fn eight_throttled_answers_in_a_row_stop() {
        let requests = [request(2), request(3)];
        let mut batch = Batch::new(&requests);
        for n in 1..=8 {
            batch.build(Phase::Read).unwrap();
            // The second user is answered once in between: its row starts again.
            let second = if n == 2 {
                (1, 200, None, user(A))
            } else {
                (1, 429, Some("0"), json!({}))
            };
            batch.take(
                Phase::Read,
                200,
                None,
                &answers(&[(0, 429, Some("0"), json!({})), second]),
            );
            if n == 2 {
                batch.build(Phase::Write).unwrap();
                batch.take(
                    Phase::Write,
                    200,
                    None,
                    &answers(&[(1, 429, Some("0"), json!({}))]),
                );
            }
            assert_stops_on_the_8th(n, batch.after_round());
        }
        assert_eq!(outcomes(batch), [None, None]);
    }

    /// Regression: one request's `Retry-After` cut short the backoff another request
    /// of the round needed.
    #[test]
    fn a_throttled_round_waits_the_longest_any_request_needs() {
        let requests = [request(2), request(3)];
        let mut batch = Batch::new(&requests);
        for _ in 0..2 {
            batch.build(Phase::Read);
            batch.take(Phase::Read, 503, None, &json!({}));
            batch.after_round();
        }
        // Both throttled again: the first without Retry-After, the second with `retry_after`.
        let mut throttled = |retry_after| {
            batch.build(Phase::Read);
            batch.take(
                Phase::Read,
                200,
                None,
                &answers(&[
                    (0, 429, None, json!({})),
                    (1, 429, Some(retry_after), json!({})),
                ]),
            );
            let Next::Round { wait, .. } = batch.after_round() else {
                panic!("not a round")
            };
            wait
        };
        // The first one's third throttled answer in a row: 8 s; the second one's: 1 s.
        let wait = throttled("1");
        assert_eq!(
            wait,
            Wait {
                retry_after: Duration::from_secs(1),
                backoff: Duration::from_secs(8)
            }
        );
        assert_eq!(wait.duration(1.0), Duration::from_secs(8));
        // A Retry-After longer than the backoff wins; it is never shortened.
        let wait = throttled("30");
        assert_eq!(wait.duration(1.0), Duration::from_secs(30));
        assert_eq!(wait.duration(0.0), Duration::from_secs(30));
    }

    /// After throttled round `n` of user u2's request: another round, and a stop
    /// on the 8th.
    #[track_caller]
    fn assert_stops_on_the_8th(n: u32, next: Next) {
        if n < 8 {
            assert!(matches!(next, Next::Round { .. }), "{n}: {next:?}");
        } else {
            assert_eq!(
                next,
                Next::Stop("u2@contoso.com was throttled 8 times in a row".into())
            );
        }
    }

    /// Regression: the read before each write answered 200 and reset the row, so a
    /// write throttled again and again never stopped the apply.
    #[test]
    fn a_write_throttled_8_times_in_a_row_stops_although_each_read_between_went_through() {
        let requests = [request(2)];
        let mut batch = Batch::new(&requests);
        for n in 1..=8 {
            batch.build(Phase::Read).unwrap();
            batch.take(Phase::Read, 200, None, &answers(&[(0, 200, None, user(A))]));
            batch.build(Phase::Write).unwrap();
            batch.take(
                Phase::Write,
                200,
                None,
                &answers(&[(0, 429, Some("0"), json!({}))]),
            );
            assert_stops_on_the_8th(n, batch.after_round());
        }
        assert_eq!(outcomes(batch), [None]);
    }

    /// A throttled read in between does not start the write's row again either,
    /// and a write that goes through does.
    #[test]
    fn only_an_answer_to_the_same_request_starts_its_row_again() {
        let requests = [request(2)];
        let mut batch = Batch::new(&requests);
        let read = |batch: &mut Batch<'_>, status: u16| {
            batch.build(Phase::Read).unwrap();
            let body = if status == 200 { user(A) } else { json!({}) };
            batch.take(
                Phase::Read,
                200,
                None,
                &answers(&[(0, status, Some("0"), body)]),
            );
        };
        let write = |batch: &mut Batch<'_>| {
            batch.build(Phase::Write).unwrap();
            batch.take(
                Phase::Write,
                200,
                None,
                &answers(&[(0, 429, Some("0"), json!({}))]),
            );
        };
        for _ in 0..7 {
            read(&mut batch, 429);
            assert!(matches!(batch.after_round(), Next::Round { .. }));
            read(&mut batch, 200);
            write(&mut batch);
            assert!(matches!(batch.after_round(), Next::Round { .. }));
        }
        // Fourteen throttled answers, but neither request's 8 in a row yet.
        read(&mut batch, 200);
        write(&mut batch);
        assert!(matches!(batch.after_round(), Next::Stop(_)));
    }

    #[test]
    fn a_401_takes_one_fresh_token_per_request() {
        let requests = [request(2), request(3)];
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        batch.take(Phase::Read, 401, None, &json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}}));
        assert_eq!(
            batch.after_round(),
            Next::Round {
                refresh: true,
                wait: Wait::NONE
            }
        );
        batch.build(Phase::Read);
        let expired = json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}});
        batch.take(
            Phase::Read,
            200,
            None,
            &answers(&[(0, 401, None, expired), (1, 200, None, user(A))]),
        );
        batch.build(Phase::Write).unwrap();
        batch.take(
            Phase::Write,
            200,
            None,
            &answers(&[(1, 204, None, json!(null))]),
        );
        assert_eq!(batch.after_round(), Next::Finished);
        let ended: Vec<_> = batch.ended().map(|(_, e)| e.unwrap()).collect();
        assert_eq!(
            ended[0],
            Ended::failed(
                401,
                "InvalidAuthenticationToken".into(),
                "Access token has expired or is not yet valid.".into()
            )
        );
        assert_eq!(ended[1], Ended::new(Outcome::Applied, 204));
    }

    #[test]
    fn other_statuses_fail_with_graphs_error() {
        let requests = [request(2), request(3)];
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        let not_found = json!({"error": {"code": "Request_ResourceNotFound", "message": "Resource 'u2' does not exist."}});
        batch.take(
            Phase::Read,
            200,
            None,
            &answers(&[(0, 404, None, not_found), (1, 200, None, user(A))]),
        );
        batch.build(Phase::Write);
        let seats = json!({"error": {"code": "Request_BadRequest", "message": "Subscription with SKU bbbbbbbb-0000-0000-0000-000000000000 does not have any available licenses."}});
        batch.take(Phase::Write, 200, None, &answers(&[(1, 400, None, seats)]));
        // Read again, still at before: the refusal stands, nothing is resent.
        assert!(matches!(batch.after_round(), Next::Round { .. }));
        assert_eq!(
            ids(&batch.build(Phase::Read).unwrap()),
            [("1".into(), "GET".into())]
        );
        batch.take(Phase::Read, 200, None, &answers(&[(1, 200, None, user(A))]));
        assert!(
            batch.build(Phase::Write).is_none(),
            "a refused write is not resent"
        );
        assert_eq!(batch.after_round(), Next::Finished);
        let ended: Vec<_> = batch.ended().map(|(_, e)| e.unwrap()).collect();
        assert_eq!(
            ended,
            [
                Ended::failed(
                    404,
                    "Request_ResourceNotFound".into(),
                    "Resource 'u2' does not exist.".into()
                ),
                Ended::failed(
                    400,
                    "Request_BadRequest".into(),
                    "Subscription with SKU bbbbbbbb-0000-0000-0000-000000000000 does not have any available licenses.".into()
                ),
            ]
        );
    }

    #[test]
    fn a_refused_write_that_went_through_after_all_ends_applied() {
        // A killed apply's write still on its way: ours is refused ("User does
        // not have a corresponding license"), the user is at `after`.
        let requests = [request(2)];
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        batch.take(Phase::Read, 200, None, &answers(&[(0, 200, None, user(A))]));
        batch.build(Phase::Write);
        let refused = json!({"error": {"code": "Request_BadRequest", "message": "User does not have a corresponding license."}});
        batch.take(
            Phase::Write,
            200,
            None,
            &answers(&[(0, 400, None, refused)]),
        );
        batch.after_round();
        batch.build(Phase::Read).unwrap();
        batch.take(Phase::Read, 200, None, &answers(&[(0, 200, None, user(B))]));
        assert_eq!(batch.after_round(), Next::Finished);
        assert_eq!(outcomes(batch), [Some((Outcome::Applied, Some(200)))]);
    }

    #[test]
    fn a_lost_write_is_read_again_and_network_errors_stop_after_five_retries() {
        let requests = [request(2)];
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        batch.take(Phase::Read, 200, None, &answers(&[(0, 200, None, user(A))]));
        batch.build(Phase::Write).unwrap();
        batch.network_error(Phase::Write, "connection reset");
        assert_eq!(
            batch.after_round(),
            Next::Round {
                refresh: false,
                wait: Wait::backoff(1)
            }
        );
        assert!(batch.build(Phase::Write).is_none());
        for n in 2..=5 {
            batch.build(Phase::Read).unwrap();
            batch.network_error(Phase::Read, "connection reset");
            assert_eq!(
                batch.after_round(),
                Next::Round {
                    refresh: false,
                    wait: Wait::backoff(n)
                }
            );
        }
        batch.build(Phase::Read).unwrap();
        batch.network_error(Phase::Read, "connection reset");
        assert_eq!(
            batch.after_round(),
            Next::Stop("network error 6 times in a row: connection reset".into())
        );
        // Had it come back: the lost write went through, so `applied`.
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        batch.take(Phase::Read, 200, None, &answers(&[(0, 200, None, user(A))]));
        batch.build(Phase::Write);
        batch.network_error(Phase::Write, "connection reset");
        batch.after_round();
        batch.build(Phase::Read);
        batch.take(Phase::Read, 200, None, &answers(&[(0, 200, None, user(B))]));
        assert_eq!(outcomes(batch), [Some((Outcome::Applied, Some(200)))]);
    }

    #[test]
    fn a_request_graph_did_not_answer_is_read_again() {
        let requests = [request(2), request(3)];
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        batch.take(Phase::Read, 200, None, &answers(&[(1, 200, None, user(B))]));
        assert_eq!(
            batch.after_round(),
            Next::Round {
                refresh: false,
                wait: Wait::backoff(1)
            }
        );
        assert_eq!(
            ids(&batch.build(Phase::Read).unwrap()),
            [("0".into(), "GET".into())]
        );
    }

    #[test]
    fn a_batch_answer_without_responses_counts_as_a_network_error() {
        let requests = [request(2)];
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        batch.take(Phase::Read, 200, None, &Value::Null);
        assert_eq!(
            batch.after_round(),
            Next::Round {
                refresh: false,
                wait: Wait::backoff(1)
            }
        );
        assert!(batch.build(Phase::Read).is_some());
    }

    #[test]
    fn a_batch_refused_as_a_whole_fails_each_user_with_its_error() {
        let requests = [request(2), request(3)];
        let mut batch = Batch::new(&requests);
        batch.build(Phase::Read);
        let error =
            json!({"error": {"code": "BadRequest", "message": "Invalid batch payload format."}});
        batch.take(Phase::Read, 400, None, &error);
        assert_eq!(batch.after_round(), Next::Finished);
        for (_, ended) in batch.ended() {
            assert_eq!(
                ended.unwrap(),
                Ended::failed(
                    400,
                    "BadRequest".into(),
                    "Invalid batch payload format.".into()
                )
            );
        }
    }
}
