//! SPEC.md summary.json `audit`: the command as given, the start time (or
//! SOURCE_DATE_EPOCH), the catalog, and every input and output file with its size
//! and SHA-256, each equal to the file's own.

use std::fs;
use std::path::Path;

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::util::{Case, PLAN, REPLAN, SUBS, USERS};

fn sha256(path: &Path) -> (u64, String) {
    let bytes = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let hex = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (bytes.len() as u64, hex)
}

fn tenant() -> Case {
    Case::new()
        .users(&[
            USERS,
            "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "isaiah@contoso.com,,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,SPB,Active,5,1",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
        .domains(&["Organization,Domain", "contoso.com,contoso.com"])
        .lines("prices.csv", &["Product,Price,Currency", "SPB,22,EUR"])
}

#[track_caller]
fn assert_file(entry: &Value, path: &Path) {
    let (bytes, hex) = sha256(path);
    assert_eq!(entry["bytes"], json!(bytes), "{}", path.display());
    assert_eq!(entry["sha256"], json!(hex), "{}", path.display());
}

#[test]
fn every_hash_is_the_sha256_of_its_file() {
    let case = tenant();
    let out = case.run(&[]);
    out.assert_exit(1);
    let audit = &out.summary()["audit"];
    let inputs = audit["inputs"].as_object().unwrap();
    // In the order of SPEC's Inputs, then in the order the outputs are written.
    let text = fs::read_to_string(case.out().join("summary.json")).unwrap();
    let in_order = |names: &[&str]| {
        let at: Vec<usize> = names
            .iter()
            .map(|n| text.find(&format!("\"{n}\": {{")).unwrap())
            .collect();
        assert!(at.is_sorted(), "{names:?} out of order in\n{text}");
    };
    in_order(&[
        "users.csv",
        "subscriptions.csv",
        "plan.csv",
        "domains.csv",
        "prices.csv",
    ]);
    in_order(&[
        "result.csv",
        "subscription-actions.csv",
        "backup.csv",
        "graph-requests.jsonl",
        "report.html",
    ]);
    assert_eq!(inputs.len(), 5);
    for (name, rows) in [
        ("users.csv", 2),
        ("subscriptions.csv", 2),
        ("plan.csv", 1),
        ("domains.csv", 1),
        ("prices.csv", 1),
    ] {
        let path = case.input().join(name);
        assert_eq!(inputs[name]["path"], json!(path.to_str().unwrap()));
        assert_eq!(inputs[name]["rows"], json!(rows), "{name}");
        assert_file(&inputs[name], &path);
    }
    let outputs = audit["outputs"].as_object().unwrap();
    assert_eq!(outputs.len(), 5, "{outputs:?}");
    let names = [
        "result.csv",
        "subscription-actions.csv",
        "backup.csv",
        "graph-requests.jsonl",
        "report.html",
    ];
    for name in names {
        assert_file(&outputs[name], &case.out().join(name));
    }
    // The built-in catalog is Microsoft's table as shipped in data/.
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/ms-licensing-catalog.csv");
    assert_eq!(audit["catalog"]["source"], "built-in");
    assert_eq!(audit["catalog"]["sha256"], json!(sha256(&builtin).1));
    assert!(audit["catalog"]["products"].as_u64().unwrap() > 500);
}

#[test]
fn a_catalog_given_is_named_by_its_path_and_hashed() {
    let case = tenant().bytes(
        "catalog.csv",
        "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names\n\
         Microsoft 365 Business Standard,O365_BUSINESS_PREMIUM,f245ecc8-75af-4f8e-b61f-27d8114de5f3,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c,Exchange Online (Plan 1)\n\
         Microsoft 365 Business Premium,SPB,cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c,Exchange Online (Plan 1)\n",
    );
    let catalog = case.input().join("catalog.csv");
    let out = case.run(&["--catalog", catalog.to_str().unwrap()]);
    out.assert_exit(1);
    let audit = &out.summary()["audit"]["catalog"];
    assert_eq!(audit["source"], json!(catalog.to_str().unwrap()));
    assert_eq!(audit["sha256"], json!(sha256(&catalog).1));
    assert_eq!(audit["products"], json!(2));
}

#[test]
fn utf16_inputs_are_hashed_as_their_bytes_on_disk() {
    let mut users = vec![0xFF, 0xFE];
    for unit in
        format!("{USERS}\r\nadele@contoso.com,US,,O365_BUSINESS_PREMIUM,,\r\n").encode_utf16()
    {
        users.extend_from_slice(&unit.to_le_bytes());
    }
    let case = tenant().bytes("users.csv", users);
    let out = case.run(&[]);
    out.assert_exit(0);
    assert_file(
        &out.summary()["audit"]["inputs"]["users.csv"],
        &case.input().join("users.csv"),
    );
}

#[test]
fn command_as_given_and_start_from_source_date_epoch() {
    let case = tenant();
    let input = case.input();
    let args = [
        "run",
        input.to_str().unwrap(),
        "--out",
        "out",
        "--quiet",
        "--threads",
        "1",
    ];
    let output = std::process::Command::new(REPLAN)
        .args(args)
        .current_dir(case.root())
        .env("SOURCE_DATE_EPOCH", "1764840600")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let summary: Value =
        serde_json::from_slice(&fs::read(case.out().join("summary.json")).unwrap()).unwrap();
    let mut command = vec!["replan"];
    command.extend(args);
    assert_eq!(summary["audit"]["command"], json!(command));
    assert_eq!(summary["audit"]["started"], json!("2025-12-04T09:30:00Z"));
}

#[test]
fn start_without_source_date_epoch_is_now_in_utc() {
    let before = std::time::SystemTime::now();
    let out = tenant().run(&[]);
    let started = out.summary()["audit"]["started"]
        .as_str()
        .unwrap()
        .to_string();
    let at = humantime::parse_rfc3339(&started).unwrap();
    assert!(started.ends_with('Z'), "{started}");
    let slack = std::time::Duration::from_secs(2);
    assert!(
        at + slack >= before && at <= std::time::SystemTime::now() + slack,
        "{started}"
    );
}

#[test]
fn a_malformed_source_date_epoch_is_unusable() {
    let case = tenant();
    let input = case.input();
    let output = std::process::Command::new(REPLAN)
        .args(["run", input.to_str().unwrap(), "--out", "out", "--quiet"])
        .current_dir(case.root())
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("SOURCE_DATE_EPOCH"));
    assert!(!case.out().exists());
}

/// A users.csv of several megabytes, which is read and hashed on a thread of its
/// own: its hash, size and rows are still the file's, whatever the threads.
#[test]
fn a_large_input_is_hashed_whole() {
    let mut users = vec![USERS.to_string()];
    for i in 0..100_000 {
        users.push(format!(
            "user{i:05}@contoso.com,US,,O365_BUSINESS_PREMIUM,,\"Sales, {i}\""
        ));
    }
    let lines: Vec<&str> = users.iter().map(String::as_str).collect();
    let case = tenant().users(&lines);
    let path = case.input().join("users.csv");
    assert!(
        fs::metadata(&path).unwrap().len() > 5 << 20,
        "not large enough"
    );
    for threads in ["1", "2"] {
        let out = case.run(&["--threads", threads]);
        out.assert_exit(1);
        let users = &out.summary()["audit"]["inputs"]["users.csv"];
        assert_file(users, &path);
        assert_eq!(users["rows"], json!(100_000), "--threads {threads}");
    }
}
