//! Reading `OUT/graph-requests.jsonl`, the requests `run` wrote
//! ([`crate::requests`] builds them): one JSON object a line. Anything that is not a request as SPEC.md describes it is unusable input,
//! named by file, line and column: `apply` never sends what it cannot vouch for.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{Error, InputError};

/// One line of graph-requests.jsonl.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Request {
    /// The user's line in result.csv: it joins the request to the journal.
    pub line: u64,
    pub organization: String,
    pub user: String,
    pub method: String,
    /// Relative to `GRAPH/v1.0`: `/users/KEY/assignLicense`.
    pub url: String,
    pub body: Value,
    pub before: Vec<String>,
    pub after: Vec<String>,
}

impl Request {
    /// The read that comes first: the user's id and assigned licenses.
    pub fn read_url(&self) -> String {
        let user = self.url.strip_suffix(ASSIGN).unwrap_or(&self.url);
        format!("{user}?$select=id,assignedLicenses")
    }
}

const ASSIGN: &str = "/assignLicense";

/// Reads every request of `path`, in file order.
pub fn read(path: &Path) -> Result<Vec<Request>, Error> {
    let file = path.display().to_string();
    let text = fs::read_to_string(path).map_err(|source| InputError::Io {
        file: file.clone(),
        source,
    })?;
    let mut requests = Vec::new();
    let mut lines = HashSet::new();
    for (n, text) in text.lines().enumerate() {
        let at = |column: usize, message: String| InputError::At {
            file: file.clone(),
            line: n as u64 + 1,
            column,
            message,
        };
        if text.trim().is_empty() {
            continue;
        }
        let mut request: Request = serde_json::from_str(text)
            .map_err(|e| at(e.column(), format!("not a Graph request: {e}")))?;
        check(&request).map_err(|message| at(1, message))?;
        if !lines.insert(request.line) {
            return Err(at(1, format!("line {} appears twice", request.line)).into());
        }
        for sku in request.before.iter_mut().chain(&mut request.after) {
            sku.make_ascii_lowercase();
        }
        requests.push(request);
    }
    Ok(requests)
}

/// What `apply` relies on: an assignLicense POST to one user, relative to Graph.
fn check(request: &Request) -> Result<(), String> {
    if request.method != "POST" {
        return Err(format!("method {:?}: only POST is sent", request.method));
    }
    let user = request
        .url
        .strip_suffix(ASSIGN)
        .and_then(|u| u.strip_prefix("/users"))
        .ok_or_else(|| format!("url {:?} is not /users/KEY/assignLicense", request.url))?;
    let key = user
        .strip_prefix('/')
        .or_else(|| user.strip_prefix("('").and_then(|k| k.strip_suffix("')")))
        .unwrap_or_default();
    let plain = |c: char| c.is_ascii_alphanumeric() || "-._@%'".contains(c);
    if key.is_empty() || !key.chars().all(plain) {
        return Err(format!(
            "url {:?} is not /users/KEY/assignLicense",
            request.url
        ));
    }
    if !request.body.is_object() {
        return Err("body is not a JSON object".into());
    }
    if request.user.is_empty() {
        return Err("user is empty".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(text: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(crate::output::GRAPH);
        fs::write(&path, text).unwrap();
        (dir, path)
    }

    const LINE: &str = r#"{"line":2,"organization":"Contoso Ltd","user":"AdeleV@contoso.com","method":"POST","url":"/users/6e2a0000-0000-0000-0000-000000000001/assignLicense","body":{"addLicenses":[{"skuId":"cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46","disabledPlans":[]}],"removeLicenses":["F245ECC8-75af-4f8e-b61f-27d8114de5f3"]},"before":["F245ECC8-75af-4f8e-b61f-27d8114de5f3"],"after":["cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"]}"#;

    #[test]
    fn a_line_as_spec_shows_it_is_read() {
        let (_dir, path) = write(&format!("{LINE}\n"));
        let requests = read(&path).unwrap();
        assert_eq!(requests.len(), 1);
        let r = &requests[0];
        assert_eq!(
            (r.line, r.organization.as_str(), r.user.as_str()),
            (2, "Contoso Ltd", "AdeleV@contoso.com")
        );
        assert_eq!(r.before, ["f245ecc8-75af-4f8e-b61f-27d8114de5f3"]);
        assert_eq!(r.after, ["cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46"]);
        assert_eq!(
            r.read_url(),
            "/users/6e2a0000-0000-0000-0000-000000000001?$select=id,assignedLicenses"
        );
        // The body is sent as written (Graph's SKU ids are case-insensitive).
        assert_eq!(
            r.body["removeLicenses"][0],
            "F245ECC8-75af-4f8e-b61f-27d8114de5f3"
        );
    }

    #[test]
    fn graphs_key_form_is_read_too() {
        let line = LINE.replace(
            "/users/6e2a0000-0000-0000-0000-000000000001/",
            "/users('%24adele''s@contoso.com')/",
        );
        let (_dir, path) = write(&line);
        let r = &read(&path).unwrap()[0];
        assert_eq!(
            r.read_url(),
            "/users('%24adele''s@contoso.com')?$select=id,assignedLicenses"
        );
    }

    #[test]
    fn an_empty_file_holds_no_request() {
        let (_dir, path) = write("");
        assert!(read(&path).unwrap().is_empty());
    }

    #[track_caller]
    fn refused(text: &str, wanted: &str) {
        let (_dir, path) = write(text);
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains(wanted), "{err}");
        assert!(err.contains("graph-requests.jsonl:"), "{err}");
    }

    #[test]
    fn anything_else_is_unusable_input_named_by_line() {
        refused(&format!("{LINE}\n{{\"line\":3"), "jsonl:2:");
        refused(&LINE.replace("\"POST\"", "\"DELETE\""), "only POST");
        refused(
            &LINE.replace("/assignLicense", "/manager"),
            "not /users/KEY/assignLicense",
        );
        refused(
            &LINE.replace("/users/6e2a", "https://evil.example/users/6e2a"),
            "not /users/KEY/assignLicense",
        );
        refused(
            &LINE.replace("6e2a0000-", "6e2a0000/../../me/"),
            "not /users/KEY/assignLicense",
        );
        refused(&LINE.replace(",\"before\"", ",\"befor\""), "missing field");
        refused(&format!("{LINE}\n{LINE}\n"), "line 2 appears twice");
        refused(
            &LINE.replace("\"AdeleV@contoso.com\"", "\"\""),
            "user is empty",
        );
    }
}
