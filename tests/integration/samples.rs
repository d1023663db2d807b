//! The sample folders produce what samples/README.md says they do.

use serde_json::json;

use crate::util::{ACTION_COLS, Case, Outcome, RESULT_COLS, assert_consistent};

pub fn sample(name: &str, args: &[&str]) -> Outcome {
    let case = Case::new();
    let dir = format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = case.out();
    let mut all = vec!["run", &dir, "--out", out.to_str().unwrap(), "--quiet"];
    all.extend_from_slice(args);
    let outcome = case.exec(&all);
    assert_consistent(&outcome);
    outcome
}

#[test]
fn contoso() {
    let out = sample("contoso", &[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &RESULT_COLS,
        &[
            &[
                "AdeleV@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM+VISIOCLIENT",
                "VISIOCLIENT+SPB",
                "",
            ],
            &[
                "AlexW@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "",
            ],
            &[
                "DiegoS@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "",
            ],
            &[
                "GradyA@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM+POWER_BI_PRO",
                "POWER_BI_PRO+SPB",
                "",
            ],
            &[
                "HenriettaM@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "sign-in-blocked",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "",
            ],
            &[
                "IsaiahL@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "error",
                "missing-usage-location",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "JohannaL@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "unchanged",
                "",
                "SPB",
                "SPB",
                "",
            ],
            &[
                "JoniS@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPE_E3",
                "error",
                "not-enough-licenses",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "LeeG@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPE_E3",
                "error",
                "not-enough-licenses",
                "O365_BUSINESS_PREMIUM+VISIOCLIENT",
                "O365_BUSINESS_PREMIUM+VISIOCLIENT",
                "",
            ],
            &[
                "LynneR@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "YAMMER_ENTERPRISE",
            ],
            &[
                "MeganB@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "",
            ],
            &[
                "MiriamG@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "",
            ],
            &[
                "PradeepG@contoso.com",
                "",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "error",
                "user-not-found",
                "",
                "",
                "",
            ],
        ],
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "remove-licenses",
                "12",
                "11",
                "3",
                "9",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "11", "2", "10", "0", "0"],
            &[
                "contoso.com",
                "SPE_E3",
                "buy-licenses",
                "3",
                "2",
                "2",
                "0",
                "1",
            ],
        ],
    );
    assert_eq!(out.backup().len(), 0);
    let summary = out.summary();
    assert_eq!(
        summary["inputs"],
        json!({"users": 16, "subscriptions": 5, "plan": 14})
    );
    assert_eq!(summary["planned"], 13);
    assert_eq!(
        summary["status"],
        json!({"reassigned": 8, "unchanged": 1, "error": 4})
    );
    assert_eq!(
        summary["codes"],
        json!({"user-not-found": 1, "missing-usage-location": 1, "not-enough-licenses": 2, "sign-in-blocked": 1})
    );
    assert_eq!(
        summary["organizations"],
        json!({
            "contoso.com": {"reassigned": 8, "unchanged": 1, "error": 3},
            "": {"reassigned": 0, "unchanged": 0, "error": 1},
        })
    );
    assert_eq!(
        summary["actions"],
        json!({"buy-licenses": 1, "cancel-subscription": 0, "remove-licenses": 1, "keep": 1})
    );
    assert_eq!(summary["unmatched_plan_rows"], json!([]));
}

/// samples/README.md's graph-requests.jsonl: eight lines, their users and urls,
/// and Lynne's line byte for byte as it shows it.
#[test]
fn contoso_graph_requests() {
    let out = sample("contoso", &[]);
    let requests = out.graph();
    let lines: Vec<(u64, &str, &str)> = requests
        .iter()
        .map(|r| {
            (
                r["line"].as_u64().unwrap(),
                r["user"].as_str().unwrap(),
                r["url"].as_str().unwrap(),
            )
        })
        .collect();
    let by_id = |id: &str| format!("/users/{id}/assignLicense");
    assert_eq!(
        lines,
        [
            (
                2,
                "AdeleV@contoso.com",
                by_id("87d349ed-44d7-43e1-9a83-5f2406dee5bd").as_str()
            ),
            (
                3,
                "AlexW@contoso.com",
                &by_id("6de8ec04-6376-4939-ab47-83a2c85ab5f5")
            ),
            (
                4,
                "DiegoS@contoso.com",
                &by_id("e8f2e5c1-6a9b-4b0e-9d4f-2c1a7b3e5f60")
            ),
            (
                5,
                "GradyA@contoso.com",
                &by_id("3f1a9c27-8b4d-4e6f-a2c5-9d8e7f6a5b43")
            ),
            (
                6,
                "HenriettaM@contoso.com",
                "/users/HenriettaM@contoso.com/assignLicense"
            ),
            (
                11,
                "LynneR@contoso.com",
                &by_id("a9c8b7d6-e5f4-4a3b-8c2d-1e0f9a8b7c6d")
            ),
            (
                12,
                "MeganB@contoso.com",
                &by_id("5b4a3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d")
            ),
            (
                13,
                "MiriamG@contoso.com",
                "/users/MiriamG@contoso.com/assignLicense"
            ),
        ]
    );
    assert_eq!(
        out.summary()["graph"],
        json!({"requests": 8, "organizations": {"contoso.com": 8}, "skipped": []})
    );
    let readme = crate::util::repository_file("samples/README.md");
    let shown = crate::util::fenced(&readme, "### Expected `graph-requests.jsonl`", "json");
    let lynne = out
        .graph_text()
        .split_inclusive('\n')
        .find(|l| l.contains("\"LynneR@contoso.com\""))
        .unwrap();
    assert_eq!(shown, lynne);
}

#[test]
fn contoso_allow_partial() {
    let out = sample("contoso", &["--allow-partial"]);
    out.assert_exit(1);
    out.user("JoniS@contoso.com").check(&[
        ("status", "reassigned"),
        ("codes", ""),
        ("licenses_after", "SPE_E3"),
    ]);
    out.user("LeeG@contoso.com")
        .check(&[("status", "error"), ("codes", "not-enough-licenses")]);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "remove-licenses",
                "12",
                "11",
                "2",
                "10",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "11", "2", "10", "0", "0"],
            &[
                "contoso.com",
                "SPE_E3",
                "buy-licenses",
                "3",
                "2",
                "3",
                "0",
                "1",
            ],
        ],
    );
    assert_eq!(
        out.summary()["status"],
        json!({"reassigned": 9, "unchanged": 1, "error": 3})
    );
}

#[test]
fn contoso_strict_changes_nothing() {
    let plain = sample("contoso", &[]);
    let strict = sample("contoso", &["--strict"]);
    strict.assert_exit(1);
    assert_eq!(strict.result().text, plain.result().text);
    assert_eq!(strict.actions().text, plain.actions().text);
}

#[test]
fn partner() {
    let out = sample("partner", &[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &RESULT_COLS,
        &[
            &[
                "AdeleV@contoso.com",
                "Contoso Ltd",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "YAMMER_ENTERPRISE",
            ],
            &[
                "AlexW@contoso.com",
                "Contoso Ltd",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "YAMMER_ENTERPRISE",
            ],
            &[
                "DiegoS@contoso.com",
                "Contoso Ltd",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "downgrade-backup-required",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "YAMMER_ENTERPRISE",
            ],
            &[
                "GradyA@contoso.com",
                "Contoso Ltd",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM+VISIOCLIENT",
                "VISIOCLIENT+SPB",
                "YAMMER_ENTERPRISE",
            ],
            &[
                "MeganB@contoso.com",
                "Contoso Ltd",
                "O365_BUSINESS_PREMIUM",
                "SPE_E5",
                "error",
                "target-other-organization",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS_PREMIUM",
                "YAMMER_ENTERPRISE",
            ],
            &[
                "BenW@fabrikam.com",
                "Fabrikam Inc",
                "O365_BUSINESS_ESSENTIALS",
                "SPB",
                "reassigned",
                "",
                "O365_BUSINESS_ESSENTIALS",
                "SPB",
                "",
            ],
            &[
                "CarlosS@fabrikam.com",
                "Fabrikam Inc",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "reassigned",
                "",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "DeliaD@fabrikam.com",
                "Fabrikam Inc",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "reassigned",
                "",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "SWAY",
            ],
            &[
                "ElvisY@eu.fabrikam.com",
                "Fabrikam Inc",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "reassigned",
                "",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "EmilyB@eu.fabrikam.com",
                "Fabrikam Inc",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "reassigned",
                "",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "EnricoC@eu.fabrikam.com",
                "Fabrikam Inc",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "reassigned",
                "sign-in-blocked",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "admin@fabrikam.onmicrosoft.com",
                "Fabrikam Inc",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "reassigned",
                "",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "KellyA@tailspintoys.com",
                "Tailspin Toys",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS",
                "reassigned",
                "downgrade-backup-required",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS",
                "",
            ],
            &[
                "MarcusR@tailspintoys.com",
                "Tailspin Toys",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS",
                "reassigned",
                "downgrade-backup-required",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS",
                "",
            ],
            &[
                "NadiaP@tailspintoys.com",
                "Tailspin Toys",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS",
                "error",
                "source-not-held",
                "O365_BUSINESS_ESSENTIALS",
                "O365_BUSINESS_ESSENTIALS",
                "",
            ],
            &[
                "OmarH@tailspintoys.com",
                "Tailspin Toys",
                "O365_BUSINESS_PREMIUM",
                "Microsoft 365 Buisness Premium",
                "error",
                "unknown-product",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "PriyaR@wingtiptoys.com",
                "",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS",
                "error",
                "organization-unknown",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "NancyD@northwindtraders.com",
                "Northwind Traders",
                "ENTERPRISEPACK",
                "SPE_E3",
                "reassigned",
                "",
                "ENTERPRISEPACK+EMS+POWER_BI_PRO",
                "SPE_E3+POWER_BI_PRO",
                "",
            ],
            &[
                "AndrewF@northwindtraders.com",
                "Northwind Traders",
                "ENTERPRISEPACK",
                "SPE_E3",
                "reassigned",
                "",
                "ENTERPRISEPACK+EMS",
                "SPE_E3",
                "",
            ],
            &[
                "JanetL@northwindtraders.com",
                "Northwind Traders",
                "ENTERPRISEPACK",
                "SPE_E3",
                "error",
                "group-inherited",
                "ENTERPRISEPACK+EMS",
                "ENTERPRISEPACK+EMS",
                "",
            ],
            &[
                "MargaretP@northwindtraders.com",
                "Northwind Traders",
                "ENTERPRISEPACK",
                "SPE_E5",
                "reassigned",
                "",
                "ENTERPRISEPACK+POWER_BI_PRO",
                "POWER_BI_PRO+SPE_E5",
                "",
            ],
            &[
                "LauraC@northwindtraders.com",
                "Northwind Traders",
                "ENTERPRISEPACK",
                "SPE_E5",
                "unchanged",
                "",
                "SPE_E5",
                "SPE_E5",
                "",
            ],
            &[
                "MichaelS@northwindtraders.com",
                "Northwind Traders",
                "",
                "POWER_BI_PRO",
                "error",
                "target-inactive",
                "ENTERPRISEPACK+EMS",
                "ENTERPRISEPACK+EMS",
                "",
            ],
            &[
                "RobertK@uk.northwindtraders.com",
                "Northwind Traders",
                "ENTERPRISEPACK",
                "SPE_E3",
                "reassigned",
                "",
                "ENTERPRISEPACK+EMS",
                "SPE_E3",
                "",
            ],
            &[
                "AnneD@northwindtraders.com",
                "Northwind Traders",
                "ENTERPRISEPACK",
                "SPE_E3",
                "error",
                "duplicate-user",
                "ENTERPRISEPACK+EMS",
                "ENTERPRISEPACK+EMS",
                "",
            ],
        ],
    );
    let megan = out.user("MeganB@contoso.com").get("message").to_string();
    assert!(
        megan.contains("Northwind Traders")
            && megan.contains("cannot cross organization boundaries"),
        "{megan}"
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "Contoso Ltd",
                "O365_BUSINESS_PREMIUM",
                "remove-licenses",
                "6",
                "6",
                "2",
                "4",
                "0",
            ],
            &["Contoso Ltd", "SPB", "keep", "6", "2", "6", "0", "0"],
            &[
                "Fabrikam Inc",
                "O365_BUSINESS_ESSENTIALS",
                "cancel-subscription",
                "8",
                "7",
                "0",
                "8",
                "0",
            ],
            &[
                "Fabrikam Inc",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "8",
                "2",
                "8",
                "0",
                "0",
            ],
            &["Fabrikam Inc", "SPB", "keep", "1", "0", "1", "0", "0"],
            &[
                "Northwind Traders",
                "EMS",
                "remove-licenses",
                "7",
                "7",
                "4",
                "3",
                "0",
            ],
            &[
                "Northwind Traders",
                "ENTERPRISEPACK",
                "remove-licenses",
                "10",
                "8",
                "4",
                "6",
                "0",
            ],
            &[
                "Northwind Traders",
                "POWER_BI_PRO",
                "keep",
                "5",
                "2",
                "2",
                "0",
                "0",
            ],
            &[
                "Northwind Traders",
                "SPE_E3",
                "keep",
                "4",
                "0",
                "3",
                "0",
                "0",
            ],
            &[
                "Northwind Traders",
                "SPE_E5",
                "keep",
                "2",
                "1",
                "2",
                "0",
                "0",
            ],
            &[
                "Tailspin Toys",
                "O365_BUSINESS",
                "keep",
                "3",
                "1",
                "3",
                "0",
                "0",
            ],
            &[
                "Tailspin Toys",
                "O365_BUSINESS_PREMIUM",
                "remove-licenses",
                "5",
                "5",
                "3",
                "2",
                "0",
            ],
        ],
    );
    let backup = "user,organization,from,to,services\n\
        DiegoS@contoso.com,Contoso Ltd,O365_BUSINESS_PREMIUM,SPB,viva-engage\n\
        KellyA@tailspintoys.com,Tailspin Toys,O365_BUSINESS_PREMIUM,O365_BUSINESS,mailbox;sharepoint;teams;viva-engage\n\
        MarcusR@tailspintoys.com,Tailspin Toys,O365_BUSINESS_PREMIUM,O365_BUSINESS,mailbox;sharepoint;teams;viva-engage\n";
    assert_eq!(out.backup().text, backup);
    let summary = out.summary();
    assert_eq!(
        summary["inputs"],
        json!({"users": 36, "subscriptions": 16, "plan": 22, "domains": 9, "prices": 10})
    );
    // As samples/README.md works them out.
    assert_eq!(
        summary["costs"],
        json!({
            "EUR": {"before": "440.70", "after": "325.70", "change": "-115.00"},
            "USD": {"before": "562.20", "after": "392.40", "change": "-169.80"},
            "unpriced": ["Northwind Traders/POWER_BI_PRO"]
        })
    );
    assert_eq!(summary["planned"], 25);
    assert_eq!(
        summary["status"],
        json!({"reassigned": 17, "unchanged": 1, "error": 7})
    );
    assert_eq!(
        summary["codes"],
        json!({
            "downgrade-backup-required": 3,
            "sign-in-blocked": 1,
            "target-other-organization": 1,
            "source-not-held": 1,
            "unknown-product": 1,
            "organization-unknown": 1,
            "group-inherited": 1,
            "target-inactive": 1,
            "duplicate-user": 1,
        })
    );
    assert_eq!(
        summary["organizations"],
        json!({
            "Contoso Ltd": {"reassigned": 4, "unchanged": 0, "error": 1},
            "Fabrikam Inc": {"reassigned": 7, "unchanged": 0, "error": 0},
            "Tailspin Toys": {"reassigned": 2, "unchanged": 0, "error": 2},
            "Northwind Traders": {"reassigned": 4, "unchanged": 1, "error": 3},
            "": {"reassigned": 0, "unchanged": 0, "error": 1},
        })
    );
    assert_eq!(
        summary["actions"],
        json!({"buy-licenses": 0, "cancel-subscription": 1, "remove-licenses": 4, "keep": 7})
    );
    assert_eq!(summary["unmatched_plan_rows"], json!([14]));
    assert!(out.stderr.contains("plan.csv:14"), "{}", out.stderr);
}

#[test]
fn partner_strict() {
    let plain = sample("partner", &[]);
    let out = sample("partner", &["--strict"]);
    out.assert_exit(1);
    for user in [
        "DiegoS@contoso.com",
        "KellyA@tailspintoys.com",
        "MarcusR@tailspintoys.com",
    ] {
        let before = out.user(user).get("licenses_before").to_string();
        out.user(user).check(&[
            ("status", "error"),
            ("codes", "downgrade-backup-required"),
            ("licenses_after", &before),
            ("disabled_plans", ""),
        ]);
    }
    out.user("EnricoC@eu.fabrikam.com")
        .check(&[("status", "reassigned"), ("codes", "sign-in-blocked")]);
    assert_eq!(out.backup().text, plain.backup().text);
    assert_eq!(
        out.summary()["status"],
        json!({"reassigned": 14, "unchanged": 1, "error": 10})
    );
    out.action("Contoso Ltd", "O365_BUSINESS_PREMIUM").check(&[
        ("action", "remove-licenses"),
        ("assigned_after", "3"),
        ("licenses_to_remove", "3"),
    ]);
    out.action("Contoso Ltd", "SPB")
        .check(&[("action", "keep"), ("assigned_after", "5")]);
    out.action("Tailspin Toys", "O365_BUSINESS")
        .check(&[("action", "keep"), ("assigned_after", "1")]);
    out.action("Tailspin Toys", "O365_BUSINESS_PREMIUM")
        .check(&[("action", "keep"), ("assigned_after", "5")]);
    // Every other pool is as without --strict.
    let others = |o: &Outcome| -> Vec<Vec<String>> {
        let t = o.actions();
        t.rows
            .iter()
            .filter(|r| {
                !matches!(
                    (r[0].as_str(), r[1].as_str()),
                    ("Contoso Ltd", _) | ("Tailspin Toys", _)
                )
            })
            .cloned()
            .collect()
    };
    assert_eq!(others(&out), others(&plain));
}

#[test]
fn check_on_the_samples_exits_like_run_and_writes_nothing() {
    for name in ["contoso", "partner"] {
        let case = Case::new();
        let dir = format!("{}/samples/{name}", env!("CARGO_MANIFEST_DIR"));
        let out = case.exec(&["check", &dir, "--quiet"]);
        out.assert_exit(1);
        assert!(out.wrote_nothing());
        assert_eq!(
            crate::util::files_in(case.root()),
            ["in".to_string()].into()
        );
    }
}
