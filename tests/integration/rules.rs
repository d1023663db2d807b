//! SPEC.md "Rules checked for each planned user", stages 2 to 5: one test per
//! error and warning code, the order of the stages, and `unchanged`.

use crate::util::{ACTION_COLS, Case, PLAN, RESULT_COLS as COLS, SUBS, USERS, assert_consistent};

#[test]
fn user_not_found_shows_the_user_as_spelled_in_the_plan() {
    let out = Case::new()
        .users(&[USERS, "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "pradeep@Contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &COLS,
        &[&[
            "pradeep@Contoso.com",
            "",
            "O365_BUSINESS_PREMIUM",
            "SPB",
            "error",
            "user-not-found",
            "",
            "",
            "",
        ]],
    );
    // Regression: the sentence's capital letter respelled a name that opened it.
    let message = out.user("pradeep@Contoso.com").get("message").to_string();
    assert!(
        message.contains("pradeep@Contoso.com") && message.contains("users.csv"),
        "{message}"
    );
    // Not past stage 2: no pool of it is listed.
    assert_eq!(out.actions().len(), 0, "{}", out.actions().text);
    assert_eq!(out.summary()["organizations"][""]["error"], 1);
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn organization_unknown_when_no_organization_owns_the_domain() {
    let out = Case::new()
        .users(&[USERS, "priya@wingtiptoys.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "priya@wingtiptoys.com,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &COLS,
        &[&[
            "priya@wingtiptoys.com",
            "",
            "O365_BUSINESS_PREMIUM",
            "SPB",
            "error",
            "organization-unknown",
            "O365_BUSINESS_PREMIUM",
            "O365_BUSINESS_PREMIUM",
            "",
        ]],
    );
    assert_eq!(out.actions().len(), 0);
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn unknown_product_for_a_misspelled_name_or_a_product_outside_the_catalog() {
    // CONTOSO_TRIAL is subscribed but not a catalog product: it can never be From/To.
    let out = Case::new()
        .users(&[
            USERS,
            "omar@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "tina@contoso.com,US,,CONTOSO_TRIAL,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
            "contoso.com,CONTOSO_TRIAL,Active,5,1",
        ])
        .plan(&[
            PLAN,
            "omar@contoso.com,O365_BUSINESS_PREMIUM,Microsoft 365 Buisness Premium,,,",
            "tina@contoso.com,contoso_trial,SPB,,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &COLS,
        &[
            &[
                "omar@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "Microsoft 365 Buisness Premium",
                "error",
                "unknown-product",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS_PREMIUM",
                "",
            ],
            &[
                "tina@contoso.com",
                "contoso.com",
                "contoso_trial",
                "SPB",
                "error",
                "unknown-product",
                "CONTOSO_TRIAL",
                "CONTOSO_TRIAL",
                "",
            ],
        ],
    );
    assert!(
        out.user("omar@contoso.com")
            .get("message")
            .contains("Microsoft 365 Buisness Premium")
    );
    let message = out.user("tina@contoso.com").get("message").to_string();
    assert!(
        message.contains("contoso_trial"),
        "names the product as written: {message}"
    );
    assert_eq!(
        out.actions().len(),
        0,
        "stage-3 errors list no pool:\n{}",
        out.actions().text
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn ambiguous_product_when_the_organization_subscribes_to_none_or_several_candidates() {
    // "Microsoft 365 Business Basic" = O365_BUSINESS_ESSENTIALS or SMB_BUSINESS_ESSENTIALS.
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "bob@fabrikam.com,US,,O365_BUSINESS_PREMIUM,,",
            "cid@tailspin.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,O365_BUSINESS_ESSENTIALS,Active,5,0",
            "contoso.com,SMB_BUSINESS_ESSENTIALS,Active,5,0",
            "fabrikam.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "tailspin.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "tailspin.com,SMB_BUSINESS_ESSENTIALS,Expired,5,0",
        ])
        .plan(&[
            PLAN,
            // Contoso subscribes to both candidates, Fabrikam to none.
            "ann@contoso.com,O365_BUSINESS_PREMIUM,Microsoft 365 Business Basic,,,",
            "bob@fabrikam.com,O365_BUSINESS_PREMIUM,Microsoft 365 Business Basic,,,",
            // Tailspin subscribes to one (of any status): it resolves.
            "cid@tailspin.com,O365_BUSINESS_PREMIUM,Microsoft 365 Business Basic,,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "to", "status", "codes"],
        &[
            &[
                "ann@contoso.com",
                "Microsoft 365 Business Basic",
                "error",
                "ambiguous-product",
            ],
            &[
                "bob@fabrikam.com",
                "Microsoft 365 Business Basic",
                "error",
                "ambiguous-product",
            ],
            &[
                "cid@tailspin.com",
                "SMB_BUSINESS_ESSENTIALS",
                "error",
                "target-inactive",
            ],
        ],
    );
    // Only Cid passed stage 3: only his pools are listed.
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "tailspin.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "5",
                "1",
                "1",
                "0",
                "0",
            ],
            &[
                "tailspin.com",
                "SMB_BUSINESS_ESSENTIALS",
                "keep",
                "5",
                "0",
                "0",
                "0",
                "0",
            ],
        ],
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn unknown_and_ambiguous_product_together_list_both_codes_in_table_order() {
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[SUBS, "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1"])
        .plan(&[
            PLAN,
            "ann@contoso.com,Business Standrad,Microsoft 365 Business Basic,,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.user("ann@contoso.com").check(&[
        ("from", "Business Standrad"),
        ("to", "Microsoft 365 Business Basic"),
        ("status", "error"),
        ("codes", "unknown-product;ambiguous-product"),
    ]);
    assert_eq!(out.actions().len(), 0);
    out.assert_no_backup();
}

#[test]
fn source_not_held() {
    let out = Case::new()
        .users(&[USERS, "nadia@contoso.com,US,,O365_BUSINESS_ESSENTIALS,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,O365_BUSINESS_ESSENTIALS,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "nadia@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &COLS,
        &[&[
            "nadia@contoso.com",
            "contoso.com",
            "O365_BUSINESS_PREMIUM",
            "SPB",
            "error",
            "source-not-held",
            "O365_BUSINESS_ESSENTIALS",
            "O365_BUSINESS_ESSENTIALS",
            "",
        ]],
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "5",
                "1",
                "1",
                "0",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "5", "0", "0", "0", "0"],
        ],
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn group_inherited_when_from_comes_through_a_group() {
    let out = Case::new()
        .users(&[
            USERS,
            "janet@contoso.com,US,,ENTERPRISEPACK+EMS,,ENTERPRISEPACK",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,5,1",
            "contoso.com,EMS,Active,5,1",
            "contoso.com,SPE_E3,Active,5,0",
        ])
        .plan(&[PLAN, "janet@contoso.com,ENTERPRISEPACK,SPE_E3,,,"])
        .run(&[]);
    out.assert_exit(1);
    out.user("janet@contoso.com").check(&[
        ("status", "error"),
        ("codes", "group-inherited"),
        ("licenses_before", "ENTERPRISEPACK+EMS"),
        ("licenses_after", "ENTERPRISEPACK+EMS"),
    ]);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "ENTERPRISEPACK",
                "keep",
                "5",
                "1",
                "1",
                "0",
                "0",
            ],
            &["contoso.com", "SPE_E3", "keep", "5", "0", "0", "0", "0"],
        ],
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn unknown_service_plan_when_a_disable_entry_is_not_a_plan_of_to() {
    // EXCHANGE_S_ENTERPRISE is a real plan but not one of SPB's; NOT_A_PLAN is nothing.
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "bob@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "cid@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,3",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,EXCHANGE_S_ENTERPRISE,,",
            "bob@contoso.com,O365_BUSINESS_PREMIUM,SPB,NOT_A_PLAN,,",
            // By name, and by id (FORMS_PLAN_E1's service plan id), any case: fine.
            "cid@contoso.com,O365_BUSINESS_PREMIUM,SPB,sway;159F4CD6-E380-449F-A816-AF1A9EF76344,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "status", "codes", "disabled_plans"],
        &[
            &["ann@contoso.com", "error", "unknown-service-plan", ""],
            &["bob@contoso.com", "error", "unknown-service-plan", ""],
            &["cid@contoso.com", "reassigned", "", "SWAY;FORMS_PLAN_E1"],
        ],
    );
    assert!(
        out.user("bob@contoso.com")
            .get("message")
            .contains("NOT_A_PLAN")
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "remove-licenses",
                "5",
                "3",
                "2",
                "3",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "5", "0", "1", "0", "0"],
        ],
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn downgrade_is_a_warning_with_a_backup_row_without_strict() {
    // Business Standard → Apps for business loses mailbox, SharePoint, Teams, Viva Engage.
    let out = Case::new()
        .users(&[USERS, "kelly@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,O365_BUSINESS,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "kelly@contoso.com,Microsoft 365 Business Standard,Microsoft 365 Apps for business,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &COLS,
        &[&[
            "kelly@contoso.com",
            "contoso.com",
            "O365_BUSINESS_PREMIUM",
            "O365_BUSINESS",
            "reassigned",
            "downgrade-backup-required",
            "O365_BUSINESS_PREMIUM",
            "O365_BUSINESS",
            "",
        ]],
    );
    out.backup().assert_rows(
        &["user", "organization", "from", "to", "services"],
        &[&[
            "kelly@contoso.com",
            "contoso.com",
            "O365_BUSINESS_PREMIUM",
            "O365_BUSINESS",
            "mailbox;sharepoint;teams;viva-engage",
        ]],
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS",
                "remove-licenses",
                "5",
                "0",
                "1",
                "4",
                "0",
            ],
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "5",
                "1",
                "0",
                "5",
                "0",
            ],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn downgrade_blocks_the_move_under_strict_and_stays_in_backup() {
    let out = Case::new()
        .users(&[USERS, "kelly@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,O365_BUSINESS,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "kelly@contoso.com,O365_BUSINESS_PREMIUM,O365_BUSINESS,,,",
        ])
        .run(&["--strict"]);
    out.assert_exit(1);
    out.user("kelly@contoso.com").check(&[
        ("status", "error"),
        ("codes", "downgrade-backup-required"),
        ("licenses_after", "O365_BUSINESS_PREMIUM"),
    ]);
    out.backup().assert_rows(
        &["user", "from", "to", "services"],
        &[&[
            "kelly@contoso.com",
            "O365_BUSINESS_PREMIUM",
            "O365_BUSINESS",
            "mailbox;sharepoint;teams;viva-engage",
        ]],
    );
    // The blocked user keeps their seat: nothing freed, nobody moved in.
    out.action("contoso.com", "O365_BUSINESS_PREMIUM")
        .check(&[("action", "keep"), ("assigned_after", "1")]);
    out.action("contoso.com", "O365_BUSINESS")
        .check(&[("action", "keep"), ("assigned_after", "0")]);
    assert_consistent(&out);
}

#[test]
fn target_not_listed_when_no_organization_subscribes_to_to() {
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[SUBS, "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1"])
        .plan(&[PLAN, "ann@contoso.com,O365_BUSINESS_PREMIUM,SPE_E5,,,"])
        .run(&[]);
    out.assert_exit(1);
    out.user("ann@contoso.com").check(&[
        ("to", "SPE_E5"),
        ("status", "error"),
        ("codes", "target-not-listed"),
        ("licenses_after", "O365_BUSINESS_PREMIUM"),
    ]);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[&[
            "contoso.com",
            "O365_BUSINESS_PREMIUM",
            "keep",
            "5",
            "1",
            "1",
            "0",
            "0",
        ]],
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn target_other_organization_names_the_other_organization_and_the_boundary() {
    let out = Case::new()
        .users(&[USERS, "megan@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "northwind.com,SPE_E5,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "megan@contoso.com,O365_BUSINESS_PREMIUM,Microsoft 365 E5,,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    let row = out.user("megan@contoso.com");
    row.check(&[
        ("to", "SPE_E5"),
        ("status", "error"),
        ("codes", "target-other-organization"),
    ]);
    let message = row.get("message");
    assert!(message.contains("northwind.com"), "{message}");
    assert!(
        message.contains("subscriptions cannot cross organization boundaries"),
        "{message}"
    );
    // Contoso has no SPE_E5 pool, and Northwind's is not Megan's organization's.
    out.actions().assert_rows(
        &["organization", "product"],
        &[&["contoso.com", "O365_BUSINESS_PREMIUM"]],
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn target_inactive_for_any_status_but_active() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "bob@fabrikam.com,US,,O365_BUSINESS_PREMIUM,,",
            "cid@tailspin.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Warning,5,0",
            "fabrikam.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "fabrikam.com,SPB,Suspended,5,0",
            "tailspin.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "tailspin.com,SPB,Enabled,5,0",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "bob@fabrikam.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "cid@tailspin.com,O365_BUSINESS_PREMIUM,SPB,,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "status", "codes"],
        &[
            &["ann@contoso.com", "error", "target-inactive"],
            &["bob@fabrikam.com", "error", "target-inactive"],
            &["cid@tailspin.com", "reassigned", ""],
        ],
    );
    let grace = out.user("ann@contoso.com").get("message").to_lowercase();
    assert!(
        grace.contains("renew"),
        "Warning is a grace period: {grace}"
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "5",
                "1",
                "1",
                "0",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "5", "0", "0", "0", "0"],
            &[
                "fabrikam.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "5",
                "1",
                "1",
                "0",
                "0",
            ],
            &["fabrikam.com", "SPB", "keep", "5", "0", "0", "0", "0"],
            &[
                "tailspin.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "5",
                "1",
                "0",
                "5",
                "0",
            ],
            &[
                "tailspin.com",
                "SPB",
                "remove-licenses",
                "5",
                "0",
                "1",
                "4",
                "0",
            ],
        ],
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn missing_usage_location() {
    let out = Case::new()
        .users(&[USERS, "isaiah@contoso.com,,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "isaiah@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(1);
    out.user("isaiah@contoso.com").check(&[
        ("status", "error"),
        ("codes", "missing-usage-location"),
        ("licenses_after", "O365_BUSINESS_PREMIUM"),
    ]);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "5",
                "1",
                "1",
                "0",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "5", "0", "0", "0", "0"],
        ],
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn not_enough_licenses_says_how_many_to_buy() {
    let out = Case::new()
        .users(&[
            USERS,
            "joni@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "lee@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "max@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,3",
            "contoso.com,SPE_E3,Active,3,2",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPE_E3,,,"])
        .run(&[]);
    out.assert_exit(1);
    for user in ["joni@contoso.com", "lee@contoso.com", "max@contoso.com"] {
        let row = out.user(user);
        row.check(&[
            ("status", "error"),
            ("codes", "not-enough-licenses"),
            ("licenses_after", "O365_BUSINESS_PREMIUM"),
        ]);
        assert!(
            row.get("message").contains("buy 2"),
            "3 want, 1 available: {}",
            row.get("message")
        );
    }
    out.action("contoso.com", "SPE_E3")
        .check(&[("action", "buy-licenses"), ("licenses_to_buy", "2")]);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "5",
                "3",
                "3",
                "0",
                "0",
            ],
            &[
                "contoso.com",
                "SPE_E3",
                "buy-licenses",
                "3",
                "2",
                "2",
                "0",
                "2",
            ],
        ],
    );
    out.assert_no_backup();
    assert_consistent(&out);
}

#[test]
fn source_inactive_when_the_from_subscription_is_not_listed_or_not_active() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "bob@fabrikam.com,US,,O365_BUSINESS_PREMIUM,,",
            "cid@tailspin.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,SPB,Active,5,0",
            "fabrikam.com,O365_BUSINESS_PREMIUM,Expired,5,1",
            "fabrikam.com,SPB,Active,5,0",
            "tailspin.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "tailspin.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "codes", "licenses_after"],
        &[
            &["ann@contoso.com", "reassigned", "source-inactive", "SPB"],
            &["bob@fabrikam.com", "reassigned", "source-inactive", "SPB"],
            &["cid@tailspin.com", "reassigned", "", "SPB"],
        ],
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "SPB",
                "remove-licenses",
                "5",
                "0",
                "1",
                "4",
                "0",
            ],
            &[
                "fabrikam.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "5",
                "1",
                "0",
                "5",
                "0",
            ],
            &[
                "fabrikam.com",
                "SPB",
                "remove-licenses",
                "5",
                "0",
                "1",
                "4",
                "0",
            ],
            &[
                "tailspin.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "5",
                "1",
                "0",
                "5",
                "0",
            ],
            &[
                "tailspin.com",
                "SPB",
                "remove-licenses",
                "5",
                "0",
                "1",
                "4",
                "0",
            ],
        ],
    );
    out.assert_no_backup();
    assert_consistent(&out);
    // A warning only: with --strict it fails the run.
    Case::new()
        .users(&[USERS, "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[SUBS, "contoso.com,SPB,Active,5,0"])
        .plan(&[PLAN, "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&["--strict"])
        .assert_exit(1);
}

#[test]
fn sign_in_blocked_from_block_credential_or_account_enabled_false() {
    let subs = [
        SUBS,
        "contoso.com,O365_BUSINESS_PREMIUM,Active,9,4",
        "contoso.com,SPB,Active,9,0",
    ];
    let plan = [PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"];
    let blocked = Case::new()
        .users(&[
            "UPN,UsageLocation,Block credential,Licenses",
            "a@contoso.com,US,True,O365_BUSINESS_PREMIUM",
            "b@contoso.com,US,yes,O365_BUSINESS_PREMIUM",
            "c@contoso.com,US,FALSE,O365_BUSINESS_PREMIUM",
            "d@contoso.com,US,,O365_BUSINESS_PREMIUM",
        ])
        .subscriptions(&subs)
        .plan(&plan)
        .run(&[]);
    blocked.assert_exit(0);
    blocked.result().assert_rows(
        &["user", "status", "codes"],
        &[
            &["a@contoso.com", "reassigned", "sign-in-blocked"],
            &["b@contoso.com", "reassigned", "sign-in-blocked"],
            &["c@contoso.com", "reassigned", ""],
            &["d@contoso.com", "reassigned", ""],
        ],
    );
    blocked.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "9",
                "4",
                "0",
                "9",
                "0",
            ],
            &[
                "contoso.com",
                "SPB",
                "remove-licenses",
                "9",
                "0",
                "4",
                "5",
                "0",
            ],
        ],
    );
    blocked.assert_no_backup();
    assert_consistent(&blocked);
    // Graph's AccountEnabled says the opposite: false = blocked.
    let enabled = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,AccountEnabled,AssignedLicenses",
            "a@contoso.com,US,False,O365_BUSINESS_PREMIUM",
            "b@contoso.com,US,0,O365_BUSINESS_PREMIUM",
            "c@contoso.com,US,True,O365_BUSINESS_PREMIUM",
            "d@contoso.com,US,,O365_BUSINESS_PREMIUM",
        ])
        .subscriptions(&subs)
        .plan(&plan);
    let out = enabled.run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "codes"],
        &[
            &["a@contoso.com", "reassigned", "sign-in-blocked"],
            &["b@contoso.com", "reassigned", "sign-in-blocked"],
            &["c@contoso.com", "reassigned", ""],
            &["d@contoso.com", "reassigned", ""],
        ],
    );
    enabled.run(&["--strict"]).assert_exit(1);
}

#[test]
fn warnings_are_listed_in_table_order_on_reassigned_rows() {
    // Disabling EXCHANGE_S_STANDARD on SPB loses the mailbox; the From pool is
    // expired; sign-in is blocked.
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,US,true,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Expired,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,EXCHANGE_S_STANDARD,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.user("ann@contoso.com").check(&[
        ("status", "reassigned"),
        (
            "codes",
            "downgrade-backup-required;source-inactive;sign-in-blocked",
        ),
        ("disabled_plans", "EXCHANGE_S_STANDARD"),
    ]);
    out.backup()
        .assert_rows(&["user", "services"], &[&["ann@contoso.com", "mailbox"]]);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "cancel-subscription",
                "5",
                "1",
                "0",
                "5",
                "0",
            ],
            &[
                "contoso.com",
                "SPB",
                "remove-licenses",
                "5",
                "0",
                "1",
                "4",
                "0",
            ],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn error_rows_carry_no_warnings_and_no_backup_row() {
    // The same downgrade, but the user has no usage location: an error row.
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,,true,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Expired,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,EXCHANGE_S_STANDARD,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.user("ann@contoso.com").check(&[
        ("status", "error"),
        ("codes", "missing-usage-location"),
        ("disabled_plans", ""),
    ]);
    assert_eq!(out.backup().len(), 0, "{}", out.backup().text);
    assert_eq!(
        out.backup().header,
        ["user", "organization", "from", "to", "services"]
    );
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "5",
                "1",
                "1",
                "0",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "5", "0", "0", "0", "0"],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn a_stage_lists_every_error_it_finds() {
    // Stage 5 finds five errors at once (under --strict the downgrade is one of them).
    // Ann holds Business Basic, not From; Disable EXCHANGE_S_STANDARD then switches
    // off the mailbox that Basic gives her (disabled plans are kept per user).
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,,,O365_BUSINESS_ESSENTIALS,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_ESSENTIALS,Active,5,1",
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,0",
            "contoso.com,SPB,Suspended,5,0",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,EXCHANGE_S_STANDARD;NOT_A_PLAN,,",
        ])
        .run(&["--strict"]);
    out.assert_exit(1);
    out.user("ann@contoso.com").check(&[
        ("status", "error"),
        (
            "codes",
            "source-not-held;unknown-service-plan;downgrade-backup-required;target-inactive;missing-usage-location",
        ),
        ("licenses_after", "O365_BUSINESS_ESSENTIALS"),
    ]);
    out.backup()
        .assert_rows(&["user", "services"], &[&["ann@contoso.com", "mailbox"]]);
    assert_consistent(&out);
}

#[test]
fn source_not_held_and_missing_usage_location_together() {
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,,,O365_BUSINESS_ESSENTIALS,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,0",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.user("ann@contoso.com").check(&[
        ("status", "error"),
        ("codes", "source-not-held;missing-usage-location"),
    ]);
    out.assert_exit(1);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "keep",
                "5",
                "0",
                "0",
                "0",
                "0",
            ],
            &["contoso.com", "SPB", "keep", "5", "0", "0", "0", "0"],
        ],
    );
    out.assert_no_backup();
}

#[test]
fn an_earlier_failing_stage_hides_the_later_ones() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,,,O365_BUSINESS_ESSENTIALS,,",
            "bob@nowhere.com,,,,,",
        ])
        .subscriptions(&[SUBS, "contoso.com,O365_BUSINESS_PREMIUM,Active,5,0"])
        .plan(&[
            PLAN,
            // Stage 1 (two different rows) before stage 2 (not in users.csv).
            "ghost@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "ghost@contoso.com,O365_BUSINESS_PREMIUM,SPE_E3,,,",
            // Stage 2 (not in users.csv) before stage 3 (unknown product).
            "nobody@contoso.com,NOPE,NOPE,,,",
            // Stage 2 (no organization) before stage 3.
            "bob@nowhere.com,NOPE,NOPE,,,",
            // Stage 3 (unknown product) before stage 5 (source not held, no usage
            // location, target not listed).
            "ann@contoso.com,O365_BUSINESS_PREMIUM,Microsoft 365 Buisness Premium,,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "status", "codes"],
        &[
            &["ghost@contoso.com", "error", "duplicate-user"],
            &["nobody@contoso.com", "error", "user-not-found"],
            &["bob@nowhere.com", "error", "organization-unknown"],
            &["ann@contoso.com", "error", "unknown-product"],
        ],
    );
}

#[test]
fn target_checks_run_only_when_a_license_of_to_must_be_assigned() {
    // Ann already holds To (and still From): nothing is assigned, so an inactive
    // To subscription and a missing usage location do not matter; From is removed.
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,,,O365_BUSINESS_PREMIUM+SPB,,",
            "bob@contoso.com,,,O365_BUSINESS_PREMIUM+SPE_E3,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,SPB,Suspended,5,1",
            "fabrikam.com,SPE_E3,Active,5,1",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "bob@contoso.com,O365_BUSINESS_PREMIUM,SPE_E3,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
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
                "O365_BUSINESS_PREMIUM+SPB",
                "SPB",
            ],
            &[
                "bob@contoso.com",
                "reassigned",
                "",
                "O365_BUSINESS_PREMIUM+SPE_E3",
                "SPE_E3",
            ],
        ],
    );
    out.action("contoso.com", "O365_BUSINESS_PREMIUM").check(&[
        ("action", "cancel-subscription"),
        ("assigned_after", "0"),
        ("licenses_to_remove", "5"),
    ]);
    out.action("contoso.com", "SPB")
        .check(&[("action", "keep"), ("assigned_after", "1")]);
}

#[test]
fn counting_only_counts_users_who_passed_stage_5() {
    // One free SPE_E3 seat: Ann (no usage location) fails stage 5 and takes no seat,
    // so Bob, after her in plan order, gets it.
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,,,O365_BUSINESS_PREMIUM,,",
            "bob@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,SPE_E3,Active,3,2",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPE_E3,,,"])
        .run(&[]);
    out.result().assert_rows(
        &["user", "status", "codes"],
        &[
            &["ann@contoso.com", "error", "missing-usage-location"],
            &["bob@contoso.com", "reassigned", ""],
        ],
    );
    out.assert_exit(1);
    out.actions().assert_rows(
        &ACTION_COLS,
        &[
            &[
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "remove-licenses",
                "5",
                "2",
                "1",
                "4",
                "0",
            ],
            &["contoso.com", "SPE_E3", "keep", "3", "2", "3", "0", "0"],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn already_done_is_unchanged_without_codes() {
    // Johanna holds To and not From; Kim has an empty From and holds To. Neither
    // has a usage location and both are blocked: unchanged rows carry no codes.
    let out = Case::new()
        .users(&[
            USERS,
            "johanna@contoso.com,,true,SPB,YAMMER_ENTERPRISE,",
            "kim@contoso.com,,true,SPB+POWER_BI_PRO,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,0",
            "contoso.com,SPB,Suspended,5,2",
        ])
        .plan(&[
            PLAN,
            "johanna@contoso.com,O365_BUSINESS_PREMIUM,SPB,SWAY,,",
            "kim@contoso.com,,spb,,,replace-all",
        ])
        .run(&["--strict"]);
    out.assert_exit(0);
    out.result().assert_rows(
        &COLS,
        &[
            &[
                "johanna@contoso.com",
                "contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "unchanged",
                "",
                "SPB",
                "SPB",
                "YAMMER_ENTERPRISE",
            ],
            &[
                "kim@contoso.com",
                "contoso.com",
                "",
                "SPB",
                "unchanged",
                "",
                "SPB+POWER_BI_PRO",
                "SPB+POWER_BI_PRO",
                "",
            ],
        ],
    );
    assert_eq!(out.summary()["status"]["unchanged"], 2);
}

#[test]
fn rerunning_an_applied_plan_changes_nothing() {
    let subs = |premium: &str, spb: &str, visio: &str| {
        vec![
            SUBS.to_string(),
            format!("contoso.com,O365_BUSINESS_PREMIUM,Active,5,{premium}"),
            format!("contoso.com,SPB,Active,5,{spb}"),
            format!("contoso.com,VISIOCLIENT,Active,5,{visio}"),
        ]
    };
    let plan = [
        PLAN,
        "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
        "bob@contoso.com,Microsoft 365 Business Standard,SPB,,,",
        "cid@contoso.com,,VISIOCLIENT,,,",
    ];
    let first = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM+VISIOCLIENT,,",
            "bob@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "cid@contoso.com,US,,SPB,,",
        ])
        .subscriptions(
            &subs("2", "1", "1")
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        )
        .plan(&plan)
        .run(&[]);
    first.assert_exit(0);
    assert_eq!(
        first.result().column("status"),
        ["reassigned", "reassigned", "reassigned"]
    );
    // Apply it: every user ends with licenses_after, every pool with assigned_after.
    let users: Vec<String> = std::iter::once(USERS.to_string())
        .chain(
            first
                .result()
                .rows
                .iter()
                .map(|r| format!("{},US,,{},,", r[0], r[first.result().col("licenses_after")])),
        )
        .collect();
    let after = |product| {
        first
            .action("contoso.com", product)
            .get("assigned_after")
            .to_string()
    };
    let second = Case::new()
        .users(&users.iter().map(String::as_str).collect::<Vec<_>>())
        .subscriptions(
            &subs(
                &after("O365_BUSINESS_PREMIUM"),
                &after("SPB"),
                &after("VISIOCLIENT"),
            )
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        )
        .plan(&plan)
        .run(&[]);
    second.assert_exit(0);
    second.result().assert_rows(
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
                "unchanged",
                "",
                "VISIOCLIENT+SPB",
                "VISIOCLIENT+SPB",
            ],
            &["bob@contoso.com", "unchanged", "", "SPB", "SPB"],
            &[
                "cid@contoso.com",
                "unchanged",
                "",
                "SPB+VISIOCLIENT",
                "SPB+VISIOCLIENT",
            ],
        ],
    );
    second.actions().assert_rows(
        &["product", "action", "assigned_before", "assigned_after"],
        &[
            &["O365_BUSINESS_PREMIUM", "keep", "0", "0"],
            &["SPB", "keep", "3", "3"],
            &["VISIOCLIENT", "keep", "2", "2"],
        ],
    );
}
