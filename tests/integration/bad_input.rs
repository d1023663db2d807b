//! SPEC.md exit code 2: unusable invocation or input. Each case checks the exit
//! code, a message naming the file, line and column, and that nothing is written.

use std::fs;

use crate::util::{Case, Outcome, PLAN, SUBS, USERS};

const GOOD_USERS: [&str; 2] = [USERS, "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,"];
const GOOD_SUBS: [&str; 3] = [
    SUBS,
    "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
    "contoso.com,SPB,Active,5,0",
];
const GOOD_PLAN: [&str; 2] = [PLAN, "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"];

/// A valid input folder; each test then breaks one file.
fn valid() -> Case {
    Case::new()
        .users(&GOOD_USERS)
        .subscriptions(&GOOD_SUBS)
        .plan(&GOOD_PLAN)
}

/// Runs `run` and `check` and asserts exit 2, `place` (`file:line:column`) in the
/// message, and no output folder.
#[track_caller]
fn refused(case: &Case, place: &str) -> Outcome {
    let out = case.run(&[]);
    out.assert_exit(2);
    assert!(
        out.stderr.contains(place),
        "the message should name {place}:\n{}",
        out.describe()
    );
    assert!(
        !case.out().exists() && out.wrote_nothing(),
        "something was written on exit 2"
    );
    let check = case.check(&[]);
    check.assert_exit(2);
    assert!(check.stderr.contains(place), "{}", check.describe());
    out
}

#[test]
fn the_baseline_is_valid() {
    valid().run(&[]).assert_exit(0);
}

#[test]
fn a_missing_input_file() {
    let case = Case::new().subscriptions(&GOOD_SUBS).plan(&GOOD_PLAN);
    let out = refused(&case, "users.csv");
    assert!(!out.stderr.is_empty());
    let missing = valid().run(&["--domains", "/nonexistent/domains.csv"]);
    missing.assert_exit(2);
    assert!(
        missing.stderr.contains("domains.csv"),
        "{}",
        missing.describe()
    );
    let catalog = valid().run(&["--catalog", "/nonexistent/catalog.csv"]);
    catalog.assert_exit(2);
    assert!(
        catalog.stderr.contains("catalog.csv"),
        "{}",
        catalog.describe()
    );
}

#[test]
fn nothing_is_replaced_in_an_existing_output_folder() {
    let case = valid().users(&[USERS, "adele@contoso.com,US,maybe,O365_BUSINESS_PREMIUM,,"]);
    fs::create_dir(case.out()).unwrap();
    fs::write(case.out().join("result.csv"), "earlier result\n").unwrap();
    case.run(&[]).assert_exit(2);
    assert_eq!(
        fs::read_to_string(case.out().join("result.csv")).unwrap(),
        "earlier result\n"
    );
    assert_eq!(fs::read_dir(case.out()).unwrap().count(), 1);
}

#[test]
fn a_missing_required_column() {
    refused(
        &valid().users(&["Display name,Licenses", "Adele,SPB"]),
        "users.csv:1:1",
    );
    refused(
        &valid().subscriptions(&[
            "Organization,Product,Status,Assigned",
            "contoso.com,SPB,Active,0",
        ]),
        "subscriptions.csv:1:1",
    );
    refused(
        &valid().subscriptions(&[
            "Organization,Status,Total,Assigned",
            "contoso.com,Active,5,0",
        ]),
        "subscriptions.csv:1:1",
    );
    refused(
        &valid().plan(&["User,From", "adele@contoso.com,SPB"]),
        "plan.csv:1:1",
    );
    refused(
        &valid().domains(&["Organization,Name", "contoso.com,contoso.com"]),
        "domains.csv:1:1",
    );
}

#[test]
fn an_empty_required_cell() {
    refused(&valid().users(&[USERS, ",US,,SPB,,"]), "users.csv:2:1");
    refused(
        &valid().subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            ",SPB,Active,5,0",
        ]),
        "subscriptions.csv:3:1",
    );
    refused(
        &valid().subscriptions(&[SUBS, "contoso.com,,Active,5,1"]),
        "subscriptions.csv:2:2",
    );
    refused(
        &valid().subscriptions(&[SUBS, "contoso.com,SPB,Active,,1"]),
        "subscriptions.csv:2:4",
    );
    refused(
        &valid().subscriptions(&[SUBS, "contoso.com,SPB,Active,5,"]),
        "subscriptions.csv:2:5",
    );
    refused(
        &valid().domains(&["Organization,Domain", "contoso.com,"]),
        "domains.csv:2:2",
    );
}

#[test]
fn a_status_column_present_but_empty() {
    refused(
        &valid().subscriptions(&[SUBS, "contoso.com,O365_BUSINESS_PREMIUM,,5,1"]),
        "subscriptions.csv:2:3",
    );
}

#[test]
fn counts_are_plain_digits() {
    for bad in ["\"1,000\"", "1e3", "-1", "+3", "2.5", "five"] {
        let case = valid().subscriptions(&[
            SUBS,
            &format!("contoso.com,O365_BUSINESS_PREMIUM,Active,{bad},1"),
        ]);
        refused(&case, "subscriptions.csv:2:4");
        let case = valid().subscriptions(&[
            SUBS,
            &format!("contoso.com,O365_BUSINESS_PREMIUM,Active,5,{bad}"),
        ]);
        refused(&case, "subscriptions.csv:2:5");
    }
}

#[test]
fn a_yes_no_cell_that_is_neither() {
    refused(
        &valid().users(&[USERS, "adele@contoso.com,US,maybe,O365_BUSINESS_PREMIUM,,"]),
        "users.csv:2:3",
    );
    let graph = valid().users(&[
        "UserPrincipalName,UsageLocation,AccountEnabled,AssignedLicenses",
        "adele@contoso.com,US,enabled,SPB",
    ]);
    refused(&graph, "users.csv:2:3");
}

#[test]
fn the_same_user_twice_in_users_csv() {
    let case = valid().users(&[
        USERS,
        "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
        "Adele@Contoso.com,US,,SPB,,",
    ]);
    refused(&case, "users.csv:3:1");
    // Lines, not rows: a blank line and a cell over two lines come between.
    let case = valid().users(&[
        USERS,
        "megan@contoso.com,US,,SPB,,",
        "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
        ",,,,,",
        "alex@contoso.com,US,,SPB,\"EXCHANGE_S_STANDARD;",
        "MCOSTANDARD\",",
        "Adele@Contoso.com,US,,SPB,,",
    ]);
    let out = refused(&case, "users.csv:7:1");
    assert!(out.stderr.contains("first on line 3"), "{}", out.describe());
}

#[test]
fn a_row_with_another_field_count_than_the_header() {
    refused(
        &valid().users(&[USERS, "adele@contoso.com,US,,O365_BUSINESS_PREMIUM"]),
        "users.csv:2:5",
    );
    refused(
        &valid().users(&[USERS, "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,,x"]),
        "users.csv:2:7",
    );
    // Extra fields that are empty are spreadsheet residue: accepted.
    valid()
        .users(&[USERS, "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,,,,"])
        .run(&[])
        .assert_exit(0);
}

#[test]
fn text_that_is_not_utf8_or_utf16_with_a_bom() {
    let mut latin1 = format!("{USERS}\n").into_bytes();
    latin1.extend_from_slice(b"ad\xe9le@contoso.com,US,,O365_BUSINESS_PREMIUM,,\n");
    refused(&valid().bytes("users.csv", latin1), "users.csv:2:1");
    let mut utf16 = Vec::new();
    for unit in format!("{USERS}\nadele@contoso.com,US,,O365_BUSINESS_PREMIUM,,\n").encode_utf16() {
        utf16.extend_from_slice(&unit.to_le_bytes());
    }
    refused(&valid().bytes("users.csv", utf16), "users.csv:1:1");
}

/// In a file large enough to be read on several threads, the first bad row is
/// still the one named, with its line, whatever the threads.
#[test]
fn the_first_bad_row_of_a_large_file_is_named() {
    let mut text = format!("{USERS}\n");
    for i in 0..100_000 {
        if i == 1000 {
            // A blank line: later lines keep their numbers.
            text.push('\n');
        }
        if i == 60_000 {
            text.push_str("\"multi\nline\",US,,O365_BUSINESS_PREMIUM,,\n");
        }
        text.push_str(&format!(
            "user{i:05}@contoso.com,US,,O365_BUSINESS_PREMIUM,,Sales\n"
        ));
    }
    assert!(text.len() > 5 << 20, "not large enough");
    // Line 1 the header, users 0–999 on lines 2–1001, a blank line, then user i
    // on line i + 3, and after the row on two lines, on line i + 5.
    let mut latin1 = text.clone().into_bytes();
    let at = text.find("user60000@").unwrap();
    latin1[at + 4] = 0xe9;
    let case = valid().bytes("users.csv", latin1);
    refused(&case, "users.csv:60005:1");
    let mut short = text.clone();
    short.insert_str(
        text.find("user65000@").unwrap(),
        "user65000@contoso.com,US\n",
    );
    let case = valid().bytes("users.csv", &short);
    refused(&case, "users.csv:65005:3");
    for threads in ["1", "2"] {
        let out = case.run(&["--threads", threads]);
        out.assert_exit(2);
        assert!(
            out.stderr.contains("users.csv:65005:3"),
            "{}",
            out.describe()
        );
    }
    // Two rows before it, a user without a name: rows are checked as text on one
    // thread and built into users on another, and the earlier fault still wins.
    let nameless = short.replacen("user64998@contoso.com", "", 1);
    let case = valid().bytes("users.csv", nameless);
    for threads in ["1", "2"] {
        let out = case.run(&["--threads", threads]);
        out.assert_exit(2);
        assert!(
            out.stderr.contains("users.csv:65003:1") && out.stderr.contains("empty"),
            "{}",
            out.describe()
        );
    }
}

#[test]
fn a_file_without_a_header_line() {
    refused(&valid().bytes("plan.csv", ""), "plan.csv:1:1");
}

#[test]
fn a_cell_over_64_kib_or_a_row_over_1000_fields() {
    let big = "x".repeat(64 * 1024 + 1);
    refused(
        &valid().users(&[
            USERS,
            &format!("adele@contoso.com,US,,O365_BUSINESS_PREMIUM,{big},"),
        ]),
        "users.csv:2:5",
    );
    // 64 KiB exactly is fine.
    let fits = "x".repeat(64 * 1024);
    valid()
        .users(&[
            USERS,
            &format!("adele@contoso.com,US,,O365_BUSINESS_PREMIUM,{fits},"),
        ])
        .run(&[])
        .assert_exit(0);
    let wide = format!("{PLAN}{}", ",x".repeat(995));
    refused(
        &valid().plan(&[&wide, "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"]),
        "plan.csv:1:1001",
    );
}

#[test]
fn plan_rows_that_cannot_be_used() {
    refused(
        &valid().plan(&[PLAN, ",O365_BUSINESS_PREMIUM,SPB,,,"]),
        "plan.csv:2:1",
    );
    refused(
        &valid().plan(&[PLAN, "adele@contoso.com,O365_BUSINESS_PREMIUM,,,,"]),
        "plan.csv:2:3",
    );
    refused(&valid().plan(&[PLAN, "*,,SPB,,,"]), "plan.csv:2:2");
    refused(
        &valid().plan(&[PLAN, "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,move"]),
        "plan.csv:2:6",
    );
}

#[test]
fn lines_are_counted_in_the_file_blank_lines_and_crlf_line_ends_included() {
    // Regression: the csv crate dates a row before the blank lines it skips, and in
    // a CRLF file one line early; messages named the wrong line.
    let row = "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,";
    refused(
        &valid().plan(&[PLAN, row, "", "", "*,,SPB,,,"]),
        "plan.csv:5:2",
    );
    refused(
        &valid().bytes("plan.csv", format!("{PLAN}\n{row}\n\n*,,SPB,,,")),
        "plan.csv:4:2",
    );
    refused(
        &valid().bytes("plan.csv", format!("{PLAN}\r\n*,,SPB,,,\r\n")),
        "plan.csv:2:2",
    );
    refused(
        &valid().bytes("plan.csv", format!("{PLAN}\r\n{row}\r\n\r\n*,,SPB,,,")),
        "plan.csv:4:2",
    );
    // A line break inside quotes belongs to its row.
    let quoted = format!(
        "{PLAN}\r\nadele@contoso.com,O365_BUSINESS_PREMIUM,SPB,\"SWAY;\r\nTEAMS1\",,\r\n*,,SPB,,,\r\n"
    );
    refused(&valid().bytes("plan.csv", quoted), "plan.csv:4:2");
    let users = format!(
        "{USERS}\r\nadele@contoso.com,US,,O365_BUSINESS_PREMIUM,,\r\n\r\nbob@contoso.com,US,perhaps,,,\r\n"
    );
    refused(&valid().bytes("users.csv", users), "users.csv:4:3");
    // The lines in summary.json and in messages too.
    let plan = format!(
        "{PLAN}\r\n{row}\r\n\r\n*,EXCHANGESTANDARD,SPB,,,\r\nadele@contoso.com,O365_BUSINESS_PREMIUM,SPE_E3,,,\r\n"
    );
    let out = valid().bytes("plan.csv", plan).run(&[]);
    assert_eq!(out.summary()["unmatched_plan_rows"], serde_json::json!([4]));
    let message = out.user("adele@contoso.com").get("message").to_string();
    let numbers: Vec<&str> = message
        .split(|c: char| !c.is_ascii_digit())
        .filter(|n| !n.is_empty())
        .collect();
    assert!(
        numbers.contains(&"2") && numbers.contains(&"5"),
        "names lines 2 and 5: {message}"
    );
}

#[test]
fn a_shared_display_name_in_subscriptions_csv() {
    let case = valid().subscriptions(&[
        SUBS,
        "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
        "contoso.com,Microsoft 365 Business Basic,Active,5,0",
    ]);
    let out = refused(&case, "subscriptions.csv:3:2");
    for needed in [
        "O365_BUSINESS_ESSENTIALS",
        "SMB_BUSINESS_ESSENTIALS",
        "SkuPartNumber",
    ] {
        assert!(
            out.stderr.contains(needed),
            "the message should mention {needed}:\n{}",
            out.stderr
        );
    }
}

#[test]
fn no_organization_column_unless_domains_csv_names_exactly_one() {
    let subs = [
        "Product,Status,Total,Assigned",
        "O365_BUSINESS_PREMIUM,Active,5,1",
        "SPB,Active,5,0",
    ];
    let out = valid().subscriptions(&subs).run(&[]);
    out.assert_exit(2);
    assert!(
        out.stderr.contains("subscriptions.csv"),
        "{}",
        out.describe()
    );
    let two = valid()
        .subscriptions(&subs)
        .domains(&[
            "Organization,Domain",
            "Contoso,contoso.com",
            "Fabrikam,fabrikam.com",
        ])
        .run(&[]);
    two.assert_exit(2);
    assert!(
        two.stderr.contains("subscriptions.csv"),
        "{}",
        two.describe()
    );
}

#[test]
fn unusable_invocations() {
    let case = valid();
    for args in [
        &["run", "--nope"][..],
        &["run", "--threads", "0"],
        &["frobnicate"],
        &[],
    ] {
        let out = case.exec(args);
        out.assert_exit(2);
        assert!(!out.stderr.is_empty(), "{}", out.describe());
    }
}
