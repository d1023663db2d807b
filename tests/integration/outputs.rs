//! SPEC.md "Outputs" and "Command line": the files and their format, formula
//! escaping, summary.json and --json, exit codes, `check`, the output folder, and
//! identical bytes whatever the thread count.

use std::fs;

use serde_json::json;

use crate::util::{Case, OUTPUTS, PLAN, SUBS, USERS, assert_consistent, files_in};

/// A small tenant with one reassigned user, one error and one unchanged.
fn mixed() -> Case {
    Case::new()
        .users(&[
            USERS,
            "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "",
            "isaiah@contoso.com,,,O365_BUSINESS_PREMIUM,,",
            ",,,,,",
            "johanna@contoso.com,US,,SPB,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,SPB,Active,5,1",
        ])
        .plan(&[
            PLAN,
            "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "isaiah@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "johanna@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
            "pradeep@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
        ])
}

#[test]
fn output_files_are_utf8_without_bom_with_newline_line_ends_and_the_spec_headers() {
    let case = mixed();
    case.run(&[]).assert_exit(1);
    let headers = [
        (
            "result.csv",
            "user,organization,from,to,status,codes,licenses_before,licenses_after,disabled_plans,message",
        ),
        (
            "subscription-actions.csv",
            "organization,product,action,total,assigned_before,assigned_after,licenses_to_remove,licenses_to_buy,reason",
        ),
        ("backup.csv", "user,organization,from,to,services"),
    ];
    for (name, header) in headers {
        let bytes = fs::read(case.out().join(name)).unwrap();
        let text = String::from_utf8(bytes).unwrap_or_else(|_| panic!("{name} is not UTF-8"));
        assert!(!text.starts_with('\u{feff}'), "{name} starts with a BOM");
        assert!(!text.contains('\r'), "{name} has \\r line ends");
        assert!(text.ends_with('\n'), "{name} does not end with a line end");
        assert_eq!(text.lines().next(), Some(header), "{name} header");
    }
    let summary = fs::read_to_string(case.out().join("summary.json")).unwrap();
    assert!(!summary.starts_with('\u{feff}') && !summary.contains('\r'));
}

#[test]
fn summary_json_has_every_field() {
    let case = mixed();
    let out = case.run(&[]);
    out.assert_exit(1);
    let summary = out.summary();
    assert_eq!(summary["version"], env!("CARGO_PKG_VERSION"));
    // Blank rows (spreadsheet residue) are not data rows.
    assert_eq!(summary["inputs"]["users"], 3);
    assert_eq!(summary["inputs"]["subscriptions"], 2);
    assert_eq!(summary["inputs"]["plan"], 4);
    assert_eq!(summary["planned"], 4);
    assert_eq!(
        summary["status"],
        json!({"reassigned": 1, "unchanged": 1, "error": 2})
    );
    assert_eq!(
        summary["codes"],
        json!({"user-not-found": 1, "missing-usage-location": 1})
    );
    assert_eq!(
        summary["organizations"],
        json!({
            "contoso.com": {"reassigned": 1, "unchanged": 1, "error": 1},
            "": {"reassigned": 0, "unchanged": 0, "error": 1},
        })
    );
    assert_eq!(
        summary["actions"],
        json!({"buy-licenses": 0, "cancel-subscription": 0, "remove-licenses": 1, "keep": 1})
    );
    assert_eq!(summary["unmatched_plan_rows"], json!([]));
    assert!(
        summary["elapsed_ms"].is_u64(),
        "elapsed_ms: {}",
        summary["elapsed_ms"]
    );
    assert_consistent(&out);
}

#[test]
fn summary_json_counts_domains_rows_when_given() {
    let out = mixed()
        .domains(&[
            "Organization,Domain",
            "contoso.com,contoso.com",
            "contoso.com,contoso.onmicrosoft.com",
        ])
        .run(&[]);
    assert_eq!(out.summary()["inputs"]["domains"], 2);
}

#[test]
fn json_prints_the_summary_on_stdout() {
    let case = mixed();
    let out = case.run(&["--json"]);
    out.assert_exit(1);
    let mut printed: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", out.stdout));
    let mut written = out.summary();
    printed["elapsed_ms"] = json!(0);
    written["elapsed_ms"] = json!(0);
    assert_eq!(printed, written);
    // `check --json` prints the same summary.
    let check = case.check(&["--json"]);
    let mut checked: serde_json::Value =
        serde_json::from_str(&check.stdout).expect("check --json prints JSON");
    checked["elapsed_ms"] = json!(0);
    // Its audit trail is its own: another command, and no output written.
    let audit = checked["audit"].take();
    assert_eq!(audit["command"][1], "check");
    assert_eq!(audit["outputs"], json!({}));
    assert_eq!(audit["inputs"], written["audit"]["inputs"]);
    written["audit"] = json!(null);
    assert_eq!(checked, written);
    // Without --json, stdout is text.
    assert!(serde_json::from_str::<serde_json::Value>(&case.run(&[]).stdout).is_err());
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let case = Case::new()
        .users(&[USERS, "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"]);
    let (input, out) = (case.input(), case.out());
    let run = case.exec(&[
        "run",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    run.assert_exit(0);
    assert_eq!(run.stderr, "", "stderr of a clean run");
    let check = case.exec(&["check", input.to_str().unwrap()]);
    check.assert_exit(0);
    assert_eq!(check.stderr, "");
}

#[test]
fn cells_that_a_spreadsheet_would_run_are_prefixed_with_an_apostrophe() {
    // A user named like a formula who loses data (backup.csv), a user-not-found
    // whose name and message start with `+`, products unknown to the catalog that
    // start with `-` (dropped by replace-all: listed in subscription-actions.csv)
    // and `@` (an unknown To).
    let out = Case::new()
        .users(&[
            USERS,
            "=cmd@contoso.com,US,,O365_BUSINESS_PREMIUM+-TRIAL,,",
            "bob@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,2",
            "contoso.com,O365_BUSINESS,Active,5,0",
            "contoso.com,-TRIAL,Active,5,1",
        ])
        .plan(&[
            PLAN,
            "=cmd@contoso.com,O365_BUSINESS_PREMIUM,O365_BUSINESS,,,replace-all",
            "+sum@contoso.com,O365_BUSINESS_PREMIUM,O365_BUSINESS,,,",
            "bob@contoso.com,O365_BUSINESS_PREMIUM,@NEW,,,",
        ])
        .run(&[]);
    out.assert_exit(1);
    out.result().assert_rows(
        &[
            "user",
            "to",
            "status",
            "codes",
            "licenses_before",
            "licenses_after",
        ],
        &[
            &[
                "'=cmd@contoso.com",
                "O365_BUSINESS",
                "reassigned",
                "downgrade-backup-required",
                "O365_BUSINESS_PREMIUM+-TRIAL",
                "O365_BUSINESS",
            ],
            &[
                "'+sum@contoso.com",
                "O365_BUSINESS",
                "error",
                "user-not-found",
                "",
                "",
            ],
            &[
                "bob@contoso.com",
                "'@NEW",
                "error",
                "unknown-product",
                "O365_BUSINESS_PREMIUM",
                "O365_BUSINESS_PREMIUM",
            ],
        ],
    );
    assert!(
        out.user("'+sum@contoso.com")
            .get("message")
            .contains("+sum@contoso.com")
    );
    out.backup()
        .assert_rows(&["user", "to"], &[&["'=cmd@contoso.com", "O365_BUSINESS"]]);
    out.actions().assert_rows(
        &["product", "action"],
        &[
            &["'-TRIAL", "cancel-subscription"],
            &["O365_BUSINESS", "remove-licenses"],
            &["O365_BUSINESS_PREMIUM", "remove-licenses"],
        ],
    );
    // JSON is not a spreadsheet: summary.json keeps names as they are.
    assert_eq!(out.summary()["codes"]["user-not-found"], 1);
}

#[test]
fn exit_codes_zero_one_and_strict() {
    let ok = Case::new()
        .users(&[
            USERS,
            "adele@contoso.com,US,,O365_BUSINESS_PREMIUM,,",
            "johanna@contoso.com,US,,SPB,,",
        ])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,1",
        ])
        .plan(&[
            PLAN,
            "*,O365_BUSINESS_PREMIUM,SPB,,,",
            "johanna@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,",
        ]);
    // Reassigned and already done: 0, with or without --strict.
    ok.run(&[]).assert_exit(0);
    ok.run(&["--strict"]).assert_exit(0);
    ok.check(&[]).assert_exit(0);
    ok.check(&["--strict"]).assert_exit(0);
    let warned = Case::new()
        .users(&[USERS, "adele@contoso.com,US,yes,O365_BUSINESS_PREMIUM,,"])
        .subscriptions(&[
            SUBS,
            "contoso.com,O365_BUSINESS_PREMIUM,Active,5,1",
            "contoso.com,SPB,Active,5,0",
        ])
        .plan(&[PLAN, "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"]);
    // A warning: 0, but 1 with --strict (and the outputs are still written).
    warned.run(&[]).assert_exit(0);
    let strict = warned.run(&["--strict"]);
    strict.assert_exit(1);
    strict
        .user("adele@contoso.com")
        .check(&[("status", "reassigned"), ("codes", "sign-in-blocked")]);
    warned.check(&["--strict"]).assert_exit(1);
    // An error: 1, outputs written.
    let failed = mixed().run(&[]);
    failed.assert_exit(1);
    assert_eq!(failed.result().len(), 4);
}

#[test]
fn check_writes_nothing_and_exits_like_run() {
    let case = mixed();
    let check = case.check(&[]);
    check.assert_exit(1);
    assert_eq!(
        files_in(case.root()),
        ["in".to_string()].into(),
        "check created files"
    );
    assert_eq!(
        files_in(&case.input()),
        ["plan.csv", "subscriptions.csv", "users.csv"]
            .map(String::from)
            .into()
    );
    // It prints the findings.
    assert!(
        check.stdout.contains("missing-usage-location"),
        "{}",
        check.stdout
    );
    assert!(check.stdout.contains("user-not-found"), "{}", check.stdout);
    let run = case.run(&[]);
    assert_eq!(run.code, check.code);
}

#[test]
fn dir_defaults_to_the_current_directory_and_out_to_replan_out() {
    let case = mixed();
    let input = case.input();
    let out = input.join("replan-out");
    let run = case.exec_in(&input, &out, &["run", "--quiet"]);
    run.assert_exit(1);
    assert_eq!(run.result().len(), 4);
    assert_eq!(files_in(&out), OUTPUTS.map(String::from).into());
}

#[test]
fn a_flag_names_an_input_file_and_wins_over_dir() {
    let case = mixed().lines(
        "other-plan.csv",
        &[PLAN, "adele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,"],
    );
    let plan = case.input().join("other-plan.csv");
    let out = case.run(&["--plan", plan.to_str().unwrap()]);
    out.assert_exit(0);
    out.result()
        .assert_rows(&["user", "status"], &[&["adele@contoso.com", "reassigned"]]);
}

#[test]
fn outputs_are_replaced_and_other_files_in_out_left_alone() {
    let case = mixed();
    fs::create_dir(case.out()).unwrap();
    fs::write(case.out().join("result.csv"), "old results\n").unwrap();
    fs::write(case.out().join("backup.csv"), "old backup\n").unwrap();
    fs::write(case.out().join("notes.txt"), "mine\n").unwrap();
    let out = case.run(&[]);
    out.assert_exit(1);
    assert_eq!(out.result().len(), 4);
    assert_eq!(out.backup().len(), 0);
    assert_eq!(
        fs::read_to_string(case.out().join("notes.txt")).unwrap(),
        "mine\n"
    );
    // Nothing else is left behind (no temporary files).
    let mut expected: std::collections::BTreeSet<String> = OUTPUTS.map(String::from).into();
    expected.insert("notes.txt".into());
    assert_eq!(files_in(&case.out()), expected);
}

#[test]
fn inputs_are_never_overwritten() {
    // The plan is kept in the output folder under an output's name.
    let case = mixed();
    fs::create_dir(case.out()).unwrap();
    let plan = case.out().join("result.csv");
    let text = format!("{PLAN}\nadele@contoso.com,O365_BUSINESS_PREMIUM,SPB,,,\n");
    fs::write(&plan, &text).unwrap();
    // An invocation that would overwrite its input is unusable: exit 2, nothing written.
    let out = case.run(&["--plan", plan.to_str().unwrap()]);
    out.assert_exit(2);
    assert!(out.stderr.contains("result.csv"), "{}", out.describe());
    assert_eq!(
        fs::read_to_string(&plan).unwrap(),
        text,
        "the input was overwritten"
    );
    assert_eq!(files_in(&case.out()), ["result.csv".to_string()].into());
}

/// users.csv, subscriptions.csv and plan.csv of a generated tenant: `n` users over
/// three organizations (and a few of an unknown domain), with every kind of outcome.
fn generated(n: usize) -> Case {
    let orgs = ["contoso.com", "fabrikam.com", "tailspin.com"];
    let licenses = [
        "O365_BUSINESS_PREMIUM",
        "O365_BUSINESS_PREMIUM+VISIOCLIENT",
        "ENTERPRISEPACK+EMS",
        "SPB",
        "O365_BUSINESS_ESSENTIALS",
        "ENTERPRISEPACK+CONTOSO_TRIAL",
    ];
    let mut users = vec![USERS.to_string()];
    let mut held: std::collections::BTreeMap<(&str, &str), u64> = Default::default();
    for i in 0..n {
        let org = if i % 97 == 5 {
            "wingtip.com"
        } else {
            orgs[i % 3]
        };
        let these = licenses[(i / 3) % licenses.len()];
        for product in these.split('+') {
            *held.entry((org, product)).or_default() += 1;
        }
        let location = if i % 31 == 7 { "" } else { "US" };
        let blocked = if i % 17 == 3 { "True" } else { "False" };
        let disabled = if i % 7 == 1 {
            "SWAY;YAMMER_ENTERPRISE"
        } else {
            ""
        };
        let group = match these {
            _ if i % 11 == 2 && these.starts_with("ENTERPRISEPACK") => "ENTERPRISEPACK",
            "ENTERPRISEPACK+EMS" if i % 13 == 4 => "EMS",
            _ => "",
        };
        users.push(format!(
            "user{i:05}@{org},{location},{blocked},{these},{disabled},{group}"
        ));
    }
    let mut subscriptions = vec![SUBS.to_string()];
    for (k, org) in orgs.iter().enumerate() {
        for product in [
            "O365_BUSINESS_PREMIUM",
            "VISIOCLIENT",
            "ENTERPRISEPACK",
            "EMS",
            "SPB",
            "O365_BUSINESS_ESSENTIALS",
            "CONTOSO_TRIAL",
        ] {
            let assigned = held.get(&(*org, product)).copied().unwrap_or(0);
            // SPB has room in Fabrikam only.
            let spare = if product == "SPB" && k == 1 {
                n as u64
            } else {
                3
            };
            subscriptions.push(format!(
                "{org},{product},Active,{},{assigned}",
                assigned + spare
            ));
        }
        // Targets: short in Contoso, roomy elsewhere; E3 inactive in Tailspin.
        let room = if k == 0 { n as u64 / 20 } else { n as u64 };
        let e3 = if k == 2 { "Warning" } else { "Active" };
        subscriptions.push(format!("{org},SPE_E3,{e3},{room},0"));
        subscriptions.push(format!("{org},O365_BUSINESS,Active,{room},0"));
    }
    subscriptions.push(format!("fabrikam.com,SPE_E5,Active,{n},0"));
    let mut plan = vec![PLAN.to_string()];
    plan.push("*,O365_BUSINESS_PREMIUM,SPB,,,".into());
    plan.push("*,ENTERPRISEPACK,SPE_E3,,,replace-all".into());
    plan.push("*,O365_BUSINESS_ESSENTIALS,O365_BUSINESS,,contoso.com,".into());
    plan.push("*,Microsoft 365 Business Basic,O365_BUSINESS,SWAY,fabrikam.com,".into());
    plan.push("*,EXCHANGESTANDARD,SPB,,,".into());
    for i in (0..n).step_by(53) {
        plan.push(format!("user{i:05}@{},SPB,SPE_E5,,,", orgs[i % 3]));
        plan.push(format!("ghost{i:05}@contoso.com,,SPB,,,"));
    }
    fn lines(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    Case::new()
        .users(&lines(&users))
        .subscriptions(&lines(&subscriptions))
        .plan(&lines(&plan))
}

#[test]
fn result_csv_is_byte_identical_whatever_the_thread_count() {
    let case = generated(6000);
    let input = case.input();
    let mut runs = Vec::new();
    for threads in ["1", "2", "3"] {
        let out = case.root().join(format!("out-{threads}"));
        let outcome = case.exec(&[
            "run",
            input.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--threads",
            threads,
        ]);
        outcome.assert_exit(1);
        runs.push(out);
    }
    for name in ["result.csv", "subscription-actions.csv", "backup.csv"] {
        let one = fs::read(runs[0].join(name)).unwrap();
        for other in &runs[1..] {
            assert!(
                one == fs::read(other.join(name)).unwrap(),
                "{name} differs between --threads 1 and {}",
                other.display()
            );
        }
    }
    // The generated tenant exercises every kind of outcome, and the figures agree.
    let two = case.exec(&[
        "run",
        input.to_str().unwrap(),
        "--out",
        case.out().to_str().unwrap(),
        "--quiet",
        "--threads",
        "2",
    ]);
    assert_consistent(&two);
    let summary = two.summary();
    for code in [
        "user-not-found",
        "organization-unknown",
        "source-not-held",
        "group-inherited",
        "downgrade-backup-required",
        "target-other-organization",
        "target-inactive",
        "missing-usage-location",
        "not-enough-licenses",
        "sign-in-blocked",
    ] {
        assert!(
            summary["codes"][code].as_u64().unwrap_or(0) > 0,
            "no {code} in {}",
            summary["codes"]
        );
    }
    assert!(
        summary["status"]["reassigned"].as_u64().unwrap() > 1000,
        "{}",
        summary["status"]
    );
    assert_eq!(summary["unmatched_plan_rows"], json!([6]));
    assert!(
        two.result().len() > 4096,
        "{} rows: not enough to span several parallel chunks",
        two.result().len()
    );
}

/// README "Outputs": graph-requests.jsonl goes straight to the disk, past the
/// page cache, so that a large run does not grow into memory for it. Only its
/// last partial block goes through the cache.
#[cfg(target_os = "linux")]
#[test]
fn graph_requests_are_written_past_the_page_cache() {
    // On a disk beside the build: a tmpfs is the page cache and takes no direct
    // writes.
    let root = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let (input, out) = (root.path().join("in"), root.path().join("out"));
    // Not through `Case`, which reads the outputs back (into the cache).
    let replan = |args: &[&str]| {
        let status = std::process::Command::new(crate::util::REPLAN)
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap();
        status.code()
    };
    let (input, out) = (input.to_str().unwrap(), out.to_str().unwrap());
    let made = ["generate", "--users", "50000", "--organizations", "3"];
    assert_eq!(replan(&[&made[..], &["--out", input]].concat()), Some(0));
    assert_eq!(replan(&["run", input, "--out", out, "--quiet"]), Some(1));
    let path = root.path().join("out").join("graph-requests.jsonl");
    let pages = fs::metadata(&path).unwrap().len().div_ceil(4096);
    let cached = crate::page_cache::cached_pages(&path);
    // 4 MiB blocks, each written direct: at most the tail is cached.
    assert!(pages > 2048, "only {pages} pages");
    assert!(cached <= 1, "{cached} of {pages} pages in the page cache");
}
