//! SPEC.md plan.csv and stage 1: `*` expansion, Organization scoping, named rows
//! winning, identical rows, `duplicate-user`, `ambiguous-plan`, unmatched `*` rows.

use serde_json::json;

use crate::util::{Case, PLAN, SUBS, USERS};

/// Two organizations with a few Business Standard users, and room everywhere.
fn two_organizations() -> Case {
    Case::new()
        .users(&[
            USERS,
            "carlos@fabrikam.com,US,,O365_BUSINESS_PREMIUM,,",
            "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "room@contoso.com,US,,,,",
            "elvis@eu.fabrikam.com,US,,O365_BUSINESS_PREMIUM,,",
            "alex@contoso.com,US,,O365_BUSINESS_PREMIUM+POWER_BI_PRO,,",
        ])
        .subscriptions(&[
            SUBS,
            "Contoso Ltd,O365_BUSINESS_PREMIUM,Active,10,2",
            "Contoso Ltd,SPB,Active,10,0",
            "Contoso Ltd,SPE_E3,Active,10,0",
            "Contoso Ltd,POWER_BI_PRO,Active,10,1",
            "Fabrikam Inc,O365_BUSINESS_PREMIUM,Active,10,2",
            "Fabrikam Inc,SPB,Active,10,0",
            "Fabrikam Inc,SPE_E3,Active,10,0",
        ])
        .domains(&[
            "Organization,Domain",
            "Contoso Ltd,contoso.com",
            "Fabrikam Inc,fabrikam.com",
        ])
}

#[test]
fn a_star_row_expands_to_the_holders_of_from_in_users_csv_order() {
    let out = two_organizations()
        .plan(&[
            PLAN,
            "alex@contoso.com,POWER_BI_PRO,SPE_E3,,,",
            "*,O365_BUSINESS_PREMIUM,SPB,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "organization", "from", "to", "status"],
        &[
            &[
                "alex@contoso.com",
                "Contoso Ltd",
                "POWER_BI_PRO",
                "SPE_E3",
                "reassigned",
            ],
            &[
                "carlos@fabrikam.com",
                "Fabrikam Inc",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
            ],
            &[
                "adele@contoso.com",
                "Contoso Ltd",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
            ],
            &[
                "elvis@eu.fabrikam.com",
                "Fabrikam Inc",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
            ],
        ],
    );
}

#[test]
fn organization_limits_a_star_row_by_name_or_by_domain_ignoring_case() {
    for scope in [
        "Fabrikam Inc",
        "FABRIKAM INC",
        "fabrikam.com",
        "Fabrikam.COM",
    ] {
        let out = two_organizations()
            .plan(&[PLAN, &format!("*,O365_BUSINESS_PREMIUM,SPB,,{scope},")])
            .run(&[]);
        out.assert_exit(0);
        out.result().assert_rows(
            &["user", "organization", "status"],
            &[
                &["carlos@fabrikam.com", "Fabrikam Inc", "reassigned"],
                &["elvis@eu.fabrikam.com", "Fabrikam Inc", "reassigned"],
            ],
        );
    }
}

#[test]
fn organization_is_ignored_on_named_rows() {
    let out = two_organizations()
        .plan(&[
            PLAN,
            "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,Fabrikam Inc,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.user("adele@contoso.com").check(&[
        ("organization", "Contoso Ltd"),
        ("status", "reassigned"),
        ("licenses_after", "SPB"),
    ]);
}

#[test]
fn a_named_row_wins_over_star_rows_wherever_it_stands() {
    let out = two_organizations()
        .plan(&[
            PLAN,
            "*,O365_BUSINESS_PREMIUM,SPB,,Contoso Ltd,",
            "ALEX@contoso.com,O365_BUSINESS_PREMIUM,SPE_E3,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    // Alex's result row stands at his named row, with its move; no ambiguity.
    out.result().assert_rows(
        &["user", "to", "status", "codes", "licenses_after"],
        &[
            &["adele@contoso.com", "SPB", "reassigned", "", "SPB"],
            &[
                "alex@contoso.com",
                "SPE_E3",
                "reassigned",
                "",
                "POWER_BI_PRO+SPE_E3",
            ],
        ],
    );
}

#[test]
fn identical_rows_count_once_whatever_their_spelling() {
    let out = two_organizations()
        .plan(&[
            PLAN,
            "adele@contoso.com,Microsoft 365 Business Standard,Microsoft 365 Business Premium,SWAY;FORMS_PLAN_E1,,",
            "carlos@fabrikam.com,O365_BUSINESS_PREMIUM,SPB,,,",
            // The same moves again: part numbers instead of display names, other
            // case, the Disable set in another order, the default Mode spelled out,
            // another Organization.
            "ADELE@CONTOSO.COM,o365_business_premium,spb,forms_plan_e1; Sway,Fabrikam Inc,Swap",
            "*,O365_BUSINESS_PREMIUM,SPB,,fabrikam.com,",
            "*,Microsoft 365 Business Standard,SPB,,,swap",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "from", "to", "status", "codes", "disabled_plans"],
        &[
            &[
                "adele@contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "SWAY;FORMS_PLAN_E1",
            ],
            &[
                "carlos@fabrikam.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "",
            ],
            &[
                "elvis@eu.fabrikam.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "",
            ],
            &[
                "alex@contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "",
            ],
        ],
    );
    assert_eq!(out.summary()["planned"], 4);
}

#[test]
fn two_different_named_rows_for_one_user_are_a_duplicate_user() {
    let out = two_organizations()
        .plan(&[
            PLAN,
            "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "carlos@fabrikam.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "elvis@eu.fabrikam.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "alex@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            // Another To, another Disable set, another Mode.
            "Adele@contoso.com,O365_BUSINESS_PREMIUM,SPE_E3,,,",
            "carlos@fabrikam.com,O365_BUSINESS_PREMIUM,SPB,SWAY,,",
            "elvis@eu.fabrikam.com,O365_BUSINESS_PREMIUM,SPB,,,replace-all",
        ])
        .run(&[]);
    out.assert_exit(1);
    // One row each, at the first row's position, showing the first row's From/To.
    out.result().assert_rows(
        &["user", "from", "to", "status", "codes", "licenses_after"],
        &[
            &[
                "adele@contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "error",
                "duplicate-user",
                "O365_BUSINESS_PREMIUM",
            ],
            &[
                "carlos@fabrikam.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "error",
                "duplicate-user",
                "O365_BUSINESS_PREMIUM",
            ],
            &[
                "elvis@eu.fabrikam.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "error",
                "duplicate-user",
                "O365_BUSINESS_PREMIUM",
            ],
            &[
                "alex@contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "POWER_BI_PRO+SPB",
            ],
        ],
    );
    let message = out.user("adele@contoso.com").get("message").to_string();
    let numbers: Vec<&str> = message.split(|c: char| !c.is_ascii_digit()).collect();
    assert!(
        numbers.contains(&"2") && numbers.contains(&"6"),
        "names both lines: {message}"
    );
    // Stage 1 errors list no pool; only Alex's pools are listed.
    out.actions().assert_rows(
        &["organization", "product", "assigned_after"],
        &[
            &["Contoso Ltd", "O365_BUSINESS_PREMIUM", "1"],
            &["Contoso Ltd", "SPB", "1"],
        ],
    );
}

#[test]
fn duplicate_user_also_for_a_user_who_is_not_in_users_csv() {
    let out = two_organizations()
        .plan(&[
            PLAN,
            "ghost@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "Ghost@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "nobody@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "nobody@contoso.com,O365_BUSINESS_PREMIUM,SPE_E3,,,",
        ])
        .run(&[]);
    out.result().assert_rows(
        &["user", "status", "codes"],
        &[
            &["ghost@contoso.com", "error", "user-not-found"],
            &["nobody@contoso.com", "error", "duplicate-user"],
        ],
    );
}

#[test]
fn star_rows_that_give_one_user_different_moves_are_an_ambiguous_plan() {
    let out = two_organizations()
        .plan(&[
            PLAN,
            "*,O365_BUSINESS_PREMIUM,SPB,,Contoso Ltd,",
            // Alex holds both From: he is in both rows, which differ in From and To.
            "*,POWER_BI_PRO,SPE_E3,,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "from", "to", "status", "codes", "licenses_after"],
        &[
            &[
                "adele@contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "",
                "SPB",
            ],
            &[
                "alex@contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "error",
                "ambiguous-plan",
                "O365_BUSINESS_PREMIUM+POWER_BI_PRO",
            ],
        ],
    );
    assert_eq!(out.summary()["codes"], json!({"ambiguous-plan": 1}));
}

#[test]
fn star_rows_that_differ_only_in_disable_or_mode_are_ambiguous_too() {
    let out = two_organizations()
        .plan(&[
            PLAN,
            "*,O365_BUSINESS_PREMIUM,SPB,SWAY,fabrikam.com,",
            "*,O365_BUSINESS_PREMIUM,SPB,,fabrikam.com,",
            "*,O365_BUSINESS_PREMIUM,SPB,,contoso.com,",
            "*,O365_BUSINESS_PREMIUM,SPB,,contoso.com,replace-all",
        ])
        .run(&[]);
    out.result().assert_rows(
        &["user", "status", "codes"],
        &[
            &["carlos@fabrikam.com", "error", "ambiguous-plan"],
            &["elvis@eu.fabrikam.com", "error", "ambiguous-plan"],
            &["adele@contoso.com", "error", "ambiguous-plan"],
            &["alex@contoso.com", "error", "ambiguous-plan"],
        ],
    );
}

#[test]
fn a_shared_display_name_in_a_star_row_resolves_per_organization() {
    // "Microsoft 365 Business Basic" is O365_BUSINESS_ESSENTIALS for Contoso and
    // SMB_BUSINESS_ESSENTIALS for Fabrikam.
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_ESSENTIALS,,",
            "bob@fabrikam.com,US,,Microsoft 365 Business Basic,,",
            "cid@contoso.com,US,,SMB_BUSINESS_ESSENTIALS,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_ESSENTIALS,Active,5,1",
            "contoso.com,SPB,Active,5,0",
            "fabrikam.com,SMB_BUSINESS_ESSENTIALS,Active,5,1",
            "fabrikam.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "*,Microsoft 365 Business Basic,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &[
            "user",
            "from",
            "to",
            "status",
            "licenses_before",
            "licenses_after",
        ],
        &[
            &[
                "ann@contoso.com",
                "O365_BUSINESS_ESSENTIALS",
                "SPB",
                "reassigned",
                "O365_BUSINESS_ESSENTIALS",
                "SPB",
            ],
            &[
                "bob@fabrikam.com",
                "SMB_BUSINESS_ESSENTIALS",
                "SPB",
                "reassigned",
                "SMB_BUSINESS_ESSENTIALS",
                "SPB",
            ],
        ],
    );
}

#[test]
fn unmatched_star_rows_are_reported_and_fail_strict() {
    let case = two_organizations().plan(&[
        PLAN,
        "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
        // Nobody holds From.
        "*,EXCHANGESTANDARD,SPB,,,",
        // Nobody in this organization holds From (Alex is in Contoso).
        "*,POWER_BI_PRO,SPE_E3,,fabrikam.com,",
        // No such organization.
        "*,O365_BUSINESS_PREMIUM,SPB,,tailspintoys.com,",
        // Matches Adele, whose named row wins: not unmatched.
        "*,O365_BUSINESS_PREMIUM,SPB,,contoso.com,",
    ]);
    let out = case.run(&[]);
    out.assert_exit(0);
    assert_eq!(out.summary()["unmatched_plan_rows"], json!([3, 4, 5]));
    for line in [":3", ":4", ":5"] {
        assert!(
            out.stderr.contains(&format!("plan.csv{line}")),
            "stderr names line {line}:\n{}",
            out.stderr
        );
    }
    assert!(!out.stderr.contains("plan.csv:6"), "{}", out.stderr);
    out.result().assert_rows(
        &["user", "status"],
        &[
            &["adele@contoso.com", "reassigned"],
            &["alex@contoso.com", "reassigned"],
        ],
    );
    // A misspelled From must not look like success.
    let strict = case.run(&["--strict"]);
    strict.assert_exit(1);
    assert_eq!(strict.summary()["unmatched_plan_rows"], json!([3, 4, 5]));
    case.check(&["--strict"]).assert_exit(1);
    case.check(&[]).assert_exit(0);
}

#[test]
fn mode_is_case_insensitive() {
    let out = two_organizations()
        .plan(&[
            PLAN,
            "alex@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,Replace-All",
            "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,SWAP",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "licenses_after"],
        &[&["alex@contoso.com", "SPB"], &["adele@contoso.com", "SPB"]],
    );
}

#[test]
fn plan_columns_beyond_user_and_to_may_be_left_out() {
    let out = two_organizations()
        .plan(&[
            "user,TO,from",
            "adele@contoso.com,SPB,O365_BUSINESS_PREMIUM",
            "alex@contoso.com,SPE_E3,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "from", "to", "licenses_after"],
        &[
            &["adele@contoso.com", "O365_BUSINESS_PREMIUM", "SPB", "SPB"],
            &[
                "alex@contoso.com",
                "",
                "SPE_E3",
                "O365_BUSINESS_PREMIUM+POWER_BI_PRO+SPE_E3",
            ],
        ],
    );
}

/// Users are matched in parts of the file, in parallel: each `*` row still lists
/// its holders in users.csv order, across every part.
#[test]
fn star_rows_over_many_users_keep_users_csv_order_across_the_file() {
    let org = |i: usize| ["contoso.com", "fabrikam.com"][i % 2];
    let licenses = |i: usize| match (i.is_multiple_of(3), i.is_multiple_of(5)) {
        (true, true) => "O365_BUSINESS_PREMIUM+POWER_BI_PRO",
        (true, false) => "O365_BUSINESS_PREMIUM",
        (false, true) => "POWER_BI_PRO",
        (false, false) => "",
    };
    let n = 40_000;
    let mut users = vec![USERS.to_string()];
    users.extend((0..n).map(|i| format!("u{i}@{},US,,{},,", org(i), licenses(i))));
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    let out = two_organizations()
        .users(&users)
        .plan(&[
            PLAN,
            "*,O365_BUSINESS_PREMIUM,SPB,,Fabrikam Inc,",
            "*,POWER_BI_PRO,SPE_E3,,,",
        ])
        .run(&["--allow-partial"]);
    out.assert_exit(1);
    // The first row's holders, then the second's not already planned.
    let first: Vec<usize> = (0..n)
        .filter(|i| i % 2 == 1 && i.is_multiple_of(3))
        .collect();
    let second = (0..n).filter(|i| i.is_multiple_of(5) && !first.contains(i));
    let expected: Vec<String> = first
        .iter()
        .copied()
        .chain(second)
        .map(|i| format!("u{i}@{}", org(i)))
        .collect();
    assert!(
        out.result().column("user") == expected,
        "result.csv does not list the holders in users.csv order"
    );
}
