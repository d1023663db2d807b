//! The decisions of `apply`, as data: what a Graph answer means, what a user's
//! current licenses say to do, how long to wait, whether a tenant is the plan's.
//! No I/O here: the sending loop only acts on what these functions return.

use std::time::Duration;

use serde_json::Value;

/// How a request of graph-requests.jsonl ended, as the journal records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// This apply's assignLicense went through.
    Applied,
    /// The user already had the licenses `after`: nothing was sent.
    AlreadyApplied,
    /// The user holds neither `before` nor `after`: changed since the export.
    Drifted,
    /// Graph refused the request (its code and message are journaled).
    Failed,
    /// The token's tenant does not own the users' domains: nothing was sent.
    WrongTenant,
}

impl Outcome {
    /// Every outcome, in the order summaries list them.
    pub const ALL: [Outcome; 5] = [
        Outcome::Applied,
        Outcome::AlreadyApplied,
        Outcome::Drifted,
        Outcome::Failed,
        Outcome::WrongTenant,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::AlreadyApplied => "already-applied",
            Outcome::Drifted => "drifted",
            Outcome::Failed => "failed",
            Outcome::WrongTenant => "wrong-tenant",
        }
    }

    pub fn parse(text: &str) -> Option<Outcome> {
        Outcome::ALL.into_iter().find(|o| o.as_str() == text)
    }

    /// Whether the user ends as the plan wants: an apply that starts again skips
    /// the line.
    pub fn is_done(self) -> bool {
        matches!(self, Outcome::Applied | Outcome::AlreadyApplied)
    }
}

/// What one Graph answer (a request inside a batch, or the batch itself) means.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// 2xx.
    Ok { status: u16 },
    /// 429, 503 or 504: wait (`Retry-After` when Graph gave one), then try again.
    Throttled { retry_after: Option<Duration> },
    /// 401: the token has expired or was revoked.
    Unauthorized,
    /// Any other status, with Graph's error code and message.
    Failed {
        status: u16,
        code: String,
        message: String,
    },
}

/// Classifies an answer from its status, its `Retry-After` header and its body.
pub fn answer(status: u16, retry_after: Option<&str>, body: Option<&Value>) -> Answer {
    match status {
        200..=299 => Answer::Ok { status },
        429 | 503 | 504 => Answer::Throttled {
            retry_after: retry_after.and_then(seconds),
        },
        401 => Answer::Unauthorized,
        _ => {
            let error = body.and_then(|b| b.get("error"));
            let text = |key| {
                error
                    .and_then(|e| e.get(key))
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            Answer::Failed {
                status,
                code: text("code"),
                message: text("message"),
            }
        }
    }
}

/// `Retry-After` as Graph sends it: whole seconds. (The HTTP-date form is not
/// used by Graph; the standard backoff applies instead.)
fn seconds(text: &str) -> Option<Duration> {
    text.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// The wait before the `n`th try again (from 1) when Graph gave no `Retry-After`:
/// 2, 4, 8 … 64 seconds.
pub fn backoff(n: u32) -> Duration {
    Duration::from_secs(1u64 << n.clamp(1, 6))
}

/// How long to wait before trying again: Graph's `Retry-After`, always waited in
/// full, and replan's own backoff (which the tests, against a stand-in on this
/// machine, may shorten: see [`super::send::wait_scale`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Wait {
    pub retry_after: Duration,
    pub backoff: Duration,
}

impl Wait {
    /// No wait.
    pub const NONE: Wait = Wait {
        retry_after: Duration::ZERO,
        backoff: Duration::ZERO,
    };

    /// What a throttled answer asks for: its `Retry-After`, else the backoff
    /// before the `n`th try again.
    pub fn throttled(retry_after: Option<Duration>, n: u32) -> Wait {
        match retry_after {
            Some(retry_after) => Wait {
                retry_after,
                ..Wait::NONE
            },
            None => Wait::backoff(n),
        }
    }

    /// The backoff before the `n`th try again.
    pub fn backoff(n: u32) -> Wait {
        Wait {
            backoff: backoff(n),
            ..Wait::NONE
        }
    }

    /// The longer of two waits, each part.
    pub fn max(self, other: Wait) -> Wait {
        Wait {
            retry_after: self.retry_after.max(other.retry_after),
            backoff: self.backoff.max(other.backoff),
        }
    }

    /// How long it lasts, with the backoff scaled by `scale` (1: all of it).
    pub fn duration(self, scale: f64) -> Duration {
        self.retry_after
            .max(self.backoff.mul_f64(scale.clamp(0.0, 1.0)))
    }
}

/// A request throttled this many times in a row stops the apply.
pub const THROTTLED_IN_A_ROW: u32 = 8;

/// Network errors retried per batch before the apply stops.
pub const NETWORK_RETRIES: u32 = 5;

/// What a user's current licenses say to do with their request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    /// Exactly `before`: send the assignLicense.
    Send,
    /// Exactly `after`: nothing to send.
    Done,
    /// Anything else: changed since the export; nothing to send.
    Drifted,
}

/// Compares the user's current SKU ids, taken within `before` ∪ `after` (other
/// licenses are not the request's business), with `before` and `after` as sets.
/// `before` is tested first: a request that only changes disabled plans has the
/// same SKU ids on both sides, and sending it again is harmless.
pub fn check(current: &[String], before: &[String], after: &[String]) -> Check {
    let relevant = |sku: &&String| before.contains(sku) || after.contains(sku);
    let held: Vec<&String> = current.iter().filter(relevant).collect();
    let same = |side: &[String]| {
        held.iter().all(|sku| side.contains(sku)) && side.iter().all(|sku| held.contains(&sku))
    };
    if same(before) {
        Check::Send
    } else if same(after) {
        Check::Done
    } else {
        Check::Drifted
    }
}

/// The SKU ids (lowercase) of a `GET /users/KEY?$select=id,assignedLicenses` body;
/// `None` when the body is not one.
pub fn assigned(body: Option<&Value>) -> Option<Vec<String>> {
    body?
        .get("assignedLicenses")?
        .as_array()?
        .iter()
        .map(|l| l.get("skuId")?.as_str().map(str::to_ascii_lowercase))
        .collect()
}

/// The verified domain names of a `GET /organization` body (lowercase).
pub fn verified_domains(body: &Value) -> Vec<String> {
    let organizations = body.get("value").and_then(Value::as_array);
    organizations
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("verifiedDomains")?.as_array())
        .flatten()
        .filter_map(|d| d.get("name")?.as_str())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Whether a verified domain is the domain, or a parent domain, of the user
/// principal name `upn`: a token of that tenant may apply the user's request.
pub fn covers(domains: &[String], upn: &str) -> bool {
    let Some((_, domain)) = upn.rsplit_once('@') else {
        return false;
    };
    let domain = domain.to_ascii_lowercase();
    domains.iter().any(|d| {
        domain == *d
            || domain
                .strip_suffix(d.as_str())
                .is_some_and(|head| head.ends_with('.'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn outcomes_read_back_as_written() {
        for outcome in Outcome::ALL {
            assert_eq!(Outcome::parse(outcome.as_str()), Some(outcome));
        }
        assert_eq!(Outcome::parse("Applied"), None);
        let done: Vec<_> = Outcome::ALL.into_iter().filter(|o| o.is_done()).collect();
        assert_eq!(done, [Outcome::Applied, Outcome::AlreadyApplied]);
    }

    #[test]
    fn a_2xx_is_ok() {
        assert_eq!(answer(200, None, None), Answer::Ok { status: 200 });
        assert_eq!(answer(204, None, None), Answer::Ok { status: 204 });
    }

    #[test]
    fn throttling_and_unavailability_wait_for_retry_after() {
        let secs = |s| Some(Duration::from_secs(s));
        for status in [429, 503, 504] {
            assert_eq!(
                answer(status, Some("7"), None),
                Answer::Throttled {
                    retry_after: secs(7)
                }
            );
            assert_eq!(
                answer(status, None, None),
                Answer::Throttled { retry_after: None }
            );
        }
        // A date, or garbage, falls back on the backoff.
        assert_eq!(
            answer(429, Some("Wed, 21 Oct 2026 07:28:00 GMT"), None),
            Answer::Throttled { retry_after: None }
        );
        assert_eq!(
            answer(429, Some(" 0 "), None),
            Answer::Throttled {
                retry_after: secs(0)
            }
        );
    }

    #[test]
    fn a_401_asks_for_a_fresh_token() {
        let body = json!({"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or is not yet valid."}});
        assert_eq!(answer(401, None, Some(&body)), Answer::Unauthorized);
    }

    #[test]
    fn other_statuses_fail_with_graphs_code_and_message() {
        let body = json!({"error": {"code": "Request_BadRequest", "message": "License assignment cannot be done for user with invalid usage location.", "innerError": {"date": "2026-12-04T10:00:00"}}});
        assert_eq!(
            answer(400, None, Some(&body)),
            Answer::Failed {
                status: 400,
                code: "Request_BadRequest".into(),
                message: "License assignment cannot be done for user with invalid usage location."
                    .into(),
            }
        );
        // No error body: the status alone.
        assert_eq!(
            answer(500, None, Some(&json!("oops"))),
            Answer::Failed {
                status: 500,
                code: String::new(),
                message: String::new()
            }
        );
        assert!(matches!(
            answer(404, None, None),
            Answer::Failed { status: 404, .. }
        ));
    }

    #[test]
    fn backoff_doubles_from_2_to_64_seconds() {
        let waits: Vec<u64> = (1..=8).map(|n| backoff(n).as_secs()).collect();
        assert_eq!(waits, [2, 4, 8, 16, 32, 64, 64, 64]);
        assert_eq!(backoff(0).as_secs(), 2);
    }

    #[test]
    fn a_wait_is_the_longest_and_only_the_backoff_is_scaled() {
        let secs = Duration::from_secs;
        let graph = Wait::throttled(Some(secs(3)), 5);
        let ours = Wait::throttled(None, 2);
        assert_eq!(ours, Wait::backoff(2));
        assert_eq!(graph.max(ours).duration(1.0), secs(4));
        assert_eq!(graph.max(ours).duration(0.0), secs(3));
        assert_eq!(ours.duration(0.5), secs(2));
        assert_eq!(Wait::NONE.duration(1.0), Duration::ZERO);
    }

    #[test]
    fn a_user_exactly_at_before_is_sent() {
        let (before, after) = (ids(&["a", "c"]), ids(&["c", "b"]));
        assert_eq!(check(&ids(&["c", "a"]), &before, &after), Check::Send);
        // Licenses outside the request do not count.
        assert_eq!(check(&ids(&["x", "a", "c"]), &before, &after), Check::Send);
    }

    #[test]
    fn a_user_exactly_at_after_is_done() {
        let (before, after) = (ids(&["a", "c"]), ids(&["c", "b"]));
        assert_eq!(check(&ids(&["b", "c", "y"]), &before, &after), Check::Done);
    }

    #[test]
    fn anything_else_has_drifted() {
        let (before, after) = (ids(&["a", "c"]), ids(&["c", "b"]));
        for current in [&["a"][..], &["a", "b", "c"], &[], &["c"], &["x"]] {
            assert_eq!(
                check(&ids(current), &before, &after),
                Check::Drifted,
                "{current:?}"
            );
        }
    }

    #[test]
    fn a_change_of_disabled_plans_only_is_sent() {
        let both = ids(&["a"]);
        assert_eq!(check(&ids(&["a"]), &both, &both), Check::Send);
        assert_eq!(check(&ids(&[]), &both, &both), Check::Drifted);
    }

    #[test]
    fn assigned_licenses_are_read_lowercase() {
        let body = json!({"id": "6e2a", "assignedLicenses": [
            {"disabledPlans": [], "skuId": "CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46"},
            {"disabledPlans": ["x"], "skuId": "f245ecc8-75af-4f8e-b61f-27d8114de5f3"}
        ]});
        assert_eq!(
            assigned(Some(&body)),
            Some(ids(&[
                "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46",
                "f245ecc8-75af-4f8e-b61f-27d8114de5f3"
            ]))
        );
        assert_eq!(
            assigned(Some(&json!({"id": "x", "assignedLicenses": []}))),
            Some(vec![])
        );
        assert_eq!(assigned(Some(&json!({"id": "x"}))), None);
        assert_eq!(assigned(None), None);
    }

    #[test]
    fn verified_domains_and_parents_cover_users() {
        let body = json!({"value": [{"id": "t", "displayName": "Contoso", "verifiedDomains": [
            {"name": "Contoso.com", "isDefault": true},
            {"name": "contoso.onmicrosoft.com", "isInitial": true}
        ]}]});
        let domains = verified_domains(&body);
        assert_eq!(domains, ids(&["contoso.com", "contoso.onmicrosoft.com"]));
        assert!(covers(&domains, "adele@contoso.com"));
        assert!(covers(&domains, "adele@CONTOSO.COM"));
        assert!(covers(&domains, "bob@eu.contoso.com"));
        assert!(covers(
            &domains,
            "guest_fabrikam.com#EXT#@contoso.onmicrosoft.com"
        ));
        assert!(!covers(&domains, "eve@notcontoso.com"));
        assert!(!covers(&domains, "eve@fabrikam.com"));
        assert!(!covers(&domains, "no-domain"));
        assert!(verified_domains(&json!({"value": []})).is_empty());
    }
}
