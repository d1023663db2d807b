//! The HTTP client for Microsoft Graph: which base URLs are allowed, and one GET or
//! POST with a bearer token, answered as a status, a `Retry-After` header and a
//! JSON body. Statuses are answers, not errors: only a request that got no
//! answer at all (refused, dropped, timed out) is an error.
//!
//! The client is `ureq` with rustls, its certificates from the Mozilla root
//! bundle (webpki-roots): a well-kept blocking client, no async runtime, and the
//! same TLS on every platform.

use std::net::{IpAddr, Ipv6Addr};
use std::time::Duration;

use serde_json::Value;

use super::token::Token;

/// Microsoft Graph, global service.
pub const DEFAULT_URL: &str = "https://graph.microsoft.com";

/// A base URL requests may go to: `https://…`, or `http://` to a loopback address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphUrl {
    base: String,
    loopback: bool,
}

impl GraphUrl {
    /// Checks `--graph-url`: an https URL, or plain http to `127.0.0.0/8`, `::1` or
    /// `localhost` only (a token sent in clear text elsewhere could be read on the
    /// way).
    pub fn parse(text: &str) -> Result<GraphUrl, String> {
        let refuse = |why: &str| Err(format!("--graph-url {text}: {why}"));
        let base = text.trim_end_matches('/');
        let (scheme, rest) = match base.split_once("://") {
            Some((scheme, rest)) => (scheme.to_ascii_lowercase(), rest),
            None => return refuse("not a URL (https://…)"),
        };
        if rest.contains(['?', '#', '@', ' ']) {
            return refuse("only a scheme, a host, a port and a path are allowed");
        }
        let authority = rest.split('/').next().unwrap_or_default();
        let host = host_of(authority);
        if host.is_empty() {
            return refuse("no host");
        }
        let loopback = is_loopback(host);
        match scheme.as_str() {
            "https" => {}
            "http" if loopback => {}
            "http" => return refuse("plain http is allowed only to a loopback address"),
            _ => return refuse("only https:// is allowed"),
        }
        Ok(GraphUrl {
            base: base.to_string(),
            loopback,
        })
    }

    /// Whether requests stay on this machine.
    pub fn is_loopback(&self) -> bool {
        self.loopback
    }

    /// `BASE/v1.0PATH`.
    fn url(&self, path: &str) -> String {
        format!("{}/v1.0{path}", self.base)
    }
}

/// The host of `host[:port]` or `[v6]:port`.
fn host_of(authority: &str) -> &str {
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => v6 == Ipv6Addr::LOCALHOST,
        Err(_) => false,
    }
}

/// Graph's answer to one request.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
    /// The JSON body; `Null` when there is none or it is not JSON.
    pub body: Value,
}

/// A request that got no answer.
#[derive(Clone, Debug)]
pub struct NoAnswer(pub String);

/// A client for one Graph base URL.
pub struct Graph {
    agent: ureq::Agent,
    url: GraphUrl,
}

/// Answers Graph may give: a batch of 20 users' licenses is far below this.
const MAX_BODY: u64 = 64 << 20;

impl Graph {
    pub fn new(url: GraphUrl) -> Graph {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .https_only(!url.loopback)
            .timeout_connect(Some(Duration::from_secs(30)))
            .timeout_global(Some(Duration::from_secs(300)))
            .user_agent(concat!("replan/", env!("CARGO_PKG_VERSION")))
            .max_redirects(0)
            // A proxy of the environment (HTTPS_PROXY…) is for the way out, not
            // for this machine.
            .proxy(if url.loopback {
                None
            } else {
                ureq::Proxy::try_from_env()
            })
            .build()
            .new_agent();
        Graph { agent, url }
    }

    /// `GET BASE/v1.0PATH`.
    pub fn get(&self, token: &Token, path: &str) -> Result<Reply, NoAnswer> {
        let response = self
            .agent
            .get(self.url.url(path))
            .header("Authorization", token.bearer())
            .call();
        reply(response)
    }

    /// `POST BASE/v1.0PATH` with a JSON body.
    pub fn post(&self, token: &Token, path: &str, body: &Value) -> Result<Reply, NoAnswer> {
        let bytes = serde_json::to_vec(body).map_err(|e| NoAnswer(e.to_string()))?;
        let response = self
            .agent
            .post(self.url.url(path))
            .header("Authorization", token.bearer())
            .header("Content-Type", "application/json")
            .send(&bytes[..]);
        reply(response)
    }
}

fn reply(
    response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Reply, NoAnswer> {
    // ureq's errors name the URL, never the headers: the token stays out of them.
    let mut response = response.map_err(|e| NoAnswer(e.to_string()))?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let text = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_string()
        .map_err(|e| NoAnswer(e.to_string()))?;
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok(Reply {
        status,
        retry_after,
        body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The national clouds Microsoft documents, besides the global service.
    const NATIONAL_CLOUDS: [&str; 3] = [
        "https://graph.microsoft.us",
        "https://dod-graph.microsoft.us",
        "https://microsoftgraph.chinacloudapi.cn",
    ];

    #[test]
    fn graph_and_the_national_clouds_are_allowed() {
        for url in [DEFAULT_URL].iter().chain(&NATIONAL_CLOUDS) {
            let parsed = GraphUrl::parse(url).unwrap();
            assert!(!parsed.is_loopback());
            assert_eq!(parsed.url("/$batch"), format!("{url}/v1.0/$batch"));
        }
        let slash = GraphUrl::parse("https://graph.microsoft.com/").unwrap();
        assert_eq!(
            slash.url("/organization"),
            "https://graph.microsoft.com/v1.0/organization"
        );
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for url in [
            "http://127.0.0.1:8080",
            "http://127.4.5.6",
            "http://localhost:1234/",
            "http://LOCALHOST",
            "http://[::1]:8080",
        ] {
            assert!(GraphUrl::parse(url).unwrap().is_loopback(), "{url}");
        }
        for url in [
            "http://graph.microsoft.com",
            "http://10.0.0.1:8080",
            "http://localhost.evil.example",
            "http://127.0.0.1.evil.example",
            "http://[::2]:80",
            "http://0.0.0.0",
        ] {
            let err = GraphUrl::parse(url).unwrap_err();
            assert!(err.contains("only to a loopback address"), "{url}: {err}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for url in [
            "graph.microsoft.com",
            "ftp://graph.microsoft.com",
            "https://",
            "https://user@graph.microsoft.com",
            "https://graph.microsoft.com/?x=1",
        ] {
            assert!(GraphUrl::parse(url).is_err(), "{url}");
        }
    }
}
