//! Real exports as they come (issue #3): each folder of `tests/fixtures/exports`
//! reproduces, byte for byte, a Microsoft 365 admin center or Microsoft Graph
//! PowerShell export or an Excel re-save of one, and its `expected.md` says what
//! `replan run` must report. Each test copies a folder into a fresh directory, runs
//! the real binary there, and compares result.csv, subscription-actions.csv and
//! backup.csv with the tables of `expected.md`, row for row.

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::{Case, Outcome, assert_consistent};

/// The folder of one fixture.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/exports")
        .join(name)
}

/// A fresh test folder holding a copy of the fixture's input files (the fixture
/// itself is never written to).
fn case(name: &str) -> Case {
    let mut case = Case::new();
    let mut entries: Vec<_> = fs::read_dir(fixture(name))
        .unwrap_or_else(|e| panic!("fixture {name}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    entries.sort();
    assert!(!entries.is_empty(), "fixture {name} has no CSV file");
    for path in entries {
        let file = path.file_name().unwrap().to_str().unwrap().to_string();
        case = case.bytes(&file, fs::read(&path).unwrap());
    }
    case
}

/// The bytes of one input file of a fixture.
fn input(name: &str, file: &str) -> Vec<u8> {
    fs::read(fixture(name).join(file)).unwrap()
}

/// What `expected.md` says a default run gives.
struct Expected {
    text: String,
    exit: i32,
}

/// A table of `expected.md`: its header and rows, cells trimmed.
struct MdTable {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Expected {
    fn of(name: &str) -> Expected {
        let path = fixture(name).join("expected.md");
        let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let at = text
            .find("Exit code ")
            .unwrap_or_else(|| panic!("{name}/expected.md gives no exit code"));
        let digits: String = text[at + "Exit code ".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let exit = digits.parse().expect("exit code");
        Expected { text, exit }
    }

    /// The first table after the heading that starts with `heading`.
    fn table(&self, heading: &str) -> Option<MdTable> {
        let mut lines = self.text.lines().skip_while(|l| !l.starts_with(heading));
        lines.next()?;
        let mut rows = lines
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .map(|l| {
                l.trim()
                    .trim_start_matches('|')
                    .trim_end_matches('|')
                    .split('|')
                    .map(|c| c.trim().to_string())
                    .collect::<Vec<String>>()
            });
        let header = rows.next()?;
        let rows: Vec<Vec<String>> = rows.skip(1).collect();
        assert!(!rows.is_empty(), "the table under {heading:?} has no rows");
        Some(MdTable { header, rows })
    }

    /// Asserts that result.csv, subscription-actions.csv and backup.csv hold
    /// exactly the rows of `expected.md`, and that the run exited as it says.
    #[track_caller]
    fn assert_matches(&self, out: &Outcome) {
        out.assert_exit(self.exit);
        let result = self
            .table("## Expected result.csv")
            .expect("expected.md has a result.csv table");
        compare(out.result(), &result);
        let actions = self
            .table("## Expected subscription-actions.csv")
            .expect("expected.md has a subscription-actions.csv table");
        compare(out.actions(), &actions);
        match self.table("## Expected backup.csv") {
            Some(backup) => compare(out.backup(), &backup),
            None => {
                assert!(
                    self.text.contains("backup.csv: header only"),
                    "expected.md says nothing of backup.csv"
                );
                assert_eq!(out.backup().len(), 0, "{}", out.backup().text);
            }
        }
        assert_consistent(out);
    }
}

#[track_caller]
fn compare(actual: &crate::util::Table, expected: &MdTable) {
    let cols: Vec<&str> = expected.header.iter().map(String::as_str).collect();
    let rows: Vec<Vec<&str>> = expected
        .rows
        .iter()
        .map(|r| r.iter().map(String::as_str).collect())
        .collect();
    let rows: Vec<&[&str]> = rows.iter().map(Vec::as_slice).collect();
    actual.assert_rows(&cols, &rows);
}

/// Runs a fixture as it is and checks it against its `expected.md`.
#[track_caller]
fn check_fixture(name: &str) -> Outcome {
    let out = case(name).run(&[]);
    Expected::of(name).assert_matches(&out);
    out
}

#[test]
fn admin_center_current_28_column_export() {
    let out = check_fixture("admin-center-current");
    // A cell with commas (a product display name) is quoted in and out.
    let pradeep = out.user("PradeepG@contoso.com");
    assert_eq!(
        pradeep.get("licenses_after"),
        "Windows_365_Business_16_vCPU,_64_GB,_512_GB+Dynamics_365_Hiring_SKU+SPB"
    );
    assert_eq!(out.summary()["inputs"]["users"], 9);
}

#[test]
fn admin_center_legacy_32_column_export() {
    check_fixture("admin-center-legacy");
}

#[test]
fn admin_center_legacy_export_with_strict() {
    let out = case("admin-center-legacy").run(&["--strict"]);
    out.assert_exit(1);
    out.result().assert_rows(
        &["user", "status", "codes", "licenses_after"],
        &[
            &[
                "AllanD@fabrikam.com",
                "error",
                "downgrade-backup-required",
                "O365_BUSINESS_PREMIUM",
            ],
            &[
                "ChristieC@fabrikam.com",
                "error",
                "downgrade-backup-required",
                "O365_BUSINESS_PREMIUM+POWER_BI_PRO",
            ],
            &[
                "PattiF@fabrikam.com",
                "error",
                "downgrade-backup-required;missing-usage-location",
                "O365_BUSINESS_PREMIUM",
            ],
            &["MeganB@fabrikam.com", "unchanged", "", "O365_BUSINESS"],
            &["NestorW@fabrikam.com", "error", "source-not-held", "SPB"],
        ],
    );
    out.backup().assert_rows(
        &["user", "services"],
        &[
            &[
                "AllanD@fabrikam.com",
                "mailbox;sharepoint;teams;viva-engage",
            ],
            &[
                "ChristieC@fabrikam.com",
                "mailbox;sharepoint;teams;viva-engage",
            ],
            &[
                "PattiF@fabrikam.com",
                "mailbox;sharepoint;teams;viva-engage",
            ],
        ],
    );
    out.actions().assert_rows(
        &["product", "action", "assigned_before", "assigned_after"],
        &[
            &["O365_BUSINESS", "keep", "1", "1"],
            &["O365_BUSINESS_PREMIUM", "keep", "3", "3"],
        ],
    );
    assert_consistent(&out);
}

#[test]
fn graph_powershell_export() {
    let out = check_fixture("graph-powershell");
    // The Company-level SKU is skipped, not counted as a pool.
    assert!(
        !out.actions()
            .column("product")
            .contains(&"SHAREPOINTSTORAGE")
    );
}

/// Windows PowerShell 5.1's Export-Csv without -NoTypeInformation starts the file
/// with a `#TYPE` line (after the BOM with -Encoding UTF8), which Import-Csv skips.
#[test]
fn graph_powershell_export_with_type_lines() {
    let name = "graph-powershell";
    let users = input(name, "users.csv");
    let bom = b"\xef\xbb\xbf";
    assert!(users.starts_with(bom));
    let users = [
        &bom[..],
        b"#TYPE Selected.Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser\r\n",
        &users[bom.len()..],
    ]
    .concat();
    let subscriptions = [
        &b"#TYPE Selected.Microsoft.Graph.PowerShell.Models.MicrosoftGraphSubscribedSku\r\n"[..],
        &input(name, "subscriptions.csv"),
    ]
    .concat();
    let out = case(name)
        .bytes("users.csv", users)
        .bytes("subscriptions.csv", subscriptions)
        .run(&[]);
    Expected::of(name).assert_matches(&out);
}

/// The same export with `-Delimiter ';'` (or `-UseCulture` on a European
/// Windows): the `#TYPE` line holds no delimiter, the header after it does.
#[test]
fn graph_powershell_semicolon_export_with_type_line() {
    let name = "graph-powershell";
    let text = String::from_utf8(input(name, "subscriptions.csv")).unwrap();
    let text = format!(
        "#TYPE Selected.Microsoft.Graph.PowerShell.Models.MicrosoftGraphSubscribedSku\r\n{}",
        text.replace("\",\"", "\";\"")
    );
    let out = case(name).bytes("subscriptions.csv", text).run(&[]);
    Expected::of(name).assert_matches(&out);
}

#[test]
fn excel_semicolon_utf16_resave() {
    let out = check_fixture("excel-semicolon-utf16");
    let inputs = &out.summary()["inputs"];
    // Delimiter-only rows and blank lines are residue, not rows.
    assert_eq!(
        (&inputs["users"], &inputs["subscriptions"], &inputs["plan"]),
        (&6.into(), &3.into(), &1.into()),
        "{inputs}"
    );
}

#[test]
fn excel_semicolon_utf8_resave_with_nbsp_and_stray_spaces() {
    let out = check_fixture("excel-semicolon-utf8");
    let inputs = &out.summary()["inputs"];
    assert_eq!(
        (&inputs["users"], &inputs["subscriptions"], &inputs["plan"]),
        (&6.into(), &3.into(), &1.into()),
        "{inputs}"
    );
}

#[test]
fn product_names_in_every_accepted_form() {
    check_fixture("product-names");
}

/// Asserts an exit 2 that names `file:line:column`, says which column is missing
/// and lists the accepted names and the columns found; and that nothing is written.
#[track_caller]
fn assert_missing_column(out: &Outcome, at: &str, accepted: &[&str], found: &[&str]) {
    out.assert_exit(2);
    let message = &out.stderr;
    let mut wrong = Vec::new();
    if !message.contains(at) {
        wrong.push(format!("the place `{at}`"));
    }
    if !message.contains("missing required column") {
        wrong.push("`missing required column`".to_string());
    }
    for name in accepted.iter().chain(found) {
        if !message.contains(&format!("`{name}`")) {
            wrong.push(format!("`{name}`"));
        }
    }
    assert!(
        wrong.is_empty(),
        "the message lacks {}\n{}",
        wrong.join(", "),
        out.describe()
    );
    assert!(out.wrote_nothing(), "{}", out.describe());
}

/// `Get-MgSubscribedSku | Export-Csv` without the calculated `PrepaidUnits.Enabled`
/// column: PrepaidUnits is written as its type name, so there is no total.
#[test]
fn bare_get_mgsubscribedsku_export_names_the_missing_total_column() {
    let header = "\"AccountId\",\"AccountName\",\"AppliesTo\",\"CapabilityStatus\",\"ConsumedUnits\",\"Id\",\"PrepaidUnits\",\"ServicePlans\",\"SkuId\",\"SkuPartNumber\",\"SubscriptionIds\",\"AdditionalProperties\"";
    let row = "\"6b8a2c3e-1f7d-4c55-9b1a-2e4f6a8c0d12\",\"Northwind Traders\",\"User\",\"Enabled\",\"1\",\"6b8a2c3e-1f7d-4c55-9b1a-2e4f6a8c0d12_cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46\",\"Microsoft.Graph.PowerShell.Models.MicrosoftGraphLicenseUnitsDetail\",\"Microsoft.Graph.PowerShell.Models.MicrosoftGraphServicePlanInfo[]\",\"cbdc14ab-d96c-4c30-b9f4-6ada7cdc1d46\",\"SPB\",\"System.String[]\",\"System.Collections.Generic.Dictionary`2[System.String,System.Object]\"";
    let out = case("graph-powershell")
        .bytes("subscriptions.csv", format!("{header}\r\n{row}\r\n"))
        .run(&[]);
    assert_missing_column(
        &out,
        "subscriptions.csv:1:1:",
        &["Total licenses", "Total", "PrepaidUnits.Enabled", "Enabled"],
        &[
            "AccountName",
            "PrepaidUnits",
            "SkuPartNumber",
            "ConsumedUnits",
        ],
    );
}

/// A users.csv whose user principal name column was renamed in a re-save (here
/// in the UTF-16 `;` file): the message lists what the header does hold.
#[test]
fn renamed_user_column_in_utf16_resave_is_reported_with_the_columns_found() {
    let name = "excel-semicolon-utf16";
    let bytes = input(name, "users.csv");
    assert_eq!(&bytes[..2], b"\xff\xfe");
    let units: Vec<u16> = bytes[2..]
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).unwrap();
    assert!(text.starts_with("Display name;DirSyncEnabled;User principal name;"));
    let text = text.replacen("User principal name", "Benutzerprinzipalname", 1);
    let mut renamed = vec![0xff, 0xfe];
    for unit in text.encode_utf16() {
        renamed.extend_from_slice(&unit.to_le_bytes());
    }
    let out = case(name).bytes("users.csv", renamed).run(&[]);
    assert_missing_column(
        &out,
        "users.csv:1:1:",
        &["User principal name", "UserPrincipalName", "UPN"],
        &[
            "Display name",
            "Benutzerprinzipalname",
            "Licenses",
            "Proxy addresses",
        ],
    );
    // The padded header's empty names are not listed as columns.
    assert!(!out.stderr.contains("``"), "{}", out.describe());
}

/// Excel's plain "CSV (Comma delimited)" save writes the Windows code page, not
/// UTF-8: unusable input, located, with the way out.
#[test]
fn excel_ansi_resave_is_refused_with_its_place_and_a_remedy() {
    let name = "excel-semicolon-utf8";
    let text = String::from_utf8(input(name, "users.csv")).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    assert!(text.contains("Anna Müller"));
    // Windows-1252 for the Latin-1 range, `?` for the rest (as Excel does).
    let ansi: Vec<u8> = text
        .chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect();
    let out = case(name).bytes("users.csv", ansi).run(&[]);
    out.assert_exit(2);
    assert!(
        out.stderr.contains("users.csv:2:1:") && out.stderr.contains("UTF-8"),
        "{}",
        out.describe()
    );
    assert!(out.wrote_nothing(), "{}", out.describe());
}

/// README.md gives administrators the commands that made the graph-powershell
/// fixture, character for character.
#[test]
fn readme_one_liners_are_those_of_the_graph_fixture() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let expected = Expected::of("graph-powershell").text;
    assert_eq!(
        crate::util::fenced(&readme, "## Accepted exports", "powershell"),
        crate::util::fenced(&expected, "## The one-liners", "powershell")
    );
}

/// `Select-Object AssignedLicenses` without a calculated column makes Export-Csv
/// write the object's type name in every cell: a run that goes ahead would show
/// every user holding an unknown product. It is said on stderr, with the place.
#[test]
fn a_powershell_type_name_in_licenses_is_reported() {
    let type_name = "Microsoft.Graph.PowerShell.Models.MicrosoftGraphAssignedLicense[]";
    let case = Case::new()
        .users(&[
            "UserPrincipalName,UsageLocation,AssignedLicenses",
            &format!("a@contoso.com,FR,{type_name}"),
            &format!("b@contoso.com,FR,{type_name}"),
        ])
        .subscriptions(&[
            "Organization,SkuPartNumber,CapabilityStatus,ConsumedUnits,PrepaidUnits.Enabled",
            "contoso.com,SPB,Enabled,0,5",
        ])
        .plan(&["User,From,To", "a@contoso.com,,SPB"]);
    let out = case.run(&[]);
    out.assert_exit(0);
    assert!(
        out.stderr.contains(&format!(
            "users.csv:2:3: `{type_name}` is a PowerShell type name, not a license (2 users)"
        )),
        "{}",
        out.describe()
    );
    // SPEC: a license the catalog does not know is carried through as written.
    assert_eq!(
        out.user("a@contoso.com").get("licenses_after"),
        format!("{type_name}+SPB")
    );
}
