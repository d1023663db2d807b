//! SPEC.md revision 5 on the licenses users hold: the licenses column is
//! required under any of its names, lists joined with `;` or `,` by custom
//! scripts, unknown licenses made visible (check, stderr, summary.json), and the
//! catalog's quirks (a non-breaking space inside a SKU part number, a SKU part
//! number with two SKU ids and two display names).

use serde_json::json;

use crate::util::{Case, Outcome, SUBS, assert_consistent};

/// Asserts that stderr holds every one of `words`.
#[track_caller]
fn says(out: &Outcome, words: &[&str]) {
    let missing: Vec<&&str> = words.iter().filter(|w| !out.stderr.contains(**w)).collect();
    assert!(
        missing.is_empty(),
        "stderr lacks {missing:?}\n{}",
        out.describe()
    );
}

#[test]
fn the_licenses_column_under_each_accepted_name() {
    for name in [
        "Licenses",
        "AssignedLicenses",
        "License",
        "Assigned licenses",
        "LicenseAssignment",
    ] {
        let out = Case::new()
            .users(&[
                &format!("UserPrincipalName,UsageLocation,{name}"),
                "ann@contoso.com,US,O365_BUSINESS_PREMIUM+POWER_BI_PRO",
            ])
            .subscriptions(&[
                SUBS,
                "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
                "contoso.com,SPB,Active,5,0",
            ])
            .plan(&["User,From,To", "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB"])
            .run(&[]);
        out.assert_exit(0);
        out.user("ann@contoso.com").check(&[
            ("status", "reassigned"),
            ("licenses_before", "O365_BUSINESS_PREMIUM+POWER_BI_PRO"),
            ("licenses_after", "POWER_BI_PRO+SPB"),
        ]);
    }
}

/// Without a licenses column every user would look unlicensed and every move
/// would fail `source-not-held`: unusable input instead (the Teams Rooms
/// template's shape, with its `License` column renamed).
#[test]
fn a_users_file_without_a_licenses_column_is_unusable() {
    let case = Case::new()
        .bytes(
            "users.csv",
            "\u{feff}UPN,Alias,Password,LicenseSku,UsageLocation,DisplayName\nmtr-room1@contoso.com,mtr-room1,P4ss!,Microsoft_Teams_Rooms_Pro,RO,Room 1\n",
        )
        .subscriptions(&[SUBS, "contoso.com,Microsoft_Teams_Rooms_Pro,Active,5,1"])
        .plan(&["User,From,To", "*,Microsoft_Teams_Rooms_Pro,Microsoft_Teams_Rooms_Pro"]);
    for out in [case.run(&[]), case.check(&[])] {
        out.assert_exit(2);
        says(
            &out,
            &[
                "users.csv:1:1:",
                "missing required column",
                "`Licenses`, `AssignedLicenses`, `License`, `Assigned licenses`, `LicenseAssignment`",
                "`LicenseSku`",
            ],
        );
        assert!(out.wrote_nothing(), "{}", out.describe());
    }
}

const JOINED_SUBS: [&str; 4] = [
    SUBS,
    "contoso.com,SPB,Active,9,4",
    "contoso.com,POWER_BI_PRO,Active,9,4",
    "contoso.com,SPE_E3,Active,9,0",
];

/// Custom scripts join with `-join ', '` or `;`: when every part resolves, the
/// parts are the licenses (Group licenses too), and stderr says so once per file.
#[test]
fn licenses_joined_with_comma_or_semicolon_are_split_when_every_part_resolves() {
    let out = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,AssignedLicenses,LicensesFromGroups",
            "ann@contoso.com,US,\"Microsoft 365 Business Premium, Power BI Pro\",",
            "bob@contoso.com,US,SPB;POWER_BI_PRO,\"POWER_BI_PRO, SPB\"",
            "cid@contoso.com,US,SPB+POWER_BI_PRO,",
        ])
        .subscriptions(&JOINED_SUBS)
        .plan(&["User,From,To", "*,SPB,SPE_E3"])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &[
            "user",
            "status",
            "codes",
            "licenses_before",
            "licenses_after",
        ],
        &[
            &[
                "ann@contoso.com",
                "reassigned",
                "",
                "SPB+POWER_BI_PRO",
                "POWER_BI_PRO+SPE_E3",
            ],
            // SPB comes through a group: it cannot be removed from bob directly.
            &[
                "bob@contoso.com",
                "error",
                "group-inherited",
                "SPB+POWER_BI_PRO",
                "SPB+POWER_BI_PRO",
            ],
            &[
                "cid@contoso.com",
                "reassigned",
                "",
                "SPB+POWER_BI_PRO",
                "POWER_BI_PRO+SPE_E3",
            ],
        ],
    );
    // One warning for the file: the first line, and how many cells (ann's, and
    // bob's two).
    let warnings: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.contains("joined"))
        .collect();
    assert_eq!(warnings.len(), 1, "{}", out.describe());
    assert!(
        warnings[0].contains("users.csv:2:") && warnings[0].contains("3 cells"),
        "{}",
        out.describe()
    );
    assert_eq!(out.summary()["unknown_licenses"], json!({}));
    assert_consistent(&out);
}

/// When a part does not resolve, the cell stays one unknown license as written
/// (the user does not hold SPB), and is counted as unknown.
#[test]
fn a_joined_list_with_a_part_that_does_not_resolve_stays_one_unknown_license() {
    let out = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,AssignedLicenses",
            "ann@contoso.com,US,\"SPB, Contoso Pilot\"",
            "bob@contoso.com,US,SPB;Contoso Pilot",
        ])
        .subscriptions(&JOINED_SUBS)
        .plan(&[
            "User,From,To",
            "ann@contoso.com,SPB,SPE_E3",
            "bob@contoso.com,SPB,SPE_E3",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &[
            "user",
            "status",
            "codes",
            "licenses_before",
            "licenses_after",
        ],
        &[
            &[
                "ann@contoso.com",
                "error",
                "source-not-held",
                "SPB, Contoso Pilot",
                "SPB, Contoso Pilot",
            ],
            &[
                "bob@contoso.com",
                "error",
                "source-not-held",
                "SPB;Contoso Pilot",
                "SPB;Contoso Pilot",
            ],
        ],
    );
    assert!(!out.stderr.contains("joined"), "{}", out.describe());
    assert_eq!(
        out.summary()["unknown_licenses"],
        json!({"SPB, Contoso Pilot": 1, "SPB;Contoso Pilot": 1})
    );
}

/// The admin center's new name for a product (`Microsoft 365 Copilot`) is not
/// the catalog's (`Microsoft Copilot for Microsoft 365`): the license is carried
/// as written, and every way of looking at the run shows it. A product that
/// subscriptions.csv lists (a trial) is not unknown. The exit code is unchanged.
#[test]
fn unknown_licenses_are_counted_and_shown_never_silent() {
    let case = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,AssignedLicenses",
            "ann@contoso.com,US,SPB+Microsoft 365 Copilot",
            "bob@contoso.com,US,SPB+microsoft 365 COPILOT",
            "cid@contoso.com,US,SPB+Contoso Trial",
            "dan@contoso.com,US,Fabrikam Pilot",
            "eve@contoso.com,US,Fabrikam Pilot+Northwind Addon+Tailspin Beta",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,SPB,Active,9,3",
            "contoso.com,SPE_E3,Active,9,0",
            "contoso.com,contoso trial,Active,9,1",
        ])
        .plan(&["User,From,To", "ann@contoso.com,SPB,SPE_E3"]);
    let expected = json!({
        "Microsoft 365 Copilot": 2,
        "Fabrikam Pilot": 2,
        "Northwind Addon": 1,
        "Tailspin Beta": 1,
    });
    for strict in [&[][..], &["--strict"][..]] {
        let out = case.run(strict);
        out.assert_exit(0);
        out.user("ann@contoso.com").check(&[
            ("status", "reassigned"),
            ("codes", ""),
            ("licenses_after", "Microsoft 365 Copilot+SPE_E3"),
        ]);
        assert_eq!(out.summary()["unknown_licenses"], expected);
        // The three held by the most users, on stderr; not the fourth.
        says(
            &out,
            &[
                "4 licenses",
                "`Microsoft 365 Copilot` (2 users)",
                "`Fabrikam Pilot` (2 users)",
                "`Northwind Addon` (1 user)",
                "--catalog",
            ],
        );
        assert!(!out.stderr.contains("Tailspin"), "{}", out.describe());
        assert!(!out.stderr.contains("Contoso Trial"), "{}", out.describe());
    }
    // `check` lists every one: text as first spelled, users holding it, first user.
    let out = case.check(&[]);
    out.assert_exit(0);
    let listed: Vec<&str> = out
        .stdout
        .lines()
        .skip_while(|l| !l.starts_with("unknown licenses"))
        .take_while(|l| l.starts_with("unknown licenses") || l.starts_with("  "))
        .collect();
    assert_eq!(
        listed,
        [
            "unknown licenses (not in the catalog nor in subscriptions.csv): 4",
            "  `Microsoft 365 Copilot`: 2 users, first ann@contoso.com",
            "  `Fabrikam Pilot`: 2 users, first dan@contoso.com",
            "  `Northwind Addon`: 1 user, first eve@contoso.com",
            "  `Tailspin Beta`: 1 user, first eve@contoso.com",
        ],
        "{}",
        out.describe()
    );
    // `--json` carries them too.
    let out = case.check(&["--json"]);
    let summary: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(summary["unknown_licenses"], expected);
}

/// With no unknown license, nothing is said and summary.json has an empty object.
#[test]
fn without_unknown_licenses_nothing_is_said() {
    let out = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,AssignedLicenses",
            "ann@contoso.com,US,SPB",
        ])
        .subscriptions(&JOINED_SUBS)
        .plan(&["User,From,To", "ann@contoso.com,SPB,SPE_E3"])
        .run(&[]);
    out.assert_exit(0);
    assert_eq!(out.stderr, "", "{}", out.describe());
    assert_eq!(out.summary()["unknown_licenses"], json!({}));
}

/// Microsoft's table spells Microsoft 365 E3 EEA (no Teams) with non-breaking
/// spaces (`O365_w/o<NBSP>Teams<NBSP>Bundle_M3`): it resolves however it is
/// spelled, and outputs write it with plain spaces.
#[test]
fn the_catalog_sku_with_non_breaking_spaces_resolves_and_is_written_with_spaces() {
    let out = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,AssignedLicenses",
            "ann@contoso.com,DE,O365_w/o Teams Bundle_M3",
            "bob@contoso.com,DE,O365_w/o\u{a0}Teams\u{a0}Bundle_M3",
            "cid@contoso.com,DE,c2fe850d-fbbb-4858-b67d-bd0c6e746da3",
            "dan@contoso.com,DE,Microsoft 365 E3 EEA (no Teams)",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_w/o\u{a0}Teams\u{a0}Bundle_M3,Active,4,4",
            "contoso.com,SPE_E3,Active,4,0",
        ])
        .plan(&["User,From,To", "*,o365_w/o teams bundle_m3,SPE_E3"])
        .run(&[]);
    out.assert_exit(0);
    let m3 = "O365_w/o Teams Bundle_M3";
    out.result().assert_rows(
        &[
            "user",
            "from",
            "status",
            "licenses_before",
            "licenses_after",
        ],
        &[
            &["ann@contoso.com", m3, "reassigned", m3, "SPE_E3"],
            &["bob@contoso.com", m3, "reassigned", m3, "SPE_E3"],
            &["cid@contoso.com", m3, "reassigned", m3, "SPE_E3"],
            &["dan@contoso.com", m3, "reassigned", m3, "SPE_E3"],
        ],
    );
    out.actions().assert_rows(
        &["product", "action", "assigned_before", "licenses_to_remove"],
        &[
            &[m3, "cancel-subscription", "4", "4"],
            &["SPE_E3", "keep", "0", "0"],
        ],
    );
    for file in [&out.result().text, &out.actions().text] {
        assert!(!file.contains('\u{a0}'), "{file}");
    }
    assert_eq!(out.summary()["unknown_licenses"], json!({}));
}

/// MCOPSTN5 is listed in Microsoft's table with two SKU ids and two display
/// names: one product, whichever of them names it, and one pool however
/// subscriptions.csv names its rows.
#[test]
fn a_sku_part_number_with_two_ids_and_two_names_is_one_product_and_one_pool() {
    let names = [
        "MCOPSTN5",
        "d43177b5-475b-4880-92d4-d54c27b5efbd",
        "54a152dc-90de-4996-93d2-bc47e670fc06",
        "Skype for Business PSTN Calling Domestic Small",
        "Skype for Business PSTN Domestic Calling (120 Minutes)",
    ];
    let mut users = vec!["UserPrincipalName,UsageLocation,AssignedLicenses".to_string()];
    for (i, name) in names.iter().enumerate() {
        users.push(format!("user{i}@contoso.com,US,SPE_E3+{name}"));
    }
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    let case = || {
        Case::new().users(&users).subscriptions(&[
            SUBS,
            "contoso.com,SPE_E3,Active,9,5",
            "contoso.com,d43177b5-475b-4880-92d4-d54c27b5efbd,Active,2,2",
            "contoso.com,Skype for Business PSTN Domestic Calling (120 Minutes),Active,2,2",
            "contoso.com,54a152dc-90de-4996-93d2-bc47e670fc06,Active,1,1",
            "contoso.com,MCOPSTN1,Active,5,0",
        ])
    };

    for from in names {
        let out = case()
            .plan(&["User,From,To", &format!("*,{from},MCOPSTN1")])
            .run(&[]);
        out.assert_exit(0);
        assert_eq!(out.result().len(), 5, "{}", out.result().text);
        for row in &out.result().rows {
            assert_eq!(
                row[2..5],
                ["MCOPSTN5", "MCOPSTN1", "reassigned"],
                "{}",
                out.result().text
            );
        }
        out.actions().assert_rows(
            &[
                "product",
                "action",
                "total",
                "assigned_before",
                "assigned_after",
            ],
            &[
                &["MCOPSTN1", "keep", "5", "0", "5"],
                &["MCOPSTN5", "cancel-subscription", "5", "5", "0"],
            ],
        );
        assert_eq!(out.summary()["unknown_licenses"], json!({}));
    }
}

/// An MSOnline per-user license report (one row per user and license,
/// `reseller-account:SKU`) with its columns renamed as the first message asked:
/// the second says users.csv wants one row per user, licenses joined with `+`.
#[test]
fn a_report_of_one_row_per_user_and_license_is_refused_saying_how_to_join_it() {
    let out = Case::new()
        .bytes(
            "users.csv",
            "\u{feff}\"UserName\",\"License\",\"UserPrincipalName\"\n\"Rose Vazquez\",\"reseller-account:O365_BUSINESS_PREMIUM\",\"RVazquez@contoso.com\"\n\"Rose Vazquez\",\"reseller-account:FLOW_FREE\",\"RVazquez@contoso.com\"\n",
        )
        .subscriptions(&[SUBS, "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1"])
        .plan(&["User,From,To", "*,O365_BUSINESS_PREMIUM,SPB"])
        .run(&[]);
    out.assert_exit(2);
    says(
        &out,
        &[
            "users.csv:3:3:",
            "`RVazquez@contoso.com` is listed twice, first on line 2",
            "one row per user",
            "joined with `+`",
        ],
    );
    assert!(out.wrote_nothing(), "{}", out.describe());
}

/// Microsoft's Teams Rooms resource-account template (BOM, `UPN`, `License`)
/// reads as a users file.
#[test]
fn the_teams_rooms_template_reads_as_a_users_file() {
    let out = Case::new()
        .bytes(
            "users.csv",
            "\u{feff}UPN,Alias,Password,License,UsageLocation,DisplayName,AutomateProcessing\nmtr-room1@contoso.com,mtr-room1,P4ss!,Microsoft_Teams_Rooms_Pro,RO,Room 1,AutoAccept\nmtr-room2@contoso.com,mtr-room2,P4ss!,Microsoft_Teams_Rooms_Pro,RO,Room 2,AutoAccept\n",
        )
        .subscriptions(&[
            SUBS,
            "contoso.com,Microsoft_Teams_Rooms_Pro,Active,2,2",
            "contoso.com,Microsoft_Teams_Rooms_Pro_without_Audio_Conferencing,Active,2,0",
        ])
        .plan(&[
            "User,From,To",
            "*,Microsoft Teams Rooms Pro,Microsoft_Teams_Rooms_Pro_without_Audio_Conferencing",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.actions().assert_rows(
        &["product", "action", "assigned_after"],
        &[
            &["Microsoft_Teams_Rooms_Pro", "cancel-subscription", "0"],
            &[
                "Microsoft_Teams_Rooms_Pro_without_Audio_Conferencing",
                "keep",
                "2",
            ],
        ],
    );
}

/// A newer catalog (`--catalog`) that knows the renamed product makes it a
/// product: no longer unknown, and written by its SKU part number.
#[test]
fn a_newer_catalog_fixes_a_renamed_product() {
    let catalog = [
        "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names",
        "Microsoft 365 Business Premium,SPB,cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c,Exchange",
        "Microsoft 365 E3,SPE_E3,05e9a617-0261-4cee-bb44-138d3ef5d965,EXCHANGE_S_ENTERPRISE,efb87545-963c-4e0d-99df-69c6916d9eb0,Exchange",
        "Microsoft 365 Copilot,Microsoft_365_Copilot,a809996b-059e-42e2-9866-db24b99a9782,M365_COPILOT_APPS,a62f8878-de10-42f3-b68f-6149a25ceb97,Copilot",
    ];
    let case = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,AssignedLicenses",
            "ann@contoso.com,US,SPB+Microsoft 365 Copilot",
        ])
        .subscriptions(&JOINED_SUBS)
        .plan(&["User,From,To", "ann@contoso.com,SPB,SPE_E3"])
        .lines("catalog.csv", &catalog);
    let out = case.run(&[]);
    assert_eq!(
        out.summary()["unknown_licenses"],
        json!({"Microsoft 365 Copilot": 1})
    );
    let file = case.input().join("catalog.csv");
    let out = case.run(&["--catalog", file.to_str().unwrap()]);
    out.assert_exit(0);
    out.user("ann@contoso.com")
        .check(&[("licenses_after", "Microsoft_365_Copilot+SPE_E3")]);
    assert_eq!(out.summary()["unknown_licenses"], json!({}));
    assert!(!out.stderr.contains("Copilot"), "{}", out.describe());
}
