//! SPEC.md `graph-requests.jsonl`: one Microsoft Graph assignLicense request per
//! reassigned user with a change, its url, body, before and after, the SKU ids
//! and where they come from, the users left out, and summary.json's `graph`.

use std::fs;

use serde_json::{Value, json};

use crate::util::{Case, Outcome, PLAN, SUBS};

/// users.csv with an object id column.
const USERS_ID: &str = "User principal name,Object Id,Usage location,Block credential,Licenses,Disabled plans,Group licenses";
/// subscriptions.csv with the pool's SKU id.
const SUBS_ID: &str = "Organization,Product,SkuId,Status,Total,Assigned";

// SKU ids of Microsoft's table (data/ms-licensing-catalog.csv).
const SPB: &str = "cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46";
const BUSINESS_STANDARD: &str = "f245ecc8-75af-4f8e-b61f-27d8114de5f3";
const VISIO: &str = "c5928f49-12ba-48f7-ada3-0d743a3601d5";
const POWER_BI: &str = "f8a1db68-be16-40ed-86d5-cb42ce701560";
const E3_OFFICE: &str = "6fd2c87f-b296-42f0-b197-1e91e994b900";
const E3_M365: &str = "05e9a617-0261-4cee-bb44-138d3ef5d965";
const EMS: &str = "efccb6f7-5641-4e0e-bd10-b4976e1bf68e";
/// MCOPSTN5: one SKU part number the table lists with two ids.
const PSTN_SMALL: &str = "d43177b5-475b-4880-92d4-d54c27b5efbd";
const PSTN_120: &str = "54a152dc-90de-4996-93d2-bc47e670fc06";
// Service plan ids.
const SWAY: &str = "a23b959c-7ce8-4e57-9140-b90eb88a9e97";
const YAMMER: &str = "7547a3fe-08ee-4ccb-b430-5077c5041653";
const FORMS: &str = "159f4cd6-e380-449f-a816-af1a9ef76344";
const EXCHANGE_FOUNDATION: &str = "113feb6c-3fe4-4440-bddc-54d774bf0318";

const ADELE_ID: &str = "6e2a5d30-4bd1-4f5b-9c2e-7d1f0a3b8c41";

/// `{"skuId":…,"disabledPlans":[…]}`.
fn add(sku: &str, disabled: &[&str]) -> Value {
    json!({"skuId": sku, "disabledPlans": disabled})
}

/// The body Graph's assignLicense takes.
fn body(add: &[Value], remove: &[&str]) -> Value {
    json!({"addLicenses": add, "removeLicenses": remove})
}

#[track_caller]
fn request(out: &Outcome, line: u64) -> Value {
    out.request(line)
        .unwrap_or_else(|| panic!("no request for line {line}\n{}", out.graph_text()))
}

#[track_caller]
fn no_request(out: &Outcome, line: u64) {
    if let Some(r) = out.request(line) {
        panic!("line {line} should have no request: {r}");
    }
}

/// The example of SPEC.md, byte for byte: keys in order, compact, `\n` ended;
/// summary.json counts it.
#[test]
fn a_swap_is_one_line_that_adds_and_removes_in_one_call() {
    let out = Case::new()
        .users(&[
            USERS_ID,
            "AdeleV@contoso.com,6E2A5D30-4BD1-4F5B-9C2E-7D1F0A3B8C41,US,,O365_BUSINESS_PREMIUM+VISIOCLIENT,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
            "contoso.com,VISIOCLIENT,Active,5,1",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    assert_eq!(
        out.graph_text(),
        format!(
            "{{\"line\":2,\"organization\":\"contoso.com\",\"user\":\"AdeleV@contoso.com\",\"method\":\"POST\",\"url\":\"/users/{ADELE_ID}/assignLicense\",\"body\":{{\"addLicenses\":[{{\"skuId\":\"{SPB}\",\"disabledPlans\":[]}}],\"removeLicenses\":[\"{BUSINESS_STANDARD}\"]}},\"before\":[\"{BUSINESS_STANDARD}\",\"{VISIO}\"],\"after\":[\"{VISIO}\",\"{SPB}\"]}}\n"
        )
    );
    let summary = out.summary();
    assert_eq!(
        summary["graph"],
        json!({"requests": 1, "organizations": {"contoso.com": 1}, "skipped": []})
    );
}

/// replace-all drops every direct license (one the catalog does not know, by the
/// SkuId subscriptions.csv gives its pool), never a group license.
#[test]
fn replace_all_removes_every_direct_license_and_keeps_group_ones() {
    let trial = "0b3e9a4c-1d2f-4e5a-8b6c-7d8e9f0a1b2c";
    let out = Case::new()
        .users(&[
            USERS_ID,
            "nancy@contoso.com,,US,,ENTERPRISEPACK+EMS+POWER_BI_PRO+contoso_trial,,POWER_BI_PRO",
        ])
        .subscriptions(&[
            SUBS_ID,
            "contoso.com,ENTERPRISEPACK,,Active,5,1",
            "contoso.com,EMS,,Active,5,1",
            "contoso.com,POWER_BI_PRO,,Active,5,1",
            "contoso.com,CONTOSO_TRIAL,,Active,25,1",
            // The pool's rows: the first non-empty SkuId is the pool's.
            "contoso.com,CONTOSO_TRIAL,0B3E9A4C-1D2F-4E5A-8B6C-7D8E9F0A1B2C,Active,0,0",
            "contoso.com,CONTOSO_TRIAL,11111111-2222-3333-4444-555555555555,Active,0,0",
            "contoso.com,SPE_E3,,Active,2,0",
        ])
        .plan(&[
            PLAN,
            "nancy@contoso.com,ENTERPRISEPACK,SPE_E3,,,replace-all",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.user("nancy@contoso.com")
        .check(&[("licenses_after", "SPE_E3+POWER_BI_PRO")]);
    let r = request(&out, 2);
    assert_eq!(
        r["body"],
        body(&[add(E3_M365, &[])], &[E3_OFFICE, EMS, trial])
    );
    assert_eq!(r["before"], json!([E3_OFFICE, EMS, POWER_BI, trial]));
    assert_eq!(r["after"], json!([E3_M365, POWER_BI]));
    assert_eq!(r["url"], "/users/nancy@contoso.com/assignLicense");
}

/// An empty From adds To and removes nothing.
#[test]
fn an_add_removes_nothing() {
    let out = Case::new()
        .users(&[USERS_ID, "lee@contoso.com,,US,,POWER_BI_PRO,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,POWER_BI_PRO,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "lee@contoso.com,,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    let r = request(&out, 2);
    assert_eq!(r["body"], body(&[add(SPB, &[])], &[]));
    assert_eq!(r["before"], json!([POWER_BI]));
    assert_eq!(r["after"], json!([POWER_BI, SPB]));
}

/// The new license's disabled plans are the whole list after (the user's own
/// that it contains, then Disable), as ids, in disabled_plans order.
#[test]
fn disable_on_to_sends_the_whole_list_of_disabled_plans() {
    let out = Case::new()
        .users(&[
            USERS_ID,
            "joni@contoso.com,,US,,O365_BUSINESS_PREMIUM,FORMS_PLAN_E1,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "joni@contoso.com,O365_BUSINESS_PREMIUM,SPB,sway;Yammer_Enterprise,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.user("joni@contoso.com")
        .check(&[("disabled_plans", "FORMS_PLAN_E1;SWAY;YAMMER_ENTERPRISE")]);
    assert_eq!(
        request(&out, 2)["body"],
        body(&[add(SPB, &[FORMS, SWAY, YAMMER])], &[BUSINESS_STANDARD])
    );
}

/// Disabled plans are kept per user: a Disable entry that is also a plan of a
/// license the user keeps changes that license too, and Graph must be told (its
/// whole list); one it does not touch is left out. A group license is never sent.
#[test]
fn a_kept_license_whose_disabled_plans_change_is_added_again_unless_from_a_group() {
    let out = Case::new()
        .users(&[
            USERS_ID,
            "megan@contoso.com,,US,,POWER_BI_PRO+O365_BUSINESS_PREMIUM,,",
            "miriam@contoso.com,,US,,POWER_BI_PRO+O365_BUSINESS_PREMIUM,,",
            "nestor@contoso.com,,US,,POWER_BI_PRO+O365_BUSINESS_PREMIUM,,POWER_BI_PRO",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,3",
            "contoso.com,POWER_BI_PRO,Active,5,3",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[
            PLAN,
            // EXCHANGE_S_FOUNDATION is a plan of SPB and of POWER_BI_PRO; SWAY of SPB only.
            "megan@contoso.com,O365_BUSINESS_PREMIUM,SPB,EXCHANGE_S_FOUNDATION,,",
            "miriam@contoso.com,O365_BUSINESS_PREMIUM,SPB,SWAY,,",
            "nestor@contoso.com,O365_BUSINESS_PREMIUM,SPB,EXCHANGE_S_FOUNDATION,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    assert_eq!(
        request(&out, 2)["body"],
        body(
            &[
                add(POWER_BI, &[EXCHANGE_FOUNDATION]),
                add(SPB, &[EXCHANGE_FOUNDATION])
            ],
            &[BUSINESS_STANDARD]
        )
    );
    assert_eq!(
        request(&out, 3)["body"],
        body(&[add(SPB, &[SWAY])], &[BUSINESS_STANDARD])
    );
    // POWER_BI_PRO comes through a group: it changes only in its group.
    let r = request(&out, 4);
    assert_eq!(
        r["body"],
        body(&[add(SPB, &[EXCHANGE_FOUNDATION])], &[BUSINESS_STANDARD])
    );
    assert_eq!(r["after"], json!([POWER_BI, SPB]));
}

/// From = To: nothing changes in Microsoft 365, so no line; with a Disable the
/// license's disabled plans change, and it is sent with its new list.
#[test]
fn from_equal_to_changes_only_disabled_plans() {
    let out = Case::new()
        .users(&[
            USERS_ID,
            "patti@contoso.com,,US,,SPB+VISIOCLIENT,,",
            "pradeep@contoso.com,,US,,SPB+VISIOCLIENT,SWAY,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,SPB,Active,5,2",
            "contoso.com,VISIOCLIENT,Active,5,2",
        ])
        .plan(&[
            PLAN,
            "patti@contoso.com,SPB,SPB,,,",
            "pradeep@contoso.com,SPB,SPB,Yammer_Enterprise,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    out.result().assert_rows(
        &["user", "status", "disabled_plans"],
        &[
            &["patti@contoso.com", "reassigned", ""],
            &[
                "pradeep@contoso.com",
                "reassigned",
                "SWAY;YAMMER_ENTERPRISE",
            ],
        ],
    );
    no_request(&out, 2);
    let r = request(&out, 3);
    assert_eq!(r["body"], body(&[add(SPB, &[SWAY, YAMMER])], &[]));
    assert_eq!(out.graph().len(), 1);
    // A user whose request would change nothing is not a skipped one either.
    assert_eq!(out.summary()["graph"]["skipped"], json!([]));
}

/// SKU ids, first that applies: the GUID by which the Licenses cell named the
/// license, else the pool's SkuId in subscriptions.csv (first non-empty of its
/// rows), else the catalog's id when it lists exactly one for the product.
#[test]
fn sku_ids_come_from_the_licenses_cell_then_the_pool_then_the_catalog() {
    // An id of the pool that differs from the catalog's: the pool's wins.
    let spb_pool = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee";
    let out = Case::new()
        .domains(&[
            "Organization,Domain",
            "contoso.com,contoso.com",
            "fabrikam.com,fabrikam.com",
        ])
        .users(&[
            USERS_ID,
            // Named by one of MCOPSTN5's two ids (upper case), whatever the pool says.
            "alex@contoso.com,,US,,D43177B5-475B-4880-92D4-D54C27B5EFBD+VISIOCLIENT,,",
            // Named by part number: the pool's SkuId.
            "diego@contoso.com,,US,,MCOPSTN5+VISIOCLIENT,,",
            // Named by part number, no SkuId for the pool, two ids in the
            // catalog: unknown, the user is skipped.
            "grady@fabrikam.com,,US,,MCOPSTN5+VISIOCLIENT,,",
            // SPB: the pool's id before the catalog's; VISIOCLIENT: the catalog's.
            "henrietta@fabrikam.com,,US,,SPB+VISIOCLIENT,,",
        ])
        .subscriptions(&[
            SUBS_ID,
            &format!("contoso.com,MCOPSTN5,{PSTN_120},Active,5,2"),
            "contoso.com,VISIOCLIENT,,Active,5,2",
            "contoso.com,SPB,,Active,5,0",
            "fabrikam.com,MCOPSTN5,,Active,5,1",
            &format!("fabrikam.com,SPB,{spb_pool},Active,5,1"),
            "fabrikam.com,VISIOCLIENT,,Active,5,2",
            "fabrikam.com,POWER_BI_PRO,,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "alex@contoso.com,MCOPSTN5,SPB,,,",
            "diego@contoso.com,MCOPSTN5,SPB,,,",
            "grady@fabrikam.com,MCOPSTN5,SPB,,,",
            "henrietta@fabrikam.com,VISIOCLIENT,POWER_BI_PRO,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    let alex = request(&out, 2);
    assert_eq!(alex["body"], body(&[add(SPB, &[])], &[PSTN_SMALL]));
    assert_eq!(alex["before"], json!([PSTN_SMALL, VISIO]));
    let diego = request(&out, 3);
    assert_eq!(diego["body"], body(&[add(SPB, &[])], &[PSTN_120]));
    no_request(&out, 4);
    assert_eq!(out.summary()["graph"]["skipped"], json!([4]));
    assert!(
        out.stderr.contains("grady@fabrikam.com") && out.stderr.contains("MCOPSTN5"),
        "stderr should say why grady has no request\n{}",
        out.describe()
    );
    let henrietta = request(&out, 5);
    assert_eq!(henrietta["body"], body(&[add(POWER_BI, &[])], &[VISIO]));
    assert_eq!(henrietta["before"], json!([spb_pool, VISIO]));
    assert_eq!(henrietta["after"], json!([spb_pool, POWER_BI]));
}

/// A user whose request needs an id nobody gives gets no line; one who holds
/// such a license without it being added or removed gets a line whose before and
/// after leave it out.
#[test]
fn a_user_needing_an_unknown_sku_id_is_skipped_and_listed() {
    let out = Case::new()
        .users(&[
            USERS_ID,
            "lidia@contoso.com,,US,,ENTERPRISEPACK+CONTOSO_TRIAL,,",
            "lynne@contoso.com,,US,,ENTERPRISEPACK+CONTOSO_TRIAL,,",
            "isaiah@contoso.com,,US,,ENTERPRISEPACK+CONTOSO_TRIAL,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,5,3",
            "contoso.com,CONTOSO_TRIAL,Active,5,3",
            "contoso.com,SPE_E3,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "lidia@contoso.com,ENTERPRISEPACK,SPE_E3,,,replace-all",
            "lynne@contoso.com,ENTERPRISEPACK,SPE_E3,,,swap",
            "isaiah@contoso.com,ENTERPRISEPACK,SPE_E3,,,replace-all",
        ])
        .run(&[]);
    out.assert_exit(0);
    no_request(&out, 2);
    no_request(&out, 4);
    let lynne = request(&out, 3);
    assert_eq!(lynne["body"], body(&[add(E3_M365, &[])], &[E3_OFFICE]));
    assert_eq!(lynne["before"], json!([E3_OFFICE]));
    assert_eq!(lynne["after"], json!([E3_M365]));
    let summary = out.summary();
    assert_eq!(
        summary["graph"],
        json!({"requests": 1, "organizations": {"contoso.com": 1}, "skipped": [2, 4]})
    );
    // The result is untouched: they are reassigned, only not requested.
    assert_eq!(out.user("lidia@contoso.com").get("status"), "reassigned");
    assert!(
        out.stderr.contains("lidia@contoso.com") && out.stderr.contains("CONTOSO_TRIAL"),
        "{}",
        out.describe()
    );
}

/// The user's key: the object id (lowercase) when users.csv has one, else the
/// principal name percent-encoded, in Graph's `('…')` form for names that begin
/// with `$` or hold `'`.
#[test]
fn the_url_names_the_object_id_or_the_encoded_principal_name() {
    let users = [
        ("AdeleV@contoso.com", "6E2A5D30-4BD1-4F5B-9C2E-7D1F0A3B8C41"),
        ("adele_fabrikam.com#EXT#@contoso.com", ""),
        ("$admin@contoso.com", ""),
        ("o'brien@contoso.com", ""),
        ("$o'neil@contoso.com", ""),
        ("zoë.müller@contoso.com", ""),
        ("a+b %x/y?z&w=1@contoso.com", ""),
        ("Plain.Name-1_x@contoso.com", ""),
    ];
    let mut users_csv = vec![USERS_ID.to_string()];
    let mut plan = vec![PLAN.to_string()];
    for (upn, id) in users {
        users_csv.push(format!("\"{upn}\",{id},US,,,,"));
        plan.push(format!("\"{upn}\",,SPB,,,"));
    }
    let lines = |v: &[String]| v.iter().map(String::as_str).collect::<Vec<_>>().join("\n") + "\n";
    let out = Case::new()
        .bytes("users.csv", lines(&users_csv))
        .bytes("plan.csv", lines(&plan))
        .subscriptions(&[SUBS, "contoso.com,SPB,Active,10,0"])
        .run(&[]);
    out.assert_exit(0);
    let urls: Vec<Value> = out.graph().iter().map(|r| r["url"].clone()).collect();
    assert_eq!(
        urls,
        [
            format!("/users/{ADELE_ID}/assignLicense"),
            "/users/adele_fabrikam.com%23EXT%23@contoso.com/assignLicense".into(),
            "/users('%24admin@contoso.com')/assignLicense".into(),
            "/users('o%27%27brien@contoso.com')/assignLicense".into(),
            "/users('%24o%27%27neil@contoso.com')/assignLicense".into(),
            "/users/zo%C3%AB.m%C3%BCller@contoso.com/assignLicense".into(),
            "/users/a%2Bb%20%25x%2Fy%3Fz%26w%3D1@contoso.com/assignLicense".into(),
            "/users/Plain.Name-1_x@contoso.com/assignLicense".into(),
        ]
    );
    // The user as spelled in users.csv, as it is.
    assert_eq!(out.graph()[3]["user"], "o'brien@contoso.com");
}

/// Disabled plans in users.csv by name or by id (any case) are the same plan;
/// one the catalog does not know cannot be sent, and is left out.
#[test]
fn disabled_plans_by_name_or_id_are_sent_as_ids_and_unknown_ones_left_out() {
    let out = Case::new()
        .users(&[
            USERS_ID,
            "ann@contoso.com,,US,,O365_BUSINESS_PREMIUM,SWAY;FORMS_PLAN_E1,",
            "ben@contoso.com,,US,,O365_BUSINESS_PREMIUM,A23B959C-7CE8-4E57-9140-B90EB88A9E97;159f4cd6-e380-449f-a816-af1a9ef76344,",
            "cas@contoso.com,,US,,O365_BUSINESS_PREMIUM,NOT_A_PLAN;SWAY;0f0f0f0f-0000-4000-8000-000000000000,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,3",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "*,O365_BUSINESS_PREMIUM,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    for line in [2, 3] {
        assert_eq!(
            request(&out, line)["body"],
            body(&[add(SPB, &[SWAY, FORMS])], &[BUSINESS_STANDARD]),
            "line {line}"
        );
    }
    assert_eq!(
        request(&out, 4)["body"],
        body(&[add(SPB, &[SWAY])], &[BUSINESS_STANDARD])
    );
}

/// JSON is not opened by a spreadsheet: no apostrophe before formula-like text.
#[test]
fn texts_are_written_as_they_are_without_the_formula_apostrophe() {
    let out = Case::new()
        .domains(&["Organization,Domain", "=Contoso+1,contoso.com"])
        .users(&[USERS_ID, "-dash@contoso.com,,US,,,,"])
        .subscriptions(&[SUBS, "=Contoso+1,SPB,Active,5,0"])
        .plan(&[PLAN, "-dash@contoso.com,,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.user("'-dash@contoso.com")
        .check(&[("organization", "'=Contoso+1")]);
    let r = request(&out, 2);
    assert_eq!(r["user"], "-dash@contoso.com");
    assert_eq!(r["organization"], "=Contoso+1");
    assert_eq!(r["url"], "/users/-dash@contoso.com/assignLicense");
    assert_eq!(
        out.summary()["graph"]["organizations"],
        json!({"=Contoso+1": 1})
    );
}

/// Error and unchanged rows have no line; nothing to apply is an empty file.
#[test]
fn only_reassigned_users_have_requests_and_an_empty_file_is_written_otherwise() {
    let case = Case::new()
        .users(&[
            USERS_ID,
            "done@contoso.com,,US,,SPB,,",
            "nowhere@contoso.com,,,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,1",
        ])
        .plan(&[
            PLAN,
            "done@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "nowhere@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
        ]);
    let out = case.run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "status"],
        &[
            &["done@contoso.com", "unchanged"],
            &["nowhere@contoso.com", "error"],
        ],
    );
    assert_eq!(out.graph_text(), "");
    assert_eq!(
        out.summary()["graph"],
        json!({"requests": 0, "organizations": {}, "skipped": []})
    );
}

/// Requests are counted per organization, in result.csv order across them.
#[test]
fn requests_follow_result_order_and_are_counted_per_organization() {
    let out = Case::new()
        .users(&[
            USERS_ID,
            "a@contoso.com,,US,,O365_BUSINESS_PREMIUM,,",
            "b@fabrikam.com,,US,,O365_BUSINESS_PREMIUM,,",
            "c@contoso.com,,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,SPB,Active,5,0",
            "fabrikam.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "fabrikam.com,SPB,Active,5,0",
        ])
        .plan(&[
            PLAN,
            "c@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "*,O365_BUSINESS_PREMIUM,SPB,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    let users: Vec<Value> = out.graph().iter().map(|r| r["user"].clone()).collect();
    assert_eq!(users, ["c@contoso.com", "a@contoso.com", "b@fabrikam.com"]);
    let lines: Vec<Value> = out.graph().iter().map(|r| r["line"].clone()).collect();
    assert_eq!(lines, [2, 3, 4]);
    assert_eq!(
        out.summary()["graph"]["organizations"],
        json!({"contoso.com": 2, "fabrikam.com": 1})
    );
}

#[test]
fn object_id_column_names_are_accepted_and_an_empty_one_is_none() {
    for header in ["Object Id", "ObjectId", "Id", "object_id"] {
        let out = Case::new()
            .users(&[
                &format!("UserPrincipalName,{header},UsageLocation,Licenses"),
                "a@contoso.com,6E2A5D30-4BD1-4F5B-9C2E-7D1F0A3B8C41,US,",
                "b@contoso.com,,US,",
            ])
            .subscriptions(&[SUBS, "contoso.com,SPB,Active,5,0"])
            .plan(&[PLAN, "a@contoso.com,,SPB,,,", "b@contoso.com,,SPB,,,"])
            .run(&[]);
        out.assert_exit(0);
        assert_eq!(
            request(&out, 2)["url"],
            format!("/users/{ADELE_ID}/assignLicense"),
            "{header}"
        );
        assert_eq!(
            request(&out, 3)["url"],
            "/users/b@contoso.com/assignLicense",
            "{header}"
        );
    }
}

#[test]
fn an_object_id_that_is_not_a_guid_is_unusable_input() {
    let out = Case::new()
        .users(&[
            "UserPrincipalName,Id,UsageLocation,Licenses",
            "a@contoso.com,6e2a5d30-4bd1-4f5b-9c2e-7d1f0a3b8c41,US,",
            "b@contoso.com,b@contoso.com,US,",
        ])
        .subscriptions(&[SUBS, "contoso.com,SPB,Active,5,0"])
        .plan(&[PLAN, "a@contoso.com,,SPB,,,"])
        .run(&[]);
    out.assert_exit(2);
    assert!(
        out.stderr.contains("users.csv:3:2:") && out.stderr.contains("`b@contoso.com`"),
        "{}",
        out.describe()
    );
    assert!(out.wrote_nothing(), "{}", out.describe());
}

#[test]
fn a_sku_id_that_is_not_a_guid_is_unusable_input() {
    let out = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,Licenses",
            "a@contoso.com,US,",
        ])
        .subscriptions(&[
            "Organization,SkuPartNumber,SkuId,Total,Assigned",
            "contoso.com,SPB,cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46,5,0",
            "contoso.com,VISIOCLIENT,c5928f49-12ba-48f7-ada3-0d743a3601d,5,0",
        ])
        .plan(&[PLAN, "a@contoso.com,,SPB,,,"])
        .run(&[]);
    out.assert_exit(2);
    assert!(
        out.stderr.contains("subscriptions.csv:3:3:") && out.stderr.contains("GUID"),
        "{}",
        out.describe()
    );
    assert!(out.wrote_nothing(), "{}", out.describe());
}

/// Get-MgSubscribedSku's SkuId names the product when SkuPartNumber is empty, and
/// gives the pool's id either way.
#[test]
fn sku_id_names_the_product_when_alone_and_the_pool_id_always() {
    let out = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,Licenses",
            "a@contoso.com,US,MCOPSTN5",
        ])
        .subscriptions(&[
            "Organization,SkuPartNumber,SkuId,ConsumedUnits,PrepaidUnits.Enabled",
            &format!("contoso.com,MCOPSTN5,{PSTN_120},1,5"),
            &format!("contoso.com,,{SPB},0,5"),
        ])
        .plan(&[
            PLAN,
            "a@contoso.com,MCOPSTN5,Microsoft 365 Business Premium,,,",
        ])
        .run(&[]);
    out.assert_exit(0);
    assert_eq!(
        request(&out, 2)["body"],
        body(&[add(SPB, &[])], &[PSTN_120])
    );
}

/// Same bytes whatever the thread count, on a generated tenant large enough for
/// several parallel chunks; every line parses, every GUID is lowercase, and both
/// forms of url appear.
#[test]
fn graph_requests_are_byte_identical_whatever_the_thread_count() {
    let case = Case::new();
    let input = case.input();
    case.exec(&[
        "generate",
        "--users",
        "12000",
        "--organizations",
        "3",
        "--seed",
        "5",
        "--out",
        input.to_str().unwrap(),
    ])
    .assert_exit(0);
    let mut texts = Vec::new();
    for threads in ["1", "2"] {
        let out = case.root().join(format!("out-{threads}"));
        case.exec(&[
            "run",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--threads",
            threads,
        ])
        .assert_exit(1);
        texts.push(fs::read(out.join("graph-requests.jsonl")).unwrap());
    }
    assert!(
        texts[0] == texts[1],
        "graph-requests.jsonl differs by --threads"
    );
    let text = String::from_utf8(texts.remove(0)).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() > 4096, "{} requests", lines.len());
    let by_id = lines
        .iter()
        .filter(|r| !r["url"].as_str().unwrap().contains('@'))
        .count();
    assert!(
        by_id > 0 && by_id < lines.len(),
        "{by_id} of {} urls by object id: both forms should appear",
        lines.len()
    );
    assert_guids_lowercase(&text);
    let summary: Value =
        serde_json::from_str(&fs::read_to_string(case.root().join("out-1/summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["graph"]["requests"], lines.len());
}

/// Every GUID-shaped text of `text` is lowercase.
#[track_caller]
fn assert_guids_lowercase(text: &str) {
    let bytes = text.as_bytes();
    let shape = |w: &[u8]| {
        w.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
    };
    let mut guids = 0;
    for w in bytes.windows(36).filter(|w| shape(w)) {
        guids += 1;
        assert!(
            !w.iter().any(u8::is_ascii_uppercase),
            "a GUID in upper case: {}",
            String::from_utf8_lossy(w)
        );
    }
    assert!(guids > 0, "no GUID at all");
}

/// README.md's loop for those who send the requests with their own client, as
/// it must read.
const APPLY_LOOP: &str = r#"Connect-MgGraph -Scopes 'LicenseAssignment.ReadWrite.All','User.Read.All'
Get-Content replan-out/graph-requests.jsonl -Encoding UTF8 | ForEach-Object { $_ | ConvertFrom-Json } | Where-Object organization -eq 'contoso.com' | ForEach-Object { Invoke-MgGraphRequest -Method POST -Uri "v1.0$($_.url)" -Body ($_.body | ConvertTo-Json -Depth 5 -Compress) -ContentType 'application/json' }
"#;

/// The sample's run, into a fresh folder.
fn contoso_sample() -> Outcome {
    let case = Case::new();
    let dir = format!("{}/samples/contoso", env!("CARGO_MANIFEST_DIR"));
    let out = case.out();
    case.exec(&["run", &dir, "--out", out.to_str().unwrap(), "--quiet"])
}

/// How deep a JSON value nests (a scalar is 0): what ConvertTo-Json's -Depth
/// must cover, or it writes the type name of what lies deeper.
fn depth(value: &Value) -> usize {
    match value {
        Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        Value::Object(map) => 1 + map.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

/// The loop reads one line at a time as a JSON object, filters on
/// `organization`, POSTs `v1.0` + `url` (a relative URI Invoke-MgGraphRequest
/// resolves against the signed-in cloud) with `body` serialized again at depth
/// 5. Each line of a real run must suit it: the README's text is checked
/// character for character, what it relies on is checked on the sample's file.
#[test]
fn readme_apply_loop_is_the_checked_one_and_the_file_suits_it() {
    let readme = crate::util::repository_file("README.md");
    assert_eq!(
        crate::util::fenced(&readme, "### With your own Graph client", "powershell"),
        APPLY_LOOP
    );
    for scope in ["'LicenseAssignment.ReadWrite.All'", "'User.Read.All'"] {
        assert!(APPLY_LOOP.contains(scope));
    }
    let out = contoso_sample();
    out.assert_exit(1);
    let requests = out.graph();
    assert!(!requests.is_empty());
    for r in &requests {
        assert!(r["organization"].is_string(), "{r}");
        assert_eq!(r["method"], "POST");
        let url = r["url"].as_str().unwrap();
        // A URI as it is: nothing that would need escaping again.
        assert!(
            url.starts_with("/users")
                && url
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._@%/()'".contains(&b)),
            "{url}"
        );
        assert!(r["body"].is_object(), "{r}");
        assert!(depth(&r["body"]) <= 5, "-Depth 5 does not cover {r}");
    }
}

/// README.md's example is the first line the contoso sample gives, byte for byte.
#[test]
fn readme_example_request_is_the_contoso_samples_first_line() {
    let readme = crate::util::repository_file("README.md");
    let example = crate::util::fenced(&readme, "## Applying the result", "json");
    let out = contoso_sample();
    let first = out.graph_text().split_inclusive('\n').next().unwrap();
    assert_eq!(example, first);
}

/// `check` works out the same figures as `run` (summary.json's `graph` in its
/// `--json`), and says on stderr who would be left without a request.
#[test]
fn check_reports_the_requests_run_would_write() {
    let case = Case::new()
        .users(&[
            USERS_ID,
            "lidia@contoso.com,,US,,ENTERPRISEPACK+CONTOSO_TRIAL,,",
            "lynne@contoso.com,,US,,ENTERPRISEPACK,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,5,2",
            "contoso.com,CONTOSO_TRIAL,Active,5,1",
            "contoso.com,SPE_E3,Active,5,0",
        ])
        .plan(&[PLAN, "*,ENTERPRISEPACK,SPE_E3,,,replace-all"]);
    let check = case.check(&["--json"]);
    check.assert_exit(0);
    let printed: Value = serde_json::from_str(&check.stdout).unwrap();
    assert_eq!(
        printed["graph"],
        json!({"requests": 1, "organizations": {"contoso.com": 1}, "skipped": [2]})
    );
    assert!(
        check
            .stderr
            .contains("line 2: lidia@contoso.com gets no Graph request")
            && check.stderr.contains("CONTOSO_TRIAL"),
        "{}",
        check.describe()
    );
    let run = case.run(&[]);
    assert_eq!(run.summary()["graph"], printed["graph"]);
}

/// stderr names the first five users left without a request, then how many
/// more; summary.json lists them all.
#[test]
fn stderr_names_the_first_skipped_users_and_counts_the_rest() {
    let mut users = vec![USERS_ID.to_string()];
    for i in 0..7 {
        users.push(format!(
            "u{i}@contoso.com,,US,,ENTERPRISEPACK+CONTOSO_TRIAL,,"
        ));
    }
    let users: Vec<&str> = users.iter().map(String::as_str).collect();
    let out = Case::new()
        .users(&users)
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,9,7",
            "contoso.com,CONTOSO_TRIAL,Active,9,7",
            "contoso.com,SPE_E3,Active,9,0",
        ])
        .plan(&[PLAN, "*,ENTERPRISEPACK,SPE_E3,,,replace-all"])
        .run(&[]);
    out.assert_exit(0);
    assert_eq!(out.graph_text(), "");
    assert_eq!(
        out.summary()["graph"]["skipped"],
        json!([2, 3, 4, 5, 6, 7, 8])
    );
    for i in 0..5 {
        assert!(
            out.stderr
                .contains(&format!("u{i}@contoso.com gets no Graph request")),
            "{}",
            out.describe()
        );
    }
    assert!(!out.stderr.contains("u5@contoso.com"), "{}", out.describe());
    assert!(
        out.stderr
            .contains("and 2 more reassigned users without a Graph request"),
        "{}",
        out.describe()
    );
}

/// A license named by id in a list a script joined with `, ` keeps its id, as
/// one joined with `+` does.
#[test]
fn an_id_in_a_comma_joined_licenses_cell_is_the_one_sent() {
    let out = Case::new()
        .users(&[
            USERS_ID,
            &format!(
                "\"alex@contoso.com\",,US,,\"{}, VISIOCLIENT\",,",
                PSTN_SMALL.to_uppercase()
            ),
        ])
        .subscriptions(&[
            SUBS_ID,
            &format!("contoso.com,MCOPSTN5,{PSTN_120},Active,5,1"),
            "contoso.com,VISIOCLIENT,,Active,5,1",
            "contoso.com,SPB,,Active,5,0",
        ])
        .plan(&[PLAN, "alex@contoso.com,MCOPSTN5,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    out.user("alex@contoso.com")
        .check(&[("licenses_before", "MCOPSTN5+VISIOCLIENT")]);
    let r = request(&out, 2);
    assert_eq!(r["body"], body(&[add(SPB, &[])], &[PSTN_SMALL]));
    assert_eq!(r["before"], json!([PSTN_SMALL, VISIO]));
}

/// run's few lines on stdout count the requests, and the users left without one.
#[test]
fn runs_text_summary_counts_the_requests() {
    let out = Case::new()
        .users(&[
            USERS_ID,
            "lidia@contoso.com,,US,,ENTERPRISEPACK+CONTOSO_TRIAL,,",
            "lynne@contoso.com,,US,,ENTERPRISEPACK,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,ENTERPRISEPACK,Active,5,2",
            "contoso.com,CONTOSO_TRIAL,Active,5,1",
            "contoso.com,SPE_E3,Active,5,0",
        ])
        .plan(&[PLAN, "*,ENTERPRISEPACK,SPE_E3,,,replace-all"])
        .run(&[]);
    out.assert_exit(0);
    assert!(
        out.stdout
            .contains("Graph requests: 1; reassigned users without one: 1\n"),
        "{}",
        out.describe()
    );
}

/// The nil GUID is nobody's object id; a SkuId on a tenant-level (`Company`)
/// row is not read, like the rest of the row.
#[test]
fn the_nil_guid_is_no_object_id_and_company_rows_are_not_read() {
    let nil = "00000000-0000-0000-0000-000000000000";
    let out = Case::new()
        .users(&[
            "UserPrincipalName,Id,UsageLocation,Licenses",
            &format!("a@contoso.com,{nil},US,"),
        ])
        .subscriptions(&[SUBS, "contoso.com,SPB,Active,5,0"])
        .plan(&[PLAN, "a@contoso.com,,SPB,,,"])
        .run(&[]);
    out.assert_exit(2);
    assert!(
        out.stderr.contains("users.csv:2:2:") && out.stderr.contains(nil),
        "{}",
        out.describe()
    );
    assert!(out.wrote_nothing(), "{}", out.describe());
    let out = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,Licenses",
            "a@contoso.com,US,",
        ])
        .subscriptions(&[
            "Organization,SkuPartNumber,SkuId,ConsumedUnits,PrepaidUnits.Enabled,AppliesTo",
            "contoso.com,SHAREPOINTSTORAGE,not-a-guid,0,10,Company",
            "contoso.com,SPB,,0,5,User",
        ])
        .plan(&[PLAN, "a@contoso.com,,SPB,,,"])
        .run(&[]);
    out.assert_exit(0);
    assert_eq!(request(&out, 2)["body"], body(&[add(SPB, &[])], &[]));
}
