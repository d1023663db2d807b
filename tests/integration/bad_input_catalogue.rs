//! The bad-input catalogue: files nobody checked, as a scheduled run meets them.
//! Each fault is put into every input file it applies to (users.csv,
//! subscriptions.csv, plan.csv, domains.csv, and a `--catalog` table), and the
//! real binary must refuse it with exit 2, a message naming the file, line and
//! column, no panic, and no output folder; or, where SPEC.md says the input is
//! valid, give the per-user code it asks for.

use crate::util::{Case, Outcome};

/// A valid tenant: two users moving from Business Standard to Business Premium.
const USERS: &str = "User principal name,Usage location,Licenses
adele@contoso.com,US,O365_BUSINESS_PREMIUM
alex@contoso.com,US,O365_BUSINESS_PREMIUM
";
const SUBSCRIPTIONS: &str = "Organization,Product,Status,Total,Assigned
contoso.com,O365_BUSINESS_PREMIUM,Active,2,2
contoso.com,SPB,Active,2,0
";
const PLAN: &str = "User,From,To
*,O365_BUSINESS_PREMIUM,SPB
";
const DOMAINS: &str = "Organization,Domain
contoso.com,contoso.com
";
/// A two-product table in Microsoft's format, given with `--catalog`.
const CATALOG: &str = "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id
Microsoft 365 Business Standard,O365_BUSINESS_PREMIUM,f245ecc8-75af-4f8e-b61f-27d8114de5f3,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c
Microsoft 365 Business Premium,SPB,cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c
";

/// The input files, each with its valid text and its required columns.
const FILES: [(&str, &str, &[&str]); 5] = [
    ("users.csv", USERS, &["User principal name"]),
    (
        "subscriptions.csv",
        SUBSCRIPTIONS,
        &["Product", "Total", "Assigned"],
    ),
    ("plan.csv", PLAN, &["User", "To"]),
    ("domains.csv", DOMAINS, &["Organization", "Domain"]),
    (
        "catalog.csv",
        CATALOG,
        &[
            "Product_Display_Name",
            "String_Id",
            "GUID",
            "Service_Plan_Name",
            "Service_Plan_Id",
        ],
    ),
];

/// The valid tenant with `file` replaced by `bytes`.
fn tenant_with(file: &str, bytes: impl AsRef<[u8]>) -> Case {
    let mut case = Case::new();
    for (name, text, _) in FILES {
        case = if name == file {
            case.bytes(name, bytes.as_ref())
        } else {
            case.bytes(name, text)
        };
    }
    case
}

/// `run` (and `check`) on the tenant with `file` replaced; `--catalog` is always
/// given so that the table is one of the files under test.
fn run_with(file: &str, bytes: impl AsRef<[u8]>) -> (Case, Outcome) {
    let case = tenant_with(file, bytes);
    let catalog = case.input().join("catalog.csv");
    let outcome = case.run(&["--catalog", catalog.to_str().unwrap()]);
    (case, outcome)
}

/// Exit 2 with `replan: …/file:line:column: …`, no panic and no output, from both
/// `run` and `check`.
#[track_caller]
fn assert_refused(file: &str, bytes: impl AsRef<[u8]>, line: u64, column: usize) -> String {
    let bytes = bytes.as_ref();
    let (case, run) = run_with(file, bytes);
    run.assert_exit(2);
    let place = format!("{file}:{line}:{column}: ");
    let first = run.stderr.lines().next().unwrap_or("");
    assert!(
        first.starts_with("replan: ") && first.contains(&place),
        "expected a message at {place}\n{}",
        run.describe()
    );
    assert_no_panic(&run);
    assert!(
        !case.out().exists(),
        "exit 2 created the output folder\n{}",
        run.describe()
    );
    let catalog = case.input().join("catalog.csv");
    let check = case.check(&["--catalog", catalog.to_str().unwrap()]);
    check.assert_exit(2);
    assert_eq!(check.stderr, run.stderr, "check and run disagree");
    first.to_string()
}

#[track_caller]
fn assert_no_panic(outcome: &Outcome) {
    assert!(
        !outcome.stderr.contains("panicked") && !outcome.stderr.contains("RUST_BACKTRACE"),
        "replan panicked\n{}",
        outcome.describe()
    );
}

/// The header line and the data lines of a valid file.
fn split(text: &str) -> (&str, Vec<&str>) {
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    (header, lines.collect())
}

/// `text` with its line `n` (1-based) replaced.
fn with_line(text: &str, n: usize, line: &str) -> String {
    let mut lines: Vec<&str> = text.lines().collect();
    lines[n - 1] = line;
    lines.join("\n") + "\n"
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn utf16be(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_be_bytes).collect()
}

#[test]
fn the_valid_tenant_is_valid() {
    let (_, run) = run_with("none", "");
    run.assert_exit(0);
    run.result().assert_rows(
        &["user", "status"],
        &[
            &["adele@contoso.com", "reassigned"],
            &["alex@contoso.com", "reassigned"],
        ],
    );
}

#[test]
fn empty_file() {
    for (file, _, _) in FILES {
        let message = assert_refused(file, "", 1, 1);
        assert!(message.contains("no header"), "{message}");
    }
}

#[test]
fn blank_lines_only_is_an_empty_file() {
    for (file, _, _) in FILES {
        assert_refused(file, "\n\n\r\n", 1, 1);
    }
}

#[test]
fn missing_required_column() {
    for (file, text, required) in FILES {
        for column in required {
            let (header, _) = split(text);
            let renamed = header.replacen(column, "Something else", 1);
            let message = assert_refused(file, text.replacen(header, &renamed, 1), 1, 1);
            assert!(message.contains("missing required column"), "{message}");
        }
    }
}

#[test]
fn ragged_row_with_a_field_missing() {
    for (file, text, _) in FILES {
        let (header, rows) = split(text);
        let width = header.split(',').count();
        let short = rows[0].rsplit_once(',').unwrap().0;
        let message = assert_refused(file, with_line(text, 2, short), 2, width);
        assert!(message.contains("fields"), "{message}");
    }
}

#[test]
fn ragged_row_with_a_non_empty_extra_field() {
    for (file, text, _) in FILES {
        let (header, rows) = split(text);
        let width = header.split(',').count();
        let long = format!("{},extra", rows[0]);
        assert_refused(file, with_line(text, 2, &long), 2, width + 1);
    }
}

#[test]
fn empty_extra_fields_are_spreadsheet_residue() {
    for (file, text, _) in FILES {
        let (_, rows) = split(text);
        let long = format!("{},, ,", rows[0]);
        let (_, run) = run_with(file, with_line(text, 2, &long));
        run.assert_exit(0);
    }
}

#[test]
fn ragged_quoting_is_located() {
    // An unterminated quote swallows the rest of the file into one field: the row
    // ends up short, and the message still names where it starts.
    for (file, text, _) in FILES {
        let (_, rows) = split(text);
        let broken = format!("\"{}", rows[0]);
        assert_refused(file, with_line(text, 2, &broken), 2, 2);
    }
}

#[test]
fn non_numeric_or_negative_counts() {
    let bad = [
        "ten",
        "\"1,000\"",
        "1e3",
        "2.0",
        "-1",
        "+2",
        " 0x10",
        "99999999999999999999999",
        "1 000",
        "２",
    ];
    for count in bad {
        for (column, position) in [("Total", 4), ("Assigned", 5)] {
            let row = if column == "Total" {
                format!("contoso.com,SPB,Active,{count},0")
            } else {
                format!("contoso.com,SPB,Active,2,{count}")
            };
            let message = assert_refused(
                "subscriptions.csv",
                with_line(SUBSCRIPTIONS, 3, &row),
                3,
                position,
            );
            assert!(message.contains("whole number"), "{count}: {message}");
        }
    }
}

#[test]
fn empty_required_cells() {
    let cases: [(&str, &str, u64, usize); 9] = [
        ("users.csv", " ,US,O365_BUSINESS_PREMIUM", 2, 1),
        ("subscriptions.csv", ",SPB,Active,2,0", 2, 1),
        ("subscriptions.csv", "contoso.com,,Active,2,0", 2, 2),
        ("subscriptions.csv", "contoso.com,SPB,,2,0", 2, 3),
        ("subscriptions.csv", "contoso.com,SPB,Active,,0", 2, 4),
        ("subscriptions.csv", "contoso.com,SPB,Active,2,\u{a0}", 2, 5),
        ("domains.csv", ",contoso.com", 2, 1),
        ("domains.csv", "contoso.com,", 2, 2),
        (
            "catalog.csv",
            "Microsoft 365 Business Standard,,f245ecc8-75af-4f8e-b61f-27d8114de5f3,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c",
            2,
            2,
        ),
    ];
    for (file, row, line, column) in cases {
        let text = FILES.iter().find(|f| f.0 == file).unwrap().1;
        let message = assert_refused(file, with_line(text, 2, row), line, column);
        assert!(message.contains("empty"), "{file}: {message}");
    }
}

#[test]
fn invalid_utf8() {
    for (file, text, _) in FILES {
        let (_, rows) = split(text);
        let (first, rest) = rows[0].split_once(',').unwrap();
        let mut line = first.as_bytes().to_vec();
        line.extend_from_slice(b"\xe9t\xe9,");
        line.extend_from_slice(rest.as_bytes());
        let mut bytes = text.lines().next().unwrap().as_bytes().to_vec();
        bytes.push(b'\n');
        bytes.extend_from_slice(&line);
        bytes.push(b'\n');
        let message = assert_refused(file, &bytes, 2, 1);
        assert!(message.contains("UTF-8"), "{message}");
    }
}

#[test]
fn invalid_utf8_in_the_header() {
    for (file, text, _) in FILES {
        let mut bytes = b"\xff".to_vec();
        bytes.extend_from_slice(text.as_bytes());
        assert_refused(file, &bytes, 1, 1);
    }
}

#[test]
fn utf16_without_bom() {
    for (file, text, _) in FILES {
        for bytes in [utf16le(text), utf16be(text)] {
            let message = assert_refused(file, &bytes, 1, 1);
            assert!(message.contains("UTF-16"), "{message}");
        }
    }
}

#[test]
fn utf16_with_bom_is_valid() {
    for (file, text, _) in FILES {
        let mut le = vec![0xFF, 0xFE];
        le.extend(utf16le(text));
        let mut be = vec![0xFE, 0xFF];
        be.extend(utf16be(text));
        for bytes in [le, be] {
            let (_, run) = run_with(file, &bytes);
            run.assert_exit(0);
        }
    }
}

#[test]
fn utf16_with_bom_and_broken_text() {
    for (file, text, _) in FILES {
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(utf16le(text));
        // A lone high surrogate.
        bytes.extend_from_slice(&0xD800u16.to_le_bytes());
        bytes.extend(utf16le("x\n"));
        assert_refused(file, &bytes, 1, 1);
    }
}

#[test]
fn a_10_mb_field() {
    let big = "a".repeat(10 << 20);
    for (file, text, _) in FILES {
        let (_, rows) = split(text);
        let (_, rest) = rows[0].split_once(',').unwrap();
        let message = assert_refused(file, with_line(text, 2, &format!("{big},{rest}")), 2, 1);
        assert!(message.contains("KiB"), "{message}");
    }
}

#[test]
fn a_10_mb_quoted_field_with_line_breaks() {
    let big = "ab\n".repeat((10 << 20) / 3);
    for (file, text, _) in FILES {
        let (_, rows) = split(text);
        let (first, rest) = rows[0].split_once(',').unwrap();
        let line = format!(
            "{first},\"{big}\",{}",
            rest.split_once(',').map_or("", |r| r.1)
        );
        let line = if rest.contains(',') {
            line
        } else {
            format!("{first},\"{big}\"")
        };
        assert_refused(file, with_line(text, 2, &line), 2, 2);
    }
}

#[test]
fn a_10_mb_header() {
    let big = "a".repeat(10 << 20);
    for (file, text, _) in FILES {
        assert_refused(file, format!("{big},{text}"), 1, 1);
    }
}

#[test]
fn a_100000_column_line() {
    let wide = "x,".repeat(100_000);
    for (file, text, _) in FILES {
        let message = assert_refused(file, with_line(text, 2, &wide), 2, 1001);
        assert!(message.contains("fields"), "{message}");
    }
}

#[test]
fn a_100000_column_header() {
    let wide = ",x".repeat(100_000);
    for (file, text, _) in FILES {
        let (header, _) = split(text);
        assert_refused(
            file,
            text.replacen(header, &format!("{header}{wide}"), 1),
            1,
            1001,
        );
    }
}

#[test]
fn duplicate_user_in_users_csv() {
    let users = format!("{USERS}ADELE@Contoso.com,FR,SPB\n");
    let message = assert_refused("users.csv", users, 4, 1);
    assert!(message.contains("twice"), "{message}");
}

#[test]
fn duplicate_user_in_the_plan_is_a_per_user_code() {
    let plan = "User,From,To
adele@contoso.com,O365_BUSINESS_PREMIUM,SPB
Adele@Contoso.com,O365_BUSINESS_PREMIUM,O365_BUSINESS_PREMIUM
";
    let (_, run) = run_with("plan.csv", plan);
    run.assert_exit(1);
    run.result().assert_rows(
        &["user", "status", "codes"],
        &[&["adele@contoso.com", "error", "duplicate-user"]],
    );
}

#[test]
fn identical_plan_rows_count_once() {
    let plan = "User,From,To
adele@contoso.com,O365_BUSINESS_PREMIUM,SPB
Adele@Contoso.com,Microsoft 365 Business Standard,SPB
";
    let (_, run) = run_with("plan.csv", plan);
    run.assert_exit(0);
    assert_eq!(run.result().len(), 1);
}

#[test]
fn plan_star_row_without_from() {
    let message = assert_refused("plan.csv", "User,From,To\n*,,SPB\n", 2, 2);
    assert!(message.contains("`*` row needs `From`"), "{message}");
    // Without a From column at all, the message points at the row.
    assert_refused("plan.csv", "User,To\n*,SPB\n", 2, 1);
}

#[test]
fn plan_rows_that_make_the_plan_unusable() {
    let cases: [(&str, u64, usize); 4] = [
        ("User,From,To,Mode\n,O365_BUSINESS_PREMIUM,SPB,\n", 2, 1),
        (
            "User,From,To,Mode\nadele@contoso.com,O365_BUSINESS_PREMIUM,,\n",
            2,
            3,
        ),
        (
            "User,From,To,Mode\nadele@contoso.com,O365_BUSINESS_PREMIUM,SPB,move\n",
            2,
            4,
        ),
        (
            "User,From,To,Mode\n\nadele@contoso.com,,SPB,swap\n*,,SPB,\n",
            4,
            2,
        ),
    ];
    for (plan, line, column) in cases {
        assert_refused("plan.csv", plan, line, column);
    }
}

#[test]
fn sign_in_blocked_must_be_yes_or_no() {
    let users = "User principal name,Usage location,Licenses,Block credential
adele@contoso.com,US,O365_BUSINESS_PREMIUM,maybe
";
    assert_refused("users.csv", users, 2, 4);
    let users = "User principal name,Usage location,Licenses,AccountEnabled
adele@contoso.com,US,O365_BUSINESS_PREMIUM,enabled
";
    assert_refused("users.csv", users, 2, 4);
}

#[test]
fn a_domain_given_to_two_organizations() {
    let domains = "Organization,Domain\ncontoso.com,contoso.com\nfabrikam.com,CONTOSO.com\n";
    assert_refused("domains.csv", domains, 3, 2);
}

#[test]
fn a_shared_display_name_in_subscriptions_csv() {
    // Two products of the table share one display name.
    let catalog = format!(
        "{CATALOG}Microsoft 365 Business Premium,SPB_TWIN,00000000-0000-0000-0000-000000000001,EXCHANGE_S_STANDARD,9aaf7827-d63c-4b61-89c3-182f06f82e5c\n"
    );
    let case = tenant_with("catalog.csv", catalog).bytes(
        "subscriptions.csv",
        "Organization,Product,Status,Total,Assigned\ncontoso.com,O365_BUSINESS_PREMIUM,Active,2,2\ncontoso.com,Microsoft 365 Business Premium,Active,2,0\n",
    );
    let catalog = case.input().join("catalog.csv");
    let run = case.run(&["--catalog", catalog.to_str().unwrap()]);
    run.assert_exit(2);
    assert!(
        run.stderr.contains("subscriptions.csv:3:2: "),
        "{}",
        run.describe()
    );
    assert!(run.stderr.contains("SPB_TWIN"), "{}", run.describe());
}

#[test]
fn no_organization_column_needs_one_organization_in_domains_csv() {
    let subscriptions = "Product,Status,Total,Assigned\nSPB,Active,2,0\n";
    let case = tenant_with("subscriptions.csv", subscriptions);
    std::fs::remove_file(case.input().join("domains.csv")).unwrap();
    let run = case.run(&[]);
    run.assert_exit(2);
    assert!(
        run.stderr.contains("subscriptions.csv:1:1: "),
        "{}",
        run.describe()
    );
    let two = "Organization,Domain\ncontoso.com,contoso.com\nfabrikam.com,fabrikam.com\n";
    let case = tenant_with("subscriptions.csv", subscriptions).bytes("domains.csv", two);
    case.run(&[]).assert_exit(2);
}

#[test]
fn a_missing_input_file() {
    for file in ["users.csv", "subscriptions.csv", "plan.csv"] {
        let case = tenant_with("none", "");
        std::fs::remove_file(case.input().join(file)).unwrap();
        let run = case.run(&[]);
        run.assert_exit(2);
        assert!(run.stderr.contains(file), "{}", run.describe());
        assert_no_panic(&run);
        assert!(!case.out().exists());
    }
}

#[test]
fn header_only_files_are_valid() {
    // users.csv: the `*` row matches nobody: a warning, no planned user.
    let (_, run) = run_with("users.csv", "User principal name,Usage location,Licenses\n");
    run.assert_exit(0);
    assert_eq!(run.result().len(), 0);
    assert_eq!(run.summary()["unmatched_plan_rows"], serde_json::json!([2]));
    assert!(run.stderr.contains("plan.csv:2"), "{}", run.describe());
    // subscriptions.csv: no subscription of To anywhere.
    let (_, run) = run_with(
        "subscriptions.csv",
        "Organization,Product,Status,Total,Assigned\n",
    );
    run.assert_exit(1);
    assert_eq!(
        run.result().column("codes"),
        ["target-not-listed", "target-not-listed"]
    );
    // plan.csv: nothing to do.
    let (_, run) = run_with("plan.csv", "User,From,To\n");
    run.assert_exit(0);
    assert_eq!(run.result().len(), 0);
    assert_eq!(run.actions().len(), 0);
    // domains.csv: every organization owns its own name.
    let (_, run) = run_with("domains.csv", "Organization,Domain\n");
    run.assert_exit(0);
    // The catalog: no product is known, so From and To are not catalog products.
    let (_, run) = run_with(
        "catalog.csv",
        "Product_Display_Name,String_Id,GUID,Service_Plan_Name,Service_Plan_Id\n",
    );
    run.assert_exit(1);
    assert_eq!(
        run.result().column("codes"),
        ["unknown-product", "unknown-product"]
    );
}

#[test]
fn assigned_greater_than_total_is_valid_input() {
    // The pool has nothing available: the movers are blocked and the deficit bought.
    let subscriptions = with_line(SUBSCRIPTIONS, 3, "contoso.com,SPB,Active,2,5");
    let (_, run) = run_with("subscriptions.csv", subscriptions);
    run.assert_exit(1);
    assert_eq!(
        run.result().column("codes"),
        ["not-enough-licenses", "not-enough-licenses"]
    );
    run.action("contoso.com", "SPB").check(&[
        ("action", "buy-licenses"),
        ("assigned_before", "5"),
        ("assigned_after", "5"),
        ("licenses_to_buy", "5"),
    ]);
}

#[test]
fn nul_bytes_in_a_data_row_do_not_panic() {
    for (file, text, _) in FILES {
        let (_, rows) = split(text);
        let line = format!("{}\0", rows[0]);
        let (_, run) = run_with(file, with_line(text, 2, &line));
        assert_no_panic(&run);
        assert!([0, 1, 2].contains(&run.code), "{}", run.describe());
    }
}
