//! SPEC.md "Reassignment": swap, replace-all, an empty From, disabled plans after
//! the move, and the data services whose loss makes a move a downgrade.

use crate::util::{Case, PLAN, SUBS, USERS};

#[test]
fn swap_removes_from_keeps_every_other_license_in_order_and_appends_to() {
    let out = Case::new()
        .users(&[
            USERS,
            "grady@contoso.com,US,,POWER_BI_PRO+O365_BUSINESS_PREMIUM+CONTOSO_TRIAL+VISIOCLIENT,,VISIOCLIENT",
            "henri@contoso.com,US,,O365_BUSINESS_PREMIUM+SPB,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,SPB,Active,5,1",
            "contoso.com,POWER_BI_PRO,Active,5,1",
            "contoso.com,VISIOCLIENT,Active,5,1",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,swap"])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "licenses_before", "licenses_after"],
        &[
            &[
                "grady@contoso.com",
                "reassigned",
                "POWER_BI_PRO+O365_BUSINESS_PREMIUM+CONTOSO_TRIAL+VISIOCLIENT",
                "POWER_BI_PRO+CONTOSO_TRIAL+VISIOCLIENT+SPB",
            ],
            // Already holds To: it is not added twice, and takes no seat.
            &[
                "henri@contoso.com",
                "reassigned",
                "O365_BUSINESS_PREMIUM+SPB",
                "SPB",
            ],
        ],
    );
    // Only From and To pools are listed: a swap frees nothing else.
    out.actions().assert_rows(
        &["product", "assigned_before", "assigned_after"],
        &[&["O365_BUSINESS_PREMIUM", "2", "0"], &["SPB", "1", "2"]],
    );
}

#[test]
fn replace_all_keeps_only_to_and_group_licenses_and_frees_every_dropped_direct_license() {
    // CONTOSO_TRIAL is unknown to the catalog: dropping it still frees a seat of its pool.
    let out = Case::new()
        .users(&[
            USERS,
            "nancy@contoso.com,US,,ENTERPRISEPACK+EMS+POWER_BI_PRO+contoso_trial,,POWER_BI_PRO",
            "andrew@contoso.com,US,,ENTERPRISEPACK+EMS+CONTOSO_TRIAL,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,5,2",
            "contoso.com,EMS,Active,5,2",
            "contoso.com,POWER_BI_PRO,Active,5,1",
            "contoso.com,CONTOSO_TRIAL,Active,25,2",
            "contoso.com,SPE_E3,Active,2,0",
        ])
        .plan(&[PLAN, "*,Office 365 E3,Microsoft 365 E3,,,replace-all"])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "licenses_after"],
        &[
            &["nancy@contoso.com", "reassigned", "SPE_E3+POWER_BI_PRO"],
            &["andrew@contoso.com", "reassigned", "SPE_E3"],
        ],
    );
    out.user("andrew@contoso.com")
        .check(&[("licenses_before", "ENTERPRISEPACK+EMS+CONTOSO_TRIAL")]);
    // Every pool a replace-all user loses a license of is listed; the group
    // license's pool is not touched.
    out.actions().assert_rows(
        &[
            "product",
            "action",
            "total",
            "assigned_before",
            "assigned_after",
            "licenses_to_remove",
        ],
        &[
            &["CONTOSO_TRIAL", "cancel-subscription", "25", "2", "0", "25"],
            &["EMS", "cancel-subscription", "5", "2", "0", "5"],
            &["ENTERPRISEPACK", "cancel-subscription", "5", "2", "0", "5"],
            &["SPE_E3", "keep", "2", "0", "2", "0"],
        ],
    );
}

#[test]
fn replace_all_with_an_empty_from_still_replaces_every_direct_license() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM+VISIOCLIENT,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,3",
            "contoso.com,VISIOCLIENT,Active,5,1",
            "contoso.com,SPE_E3,Active,5,0",
        ])
        .plan(&[PLAN, "ann@contoso.com,,SPE_E3,,,replace-all"])
        .run(&[]);
    out.assert_exit(0);
    out.user("ann@contoso.com").check(&[
        ("from", ""),
        ("status", "reassigned"),
        ("codes", ""),
        ("licenses_after", "SPE_E3"),
    ]);
    out.actions().assert_rows(
        &["product", "action", "assigned_after", "licenses_to_remove"],
        &[
            &["O365_BUSINESS_PREMIUM", "remove-licenses", "2", "3"],
            &["SPE_E3", "remove-licenses", "1", "4"],
            &["VISIOCLIENT", "cancel-subscription", "0", "5"],
        ],
    );
}

#[test]
fn an_empty_from_on_a_named_row_adds_to_and_removes_nothing() {
    let out = Case::new()
        .users(&[USERS, "michael@contoso.com,US,,ENTERPRISEPACK+EMS,SWAY,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,5,1",
            "contoso.com,EMS,Active,5,1",
            "contoso.com,POWER_BI_PRO,Active,5,0",
        ])
        .plan(&[PLAN, "michael@contoso.com,,Power BI Pro,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.user("michael@contoso.com").check(&[
        ("from", ""),
        ("to", "POWER_BI_PRO"),
        ("status", "reassigned"),
        ("codes", ""),
        ("licenses_before", "ENTERPRISEPACK+EMS"),
        ("licenses_after", "ENTERPRISEPACK+EMS+POWER_BI_PRO"),
        ("disabled_plans", "SWAY"),
    ]);
    // No source-inactive either: there is no From.
    out.actions().assert_rows(
        &["product", "assigned_before", "assigned_after"],
        &[&["POWER_BI_PRO", "0", "1"]],
    );
}

#[test]
fn disabled_plans_after_keep_those_a_license_still_contains_then_add_disable() {
    // Before: VISIO_CLIENT_SUBSCRIPTION (Visio, kept), SWAY by its id (SPB has it),
    // STREAM_O365_SMB (Business Standard only: dropped), OLD_PLAN (unknown:
    // dropped), YAMMER_ENTERPRISE (SPB has it). Disable adds FORMS_PLAN_E1; SWAY is
    // there already.
    let disabled = "VISIO_CLIENT_SUBSCRIPTION;a23b959c-7ce8-4e57-9140-b90eb88a9e97;STREAM_O365_SMB;OLD_PLAN;yammer_enterprise";
    let out = Case::new()
        .users(&[
            USERS,
            &format!("lynne@contoso.com,US,,O365_BUSINESS_PREMIUM+VISIOCLIENT,{disabled},"),
            &format!("isaiah@contoso.com,,,O365_BUSINESS_PREMIUM+VISIOCLIENT,{disabled},"),
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,VISIOCLIENT,Active,5,2",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,FORMS_PLAN_E1;Sway,,"])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "status", "codes", "disabled_plans"],
        &[
            // Viva Engage was off before and stays off: no downgrade.
            &[
                "lynne@contoso.com",
                "reassigned",
                "",
                "VISIO_CLIENT_SUBSCRIPTION;SWAY;YAMMER_ENTERPRISE;FORMS_PLAN_E1",
            ],
            // An error row shows the disabled plans as they are, ids by name.
            &[
                "isaiah@contoso.com",
                "error",
                "missing-usage-location",
                "VISIO_CLIENT_SUBSCRIPTION;SWAY;STREAM_O365_SMB;OLD_PLAN;YAMMER_ENTERPRISE",
            ],
        ],
    );
}

#[test]
fn disabling_a_data_plan_of_to_is_a_downgrade() {
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,EXCHANGE_S_STANDARD;TEAMS1,,",
        ])
        .run(&[]);
    out.user("ann@contoso.com").check(&[
        ("status", "reassigned"),
        ("codes", "downgrade-backup-required"),
        ("disabled_plans", "EXCHANGE_S_STANDARD;TEAMS1"),
    ]);
    out.backup().assert_rows(
        &["user", "from", "to", "services"],
        &[&[
            "ann@contoso.com",
            "O365_BUSINESS_PREMIUM",
            "SPB",
            "mailbox;teams",
        ]],
    );
}

#[test]
fn data_services_count_every_license_after_the_move() {
    // Business Premium → Business Standard loses the archive (SPB's
    // EXCHANGE_S_ARCHIVE_ADDON). Business Standard → Apps for business loses
    // SharePoint, Teams and Viva Engage, but not the mailbox for a user who keeps
    // Exchange Online (Plan 1), nor OneDrive (Apps has ONEDRIVESTANDARD).
    // Business Standard → Microsoft 365 E3 loses nothing.
    let out = Case::new()
        .users(&[
            USERS,
            "patti@contoso.com,US,,SPB,,",
            "kelly@contoso.com,US,,O365_BUSINESS_PREMIUM+EXCHANGESTANDARD,,",
            "joni@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,SPB,Active,5,1",
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,EXCHANGESTANDARD,Active,5,1",
            "contoso.com,O365_BUSINESS,Active,5,0",
            "contoso.com,SPE_E3,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "patti@contoso.com,SPB,O365_BUSINESS_PREMIUM,,,",
            "kelly@contoso.com,O365_BUSINESS_PREMIUM,O365_BUSINESS,,,",
            "joni@contoso.com,O365_BUSINESS_PREMIUM,SPE_E3,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "codes"],
        &[
            &[
                "patti@contoso.com",
                "reassigned",
                "downgrade-backup-required",
            ],
            &[
                "kelly@contoso.com",
                "reassigned",
                "downgrade-backup-required",
            ],
            &["joni@contoso.com", "reassigned", ""],
        ],
    );
    out.backup().assert_rows(
        &["user", "services"],
        &[
            &["patti@contoso.com", "archive"],
            &["kelly@contoso.com", "sharepoint;teams;viva-engage"],
        ],
    );
}

#[test]
fn a_license_listed_twice_counts_once() {
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,US,,O365_BUSINESS_PREMIUM+Microsoft 365 Business Standard+o365_business_premium,,"])
        .subscriptions(&[SUBS, "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1", "contoso.com,SPB,Active,5,0"])
        .plan(&[PLAN, "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.user("ann@contoso.com").check(&[
        ("status", "reassigned"),
        ("licenses_before", "O365_BUSINESS_PREMIUM"),
        ("licenses_after", "SPB"),
    ]);
    out.action("contoso.com", "O365_BUSINESS_PREMIUM")
        .check(&[("assigned_after", "0")]);
}

#[test]
fn a_user_who_ends_with_an_error_keeps_everything_and_frees_nothing() {
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,,,ENTERPRISEPACK+EMS,SWAY,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,5,1",
            "contoso.com,EMS,Active,5,1",
            "contoso.com,SPE_E3,Active,5,0",
        ])
        .plan(&[PLAN, "ann@contoso.com,ENTERPRISEPACK,SPE_E3,,,replace-all"])
        .run(&[]);
    out.user("ann@contoso.com").check(&[
        ("status", "error"),
        ("codes", "missing-usage-location"),
        ("licenses_after", "ENTERPRISEPACK+EMS"),
        ("disabled_plans", "SWAY"),
    ]);
    // Her pools are listed (she passed stages 1-3, and would lose EMS), unchanged.
    out.actions().assert_rows(
        &["product", "action", "assigned_before", "assigned_after"],
        &[
            &["EMS", "keep", "1", "1"],
            &["ENTERPRISEPACK", "keep", "1", "1"],
            &["SPE_E3", "keep", "0", "0"],
        ],
    );
}
