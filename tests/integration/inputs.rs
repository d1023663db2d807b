//! SPEC.md "Inputs", "Files: the details" and "Products: the details", as far as
//! they change a result: organizations and domains, header names, encodings and
//! delimiters, how products are named, and --catalog.

use crate::util::{Case, PLAN, SUBS, USERS};

#[test]
fn without_domains_csv_an_organization_owns_its_name_and_its_subdomains() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "bob@EU.Contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "cid@a.b.contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            // A suffix is not a parent domain.
            "dan@notcontoso.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "Contoso.com,O365_BUSINESS_PREMIUM,Active,9,4",
            "contoso.com,SPB,Active,9,0",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(1);
    // Outputs spell the organization as subscriptions.csv first does.
    out.result().assert_rows(
        &["user", "organization", "status", "codes"],
        &[
            &["ann@contoso.com", "Contoso.com", "reassigned", ""],
            &["bob@EU.Contoso.com", "Contoso.com", "reassigned", ""],
            &["cid@a.b.contoso.com", "Contoso.com", "reassigned", ""],
            &["dan@notcontoso.com", "", "error", "organization-unknown"],
        ],
    );
    out.actions().assert_rows(
        &["organization", "product"],
        &[
            &["Contoso.com", "O365_BUSINESS_PREMIUM"],
            &["Contoso.com", "SPB"],
        ],
    );
}

#[test]
fn domains_csv_maps_domains_and_their_subdomains_to_organizations() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "admin@contoso.onmicrosoft.com,US,,O365_BUSINESS_PREMIUM,,",
            "rob@uk.contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "wes@wingtiptoys.com,US,,O365_BUSINESS_PREMIUM,,",
            "pat@fabrikam.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "Contoso Ltd,O365_BUSINESS_PREMIUM,Active,9,3",
            "Contoso Ltd,SPB,Active,9,0",
        ])
        .domains(&[
            "Organization,Domain",
            "CONTOSO LTD,Contoso.com",
            "contoso ltd,contoso.onmicrosoft.com",
            "Wingtip Toys,wingtiptoys.com",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "organization", "status", "codes"],
        &[
            &["ann@contoso.com", "Contoso Ltd", "reassigned", ""],
            &[
                "admin@contoso.onmicrosoft.com",
                "Contoso Ltd",
                "reassigned",
                "",
            ],
            &["rob@uk.contoso.com", "Contoso Ltd", "reassigned", ""],
            // Known organization, but SPB is Contoso's: it cannot cross over.
            &[
                "wes@wingtiptoys.com",
                "Wingtip Toys",
                "error",
                "target-other-organization",
            ],
            &["pat@fabrikam.com", "", "error", "organization-unknown"],
        ],
    );
    let message = out.user("wes@wingtiptoys.com").get("message").to_string();
    assert!(message.contains("Contoso Ltd"), "{message}");
}

#[test]
fn graph_powershell_exports_work_as_they_are() {
    // Get-MgSubscribedSku has SkuPartNumber and SkuId: the first non-empty wins.
    // Without an Organization column, the one organization is domains.csv's.
    let out = Case::new()
        .users(&[
            "UserPrincipalName,DisplayName,AccountEnabled,UsageLocation,AssignedLicenses,DisabledPlans,LicensesFromGroups",
            "ann@contoso.com,Ann,True,US,O365_BUSINESS_PREMIUM,a23b959c-7ce8-4e57-9140-b90eb88a9e97,",
            "bob@contoso.com,Bob,False,US,O365_BUSINESS_PREMIUM+POWER_BI_PRO,,POWER_BI_PRO",
        ])
        .subscriptions(&[
            "SkuPartNumber,SkuId,CapabilityStatus,PrepaidUnits.Enabled,ConsumedUnits,AppliesTo",
            "O365_BUSINESS_PREMIUM,f245ecc8-75af-4f8e-b61f-27d8114de5f3,Enabled,5,2,User",
            ",cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46,Enabled,5,0,User",
            "POWER_BI_PRO,f8a1db68-be16-40ed-86d5-cb42ce701560,Enabled,5,1,User",
        ])
        .domains(&["Organization,Domain", "Contoso,contoso.com"])
        .plan(&[PLAN, "*,Microsoft 365 Business Standard,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &[
            "user",
            "organization",
            "to",
            "status",
            "codes",
            "licenses_after",
            "disabled_plans",
        ],
        &[
            &[
                "ann@contoso.com",
                "Contoso",
                "SPB",
                "reassigned",
                "",
                "SPB",
                "SWAY",
            ],
            &[
                "bob@contoso.com",
                "Contoso",
                "SPB",
                "reassigned",
                "sign-in-blocked",
                "POWER_BI_PRO+SPB",
                "",
            ],
        ],
    );
}

#[test]
fn header_names_ignore_case_spaces_underscores_dots_and_dashes() {
    let out = Case::new()
        .users(&[
            "USER_PRINCIPAL-NAME;usage.location;LICENSES;Department",
            "ann@contoso.com;US;O365_BUSINESS_PREMIUM;Sales",
        ])
        .subscriptions(&[
            "organization;PRODUCT NAME;total-licenses;Assigned_Licenses",
            "contoso.com;O365_BUSINESS_PREMIUM;5;1",
            "contoso.com;SPB;5;0",
        ])
        .plan(&["user;FROM;to", "ann@contoso.com;O365_BUSINESS_PREMIUM;SPB"])
        .run(&[]);
    out.assert_exit(0);
    out.user("ann@contoso.com")
        .check(&[("status", "reassigned"), ("licenses_after", "SPB")]);
}

#[test]
fn utf8_with_bom_utf16_with_bom_semicolons_and_non_breaking_spaces() {
    let users = format!(
        "{USERS}\r\n\u{a0}ann@contoso.com\u{a0},US,,Microsoft 365\u{a0}Business Standard ,,\r\n"
    );
    let mut utf16le = vec![0xFF, 0xFE];
    let mut utf16be = vec![0xFE, 0xFF];
    let subs = "Organization;Product;Status;Total;Assigned\r\ncontoso.com;O365_BUSINESS_PREMIUM;Active;5;1\r\ncontoso.com;SPB;Active;5;0\r\n";
    for unit in subs.encode_utf16() {
        utf16le.extend_from_slice(&unit.to_le_bytes());
        utf16be.extend_from_slice(&unit.to_be_bytes());
    }
    let plan = format!("\u{feff}{PLAN}\nann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,\n");
    for subs in [utf16le, utf16be] {
        let out = Case::new()
            .bytes("users.csv", &users)
            .bytes("subscriptions.csv", subs)
            .bytes("plan.csv", &plan)
            .run(&[]);
        out.assert_exit(0);
        out.result().assert_rows(
            &[
                "user",
                "organization",
                "status",
                "licenses_before",
                "licenses_after",
            ],
            &[&[
                "ann@contoso.com",
                "contoso.com",
                "reassigned",
                "O365_BUSINESS_PREMIUM",
                "SPB",
            ]],
        );
    }
}

#[test]
fn products_are_named_by_part_number_id_or_display_name_with_an_optional_tenant_prefix() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,contoso:O365_BUSINESS_PREMIUM,,",
            "bob@contoso.com,US,,f245ecc8-75af-4f8e-b61f-27d8114de5f3,,",
            "cid@contoso.com,US,,MICROSOFT 365 BUSINESS STANDARD,,",
            "dan@contoso.com,US,,Enterprise Mobility + Security E5+Dynamics 365 Talent: Attract,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,Microsoft 365 Business Standard,Active,5,3",
            "contoso.com,contoso:CBDC14AB-D96C-4C30-B9F4-6ADA7CDC1D46,Active,5,0",
            "contoso.com,EMSPREMIUM,Active,5,1",
            "contoso.com,Dynamics 365 Talent: Attract,Active,5,1",
            "contoso.com,Microsoft 365 E5,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,contoso:Microsoft 365 Business Premium,,,",
            "bob@contoso.com,contoso:f245ecc8-75af-4f8e-b61f-27d8114de5f3,spb,,,",
            "cid@contoso.com,o365_business_premium,Microsoft 365 Business Premium,,,",
            "dan@contoso.com,Enterprise Mobility + Security E5,SPE_E5,,,",
        ])
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
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "O365_BUSINESS_PREMIUM",
                "SPB",
            ],
            &[
                "bob@contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "O365_BUSINESS_PREMIUM",
                "SPB",
            ],
            &[
                "cid@contoso.com",
                "O365_BUSINESS_PREMIUM",
                "SPB",
                "reassigned",
                "O365_BUSINESS_PREMIUM",
                "SPB",
            ],
            &[
                "dan@contoso.com",
                "EMSPREMIUM",
                "SPE_E5",
                "reassigned",
                "EMSPREMIUM+Dynamics_365_Hiring_SKU",
                "Dynamics_365_Hiring_SKU+SPE_E5",
            ],
        ],
    );
}

#[test]
fn licenses_the_catalog_does_not_know_are_carried_as_written() {
    let out = Case::new()
        .users(&[
            USERS,
            "ann@contoso.com,US,,Contoso Pilot Bundle+O365_BUSINESS_PREMIUM,,",
            "bob@contoso.com,US,,Unlicensed,,",
            "cid@contoso.com,US,,unlicensed,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "bob@contoso.com,,SPB,,,",
            "cid@contoso.com,,Contoso Pilot Bundle,,,",
        ])
        .run(&[]);
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
                "Contoso Pilot Bundle+O365_BUSINESS_PREMIUM",
                "Contoso Pilot Bundle+SPB",
            ],
            &["bob@contoso.com", "reassigned", "", "", "SPB"],
            &["cid@contoso.com", "error", "unknown-product", "", ""],
        ],
    );
}

#[test]
fn applies_to_company_rows_are_skipped_before_any_other_check() {
    // The Company row has an unusable total and a shared display name: skipped
    // first, it is not read at all, and gives no pool.
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            "Organization,Product,Status,Total,Assigned,AppliesTo",
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1,User",
            "contoso.com,Microsoft 365 Business Basic,,lots,,COMPANY",
            "contoso.com,SPB,Active,5,0,Company",
        ])
        .plan(&[PLAN, "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(1);
    out.user("ann@contoso.com")
        .check(&[("status", "error"), ("codes", "target-not-listed")]);
}

#[test]
fn without_a_status_column_every_subscription_is_active() {
    let out = Case::new()
        .users(&[USERS, "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            "Organization,Product,Total,Assigned",
            "contoso.com,O365_BUSINESS_PREMIUM,5,1",
            "contoso.com,SPB,5,0",
        ])
        .plan(&[PLAN, "ann@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.user("ann@contoso.com")
        .check(&[("status", "reassigned"), ("codes", "")]);
}

#[test]
fn files_with_a_header_and_no_rows_are_valid() {
    let out = Case::new()
        .users(&[USERS])
        .subscriptions(&[SUBS])
        .plan(&[PLAN])
        .run(&[]);
    out.assert_exit(0);
    assert_eq!(out.result().len(), 0);
    assert_eq!(out.actions().len(), 0);
    assert_eq!(out.summary()["planned"], 0);
    let out = Case::new()
        .users(&[USERS])
        .subscriptions(&[SUBS])
        .plan(&[PLAN, "ann@contoso.com,,SPB,,,"])
        .run(&[]);
    out.assert_exit(1);
    out.user("ann@contoso.com")
        .check(&[("status", "error"), ("codes", "user-not-found")]);
}

#[test]
fn catalog_replaces_the_built_in_table() {
    let catalog = [
        "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id,Service_Plans_Included_Friendly_Names",
        "Contoso Suite 2030,CONTOSO_SUITE_2030,00000000-0000-4000-8000-000000000001,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c,Exchange",
        "Contoso Suite 2030,CONTOSO_SUITE_2030,00000000-0000-4000-8000-000000000001,NEW_PLAN_2030,00000000-0000-4000-8000-0000000000ff,New",
        "Microsoft 365 Business Standard,O365_BUSINESS_PREMIUM,f245ecc8-75af-4f8e-b61f-27d8114de5f3,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c,Exchange",
        "Microsoft 365 Business Standard,O365_BUSINESS_PREMIUM,f245ecc8-75af-4f8e-b61f-27d8114de5f3,TEAMS1,57ff2da0-773e-42df-b2af-ffb7a2317929,Teams",
    ];
    let case = Case::new()
        .users(&[USERS, "ann@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,Contoso Suite 2030,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "ann@contoso.com,O365_BUSINESS_PREMIUM,Contoso Suite 2030,NEW_PLAN_2030,,",
        ])
        .lines("catalog.csv", &catalog);
    case.run(&[])
        .user("ann@contoso.com")
        .check(&[("status", "error"), ("codes", "unknown-product")]);
    let file = case.input().join("catalog.csv");
    let out = case.run(&["--catalog", file.to_str().unwrap()]);
    out.user("ann@contoso.com").check(&[
        ("to", "CONTOSO_SUITE_2030"),
        ("status", "reassigned"),
        // The new catalog has no Teams in the suite: a downgrade.
        ("codes", "downgrade-backup-required"),
        ("licenses_after", "CONTOSO_SUITE_2030"),
        ("disabled_plans", "NEW_PLAN_2030"),
    ]);
    out.backup()
        .assert_rows(&["user", "services"], &[&["ann@contoso.com", "teams"]]);
}
