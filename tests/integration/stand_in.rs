//! A Microsoft Graph stand-in on 127.0.0.1 for the tests of `replan apply` (test
//! code only, never in the binary). It answers as Microsoft documents:
//! - `GET /v1.0/organization?$select=…`: the tenant and its verified domains;
//! - `POST /v1.0/$batch` (JSON batching): at most 20 requests, answered in another
//!   order than asked (here: reversed), each `GET /users/{key}?$select=id,assignedLicenses`
//!   or `POST /users/{key}/assignLicense`, over an in-memory tenant loaded from the
//!   test's users.csv and subscriptions.csv: seats per SKU, usage location and
//!   group licenses enforced with Graph's error bodies; 404 for unknown users;
//!   401 without a valid bearer token;
//! - faults on demand: 429 with `Retry-After` (before or after applying a write), 503
//!   for a whole batch, a token that expires, a dropped connection, slow answers.

use std::collections::{BTreeMap, HashSet};
use std::io::Write as _;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tiny_http::{Header, Response, Server};

/// Microsoft's product table, as much as the stand-in needs: each SKU part
/// number's id (the first listed), and the part numbers of each display name.
#[derive(Default)]
pub struct Products {
    ids: BTreeMap<String, String>,
    displays: BTreeMap<String, Vec<String>>,
}

impl Products {
    pub fn load() -> Products {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/data/ms-licensing-catalog.csv");
        let mut reader = csv::Reader::from_path(path).unwrap();
        let headers = reader.headers().unwrap().clone();
        let col = |name: &str| {
            headers
                .iter()
                .position(|h| h.trim_start_matches('\u{feff}') == name)
                .unwrap()
        };
        let (display, part, guid) = (col("Product_Display_Name"), col("String_Id"), col("GUID"));
        let mut products = Products::default();
        for record in reader.records() {
            let record = record.unwrap();
            let part = record[part].trim().to_string();
            products
                .ids
                .entry(part.clone())
                .or_insert_with(|| record[guid].trim().to_ascii_lowercase());
            let parts = products
                .displays
                .entry(record[display].trim().to_lowercase())
                .or_default();
            if !parts.contains(&part) {
                parts.push(part);
            }
        }
        products
    }

    /// The SKU part number a name means: a part number, or a display name (one
    /// shared by several SKUs means the one among `subscribed`).
    pub fn part(&self, name: &str, subscribed: &[String]) -> String {
        if let Some((part, _)) = self.ids.iter().find(|(p, _)| p.eq_ignore_ascii_case(name)) {
            return part.clone();
        }
        let parts = self
            .displays
            .get(&name.to_lowercase())
            .unwrap_or_else(|| panic!("stand-in: unknown product {name}"));
        let mine: Vec<&String> = parts.iter().filter(|p| subscribed.contains(p)).collect();
        match (parts.as_slice(), mine.as_slice()) {
            ([one], _) => one.clone(),
            (_, [one]) => one.to_string(),
            _ => panic!("stand-in: {name} is one of {parts:?}"),
        }
    }

    pub fn id(&self, part: &str) -> String {
        self.ids[part].clone()
    }
}

/// The SKU id of a part number.
pub fn sku(part: &str) -> String {
    Products::load().id(part)
}

/// One user of the stand-in's tenant.
#[derive(Clone, Debug)]
pub struct User {
    pub id: String,
    pub upn: String,
    pub usage_location: String,
    /// SKU ids, in assignment order.
    pub licenses: Vec<String>,
    /// SKU ids that come through a group.
    pub group: Vec<String>,
}

/// One subscription (SKU) of the tenant.
#[derive(Clone, Debug)]
pub struct Sku {
    pub id: String,
    pub part: String,
    pub prepaid: u64,
    pub consumed: u64,
}

/// The faults to inject, each consumed as it happens.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// The next N reads answered 429 `Retry-After: 0` (or [`Faults::retry_after`]).
    pub throttle_reads: usize,
    /// The next N writes applied, then answered 429 `Retry-After: 0`.
    pub throttle_after_write: usize,
    /// The next N writes answered 429 `Retry-After: 0`, not applied.
    pub throttle_writes: usize,
    /// The next N batches answered 503 as a whole.
    pub unavailable_batches: usize,
    /// The next N batches: the connection drops before any answer.
    pub dropped_connections: usize,
    /// Only this many more batches are answered: then the stand-in stops
    /// answering (later batches wait, unanswered, until the faults change, two
    /// minutes at most).
    pub answered_batches: Option<usize>,
    /// A token that stops being valid after this many more batches.
    pub expire: Option<(String, usize)>,
    /// Every batch answered after this delay.
    pub delay: Duration,
    /// The first batch answered after this delay too (it ends after later ones).
    pub first_batch_delay: Duration,
    /// `GET /organization` refused: the token lacks Organization.Read.All.
    pub forbid_organization: bool,
    /// The `Retry-After` seconds of throttled answers, instead of 0.
    pub retry_after: Option<u64>,
}

#[derive(Debug, Default)]
pub struct State {
    pub tenant_id: String,
    pub display_name: String,
    pub domains: Vec<String>,
    /// The verified domains of other tenants, by their tokens (a token not listed
    /// is this tenant's).
    pub tenants: BTreeMap<String, Vec<String>>,
    pub users: Vec<User>,
    pub skus: Vec<Sku>,
    pub tokens: HashSet<String>,
    pub faults: Faults,
    /// Every HTTP request: `METHOD path`.
    pub requests: Vec<String>,
    /// When each of `requests` arrived.
    pub arrivals: Vec<Instant>,
    /// The requests of every batch (`METHOD url`), as the batch lists them.
    pub batches: Vec<Vec<String>>,
    /// Every bearer token a request carried.
    pub bearers: HashSet<String>,
    /// The user principal name of every write that changed the tenant.
    pub writes: Vec<String>,
    /// The largest batch seen.
    pub largest_batch: usize,
    /// Requests being answered now, and the most at once.
    pub in_flight: usize,
    pub most_in_flight: usize,
}

/// A running stand-in; stops when dropped.
pub struct StandIn {
    pub url: String,
    state: Arc<Mutex<State>>,
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
}

impl StandIn {
    /// A tenant loaded from users.csv and subscriptions.csv texts (products by SKU
    /// part number or display name, `+`-joined licenses), with these verified
    /// domains and valid tokens.
    pub fn start(users: &str, subscriptions: &str, domains: &[&str], tokens: &[&str]) -> StandIn {
        let products = Products::load();
        let skus = load_skus(subscriptions, &products);
        let subscribed: Vec<String> = skus.iter().map(|s| s.part.clone()).collect();
        let state = State {
            tenant_id: "4a5b6c7d-0000-0000-0000-000000000001".into(),
            display_name: "Contoso".into(),
            domains: domains.iter().map(|d| d.to_string()).collect(),
            users: load_users(users, &products, &subscribed),
            skus,
            tokens: tokens.iter().map(|t| t.to_string()).collect(),
            ..State::default()
        };
        let server = Arc::new(Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let state = Arc::new(Mutex::new(state));
        let thread = {
            let (server, state) = (server.clone(), state.clone());
            std::thread::spawn(move || {
                // A thread per request, as Graph answers requests in parallel.
                std::thread::scope(|scope| {
                    for request in server.incoming_requests() {
                        let state = &state;
                        scope.spawn(move || serve(state, request));
                    }
                });
            })
        };
        StandIn {
            url: format!("http://127.0.0.1:{port}"),
            state,
            server,
            thread: Some(thread),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn faults(&self, faults: Faults) {
        self.state().faults = faults;
    }

    /// A user's SKU part numbers, in assignment order.
    pub fn licenses(&self, upn: &str) -> Vec<String> {
        let state = self.state();
        let user = state
            .users
            .iter()
            .find(|u| u.upn.eq_ignore_ascii_case(upn))
            .unwrap_or_else(|| panic!("no user {upn}"));
        user.licenses
            .iter()
            .map(|id| part_of(&state.skus, id))
            .collect()
    }

    /// The tenant as a users.csv export (the admin center's columns).
    pub fn users_csv(&self) -> String {
        let state = self.state();
        let mut text =
            String::from("User principal name,Object Id,Usage location,Licenses,Group licenses\n");
        for u in &state.users {
            let names = |ids: &[String]| {
                ids.iter()
                    .map(|id| part_of(&state.skus, id))
                    .collect::<Vec<_>>()
                    .join("+")
            };
            text.push_str(&format!(
                "{},{},{},{},{}\n",
                u.upn,
                u.id,
                u.usage_location,
                names(&u.licenses),
                names(&u.group)
            ));
        }
        text
    }

    /// The tenant's subscriptions as a subscriptions.csv export.
    pub fn subscriptions_csv(&self, organization: &str) -> String {
        let mut text = String::from("Organization,Product,Status,Total,Assigned\n");
        for sku in &self.state().skus {
            text.push_str(&format!(
                "{organization},{},Active,{},{}\n",
                sku.part, sku.prepaid, sku.consumed
            ));
        }
        text
    }

    /// How many times each user was written (only users written at least once).
    pub fn writes_per_user(&self) -> BTreeMap<String, usize> {
        let mut counts = BTreeMap::new();
        for upn in &self.state().writes {
            *counts.entry(upn.clone()).or_insert(0) += 1;
        }
        counts
    }

    /// `(prepaid, consumed)` of a SKU.
    pub fn seats(&self, part: &str) -> (u64, u64) {
        let state = self.state();
        let sku = state.skus.iter().find(|s| s.part == part).unwrap();
        (sku.prepaid, sku.consumed)
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn part_of(skus: &[Sku], id: &str) -> String {
    skus.iter()
        .find(|s| s.id == id)
        .map_or_else(|| id.to_string(), |s| s.part.clone())
}

fn table(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .unwrap()
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(|c| c.trim().to_string()).collect())
        .collect();
    (headers, rows)
}

fn cell<'r>(headers: &[String], row: &'r [String], names: &[&str]) -> Option<&'r str> {
    names
        .iter()
        .find_map(|n| headers.iter().position(|h| h == n))
        .map(|i| row[i].as_str())
}

fn parts(text: &str, products: &Products, subscribed: &[String]) -> Vec<String> {
    text.split('+')
        .map(str::trim)
        .filter(|p| !p.is_empty() && !p.eq_ignore_ascii_case("unlicensed"))
        .map(|p| products.id(&products.part(p, subscribed)))
        .collect()
}

fn load_users(text: &str, products: &Products, subscribed: &[String]) -> Vec<User> {
    let (headers, rows) = table(text);
    rows.iter()
        .enumerate()
        .map(|(i, row)| {
            let get = |names: &[&str]| cell(&headers, row, names).unwrap_or_default();
            let id = match get(&["object id"]) {
                "" => format!("00000000-0000-4000-8000-{:012}", i + 1),
                id => id.to_ascii_lowercase(),
            };
            User {
                id,
                upn: get(&["user principal name"]).to_string(),
                usage_location: get(&["usage location"]).to_string(),
                licenses: parts(get(&["licenses"]), products, subscribed),
                group: parts(get(&["group licenses"]), products, subscribed),
            }
        })
        .collect()
}

fn load_skus(text: &str, products: &Products) -> Vec<Sku> {
    let (headers, rows) = table(text);
    rows.iter()
        .map(|row| {
            let get = |names: &[&str]| cell(&headers, row, names).unwrap_or_default();
            let part = products.part(get(&["product"]), &[]);
            Sku {
                id: products.id(&part),
                part,
                prepaid: get(&["total", "total licenses"]).parse().unwrap(),
                consumed: get(&["assigned", "assigned licenses"]).parse().unwrap(),
            }
        })
        .collect()
}

fn header(name: &str, value: &str) -> Header {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).unwrap()
}

fn reply(request: tiny_http::Request, status: u16, body: &Value, retry_after: Option<&str>) {
    let mut response = Response::from_string(body.to_string())
        .with_status_code(status)
        .with_header(header("Content-Type", "application/json"));
    if let Some(s) = retry_after {
        response = response.with_header(header("Retry-After", s));
    }
    let _ = request.respond(response);
}

fn error(code: &str, message: &str) -> Value {
    json!({"error": {"code": code, "message": message, "innerError": {"date": "2026-12-04T10:00:00", "request-id": "0000"}}})
}

fn serve(state: &Mutex<State>, mut request: tiny_http::Request) {
    let mut body = String::new();
    let _ = request.as_reader().read_to_string(&mut body);
    let method = request.method().to_string();
    let url = request.url().to_string();
    let token = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.as_str().trim_start_matches("Bearer ").to_string())
        .unwrap_or_default();
    let delay = {
        let mut s = state.lock().unwrap();
        s.requests.push(format!("{method} {url}"));
        s.arrivals.push(Instant::now());
        s.bearers.insert(token.clone());
        s.in_flight += 1;
        s.most_in_flight = s.most_in_flight.max(s.in_flight);
        let first = match url.ends_with("$batch") {
            true => std::mem::take(&mut s.faults.first_batch_delay),
            false => Duration::ZERO,
        };
        s.faults.delay + first
    };
    std::thread::sleep(delay);
    let mut s = state.lock().unwrap();
    s.in_flight -= 1;
    if !s.tokens.contains(&token) {
        drop(s);
        let body = error(
            "InvalidAuthenticationToken",
            "Access token has expired or is not yet valid.",
        );
        return reply(request, 401, &body, None);
    }
    if let Some((expiring, left)) = &mut s.faults.expire
        && *expiring == token
        && url.ends_with("$batch")
    {
        if *left == 0 {
            let t = expiring.clone();
            s.tokens.remove(&t);
            s.faults.expire = None;
            drop(s);
            let body = error(
                "InvalidAuthenticationToken",
                "Access token has expired or is not yet valid.",
            );
            return reply(request, 401, &body, None);
        }
        *left -= 1;
    }
    match (method.as_str(), url.as_str()) {
        ("GET", u) if u.starts_with("/v1.0/organization") && s.faults.forbid_organization => {
            drop(s);
            let body = error(
                "Authorization_RequestDenied",
                "Insufficient privileges to complete the operation.",
            );
            reply(request, 403, &body, None)
        }
        ("GET", u) if u.starts_with("/v1.0/organization") => {
            let domains: Vec<Value> = s
                .tenants
                .get(&token)
                .unwrap_or(&s.domains)
                .iter()
                .enumerate()
                .map(|(i, d)| json!({"name": d, "isDefault": i == 0, "isInitial": d.ends_with(".onmicrosoft.com"), "capabilities": "Email, OfficeCommunicationsOnline", "type": "Managed", "isVerified": true}))
                .collect();
            let body = json!({"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#organization(id,displayName,verifiedDomains)", "value": [{"id": s.tenant_id, "displayName": s.display_name, "verifiedDomains": domains}]});
            drop(s);
            reply(request, 200, &body, None)
        }
        ("POST", "/v1.0/$batch") => {
            match &mut s.faults.answered_batches {
                Some(0) => {
                    drop(s);
                    let started = Instant::now();
                    while started.elapsed() < Duration::from_secs(120) {
                        std::thread::sleep(Duration::from_millis(10));
                        let s = state.lock().unwrap_or_else(|p| p.into_inner());
                        if s.faults.answered_batches != Some(0) {
                            break;
                        }
                    }
                    return;
                }
                Some(left) => *left -= 1,
                None => {}
            }
            if s.faults.dropped_connections > 0 {
                s.faults.dropped_connections -= 1;
                drop(s);
                // The answer breaks off: a chunk that never comes whole. (tiny_http
                // keeps the socket open, so a short body would leave the client
                // waiting instead of failing.)
                let mut w = request.into_writer();
                let _ = w.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{\"responses\":[\r\n");
                let _ = w.flush();
                return;
            }
            if s.faults.unavailable_batches > 0 {
                s.faults.unavailable_batches -= 1;
                drop(s);
                let body = error("ServiceUnavailable", "Service is temporarily unavailable.");
                return reply(request, 503, &body, Some("0"));
            }
            let batch: Value = match serde_json::from_str(&body) {
                Ok(b) => b,
                Err(_) => {
                    drop(s);
                    return reply(
                        request,
                        400,
                        &error("BadRequest", "Invalid batch payload format."),
                        None,
                    );
                }
            };
            let requests = batch["requests"].as_array().cloned().unwrap_or_default();
            if requests.len() > 20 {
                drop(s);
                let body = error(
                    "BadRequest",
                    "Number of requests in batch exceeds the maximum of 20.",
                );
                return reply(request, 400, &body, None);
            }
            s.largest_batch = s.largest_batch.max(requests.len());
            let listed = requests
                .iter()
                .map(|r| {
                    let method = r["method"].as_str().unwrap_or_default();
                    format!("{method} {}", r["url"].as_str().unwrap_or_default())
                })
                .collect();
            s.batches.push(listed);
            let mut responses: Vec<Value> = requests.iter().map(|r| one(&mut s, r)).collect();
            responses.reverse();
            drop(s);
            reply(request, 200, &json!({ "responses": responses }), None)
        }
        _ => {
            drop(s);
            reply(
                request,
                404,
                &error("UnknownError", "no such endpoint in the stand-in"),
                None,
            )
        }
    }
}

/// Percent-decoding of a URL's key.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap();
            out.push(u8::from_str_radix(hex, 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

/// The user a `/users/KEY…` or `/users('KEY')…` URL names: by id or principal name.
fn find(s: &State, key: &str) -> Option<usize> {
    let key = match key.strip_prefix("('").and_then(|k| k.strip_suffix("')")) {
        Some(k) => decode(k).replace("''", "'"),
        None => decode(key),
    };
    s.users
        .iter()
        .position(|u| u.id == key.to_ascii_lowercase() || u.upn.eq_ignore_ascii_case(&key))
}

fn respond(id: &Value, status: u16, body: Value, retry_after: Option<&str>) -> Value {
    let mut headers = json!({"Content-Type": "application/json"});
    if let Some(s) = retry_after {
        headers["Retry-After"] = json!(s);
    }
    json!({"id": id, "status": status, "headers": headers, "body": body})
}

/// Graph's answer to a request throttled: 429 with `Retry-After`.
fn throttled(s: &State, id: &Value) -> Value {
    let body = error("TooManyRequests", "Too many requests.");
    let seconds = s.faults.retry_after.unwrap_or(0).to_string();
    respond(id, 429, body, Some(&seconds))
}

/// One request of a batch.
fn one(s: &mut State, r: &Value) -> Value {
    let id = &r["id"];
    let method = r["method"].as_str().unwrap_or_default();
    let url = r["url"].as_str().unwrap_or_default();
    let Some(rest) = url.strip_prefix("/users") else {
        return respond(id, 400, error("BadRequest", "Invalid request URL."), None);
    };
    let (key, action) = match method {
        "GET" => match rest.split_once('?') {
            Some((key, "$select=id,assignedLicenses")) => (key, "read"),
            _ => return respond(id, 400, error("BadRequest", "Unexpected read."), None),
        },
        "POST" => match rest.strip_suffix("/assignLicense") {
            Some(key) => (key, "write"),
            None => return respond(id, 400, error("BadRequest", "Unexpected write."), None),
        },
        _ => return respond(id, 405, error("BadRequest", "Method not allowed."), None),
    };
    let key = key.strip_prefix('/').unwrap_or(key);
    let Some(u) = find(s, key) else {
        let message = format!(
            "Resource '{key}' does not exist or one of its queried reference-property objects are not present."
        );
        return respond(id, 404, error("Request_ResourceNotFound", &message), None);
    };
    if action == "read" {
        if s.faults.throttle_reads > 0 {
            s.faults.throttle_reads -= 1;
            return throttled(s, id);
        }
        let user = &s.users[u];
        let licenses: Vec<Value> = user
            .licenses
            .iter()
            .map(|sku| json!({"disabledPlans": [], "skuId": sku}))
            .collect();
        return respond(
            id,
            200,
            json!({"id": user.id, "assignedLicenses": licenses}),
            None,
        );
    }
    if r["headers"]["Content-Type"] != "application/json" {
        return respond(
            id,
            400,
            error(
                "BadRequest",
                "Write requests require a Content-Type header.",
            ),
            None,
        );
    }
    if s.faults.throttle_writes > 0 {
        s.faults.throttle_writes -= 1;
        return throttled(s, id);
    }
    match assign(s, u, &r["body"]) {
        Err(message) => respond(id, 400, error("Request_BadRequest", &message), None),
        Ok(()) => {
            let upn = s.users[u].upn.clone();
            s.writes.push(upn);
            if s.faults.throttle_after_write > 0 {
                s.faults.throttle_after_write -= 1;
                return throttled(s, id);
            }
            let user = &s.users[u];
            respond(
                id,
                200,
                json!({"id": user.id, "userPrincipalName": user.upn}),
                None,
            )
        }
    }
}

/// assignLicense, with Graph's checks and messages.
fn assign(s: &mut State, u: usize, body: &Value) -> Result<(), String> {
    let (Some(add), Some(remove)) = (
        body["addLicenses"].as_array(),
        body["removeLicenses"].as_array(),
    ) else {
        return Err(
            "Invalid value specified for property 'addLicenses' of resource 'User'.".into(),
        );
    };
    let add: Vec<String> = add
        .iter()
        .map(|l| l["skuId"].as_str().unwrap_or_default().to_ascii_lowercase())
        .collect();
    let remove: Vec<String> = remove
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_ascii_lowercase())
        .collect();
    let user = &s.users[u];
    let new: Vec<&String> = add.iter().filter(|a| !user.licenses.contains(a)).collect();
    if !new.is_empty() && user.usage_location.is_empty() {
        return Err(
            "License assignment cannot be done for user with invalid usage location.".into(),
        );
    }
    for r in &remove {
        if user.group.contains(r) {
            return Err("User license is inherited from a group membership and it cannot be removed directly from the user.".into());
        }
        if !user.licenses.contains(r) {
            return Err(format!("User does not have a corresponding license {r}."));
        }
    }
    for a in &new {
        let Some(sku) = s.skus.iter().find(|k| &k.id == *a) else {
            return Err(format!(
                "License {a} does not correspond to a valid company License."
            ));
        };
        if sku.consumed >= sku.prepaid {
            return Err(format!(
                "Subscription with SKU {a} does not have any available licenses."
            ));
        }
    }
    let new: Vec<String> = new.into_iter().cloned().collect();
    for sku in s.skus.iter_mut() {
        if remove.contains(&sku.id) {
            sku.consumed -= 1;
        }
        if new.contains(&sku.id) {
            sku.consumed += 1;
        }
    }
    let user = &mut s.users[u];
    user.licenses.retain(|l| !remove.contains(l));
    user.licenses.extend(new);
    Ok(())
}
