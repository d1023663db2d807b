//! `replan generate`: a realistic tenant, the same bytes for the same seed, that
//! `replan run` reads as it is.

use std::fs;

use crate::util::{Case, Table};

const FILES: [&str; 5] = [
    "users.csv",
    "subscriptions.csv",
    "plan.csv",
    "domains.csv",
    "prices.csv",
];

fn generate(case: &Case, folder: &str, users: &str, orgs: &str, seed: &str) {
    generate_shape(case, folder, users, orgs, seed, &[]);
}

fn generate_shape(case: &Case, folder: &str, users: &str, orgs: &str, seed: &str, more: &[&str]) {
    let out = case.root().join(folder);
    let out = out.to_str().unwrap();
    let mut args = vec![
        "generate",
        "--users",
        users,
        "--organizations",
        orgs,
        "--seed",
        seed,
        "--out",
        out,
    ];
    args.extend_from_slice(more);
    case.exec(&args).assert_exit(0);
}

fn read(case: &Case, folder: &str, name: &str) -> Vec<u8> {
    fs::read(case.root().join(folder).join(name)).unwrap()
}

#[test]
fn the_same_seed_gives_the_same_files_and_another_seed_other_ones() {
    let case = Case::new();
    generate(&case, "a", "3000", "4", "7");
    generate(&case, "b", "3000", "4", "7");
    generate(&case, "c", "3000", "4", "8");
    for name in FILES {
        assert_eq!(
            read(&case, "a", name),
            read(&case, "b", name),
            "{name} differs for one seed"
        );
    }
    assert_ne!(read(&case, "a", "users.csv"), read(&case, "c", "users.csv"));
}

#[test]
fn it_writes_n_users_over_k_organizations_that_run_reads_as_they_are() {
    let case = Case::new();
    generate(&case, "in", "5000", "3", "1");
    let users = String::from_utf8(read(&case, "in", "users.csv")).unwrap();
    assert_eq!(users.lines().count(), 5001, "a header and one row per user");
    let domains = String::from_utf8(read(&case, "in", "domains.csv")).unwrap();
    let orgs: std::collections::BTreeSet<&str> = domains
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(orgs.len(), 3);

    let outcome = case.run(&[]);
    outcome.assert_exit(1);
    let summary = outcome.summary();
    assert_eq!(summary["inputs"]["users"], 5000);
    // A realistic mix: most move, some are already done, a few of many errors.
    let status = &summary["status"];
    assert!(status["reassigned"].as_u64().unwrap() > 1000, "{status}");
    assert!(status["error"].as_u64().unwrap() > 0, "{status}");
    for code in [
        "user-not-found",
        "missing-usage-location",
        "sign-in-blocked",
        "downgrade-backup-required",
    ] {
        assert!(
            summary["codes"][code].as_u64().unwrap_or(0) > 0,
            "no {code} in {}",
            summary["codes"]
        );
    }
    // The `*` row whose From nobody holds is reported.
    assert_eq!(summary["unmatched_plan_rows"].as_array().unwrap().len(), 1);
    // prices.csv prices every pool: in dollars, and in euros for the second
    // organization, which has prices of its own.
    assert_eq!(summary["inputs"]["prices"], 18);
    let costs = &summary["costs"];
    assert_eq!(costs["unpriced"], serde_json::json!([]), "{costs}");
    for currency in ["USD", "EUR"] {
        assert!(costs[currency]["before"].is_string(), "{costs}");
    }
    let eur_pools = outcome
        .actions()
        .column("organization")
        .iter()
        .filter(|o| **o == "fabrikam.com")
        .count();
    assert!(
        eur_pools > 0,
        "the euro organization has pools in subscription-actions.csv"
    );
}

#[test]
fn the_admin_center_shape_holds_the_same_users_in_the_exports_28_columns() {
    let case = Case::new();
    generate(&case, "plain", "4000", "3", "5");
    generate_shape(&case, "in", "4000", "3", "5", &["--shape", "admin-center"]);
    // The rest of the tenant is the same.
    for name in ["subscriptions.csv", "plan.csv", "domains.csv"] {
        assert_eq!(
            read(&case, "plain", name),
            read(&case, "in", name),
            "{name}"
        );
    }
    let bytes = read(&case, "in", "users.csv");
    let text = String::from_utf8(bytes).unwrap();
    let text = text
        .strip_prefix('\u{feff}')
        .expect("users.csv opens with a BOM");
    let export =
        fs::read_to_string("tests/fixtures/exports/admin-center-current/users.csv").unwrap();
    let header = |t: &str| {
        t.split("\r\n")
            .next()
            .unwrap()
            .trim_start_matches('\u{feff}')
            .to_string()
    };
    assert_eq!(
        header(text),
        header(&export),
        "the admin center's current header"
    );
    assert_eq!(
        text.matches("\r\n").count(),
        4001,
        "CRLF after the header and each user"
    );
    let admin = Table::parse("users.csv", text.to_string());
    assert_eq!(admin.header.len(), 28);
    let plain = Table::parse(
        "users.csv",
        String::from_utf8(read(&case, "plain", "users.csv")).unwrap(),
    );
    for column in [
        "Display name",
        "User principal name",
        "Usage location",
        "Block credential",
        "Licenses",
    ] {
        assert_eq!(admin.column(column), plain.column(column), "{column}");
    }
    // Every user has an object id in the export: the same as in the generate
    // shape where that has one.
    let with_id = plain.column("Object Id");
    assert!(with_id.iter().filter(|id| id.is_empty()).count() > 100);
    for (admin_id, plain_id) in admin.column("Object Id").into_iter().zip(with_id) {
        assert!(
            plain_id.is_empty() || plain_id == admin_id,
            "{admin_id} {plain_id}"
        );
    }
    // The columns replan ignores hold what an export holds.
    let ids: std::collections::BTreeSet<&str> = admin.column("Object Id").into_iter().collect();
    assert_eq!(ids.len(), 4000, "every object id differs");
    for (i, id) in admin.column("Object Id").into_iter().enumerate() {
        let parts: Vec<usize> = id.split('-').map(str::len).collect();
        assert_eq!(parts, [8, 4, 4, 4, 12], "object id {id}");
        assert!(
            id.bytes().all(|b| b == b'-' || b.is_ascii_hexdigit()),
            "{id}"
        );
        let upn = &admin.rows[i][admin.col("User principal name")];
        let proxies = &admin.rows[i][admin.col("Proxy addresses")];
        assert!(
            proxies.starts_with(&format!("SMTP:{upn}+smtp:")),
            "{proxies}"
        );
        let name = &admin.rows[i][admin.col("Display name")];
        let first_last = format!(
            "{} {}",
            admin.rows[i][admin.col("First name")],
            admin.rows[i][admin.col("Last name")]
        );
        assert_eq!(name, &first_last);
    }
    for column in ["When created", "Last password change time stamp"] {
        for stamp in admin.column(column) {
            assert_eq!(stamp.len(), 20, "{column}: {stamp}");
            assert!(
                stamp.ends_with('Z') && stamp.as_bytes()[10] == b' ',
                "{stamp}"
            );
        }
    }
    for column in ["Department", "City", "CountryOrRegion", "Phone number"] {
        assert!(
            admin
                .column(column)
                .iter()
                .filter(|v| !v.is_empty())
                .count()
                > 3000,
            "{column} is mostly filled"
        );
    }

    // replan reads it as it is and finds the same users moving.
    let outcome = case.run(&[]);
    outcome.assert_exit(1);
    let plain_out = case.root().join("plain-out");
    let plain_run = case.exec_in(
        case.root(),
        &plain_out,
        &[
            "run",
            "plain",
            "--out",
            plain_out.to_str().unwrap(),
            "--quiet",
        ],
    );
    plain_run.assert_exit(1);
    assert_eq!(outcome.summary()["inputs"], plain_run.summary()["inputs"]);
    assert_eq!(
        outcome.result().column("user"),
        plain_run.result().column("user")
    );
    assert!(outcome.summary()["status"]["reassigned"].as_u64().unwrap() > 1000);
}
