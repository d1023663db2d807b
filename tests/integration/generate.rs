//! `replan generate`: a realistic tenant, the same bytes for the same seed, that
//! `replan run` reads as it is.

use std::fs;

use crate::util::Case;

const FILES: [&str; 5] = [
    "users.csv",
    "subscriptions.csv",
    "plan.csv",
    "domains.csv",
    "prices.csv",
];

fn generate(case: &Case, folder: &str, users: &str, orgs: &str, seed: &str) {
    let out = case.root().join(folder);
    let out = out.to_str().unwrap();
    case.exec(&[
        "generate",
        "--users",
        users,
        "--organizations",
        orgs,
        "--seed",
        seed,
        "--out",
        out,
    ])
    .assert_exit(0);
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
