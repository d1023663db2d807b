//! `replan apply`, end to end: the binary against the Graph stand-in
//! ([`crate::stand_in`]), each test asserting the journal `OUT/applied.csv` and the
//! stand-in's final state.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::stand_in::{Faults, StandIn, sku};
use crate::util::{Case, Outcome, REPLAN, Table, files_in};

/// The token the stand-in accepts; it must never show anywhere.
const TOKEN: &str = "replan-test-token-7f3c9a1e";

const BSTD: &str = "O365_BUSINESS_PREMIUM";
const PREM: &str = "SPB";

/// users.csv of `n` users of contoso.com, each with Business Standard.
fn users(n: usize) -> String {
    let mut text = String::from("User principal name,Usage location,Licenses\n");
    for i in 1..=n {
        text.push_str(&format!("user{i:03}@contoso.com,US,{BSTD}\n"));
    }
    text
}

/// subscriptions.csv: Business Standard for everyone, Business Premium with `free`
/// seats.
fn subscriptions(n: usize, free: usize) -> String {
    format!(
        "Organization,Product,Status,Total,Assigned\ncontoso.com,{BSTD},Active,{n},{n}\ncontoso.com,{PREM},Active,{free},0\n"
    )
}

/// A user's key in a request URL, as `run` writes it for a principal name.
fn key(upn: &str) -> String {
    let mut key = String::new();
    for b in upn.bytes() {
        if b.is_ascii_alphanumeric() || b"-._@".contains(&b) {
            key.push(b as char);
        } else {
            key.push_str(&format!("%{b:02X}"));
        }
    }
    key
}

/// One line of graph-requests.jsonl, exactly in SPEC's format: the user moves
/// from the `before` products to the `after` ones.
fn request(line: u64, organization: &str, user: &str, before: &[&str], after: &[&str]) -> String {
    let ids = |parts: &[&str]| parts.iter().map(|p| sku(p)).collect::<Vec<_>>();
    let (b, a) = (ids(before), ids(after));
    let add: Vec<Value> = a
        .iter()
        .filter(|s| !b.contains(s))
        .map(|s| json!({"skuId": s, "disabledPlans": []}))
        .collect();
    let remove: Vec<&String> = b.iter().filter(|s| !a.contains(s)).collect();
    let value = json!({
        "line": line,
        "organization": organization,
        "user": user,
        "method": "POST",
        "url": format!("/users/{}/assignLicense", key(user)),
        "body": {"addLicenses": add, "removeLicenses": remove},
        "before": b,
        "after": a,
    });
    // serde_json keeps keys sorted unless told otherwise: write them in SPEC's order.
    let keys = [
        "line",
        "organization",
        "user",
        "method",
        "url",
        "body",
        "before",
        "after",
    ];
    let fields: Vec<String> = keys
        .iter()
        .map(|k| format!("{}:{}", json!(k), value[k]))
        .collect();
    format!("{{{}}}", fields.join(","))
}

/// graph-requests.jsonl moving users 1..=n from Business Standard to Premium.
fn requests(n: usize) -> String {
    (1..=n)
        .map(|i| {
            request(
                i as u64 + 1,
                "contoso.com",
                &format!("user{i:03}@contoso.com"),
                &[BSTD],
                &[PREM],
            ) + "\n"
        })
        .collect()
}

/// A test's folder with graph-requests.jsonl in `out/`, and the stand-in.
struct Setup {
    case: Case,
    graph: StandIn,
}

impl Setup {
    fn new(users: &str, subscriptions: &str, requests: &str) -> Setup {
        let case = Case::new();
        fs::create_dir_all(case.out()).unwrap();
        fs::write(case.out().join("graph-requests.jsonl"), requests).unwrap();
        let graph = StandIn::start(
            users,
            subscriptions,
            &["contoso.com", "contoso.onmicrosoft.com"],
            &[TOKEN],
        );
        Setup { case, graph }
    }

    /// `n` users moving to Business Premium, with enough seats.
    fn moving(n: usize) -> Setup {
        Setup::new(&users(n), &subscriptions(n, n), &requests(n))
    }

    /// `replan apply out --graph-url STAND-IN --quiet ARGS` with the token in
    /// REPLAN_GRAPH_TOKEN and waits shortened.
    fn apply(&self, args: &[&str]) -> Outcome {
        self.apply_env(args, &[("REPLAN_GRAPH_TOKEN", TOKEN)])
    }

    fn apply_env(&self, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let out = self.case.out();
        let mut all = vec![
            "apply",
            out.to_str().unwrap(),
            "--graph-url",
            &self.graph.url,
            "--quiet",
        ];
        all.extend_from_slice(args);
        let mut env = env.to_vec();
        env.push(("REPLAN_TEST_WAIT_SCALE", "0"));
        let outcome = self.case.exec_env(self.case.root(), &out, &all, &env);
        assert_no_token(&outcome, self.case.root());
        outcome
    }

    fn journal(&self) -> Table {
        let text = fs::read_to_string(self.case.out().join("applied.csv")).expect("no applied.csv");
        Table::parse("applied.csv", text)
    }

    fn has_journal(&self) -> bool {
        self.case.out().join("applied.csv").exists()
    }

    /// The writes the stand-in received (`POST /users/…/assignLicense` inside
    /// batches are not HTTP requests of their own: these are the batches).
    fn http_requests(&self) -> Vec<String> {
        self.graph.state().requests.clone()
    }
}

/// The token shows nowhere: not on stdout or stderr, not in any file of the test.
#[track_caller]
fn assert_no_token(outcome: &Outcome, root: &Path) {
    assert!(
        !outcome.stdout.contains(TOKEN),
        "token on stdout\n{}",
        outcome.describe()
    );
    assert!(
        !outcome.stderr.contains(TOKEN),
        "token on stderr\n{}",
        outcome.describe()
    );
    for dir in [root.to_path_buf(), root.join("out")] {
        for name in files_in(&dir) {
            let bytes = fs::read(dir.join(&name)).unwrap_or_default();
            assert!(
                !String::from_utf8_lossy(&bytes).contains(TOKEN),
                "token written into {name}"
            );
        }
    }
}

/// Every journal row's line, outcome and status, in journal order.
fn rows(journal: &Table) -> Vec<(String, String, String)> {
    let (l, o, s) = (
        journal.col("line"),
        journal.col("outcome"),
        journal.col("status"),
    );
    journal
        .rows
        .iter()
        .map(|r| (r[l].clone(), r[o].clone(), r[s].clone()))
        .collect()
}

/// The lines of the journal with this outcome, sorted.
fn lines_with(journal: &Table, outcome: &str) -> Vec<u64> {
    let mut lines: Vec<u64> = rows(journal)
        .into_iter()
        .filter(|(_, o, _)| o == outcome)
        .map(|(l, _, _)| l.parse().unwrap())
        .collect();
    lines.sort();
    lines
}

fn all_lines(n: usize) -> Vec<u64> {
    (2..=n as u64 + 1).collect()
}

#[track_caller]
fn assert_every_user_moved_once(setup: &Setup, n: usize) {
    for i in 1..=n {
        assert_eq!(
            setup.graph.licenses(&format!("user{i:03}@contoso.com")),
            [PREM],
            "user{i:03}"
        );
    }
    let writes = setup.graph.writes_per_user();
    assert_eq!(writes.len(), n, "{writes:?}");
    assert!(
        writes.values().all(|&w| w == 1),
        "a user was written twice: {writes:?}"
    );
    assert_eq!(setup.graph.seats(PREM), (n as u64, n as u64));
    assert_eq!(setup.graph.seats(BSTD), (n as u64, 0));
}

#[test]
fn a_clean_apply_writes_every_user_once_and_journals_each_line() {
    let setup = Setup::moving(45);
    let out = setup.apply(&[]);
    out.assert_exit(0);
    assert_every_user_moved_once(&setup, 45);
    let journal = setup.journal();
    assert_eq!(
        journal.header,
        [
            "line",
            "organization",
            "user",
            "outcome",
            "status",
            "code",
            "message",
            "at"
        ]
    );
    assert_eq!(lines_with(&journal, "applied"), all_lines(45));
    assert_eq!(journal.len(), 45);
    let first = journal.row(&[("line", "2")]);
    first.check(&[
        ("organization", "contoso.com"),
        ("user", "user001@contoso.com"),
        ("outcome", "applied"),
        ("status", "200"),
        ("code", ""),
        ("message", ""),
    ]);
    let at = first.get("at");
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );
    // Batches of at most 20: 45 users are 3 batches of reads and 3 of writes.
    let state = setup.graph.state();
    assert_eq!(state.largest_batch, 20);
    let batches = state
        .requests
        .iter()
        .filter(|r| r.ends_with("$batch"))
        .count();
    assert_eq!(batches, 6, "{:?}", state.requests);
    assert_eq!(
        state.requests[0],
        "GET /v1.0/organization?$select=id,displayName,verifiedDomains"
    );
    drop(state);
    assert!(out.stdout.contains("contoso.com: 45 applied, 0 already-applied, 0 drifted, 0 failed, 0 wrong-tenant, 0 not sent"), "{}", out.describe());
    // The lock is let go: no file is left but the requests and the journal.
    assert_eq!(
        files_in(&setup.case.out()),
        ["applied.csv", "graph-requests.jsonl"]
            .map(String::from)
            .into()
    );
}

/// The user principal name a batch's `METHOD /users/KEY…` request is for.
fn user_of(request: &str) -> &str {
    let key = request.split_once(" /users/").unwrap().1;
    key.split(['?', '/']).next().unwrap()
}

/// What is sent follows the file: each batch is the next 20 lines, its requests
/// in file order. Each batch journals its rows in file order, in one piece, as
/// soon as it ends: batches in flight together may end, and be journaled, in
/// another order (a slow first batch here); holding an ended batch back for an
/// earlier one would lose its rows to a kill.
#[test]
fn batches_keep_the_file_order_in_what_is_sent_and_in_the_journal() {
    let setup = Setup::moving(70);
    setup.graph.faults(Faults {
        first_batch_delay: Duration::from_millis(500),
        ..Faults::default()
    });
    setup.apply(&[]).assert_exit(0);
    let journaled: Vec<u64> = rows(&setup.journal())
        .iter()
        .map(|(l, _, _)| l.parse().unwrap())
        .collect();
    let mut firsts = Vec::new();
    let mut rest = journaled.as_slice();
    while let Some(&first) = rest.first() {
        assert_eq!(
            (first - 2) % 20,
            0,
            "a batch starts at {first}: {journaled:?}"
        );
        let len = 20.min(72 - first) as usize;
        let lines: Vec<u64> = (first..first + len as u64).collect();
        assert_eq!(rest.get(..len), Some(lines.as_slice()), "{journaled:?}");
        firsts.push(first);
        rest = &rest[len..];
    }
    firsts.sort();
    assert_eq!(firsts, [2, 22, 42, 62]);
    let batches = setup.graph.state().batches.clone();
    let mut reads: Vec<Vec<&str>> = Vec::new();
    for batch in &batches {
        let users: Vec<&str> = batch.iter().map(|r| user_of(r)).collect();
        assert!(users.is_sorted(), "not in file order: {batch:?}");
        if batch[0].starts_with("GET") {
            reads.push(users);
        }
    }
    // The reads: the file in chunks of 20.
    reads.sort();
    let firsts: Vec<&str> = reads.iter().map(|r| r[0]).collect();
    assert_eq!(
        firsts,
        [
            "user001@contoso.com",
            "user021@contoso.com",
            "user041@contoso.com",
            "user061@contoso.com"
        ]
    );
    assert_eq!(reads.concat().len(), 70);
}

#[test]
fn applying_twice_is_harmless_and_counts_the_earlier_rows() {
    let setup = Setup::moving(3);
    setup.apply(&[]).assert_exit(0);
    let before = setup.http_requests().len();
    let again = setup.apply(&["--json"]);
    again.assert_exit(0);
    // Nothing left to do: no request at all, no new journal row.
    assert_eq!(setup.http_requests().len(), before);
    assert_eq!(setup.journal().len(), 3);
    let json: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!(
        json,
        json!({"organizations": {"contoso.com": {"applied": 3, "already-applied": 0, "drifted": 0, "failed": 0, "wrong-tenant": 0, "not-sent": 0}}, "exit_code": 0})
    );
    // A journal lost: the users are read, found done, and nothing is written.
    fs::remove_file(setup.case.out().join("applied.csv")).unwrap();
    setup.apply(&[]).assert_exit(0);
    assert_eq!(
        lines_with(&setup.journal(), "already-applied"),
        all_lines(3)
    );
    assert_every_user_moved_once(&setup, 3);
}

#[test]
fn throttling_and_a_write_throttled_after_it_went_through_write_no_user_twice() {
    let setup = Setup::moving(30);
    setup.graph.faults(Faults {
        throttle_reads: 7,
        throttle_after_write: 9,
        unavailable_batches: 2,
        ..Faults::default()
    });
    let out = setup.apply(&[]);
    out.assert_exit(0);
    assert_every_user_moved_once(&setup, 30);
    let journal = setup.journal();
    assert_eq!(journal.len(), 30);
    assert_eq!(lines_with(&journal, "applied"), all_lines(30));
    let state = setup.graph.state();
    assert_eq!(
        (
            state.faults.throttle_reads,
            state.faults.throttle_after_write,
            state.faults.unavailable_batches
        ),
        (0, 0, 0),
        "every fault happened"
    );
}

#[test]
fn dropped_connections_are_retried_and_a_write_that_went_through_is_not_sent_again() {
    let setup = Setup::moving(5);
    // The first three batches break off before any answer.
    setup.graph.faults(Faults {
        dropped_connections: 3,
        ..Faults::default()
    });
    let out = setup.apply(&[]);
    out.assert_exit(0);
    assert_every_user_moved_once(&setup, 5);
    assert_eq!(lines_with(&setup.journal(), "applied"), all_lines(5));
}

#[test]
fn network_errors_six_times_in_a_row_stop_the_apply_and_the_next_resumes() {
    let setup = Setup::moving(5);
    setup.graph.faults(Faults {
        dropped_connections: 6,
        ..Faults::default()
    });
    let out = setup.apply(&[]);
    out.assert_exit(1);
    assert!(
        out.stderr
            .contains("apply stopped: network error 6 times in a row"),
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains("5 not sent"), "{}", out.describe());
    assert!(setup.graph.writes_per_user().is_empty());
    // Only outcomes are journaled: a line never sent has no row.
    assert_eq!(setup.journal().len(), 0);
    setup.apply(&[]).assert_exit(0);
    assert_every_user_moved_once(&setup, 5);
}

/// Every user a batch since the `from`th asked about, with the batch's requests.
fn users_sent_since(setup: &Setup, from: usize) -> Vec<String> {
    let state = setup.graph.state();
    let batches = state.batches.get(from..).unwrap_or_default();
    batches
        .concat()
        .iter()
        .map(|r| user_of(r).to_string())
        .collect()
}

/// Rows of the journal on disk now (complete lines but the header).
fn journaled_now(setup: &Setup) -> usize {
    let text = fs::read_to_string(setup.case.out().join("applied.csv")).unwrap_or_default();
    text.matches('\n').count().saturating_sub(1)
}

#[test]
fn an_apply_killed_midway_keeps_each_batch_it_ended_and_the_next_sends_nothing_for_them() {
    // The stand-in answers 6 batches, then no more: 4 batches of reads and 2 of
    // writes at most, so at least one batch of 20 users ends, and not all 5. The
    // apply waits for an answer; its ended batches are on disk; it is killed.
    let setup = Setup::moving(100);
    setup.graph.faults(Faults {
        answered_batches: Some(6),
        ..Faults::default()
    });
    let mut child = spawn_apply(&setup);
    wait_for("a batch journaled", || journaled_now(&setup) >= 20);
    wait_for("the stand-in to stop answering", || {
        setup.graph.state().requests.len() > 7
    });
    assert!(child.try_wait().unwrap().is_none(), "the apply ended");
    child.kill().unwrap();
    child.wait().unwrap();
    setup.graph.faults(Faults::default());
    let done = lines_with(&setup.journal(), "applied");
    assert!(
        (20..100).contains(&done.len()) && done.len().is_multiple_of(20),
        "{} lines journaled: {done:?}",
        done.len()
    );
    assert_eq!(
        setup.journal().len(),
        done.len(),
        "only outcomes are journaled"
    );
    // Resumed: not one request, read or write, for a line journaled done.
    let before = setup.graph.state().batches.len();
    setup.apply(&[]).assert_exit(0);
    let done_users: Vec<String> = done
        .iter()
        .map(|l| format!("user{:03}@contoso.com", l - 1))
        .collect();
    let sent = users_sent_since(&setup, before);
    assert!(!sent.is_empty());
    assert!(
        sent.iter().all(|u| !done_users.contains(u)),
        "sent again for a line already done: {sent:?}"
    );
    let mut journaled: Vec<u64> = rows(&setup.journal())
        .iter()
        .map(|(l, _, _)| l.parse().unwrap())
        .collect();
    journaled.sort();
    assert_eq!(journaled, all_lines(100), "every line journaled once");
    assert_every_user_moved_once(&setup, 100);
}

#[test]
fn eight_throttled_answers_in_a_row_stop_the_apply() {
    let setup = Setup::moving(2);
    setup.graph.faults(Faults {
        throttle_reads: 16,
        ..Faults::default()
    });
    let out = setup.apply(&["--json"]);
    out.assert_exit(1);
    assert!(
        out.stderr.contains("throttled 8 times in a row"),
        "{}",
        out.describe()
    );
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["organizations"]["contoso.com"]["not-sent"], 2);
    assert_eq!(json["exit_code"], 1);
    setup.apply(&[]).assert_exit(0);
    assert_every_user_moved_once(&setup, 2);
}

/// Regression: waits shortened for the tests shortened Graph's own `Retry-After`
/// too; it is waited in full. (Measured loosely: between the stand-in's arrivals.)
#[test]
fn graphs_retry_after_is_waited_in_full() {
    let setup = Setup::moving(1);
    setup.graph.faults(Faults {
        throttle_reads: 1,
        retry_after: Some(1),
        ..Faults::default()
    });
    setup.apply(&[]).assert_exit(0);
    assert_every_user_moved_once(&setup, 1);
    let state = setup.graph.state();
    let batches: Vec<Instant> = state
        .requests
        .iter()
        .zip(&state.arrivals)
        .filter(|(r, _)| r.ends_with("$batch"))
        .map(|(_, at)| *at)
        .collect();
    // The throttled read, the read again, the write.
    assert_eq!(batches.len(), 3, "{:?}", state.requests);
    let waited = batches[1] - batches[0];
    assert!(
        waited >= Duration::from_millis(950),
        "read again after {waited:?}, Retry-After: 1"
    );
}

/// Regression: the read before each write (answered 200) reset the write's row,
/// so a write throttled again and again was sent for ever.
#[test]
fn a_write_throttled_8_times_in_a_row_stops_the_apply() {
    let setup = Setup::moving(1);
    setup.graph.faults(Faults {
        throttle_writes: 20,
        ..Faults::default()
    });
    let out = setup.apply(&["--json"]);
    out.assert_exit(1);
    assert!(
        out.stderr
            .contains("user001@contoso.com was throttled 8 times in a row"),
        "{}",
        out.describe()
    );
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["organizations"]["contoso.com"]["not-sent"], 1);
    assert_eq!(
        setup.graph.state().faults.throttle_writes,
        12,
        "8 writes sent, no more"
    );
    assert!(setup.graph.writes_per_user().is_empty());
    setup.graph.faults(Faults::default());
    setup.apply(&[]).assert_exit(0);
    assert_every_user_moved_once(&setup, 1);
}

#[test]
fn an_expired_token_is_replaced_by_a_fresh_one_from_the_command() {
    let setup = Setup::moving(50);
    // The command prints tok-1, then tok-2…; tok-1 expires after 2 batches.
    let counter = setup.case.root().join("count");
    let command = format!(
        "n=$(cat '{c}' 2>/dev/null || echo 0); n=$((n+1)); echo $n > '{c}'; echo \"{TOKEN}-$REPLAN_ORGANIZATION-$n\"",
        c = counter.display()
    );
    let (first, second) = (
        format!("{TOKEN}-contoso.com-1"),
        format!("{TOKEN}-contoso.com-2"),
    );
    {
        let mut state = setup.graph.state();
        state.tokens = [first.clone(), second.clone()].into();
        state.faults.expire = Some((first, 2));
    }
    let out = setup.apply_env(&["--token-command", &command], &[]);
    out.assert_exit(0);
    assert_every_user_moved_once(&setup, 50);
    assert_eq!(lines_with(&setup.journal(), "applied"), all_lines(50));
    // One fresh token for the batches in flight, not one each.
    assert_eq!(fs::read_to_string(&counter).unwrap().trim(), "2");
}

#[test]
fn a_second_401_for_a_request_fails_it() {
    // REPLAN_GRAPH_TOKEN gives the same token again: the 401 comes back.
    let setup = Setup::moving(2);
    setup.graph.state().faults.expire = Some((TOKEN.to_string(), 0));
    let out = setup.apply(&[]);
    out.assert_exit(1);
    let journal = setup.journal();
    assert_eq!(lines_with(&journal, "failed"), [2, 3]);
    journal.row(&[("line", "2")]).check(&[
        ("status", "401"),
        ("code", "InvalidAuthenticationToken"),
        ("message", "Access token has expired or is not yet valid."),
    ]);
    assert!(setup.graph.writes_per_user().is_empty());
}

#[test]
fn a_token_for_another_tenant_sends_nothing_and_journals_wrong_tenant() {
    let setup = Setup::moving(3);
    setup.graph.state().domains = vec!["fabrikam.com".into(), "fabrikam.onmicrosoft.com".into()];
    let out = setup.apply(&[]);
    out.assert_exit(1);
    assert_eq!(
        setup.http_requests(),
        ["GET /v1.0/organization?$select=id,displayName,verifiedDomains"]
    );
    let journal = setup.journal();
    assert_eq!(lines_with(&journal, "wrong-tenant"), all_lines(3));
    journal
        .row(&[("line", "2")])
        .check(&[("status", ""), ("code", ""), ("message", "")]);
    assert!(out.stderr.contains("wrong-tenant"), "{}", out.describe());
    // With the right tenant, a later apply tries them again.
    setup.graph.state().domains = vec!["contoso.com".into()];
    setup.apply(&[]).assert_exit(0);
    assert_every_user_moved_once(&setup, 3);
    assert_eq!(lines_with(&setup.journal(), "applied"), all_lines(3));
}

#[test]
fn each_organization_is_checked_with_its_own_token_and_a_wrong_tenant_gets_nothing() {
    // Fabrikam's token signs in to another tenant (northwind.com): its line is
    // journaled wrong-tenant and nothing is sent for it; contoso.com's go through.
    let text = format!(
        "{}{}{}",
        request(2, "Fabrikam", "eve@fabrikam.com", &[BSTD], &[PREM]) + "\n",
        request(3, "contoso.com", "user001@contoso.com", &[BSTD], &[PREM]) + "\n",
        request(4, "contoso.com", "user002@contoso.com", &[BSTD], &[PREM]) + "\n",
    );
    let setup = Setup::new(&users(2), &subscriptions(2, 2), &text);
    let (contoso, fabrikam) = (format!("{TOKEN}-contoso.com"), format!("{TOKEN}-Fabrikam"));
    {
        let mut state = setup.graph.state();
        state.tokens = [contoso.clone(), fabrikam.clone()].into();
        state
            .tenants
            .insert(fabrikam.clone(), vec!["northwind.com".into()]);
    }
    let command = format!("echo \"{TOKEN}-$REPLAN_ORGANIZATION\"");
    let out = setup.apply_env(
        &[
            "--organization",
            "fabrikam",
            "--organization",
            "contoso.com",
            "--token-command",
            &command,
        ],
        &[],
    );
    out.assert_exit(1);
    let journal = setup.journal();
    assert_eq!(lines_with(&journal, "wrong-tenant"), [2]);
    assert_eq!(lines_with(&journal, "applied"), [3, 4]);
    journal
        .row(&[("line", "2")])
        .check(&[("organization", "Fabrikam"), ("status", "")]);
    let state = setup.graph.state();
    // Fabrikam's tenant was asked, first, and nothing else with its token.
    assert_eq!(
        state.requests[0],
        "GET /v1.0/organization?$select=id,displayName,verifiedDomains"
    );
    assert_eq!(state.requests.len(), 4, "{:?}", state.requests);
    assert!(
        state.batches.concat().iter().all(|r| !r.contains("eve@")),
        "{:?}",
        state.batches
    );
    drop(state);
    assert_eq!(setup.graph.licenses("user001@contoso.com"), [PREM]);
}

#[test]
fn one_user_outside_the_tenant_stops_the_whole_organization_before_any_write() {
    // The 26th line's domain is not the tenant's: the 25 before it (a whole batch
    // and more) are not written either.
    let text =
        requests(25) + &request(27, "contoso.com", "eve@fabrikam.com", &[BSTD], &[PREM]) + "\n";
    let setup = Setup::new(&users(25), &subscriptions(25, 25), &text);
    let out = setup.apply(&[]);
    out.assert_exit(1);
    assert_eq!(
        setup.http_requests(),
        ["GET /v1.0/organization?$select=id,displayName,verifiedDomains"]
    );
    let mut all = all_lines(25);
    all.push(27);
    assert_eq!(lines_with(&setup.journal(), "wrong-tenant"), all);
    assert!(setup.graph.writes_per_user().is_empty());
}

#[test]
fn a_user_changed_since_the_export_has_drifted_and_is_not_written() {
    let users = format!("{}user004@contoso.com,US,EXCHANGESTANDARD\n", users(3));
    let subs = format!(
        "{}contoso.com,EXCHANGESTANDARD,Active,1,1\n",
        subscriptions(3, 4)
    );
    // user002 already moved; user003 moved to E3 by someone else; user004 never held
    // Business Standard here.
    let text = format!(
        "{}{}",
        requests(3),
        request(5, "contoso.com", "user004@contoso.com", &[BSTD], &[PREM]) + "\n"
    );
    let setup = Setup::new(
        &users,
        &format!("{subs}contoso.com,SPE_E3,Active,1,0\n"),
        &text,
    );
    {
        let mut state = setup.graph.state();
        state.users[1].licenses = vec![sku(PREM)];
        state.users[2].licenses = vec![sku("SPE_E3")];
    }
    let out = setup.apply(&[]);
    out.assert_exit(1);
    let journal = setup.journal();
    assert_eq!(lines_with(&journal, "applied"), [2]);
    assert_eq!(lines_with(&journal, "already-applied"), [3]);
    assert_eq!(lines_with(&journal, "drifted"), [4, 5]);
    journal
        .row(&[("line", "4")])
        .check(&[("status", "200"), ("code", ""), ("message", "")]);
    assert_eq!(
        setup.graph.writes_per_user().keys().collect::<Vec<_>>(),
        ["user001@contoso.com"]
    );
    assert_eq!(setup.graph.licenses("user003@contoso.com"), ["SPE_E3"]);
    assert!(
        out.stderr.contains("line 4 user003@contoso.com"),
        "{}",
        out.describe()
    );
}

#[test]
fn graphs_refusals_are_journaled_failed_with_its_code_and_message() {
    let users = "User principal name,Usage location,Licenses,Group licenses\n\
                 user001@contoso.com,,O365_BUSINESS_PREMIUM,\n\
                 user002@contoso.com,US,O365_BUSINESS_PREMIUM,\n\
                 user003@contoso.com,US,O365_BUSINESS_PREMIUM,\n\
                 user004@contoso.com,US,O365_BUSINESS_PREMIUM,O365_BUSINESS_PREMIUM\n\
                 ghost@contoso.com,US,O365_BUSINESS_PREMIUM,\n";
    // One seat of Premium for three who can take it.
    let setup = Setup::new(users, &subscriptions(5, 1), &requests(4));
    fs::write(
        setup.case.out().join("graph-requests.jsonl"),
        requests(4) + &request(6, "contoso.com", "nobody@contoso.com", &[BSTD], &[PREM]) + "\n",
    )
    .unwrap();
    let out = setup.apply(&[]);
    out.assert_exit(1);
    let journal = setup.journal();
    let failed = "Request_BadRequest";
    journal.row(&[("line", "2")]).check(&[
        ("outcome", "failed"),
        ("status", "400"),
        ("code", failed),
        (
            "message",
            "License assignment cannot be done for user with invalid usage location.",
        ),
    ]);
    journal
        .row(&[("line", "3")])
        .check(&[("outcome", "applied")]);
    journal.row(&[("line", "4")]).check(&[
        ("outcome", "failed"),
        ("status", "400"),
        ("code", failed),
        (
            "message",
            &format!(
                "Subscription with SKU {} does not have any available licenses.",
                sku(PREM)
            ),
        ),
    ]);
    journal.row(&[("line", "5")]).check(&[
        ("outcome", "failed"),
        ("code", failed),
        ("message", "User license is inherited from a group membership and it cannot be removed directly from the user."),
    ]);
    journal.row(&[("line", "6")]).check(&[
        ("outcome", "failed"),
        ("status", "404"),
        ("code", "Request_ResourceNotFound"),
    ]);
    assert!(
        out.stderr.contains("invalid usage location"),
        "{}",
        out.describe()
    );
    assert_eq!(setup.graph.seats(PREM), (1, 1));
    assert!(
        out.stdout
            .contains("1 applied, 0 already-applied, 0 drifted, 4 failed"),
        "{}",
        out.describe()
    );
    // Failed lines are tried again by the next apply (and fail again).
    setup.apply(&[]).assert_exit(1);
    assert_eq!(setup.journal().len(), 9);
}

#[test]
fn dry_run_sends_nothing_runs_no_token_command_and_writes_nothing() {
    let setup = Setup::moving(25);
    let marker = setup.case.root().join("token-command-ran");
    let command = format!("touch '{}'; echo x", marker.display());
    let before = files_in(&setup.case.out());
    let out = setup.apply_env(&["--dry-run", "--token-command", &command], &[]);
    out.assert_exit(0);
    assert!(setup.http_requests().is_empty());
    assert!(!marker.exists(), "the token command ran");
    assert_eq!(files_in(&setup.case.out()), before);
    assert!(
        out.stdout
            .contains("contoso.com: 25 requests would be sent"),
        "{}",
        out.describe()
    );
    // With part of it applied, only the rest would be sent; no token needed.
    setup.apply(&[]).assert_exit(0);
    let lines: Vec<String> = fs::read_to_string(setup.case.out().join("applied.csv"))
        .unwrap()
        .lines()
        .take(11)
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(setup.case.out().join("applied.csv"), lines.concat()).unwrap();
    let requests = setup.http_requests().len();
    let out = setup.apply_env(&["--dry-run", "--json"], &[]);
    out.assert_exit(0);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["organizations"]["contoso.com"]["to-send"], 15);
    assert_eq!(json["organizations"]["contoso.com"]["applied"], 10);
    assert_eq!(setup.http_requests().len(), requests);
}

#[test]
fn dry_run_on_unusable_input_exits_2_like_an_apply() {
    let two = format!(
        "{}{}",
        requests(1),
        request(3, "Fabrikam", "eve@fabrikam.com", &[BSTD], &[PREM]) + "\n"
    );
    let setup = Setup::new(&users(1), &subscriptions(1, 1), &two);
    let out = setup.case.out();
    let refused = |args: &[&str], wanted: &str| {
        let mut all = vec!["--dry-run"];
        all.extend_from_slice(args);
        let run = setup.apply_env(&all, &[]);
        run.assert_exit(2);
        assert!(run.stderr.contains(wanted), "{wanted}\n{}", run.describe());
        assert!(run.stdout.is_empty(), "{}", run.describe());
    };
    refused(&[], "holds 2 organizations");
    refused(
        &["--organization", "Northwind"],
        "graph-requests.jsonl holds no request for it",
    );
    let url = out.to_str().unwrap();
    let run = setup.case.exec_env(
        setup.case.root(),
        &out,
        &["apply", url, "--dry-run", "--graph-url", "http://192.0.2.1"],
        &[],
    );
    run.assert_exit(2);
    fs::write(out.join("applied.csv"), "user,outcome\nx,applied\n").unwrap();
    refused(
        &["--organization", "Fabrikam"],
        "applied.csv:1:1: not a journal",
    );
    fs::remove_file(out.join("applied.csv")).unwrap();
    fs::write(
        out.join("graph-requests.jsonl"),
        requests(1) + "{\"line\":3}\n",
    )
    .unwrap();
    refused(&[], "graph-requests.jsonl:2:");
    fs::remove_file(out.join("graph-requests.jsonl")).unwrap();
    refused(&[], "graph-requests.jsonl not found");
    assert!(setup.http_requests().is_empty());
    assert!(files_in(&out).is_empty(), "{:?}", files_in(&out));
}

#[test]
fn plain_http_to_another_host_is_refused_and_nothing_sent() {
    let setup = Setup::moving(1);
    let out = setup.case.out();
    for url in [
        "http://graph.microsoft.com",
        "http://192.0.2.1:8080",
        "ftp://127.0.0.1",
    ] {
        let run = setup.case.exec_env(
            setup.case.root(),
            &out,
            &["apply", out.to_str().unwrap(), "--graph-url", url],
            &[("REPLAN_GRAPH_TOKEN", TOKEN)],
        );
        run.assert_exit(2);
        assert!(run.stderr.contains("--graph-url"), "{}", run.describe());
        assert_no_token(&run, setup.case.root());
    }
    assert!(!setup.has_journal());
}

#[test]
fn unusable_invocations_exit_2_and_send_nothing() {
    let two = format!(
        "{}{}",
        requests(1),
        request(3, "Fabrikam", "eve@fabrikam.com", &[BSTD], &[PREM]) + "\n"
    );
    let setup = Setup::new(&users(1), &subscriptions(1, 1), &two);
    let refused = |args: &[&str], env: &[(&str, &str)], wanted: &str| {
        let out = setup.apply_env(args, env);
        out.assert_exit(2);
        assert!(out.stderr.contains(wanted), "{wanted}\n{}", out.describe());
    };
    let token = [("REPLAN_GRAPH_TOKEN", TOKEN)];
    refused(
        &[],
        &token,
        "holds 2 organizations (contoso.com, Fabrikam): choose with --organization",
    );
    refused(
        &["--organization", "Northwind"],
        &token,
        "--organization Northwind: graph-requests.jsonl holds no request for it",
    );
    refused(
        &["--organization", "CONTOSO.COM"],
        &[],
        "no token: give --token-command CMD or set REPLAN_GRAPH_TOKEN",
    );
    refused(
        &["--organization", "contoso.com", "--token-command", "exit 1"],
        &[],
        "--token-command for contoso.com failed",
    );
    assert!(setup.http_requests().is_empty());
    assert!(!setup.has_journal());
    // No graph-requests.jsonl.
    fs::remove_file(setup.case.out().join("graph-requests.jsonl")).unwrap();
    refused(&[], &token, "graph-requests.jsonl not found");
    // A line that is not a request.
    fs::write(
        setup.case.out().join("graph-requests.jsonl"),
        requests(1) + "{\"line\":3}\n",
    )
    .unwrap();
    refused(&[], &token, "graph-requests.jsonl:2:");
    assert!(setup.http_requests().is_empty());
}

#[test]
fn organizations_are_picked_by_name_ignoring_case() {
    let two = format!(
        "{}{}",
        requests(2),
        request(4, "Fabrikam", "eve@fabrikam.com", &[BSTD], &[PREM]) + "\n"
    );
    let setup = Setup::new(&users(2), &subscriptions(2, 2), &two);
    let out = setup.apply(&["--organization", "CONTOSO.com", "--json"]);
    out.assert_exit(0);
    let json: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(json["organizations"].as_object().unwrap().len(), 1);
    assert_eq!(json["organizations"]["contoso.com"]["applied"], 2);
    assert_eq!(lines_with(&setup.journal(), "applied"), [2, 3]);
}

/// Spawns `replan apply` in the background against a slow stand-in.
fn spawn_apply(setup: &Setup) -> std::process::Child {
    let out = setup.case.out();
    Command::new(REPLAN)
        .args([
            "apply",
            out.to_str().unwrap(),
            "--graph-url",
            &setup.graph.url,
            "--quiet",
        ])
        .env("REPLAN_GRAPH_TOKEN", TOKEN)
        .current_dir(setup.case.root())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Waits until `done` holds (at most 60 s).
fn wait_for(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn killed_midway_then_resumed_every_line_is_journaled_exactly_once() {
    let setup = Setup::moving(200);
    setup.graph.faults(Faults {
        delay: Duration::from_millis(100),
        ..Faults::default()
    });
    let mut child = spawn_apply(&setup);
    wait_for("some writes", || setup.graph.writes_per_user().len() >= 60);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let written = setup.graph.writes_per_user().len();
    assert!(written < 200, "the apply finished before it was killed");
    let journaled = setup.journal().len();
    assert!(
        journaled <= written,
        "{journaled} journaled, {written} written"
    );
    // The lock of the killed apply is taken over.
    setup.graph.faults(Faults::default());
    let out = setup.apply(&[]);
    out.assert_exit(0);
    let journal = setup.journal();
    let mut lines: Vec<u64> = rows(&journal)
        .iter()
        .map(|(l, _, _)| l.parse().unwrap())
        .collect();
    lines.sort();
    assert_eq!(lines, all_lines(200), "every line exactly once");
    for (_, outcome, _) in rows(&journal) {
        assert!(
            outcome == "applied" || outcome == "already-applied",
            "{outcome}"
        );
    }
    assert_every_user_moved_once(&setup, 200);
}

#[test]
fn one_lock_for_the_output_folder_across_apply_and_run() {
    let setup = Setup::moving(60);
    for name in ["users.csv", "subscriptions.csv", "plan.csv"] {
        let text = match name {
            "users.csv" => users(60),
            "subscriptions.csv" => subscriptions(60, 60),
            _ => format!("User,From,To\n*,{BSTD},{PREM}\n"),
        };
        fs::write(setup.case.input().join(name), text).unwrap();
    }
    setup.graph.faults(Faults {
        delay: Duration::from_millis(1000),
        ..Faults::default()
    });
    let mut child = spawn_apply(&setup);
    let pid = child.id().to_string();
    wait_for("the first request", || !setup.http_requests().is_empty());
    // A second apply (with a token of its own): exit 2 naming the holder, nothing
    // sent.
    let second = setup.apply_env(&[], &[("REPLAN_GRAPH_TOKEN", "second-token")]);
    second.assert_exit(2);
    assert!(
        second
            .stderr
            .contains(&format!("is in use by replan process {pid}")),
        "{}",
        second.describe()
    );
    // A run into the same folder: exit 2 naming it, no output written.
    let run = setup.case.run(&[]);
    run.assert_exit(2);
    assert!(
        run.stderr.contains(&format!("replan process {pid}")),
        "{}",
        run.describe()
    );
    assert!(!setup.case.out().join("result.csv").exists());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    assert!(
        !setup.graph.state().bearers.contains("second-token"),
        "the second apply sent requests"
    );
    // Once the apply is over, the run goes through.
    setup.case.run(&[]).assert_exit(0);
}

#[test]
fn a_run_removes_the_temporary_files_a_killed_run_left() {
    let case = Case::new()
        .users(&[
            "User principal name,Usage location,Licenses",
            "adele@contoso.com,US,O365_BUSINESS_PREMIUM",
        ])
        .subscriptions(&[
            "Organization,Product,Status,Total,Assigned",
            "contoso.com,O365_BUSINESS_PREMIUM,Active,1,1",
            "contoso.com,SPB,Active,1,0",
        ])
        .plan(&["User,From,To", "*,O365_BUSINESS_PREMIUM,SPB"]);
    let out = case.out();
    fs::create_dir_all(&out).unwrap();
    // What `kill -9` during writing leaves: staged files, earlier outputs set
    // aside, and the lock file of a process that is gone.
    let left = [
        ".result.csv.Ab12Cd.tmp",
        ".summary.json.x9Y8z7.tmp",
        ".backup.csv.Qq1Ww2.old",
    ];
    for name in left {
        fs::write(out.join(name), "half").unwrap();
    }
    fs::write(out.join(".replan.lock"), "999999\n").unwrap();
    fs::write(out.join(".notes.tmp"), "mine").unwrap();
    case.run(&[]).assert_exit(0);
    let files = files_in(&out);
    for name in left.iter().chain(&[".replan.lock"]) {
        assert!(!files.contains(*name), "{name} left in {files:?}");
    }
    assert!(files.contains(".notes.tmp"), "a file not ours was removed");
    assert!(files.contains("result.csv"));
}

#[test]
fn the_token_appears_nowhere_even_when_graph_refuses_it() {
    // Every test checks stdout, stderr and the files; here the token is refused.
    let setup = Setup::moving(1);
    setup.graph.state().tokens.clear();
    let out = setup.apply(&[]);
    out.assert_exit(1);
    assert!(
        out.stderr.contains("Graph refused the token (401)"),
        "{}",
        out.describe()
    );
    // A token command that prints the token and fails: its output is not shown.
    let command = format!("echo '{TOKEN}'; exit 1");
    let out = setup.apply_env(&["--token-command", &command], &[]);
    out.assert_exit(2);
    assert!(
        out.stderr
            .contains("--token-command for contoso.com failed"),
        "{}",
        out.describe()
    );
}

#[test]
fn after_a_clean_apply_a_fresh_export_shows_every_applied_user_unchanged() {
    // The loop closes: run, apply, export, run again through a plan naming each
    // applied user with the From and To of their result row.
    let users = "User principal name,Object Id,Usage location,Licenses,Group licenses\n\
                 adele@contoso.com,87d349ed-44d7-43e1-9a83-5f2406dee5bd,US,O365_BUSINESS_PREMIUM+VISIOCLIENT,\n\
                 alex@contoso.com,,US,O365_BUSINESS_PREMIUM,\n\
                 diego@contoso.com,,US,O365_BUSINESS_PREMIUM,\n\
                 grady@contoso.com,,US,O365_BUSINESS_ESSENTIALS+VISIOCLIENT,\n\
                 isaiah@contoso.com,,US,SPE_E3,\n\
                 lee@contoso.com,,,O365_BUSINESS_PREMIUM,\n";
    let subscriptions = "Organization,Product,Status,Total,Assigned\n\
                         contoso.com,O365_BUSINESS_PREMIUM,Active,5,4\n\
                         contoso.com,O365_BUSINESS_ESSENTIALS,Active,1,1\n\
                         contoso.com,SPB,Active,6,0\n\
                         contoso.com,SPE_E3,Active,1,1\n\
                         contoso.com,VISIOCLIENT,Active,2,2\n";
    let plan = "User,From,To,Disable,Organization,Mode\n\
                *,O365_BUSINESS_PREMIUM,SPB,,,\n\
                grady@contoso.com,O365_BUSINESS_ESSENTIALS,SPB,,,replace-all\n";
    let case = Case::new()
        .bytes("users.csv", users)
        .bytes("subscriptions.csv", subscriptions)
        .bytes("plan.csv", plan);
    let run = case.run(&[]);
    run.assert_exit(1); // lee has no usage location
    let result = run.result();
    let requests = fs::read_to_string(case.out().join("graph-requests.jsonl")).unwrap();
    assert_eq!(requests.lines().count(), 4, "{requests}");
    let graph = StandIn::start(users, subscriptions, &["contoso.com"], &[TOKEN]);
    let setup = Setup { case, graph };
    setup.apply(&[]).assert_exit(0);
    let applied = lines_with(&setup.journal(), "applied");
    assert_eq!(applied.len(), 4, "adele, alex, diego, grady");
    assert_eq!(
        setup.graph.licenses("adele@contoso.com"),
        ["VISIOCLIENT", "SPB"]
    );
    assert_eq!(setup.graph.licenses("grady@contoso.com"), ["SPB"]);
    assert_eq!(setup.graph.licenses("lee@contoso.com"), [BSTD]);
    assert_eq!(setup.graph.seats("SPB"), (6, 4));
    assert_eq!(setup.graph.seats("VISIOCLIENT"), (2, 1));

    let mut plan = String::from("User,From,To\n");
    let (user, from, to) = (result.col("user"), result.col("from"), result.col("to"));
    for line in &applied {
        let row = &result.rows[*line as usize - 2];
        plan += &format!("{},{},{}\n", row[user], row[from], row[to]);
    }
    let export = Case::new()
        .bytes("users.csv", setup.graph.users_csv())
        .bytes(
            "subscriptions.csv",
            setup.graph.subscriptions_csv("contoso.com"),
        )
        .bytes("plan.csv", plan);
    let again = export.run(&[]);
    again.assert_exit(0);
    assert_eq!(again.result().column("status"), ["unchanged"; 4]);
    let left = fs::read_to_string(export.out().join("graph-requests.jsonl")).unwrap();
    assert_eq!(left, "", "nothing left to apply");
}

#[test]
fn the_contoso_sample_applied_then_exported_shows_every_applied_user_unchanged() {
    let sample = concat!(env!("CARGO_MANIFEST_DIR"), "/samples/contoso");
    let text = |name: &str| fs::read_to_string(Path::new(sample).join(name)).unwrap();
    let case = Case::new()
        .bytes("users.csv", text("users.csv"))
        .bytes("subscriptions.csv", text("subscriptions.csv"))
        .bytes("plan.csv", text("plan.csv"));
    let run = case.run(&[]);
    run.assert_exit(1); // the sample has users who fail on purpose
    let result = run.result();
    let reassigned = result
        .column("status")
        .iter()
        .filter(|s| **s == "reassigned")
        .count();
    assert!(reassigned >= 5, "{}", result.text);
    let graph = StandIn::start(
        &text("users.csv"),
        &text("subscriptions.csv"),
        &["contoso.com"],
        &[TOKEN],
    );
    let setup = Setup { case, graph };
    setup.apply(&[]).assert_exit(0);
    let applied = lines_with(&setup.journal(), "applied");
    assert_eq!(applied.len(), reassigned, "every reassigned user applied");
    let (user, from, to, after) = (
        result.col("user"),
        result.col("from"),
        result.col("to"),
        result.col("licenses_after"),
    );
    let mut plan = String::from("User,From,To\n");
    for line in &applied {
        let row = &result.rows[*line as usize - 2];
        // The stand-in holds what result.csv said the user would hold.
        let mut held = setup.graph.licenses(&row[user]);
        let mut wanted: Vec<String> = row[after].split('+').map(str::to_string).collect();
        held.sort();
        wanted.sort();
        assert_eq!(held, wanted, "{}", row[user]);
        plan += &format!("{},{},{}\n", row[user], row[from], row[to]);
    }
    let export = Case::new()
        .bytes("users.csv", setup.graph.users_csv())
        .bytes(
            "subscriptions.csv",
            setup.graph.subscriptions_csv("contoso.com"),
        )
        .bytes("plan.csv", plan);
    let again = export.run(&[]);
    again.assert_exit(0);
    assert_eq!(
        again.result().column("status"),
        vec!["unchanged"; reassigned]
    );
}

#[test]
fn at_most_four_batches_are_in_flight_and_no_bar_shows_off_a_terminal() {
    let setup = Setup::moving(200);
    setup.graph.faults(Faults {
        delay: Duration::from_millis(50),
        ..Faults::default()
    });
    let out = setup.case.out();
    let args = [
        "apply",
        out.to_str().unwrap(),
        "--graph-url",
        &setup.graph.url,
    ];
    let env = [
        ("REPLAN_GRAPH_TOKEN", TOKEN),
        ("REPLAN_TEST_WAIT_SCALE", "0"),
    ];
    let run = setup.case.exec_env(setup.case.root(), &out, &args, &env);
    run.assert_exit(0);
    assert_eq!(
        run.stderr, "",
        "stderr is a pipe here: no bar, no escape codes"
    );
    assert_every_user_moved_once(&setup, 200);
    assert_eq!(setup.graph.state().most_in_flight, 4);
}

#[test]
fn users_are_found_by_their_keys_as_run_writes_them() {
    // A guest (`#EXT#` percent-encoded), a name with `'` (Graph's key form, the
    // quote doubled) and one by object id.
    let users = "User principal name,Object Id,Usage location,Licenses\n\
                 adele_fabrikam.com#EXT#@contoso.onmicrosoft.com,,US,O365_BUSINESS_PREMIUM\n\
                 o'brien@contoso.com,,US,O365_BUSINESS_PREMIUM\n\
                 megan@contoso.com,6E2A0000-0000-4000-8000-00000000000A,US,O365_BUSINESS_PREMIUM\n";
    let guest = request(
        2,
        "contoso.com",
        "adele_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        &[BSTD],
        &[PREM],
    );
    assert!(
        guest.contains("/users/adele_fabrikam.com%23EXT%23@contoso.onmicrosoft.com/assignLicense"),
        "{guest}"
    );
    let quoted = request(3, "contoso.com", "o'brien@contoso.com", &[BSTD], &[PREM]).replace(
        "/users/o%27brien@contoso.com/",
        "/users('o''brien@contoso.com')/",
    );
    let by_id = request(4, "contoso.com", "megan@contoso.com", &[BSTD], &[PREM]).replace(
        "/users/megan@contoso.com/",
        "/users/6e2a0000-0000-4000-8000-00000000000a/",
    );
    let setup = Setup::new(
        users,
        &subscriptions(3, 3),
        &format!("{guest}\n{quoted}\n{by_id}\n"),
    );
    setup.apply(&[]).assert_exit(0);
    assert_eq!(lines_with(&setup.journal(), "applied"), [2, 3, 4]);
    for upn in [
        "adele_fabrikam.com#EXT#@contoso.onmicrosoft.com",
        "o'brien@contoso.com",
        "megan@contoso.com",
    ] {
        assert_eq!(setup.graph.licenses(upn), [PREM], "{upn}");
    }
}

#[test]
fn a_token_without_organization_read_all_stops_before_any_user() {
    let setup = Setup::moving(2);
    setup.graph.faults(Faults {
        forbid_organization: true,
        ..Faults::default()
    });
    let out = setup.apply(&[]);
    out.assert_exit(1);
    assert!(
        out.stderr.contains("Graph answered 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. (the token needs Organization.Read.All)"),
        "{}",
        out.describe()
    );
    assert!(out.stdout.contains("2 not sent"), "{}", out.describe());
    assert_eq!(setup.http_requests().len(), 1, "only the tenant was asked");
    assert_eq!(setup.journal().len(), 0);
}
