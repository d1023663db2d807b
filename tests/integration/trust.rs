//! What an administrator who runs replan on a schedule relies on: outputs appear
//! whole or not at all, an unusable run replaces nothing, an output folder that
//! holds an input is refused, and no output cell runs as a spreadsheet formula.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use crate::util::{Case, OUTPUTS, Outcome, Table, files_in};

/// A small valid tenant: one organization, two users moving to Business Premium.
fn tenant() -> Case {
    Case::new()
        .users(&[
            "User principal name,Usage location,Licenses",
            "adele@contoso.com,US,O365_BUSINESS_PREMIUM",
            "alex@contoso.com,US,O365_BUSINESS_PREMIUM",
        ])
        .subscriptions(&[
            "Organization,Product,Status,Total,Assigned",
            "contoso.com,O365_BUSINESS_PREMIUM,Active,2,2",
            "contoso.com,SPB,Active,2,0",
        ])
        .plan(&["User,From,To", "*,O365_BUSINESS_PREMIUM,SPB"])
}

/// Every file of a folder with its text (a folder in it reads as empty).
fn snapshot(dir: &Path) -> BTreeMap<String, String> {
    files_in(dir)
        .into_iter()
        .map(|name| {
            let bytes = fs::read(dir.join(&name)).unwrap_or_default();
            (name, String::from_utf8_lossy(&bytes).into_owned())
        })
        .collect()
}

fn str(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[track_caller]
fn assert_no_temporary_files(dir: &Path) {
    let left: Vec<String> = files_in(dir)
        .into_iter()
        .filter(|f| f.starts_with('.') || f.ends_with(".tmp"))
        .collect();
    assert!(
        left.is_empty(),
        "temporary files left in {}: {left:?}",
        dir.display()
    );
}

#[test]
fn a_run_writes_the_four_outputs_and_leaves_other_files_alone() {
    let case = tenant();
    fs::create_dir(case.out()).unwrap();
    fs::write(case.out().join("notes.txt"), "mine").unwrap();
    fs::write(case.out().join("result.csv"), "an earlier result").unwrap();
    case.run(&[]).assert_exit(0);
    let mut expected: Vec<String> = OUTPUTS.iter().map(|s| s.to_string()).collect();
    expected.push("notes.txt".into());
    expected.sort();
    assert_eq!(
        files_in(&case.out()).into_iter().collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        fs::read_to_string(case.out().join("notes.txt")).unwrap(),
        "mine"
    );
    assert!(
        fs::read_to_string(case.out().join("result.csv"))
            .unwrap()
            .starts_with("user,")
    );
    assert_no_temporary_files(&case.out());
}

#[test]
fn unusable_input_creates_no_output_folder() {
    let case = tenant().lines("plan.csv", &["User,From,To", "*,,SPB"]);
    let run = case.run(&[]);
    run.assert_exit(2);
    assert!(run.wrote_nothing());
    assert!(
        !case.out().exists(),
        "exit 2 created {}",
        case.out().display()
    );
}

#[test]
fn unusable_input_replaces_no_earlier_output() {
    let case = tenant();
    case.run(&[]).assert_exit(0);
    let before = snapshot(&case.out());
    let case = case.lines(
        "subscriptions.csv",
        &[
            "Organization,Product,Status,Total,Assigned",
            "contoso.com,SPB,Active,two,0",
        ],
    );
    case.run(&[]).assert_exit(2);
    assert_eq!(
        snapshot(&case.out()),
        before,
        "exit 2 changed the output folder"
    );
}

#[test]
fn a_write_that_fails_replaces_no_earlier_output() {
    // summary.json, the last file renamed, cannot be replaced: it is a folder.
    // Nothing may be replaced, not even the files renamed before it would be.
    let case = tenant();
    fs::create_dir_all(case.out().join("summary.json")).unwrap();
    fs::write(case.out().join("summary.json").join("keep"), "x").unwrap();
    for name in ["result.csv", "subscription-actions.csv", "backup.csv"] {
        fs::write(case.out().join(name), format!("earlier {name}")).unwrap();
    }
    let before = snapshot(&case.out());
    let run = case.run(&[]);
    run.assert_exit(2);
    assert!(run.stderr.contains("summary.json"), "{}", run.describe());
    assert_eq!(
        snapshot(&case.out()),
        before,
        "a failed run replaced some outputs"
    );
    assert_no_temporary_files(&case.out());
}

#[test]
fn an_output_folder_that_is_a_file_is_refused() {
    let case = tenant();
    fs::write(case.out(), "not a folder").unwrap();
    let run = case.run(&[]);
    run.assert_exit(2);
    assert_eq!(fs::read_to_string(case.out()).unwrap(), "not a folder");
}

/// Runs `replan run` with these arguments in the case's folder.
fn run_args(case: &Case, args: &[&str]) -> Outcome {
    let mut all = vec!["run", "--quiet"];
    all.extend_from_slice(args);
    case.exec(&all)
}

#[track_caller]
fn assert_refused_out(case: &Case, args: &[&str]) {
    let inputs = snapshot(&case.input());
    let run = run_args(case, args);
    run.assert_exit(2);
    assert!(run.stderr.contains("--out"), "{}", run.describe());
    assert_eq!(snapshot(&case.input()), inputs, "the input folder changed");
}

#[test]
fn an_output_folder_holding_the_inputs_is_refused() {
    let case = tenant();
    let input = case.input();
    assert_refused_out(&case, &[str(&input), "--out", str(&input)]);
    // The same folder spelled another way.
    assert_refused_out(&case, &["in", "--out", "in/../in/."]);
    assert_refused_out(&case, &[str(&input), "--out", "in/"]);
}

#[test]
fn an_output_folder_holding_one_named_input_is_refused() {
    let case = tenant();
    fs::create_dir(case.out()).unwrap();
    fs::rename(case.input().join("plan.csv"), case.out().join("plan.csv")).unwrap();
    let plan = case.out().join("plan.csv");
    let out = case.out();
    assert_refused_out(&case, &["in", "--plan", str(&plan), "--out", str(&out)]);
    assert!(plan.exists());
    assert_eq!(
        files_in(&out).len(),
        1,
        "outputs were written next to the plan"
    );
}

#[test]
fn an_input_named_like_an_output_is_refused() {
    // A previous result.csv given as an input: the run would overwrite it.
    let case = tenant();
    fs::create_dir(case.out()).unwrap();
    fs::copy(
        case.input().join("users.csv"),
        case.out().join("result.csv"),
    )
    .unwrap();
    let users = case.out().join("result.csv");
    let bytes = fs::read(&users).unwrap();
    let run = run_args(&case, &["in", "--users", str(&users), "--out", "out"]);
    run.assert_exit(2);
    assert_eq!(fs::read(&users).unwrap(), bytes);
    assert_eq!(files_in(&case.out()).len(), 1);
}

#[test]
fn a_domains_file_or_catalog_in_the_output_folder_is_refused() {
    let case = tenant();
    fs::create_dir(case.out()).unwrap();
    fs::write(
        case.out().join("domains.csv"),
        "Organization,Domain\ncontoso.com,contoso.com\n",
    )
    .unwrap();
    let domains = case.out().join("domains.csv");
    assert_refused_out(&case, &["in", "--domains", str(&domains), "--out", "out"]);
    fs::remove_file(&domains).unwrap();
    let catalog = case.out().join("summary.json");
    fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/ms-licensing-catalog.csv"),
        &catalog,
    )
    .unwrap();
    let bytes = fs::read(&catalog).unwrap();
    assert_refused_out(&case, &["in", "--catalog", str(&catalog), "--out", "out"]);
    assert_eq!(
        fs::read(&catalog).unwrap(),
        bytes,
        "the catalog was overwritten"
    );
}

#[cfg(unix)]
#[test]
fn links_do_not_hide_an_input_in_the_output_folder() {
    use std::os::unix::fs::symlink;
    // The output folder is a link to the input folder.
    let case = tenant();
    symlink(case.input(), case.out()).unwrap();
    assert_refused_out(&case, &["in", "--out", "out"]);
    // An input is a link to a file in the output folder.
    let case = tenant();
    fs::create_dir(case.out()).unwrap();
    fs::rename(case.input().join("users.csv"), case.out().join("users.csv")).unwrap();
    symlink(case.out().join("users.csv"), case.input().join("users.csv")).unwrap();
    assert_refused_out(&case, &["in", "--out", "out"]);
}

#[test]
fn an_output_folder_beside_the_inputs_is_fine() {
    let case = tenant();
    run_args(&case, &["in", "--out", "in/out"]).assert_exit(0);
    assert!(case.input().join("out").join("result.csv").exists());
}

/// Cells that a spreadsheet would run: `=`, `+`, `-`, `@`, tab, carriage return.
fn is_formula(cell: &str) -> bool {
    matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

#[track_caller]
fn assert_no_formula(table: &Table) {
    for (i, row) in std::iter::once(&table.header)
        .chain(&table.rows)
        .enumerate()
    {
        for (cell, name) in row.iter().zip(&table.header) {
            assert!(
                !is_formula(cell),
                "{} line {} column {name}: {cell:?}\n{}",
                table.name,
                i + 1,
                table.text
            );
        }
    }
}

/// Names that start like formulas in every place a name can come from.
fn hostile() -> Case {
    Case::new()
        .domains(&["Organization,Domain", "=1+2,evil.com"])
        .users(&[
            "User principal name,Usage location,Licenses,Disabled plans",
            "=bob@evil.com,US,O365_BUSINESS_PREMIUM+@SUM(1),=BAD_PLAN;+X",
            "+carol@evil.com,US,O365_BUSINESS_PREMIUM,",
            "-dave@evil.com,,O365_BUSINESS_PREMIUM,-Y",
            "@erin@evil.com,US,O365_BUSINESS_PREMIUM,",
        ])
        .subscriptions(&[
            "Organization,Product,Status,Total,Assigned",
            "=1+2,O365_BUSINESS_PREMIUM,Active,4,4",
            "=1+2,SPB,Active,5,0",
            "=1+2,O365_BUSINESS,Active,5,0",
            "=1+2,@SUM(1),Active,1,1",
        ])
        .plan(&[
            "User,From,To,Disable,Organization,Mode",
            "=bob@evil.com,O365_BUSINESS_PREMIUM,SPB,,,replace-all",
            "+carol@evil.com,-weird,SPB,,,",
            "-dave@evil.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "@erin@evil.com,O365_BUSINESS_PREMIUM,O365_BUSINESS,,,",
            "=ghost@evil.com,O365_BUSINESS_PREMIUM,SPB,,,",
        ])
}

#[test]
fn result_csv_escapes_every_formula_cell() {
    let run = hostile().run(&[]);
    run.assert_exit(1);
    let result = run.result();
    assert_no_formula(result);
    result.assert_rows(
        &["user", "organization", "from", "status"],
        &[
            &[
                "'=bob@evil.com",
                "'=1+2",
                "O365_BUSINESS_PREMIUM",
                "reassigned",
            ],
            &["'+carol@evil.com", "'=1+2", "'-weird", "error"],
            &["'-dave@evil.com", "'=1+2", "O365_BUSINESS_PREMIUM", "error"],
            &[
                "'@erin@evil.com",
                "'=1+2",
                "O365_BUSINESS_PREMIUM",
                "reassigned",
            ],
            &["'=ghost@evil.com", "", "O365_BUSINESS_PREMIUM", "error"],
        ],
    );
    let bob = run.user("'=bob@evil.com");
    bob.check(&[("licenses_before", "O365_BUSINESS_PREMIUM+@SUM(1)")]);
    let dave = run.user("'-dave@evil.com");
    dave.check(&[("disabled_plans", "'-Y")]);
}

#[test]
fn result_csv_escapes_licenses_and_disabled_plans_as_written() {
    // An error row keeps the user's cells as they are, unknown texts included.
    let run = hostile()
        .plan(&["User,From,To", "=bob@evil.com,@SUM(1),SPB"])
        .run(&[]);
    run.assert_exit(1);
    assert_no_formula(run.result());
    run.user("'=bob@evil.com").check(&[
        ("from", "'@SUM(1)"),
        ("status", "error"),
        ("disabled_plans", "'=BAD_PLAN;+X"),
    ]);
    let run = hostile()
        .users(&[
            "User principal name,Usage location,Licenses,Disabled plans",
            "=bob@evil.com,US,@SUM(1)+O365_BUSINESS_PREMIUM,",
        ])
        .plan(&["User,From,To", "=bob@evil.com,-weird,SPB"])
        .run(&[]);
    assert_no_formula(run.result());
    run.user("'=bob@evil.com").check(&[
        ("licenses_before", "'@SUM(1)+O365_BUSINESS_PREMIUM"),
        ("licenses_after", "'@SUM(1)+O365_BUSINESS_PREMIUM"),
    ]);
}

#[test]
fn subscription_actions_csv_escapes_every_formula_cell() {
    let run = hostile().run(&[]);
    let actions = run.actions();
    assert_no_formula(actions);
    assert!(actions.len() >= 3, "{}", actions.text);
    assert!(
        actions.column("organization").iter().all(|o| *o == "'=1+2"),
        "{}",
        actions.text
    );
    // bob's replace-all drops the unknown `@SUM(1)` license: its pool is listed.
    run.action("'=1+2", "'@SUM(1)")
        .check(&[("assigned_after", "0")]);
}

#[test]
fn backup_csv_escapes_every_formula_cell() {
    // erin moves to Apps for business and loses her mailbox.
    let run = hostile().run(&[]);
    let backup = run.backup();
    assert_no_formula(backup);
    backup.assert_rows(
        &["user", "organization", "from", "to"],
        &[&[
            "'@erin@evil.com",
            "'=1+2",
            "O365_BUSINESS_PREMIUM",
            "O365_BUSINESS",
        ]],
    );
}

#[test]
fn summary_json_keeps_names_as_they_are() {
    // JSON is not opened as a spreadsheet: names are data, written unchanged.
    let run = hostile().run(&[]);
    let summary = run.summary();
    assert!(summary["organizations"]["=1+2"].is_object(), "{summary}");
}

#[test]
fn the_escape_covers_tab_and_carriage_return() {
    // Input cells are trimmed, so a leading tab or carriage return cannot reach an
    // output cell through the binary; the escape itself covers them.
    use replan::output::escape;
    for cell in ["=1", "+1", "-1", "@A1", "\tx", "\rx"] {
        assert_eq!(escape(cell), format!("'{cell}"));
    }
    for cell in ["", "a=1", " =1", "'=1", "1-2", "é"] {
        assert_eq!(escape(cell), cell);
    }
}

#[test]
fn cells_with_quotes_commas_and_line_breaks_round_trip() {
    let run = Case::new()
        .bytes(
            "users.csv",
            "User principal name,Usage location,Licenses,Disabled plans\n\"a,\"\"b\"\"@contoso.com\",US,O365_BUSINESS_PREMIUM,\"x\ny\"\n",
        )
        .subscriptions(&[
            "Organization,Product,Status,Total,Assigned",
            "contoso.com,O365_BUSINESS_PREMIUM,Active,1,1",
        ])
        .plan(&["User,From,To", "*,O365_BUSINESS_PREMIUM,SPB"])
        .run(&[]);
    run.assert_exit(1);
    run.user("a,\"b\"@contoso.com")
        .check(&[("disabled_plans", "x\ny")]);
}
