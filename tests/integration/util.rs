//! The test harness: a fresh folder per test, input files written from string
//! literals, the real `replan` binary run on them, and its output files read back as
//! rows, with failures that show the expected and actual values side by side.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The binary under test.
pub const REPLAN: &str = env!("CARGO_BIN_EXE_replan");

/// One test's folder: inputs in `in/`, outputs in `out/`.
pub struct Case {
    dir: TempDir,
}

impl Default for Case {
    fn default() -> Self {
        Case::new()
    }
}

impl Case {
    pub fn new() -> Case {
        let dir = tempfile::Builder::new()
            .prefix("replan-test-")
            .tempdir()
            .unwrap();
        fs::create_dir(dir.path().join("in")).unwrap();
        Case { dir }
    }

    /// The folder of the test (the working directory of the binary).
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// The input folder, given to the binary as `DIR`.
    pub fn input(&self) -> PathBuf {
        self.root().join("in")
    }

    /// The output folder given to `run` as `--out`.
    pub fn out(&self) -> PathBuf {
        self.root().join("out")
    }

    /// Writes `in/name` with these lines, each ended by `\n`.
    pub fn lines(self, name: &str, lines: &[&str]) -> Case {
        let mut text = String::new();
        for line in lines {
            text.push_str(line);
            text.push('\n');
        }
        self.bytes(name, text)
    }

    /// Writes `in/name` byte for byte.
    pub fn bytes(self, name: &str, bytes: impl AsRef<[u8]>) -> Case {
        fs::write(self.input().join(name), bytes).unwrap();
        self
    }

    pub fn users(self, lines: &[&str]) -> Case {
        self.lines("users.csv", lines)
    }

    pub fn subscriptions(self, lines: &[&str]) -> Case {
        self.lines("subscriptions.csv", lines)
    }

    pub fn plan(self, lines: &[&str]) -> Case {
        self.lines("plan.csv", lines)
    }

    pub fn domains(self, lines: &[&str]) -> Case {
        self.lines("domains.csv", lines)
    }

    /// `replan run in --out out --quiet ARGS`.
    pub fn run(&self, args: &[&str]) -> Outcome {
        let (input, out) = (self.input(), self.out());
        let mut all = vec!["run", path(&input), "--out", path(&out), "--quiet"];
        all.extend_from_slice(args);
        self.exec(&all)
    }

    /// `replan check in --quiet ARGS`.
    pub fn check(&self, args: &[&str]) -> Outcome {
        let input = self.input();
        let mut all = vec!["check", path(&input), "--quiet"];
        all.extend_from_slice(args);
        self.exec(&all)
    }

    /// Runs the binary with exactly these arguments, in the test's folder, and reads
    /// back whatever it wrote into `out/`.
    pub fn exec(&self, args: &[&str]) -> Outcome {
        self.exec_in(self.root(), &self.out(), args)
    }

    /// Runs the binary with these arguments in `cwd`, and reads back whatever it
    /// wrote into `out`.
    pub fn exec_in(&self, cwd: &Path, out: &Path, args: &[&str]) -> Outcome {
        self.exec_env(cwd, out, args, &[])
    }

    /// Runs the binary with these arguments and environment variables in `cwd`,
    /// and reads back whatever it wrote into `out`.
    pub fn exec_env(&self, cwd: &Path, out: &Path, args: &[&str], env: &[(&str, &str)]) -> Outcome {
        let mut command = Command::new(REPLAN);
        command
            .args(args)
            .current_dir(cwd)
            .envs(env.iter().copied());
        let output = run_with_timeout(&mut command, args);
        let read = |name: &str| fs::read_to_string(out.join(name)).ok();
        Outcome {
            args: args.iter().map(|a| a.to_string()).collect(),
            code: output.status.code().expect("replan was killed by a signal"),
            stdout: String::from_utf8(output.stdout).expect("stdout is not UTF-8"),
            stderr: String::from_utf8(output.stderr).expect("stderr is not UTF-8"),
            result: read("result.csv").map(|t| Table::parse("result.csv", t)),
            actions: read("subscription-actions.csv")
                .map(|t| Table::parse("subscription-actions.csv", t)),
            backup: read("backup.csv").map(|t| Table::parse("backup.csv", t)),
            summary: read("summary.json"),
            graph: read("graph-requests.jsonl"),
            report: read("report.html"),
        }
    }
}

/// How long one run may take before the test fails (a hang must not stall the suite).
const TIMEOUT: Duration = Duration::from_secs(120);

fn run_with_timeout(command: &mut Command, args: &[&str]) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cannot start the replan binary");
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stdout.read_to_end(&mut buf).map(|_| buf)
    });
    let err = std::thread::spawn(move || {
        let mut buf = Vec::new();
        stderr.read_to_end(&mut buf).map(|_| buf)
    });
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "replan {} did not finish within {TIMEOUT:?}",
                args.join(" ")
            );
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Output {
        status,
        stdout: out.join().unwrap().unwrap(),
        stderr: err.join().unwrap().unwrap(),
    }
}

fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// What one run of the binary did.
pub struct Outcome {
    pub args: Vec<String>,
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    result: Option<Table>,
    actions: Option<Table>,
    backup: Option<Table>,
    summary: Option<String>,
    graph: Option<String>,
    report: Option<String>,
}

impl Outcome {
    /// How the run went, for failure messages.
    pub fn describe(&self) -> String {
        format!(
            "replan {}\nexit code: {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.args.join(" "),
            self.code,
            self.stdout,
            self.stderr
        )
    }

    #[track_caller]
    pub fn assert_exit(&self, code: i32) -> &Outcome {
        assert_eq!(self.code, code, "unexpected exit code\n{}", self.describe());
        self
    }

    #[track_caller]
    fn file<'a, T>(&'a self, name: &str, file: &'a Option<T>) -> &'a T {
        match file {
            Some(f) => f,
            None => panic!("{name} was not written\n{}", self.describe()),
        }
    }

    #[track_caller]
    pub fn result(&self) -> &Table {
        self.file("result.csv", &self.result)
    }

    #[track_caller]
    pub fn actions(&self) -> &Table {
        self.file("subscription-actions.csv", &self.actions)
    }

    #[track_caller]
    pub fn backup(&self) -> &Table {
        self.file("backup.csv", &self.backup)
    }

    /// summary.json, parsed.
    #[track_caller]
    pub fn summary(&self) -> serde_json::Value {
        let text = self.file("summary.json", &self.summary);
        serde_json::from_str(text).unwrap_or_else(|e| panic!("summary.json: {e}\n{text}"))
    }

    /// graph-requests.jsonl as written: its text, every line ended by `\n`.
    #[track_caller]
    pub fn graph_text(&self) -> &str {
        self.file("graph-requests.jsonl", &self.graph).as_str()
    }

    /// graph-requests.jsonl's lines, each parsed by serde_json (which it must be).
    #[track_caller]
    pub fn graph(&self) -> Vec<serde_json::Value> {
        let text = self.graph_text();
        assert!(
            text.is_empty() || text.ends_with('\n'),
            "graph-requests.jsonl must end each line with \\n:\n{text}"
        );
        text.lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("graph-requests.jsonl: {e}\n{line}"))
            })
            .collect()
    }

    /// The request of result.csv line `line`, if graph-requests.jsonl has one.
    #[track_caller]
    pub fn request(&self, line: u64) -> Option<serde_json::Value> {
        let found: Vec<serde_json::Value> = self
            .graph()
            .into_iter()
            .filter(|r| r["line"] == line)
            .collect();
        assert!(found.len() <= 1, "two requests for line {line}: {found:?}");
        found.into_iter().next()
    }

    /// report.html, as written.
    #[track_caller]
    pub fn report(&self) -> &str {
        self.file("report.html", &self.report).as_str()
    }

    /// The result row of `user` (as spelled in result.csv).
    #[track_caller]
    pub fn user(&self, user: &str) -> Row<'_> {
        self.result().row(&[("user", user)])
    }

    /// The subscription-actions.csv row of one pool.
    #[track_caller]
    pub fn action(&self, organization: &str, product: &str) -> Row<'_> {
        self.actions()
            .row(&[("organization", organization), ("product", product)])
    }

    /// backup.csv has its header and no row.
    #[track_caller]
    pub fn assert_no_backup(&self) {
        let backup = self.backup();
        assert_eq!(
            backup.header,
            ["user", "organization", "from", "to", "services"]
        );
        assert_eq!(
            backup.len(),
            0,
            "backup.csv should have no row:\n{}",
            backup.text
        );
    }

    /// Whether `out/` exists at all.
    pub fn wrote_nothing(&self) -> bool {
        self.result.is_none()
            && self.actions.is_none()
            && self.backup.is_none()
            && self.summary.is_none()
            && self.graph.is_none()
            && self.report.is_none()
    }
}

/// An output CSV file: its header and rows, and its text for failure messages.
pub struct Table {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
    pub text: String,
}

impl Table {
    pub fn parse(name: &str, text: String) -> Table {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut records = reader
            .records()
            .map(|r| r.unwrap_or_else(|e| panic!("{name} is not valid CSV: {e}\n{text}")))
            .map(|r| r.iter().map(str::to_string).collect::<Vec<String>>());
        let header = records
            .next()
            .unwrap_or_else(|| panic!("{name} has no header"));
        let rows: Vec<Vec<String>> = records.collect();
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(
                row.len(),
                header.len(),
                "{name} row {} has another width than its header\n{text}",
                i + 1
            );
        }
        Table {
            name: name.to_string(),
            header,
            rows,
            text,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    #[track_caller]
    pub fn col(&self, name: &str) -> usize {
        self.header
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| {
                panic!(
                    "{} has no column `{name}`; header: {:?}",
                    self.name, self.header
                )
            })
    }

    /// Every value of one column, in file order.
    #[track_caller]
    pub fn column(&self, name: &str) -> Vec<&str> {
        let c = self.col(name);
        self.rows.iter().map(|r| r[c].as_str()).collect()
    }

    /// The one row whose columns have these values.
    #[track_caller]
    pub fn row(&self, key: &[(&str, &str)]) -> Row<'_> {
        let cols: Vec<(usize, &str)> = key.iter().map(|(c, v)| (self.col(c), *v)).collect();
        let found: Vec<usize> = (0..self.rows.len())
            .filter(|&i| cols.iter().all(|&(c, v)| self.rows[i][c] == v))
            .collect();
        match found.as_slice() {
            [i] => Row {
                table: self,
                index: *i,
            },
            _ => panic!(
                "{}: expected exactly one row with {key:?}, found {}\n{}",
                self.name,
                found.len(),
                self.text
            ),
        }
    }

    /// Compares the file, restricted to `cols`, with `expected`, row by row.
    #[track_caller]
    pub fn assert_rows(&self, cols: &[&str], expected: &[&[&str]]) {
        let idx: Vec<usize> = cols.iter().map(|c| self.col(c)).collect();
        let actual: Vec<Vec<&str>> = self
            .rows
            .iter()
            .map(|r| idx.iter().map(|&i| r[i].as_str()).collect())
            .collect();
        let expected: Vec<Vec<&str>> = expected.iter().map(|r| r.to_vec()).collect();
        if actual != expected {
            panic!(
                "{} differs in columns {cols:?}\n{}\nwhole file:\n{}",
                self.name,
                diff(&expected, &actual),
                self.text
            );
        }
    }
}

/// A line-by-line comparison: `  ` same, `- ` expected only, `+ ` actual only.
fn diff(expected: &[Vec<&str>], actual: &[Vec<&str>]) -> String {
    let mut s = String::from("(- expected, + actual)\n");
    for i in 0..expected.len().max(actual.len()) {
        match (expected.get(i), actual.get(i)) {
            (Some(e), Some(a)) if e == a => {
                let _ = writeln!(s, "  {}", e.join(" | "));
            }
            (e, a) => {
                if let Some(e) = e {
                    let _ = writeln!(s, "- {}", e.join(" | "));
                }
                if let Some(a) = a {
                    let _ = writeln!(s, "+ {}", a.join(" | "));
                }
            }
        }
    }
    s
}

/// One row of an output CSV file.
pub struct Row<'a> {
    table: &'a Table,
    index: usize,
}

impl Row<'_> {
    #[track_caller]
    pub fn get(&self, col: &str) -> &str {
        &self.table.rows[self.index][self.table.col(col)]
    }

    /// Asserts these columns have these values, listing every mismatch.
    #[track_caller]
    pub fn check(&self, expected: &[(&str, &str)]) -> &Self {
        let mut wrong = String::new();
        for (col, want) in expected {
            let got = self.get(col);
            if got != *want {
                let _ = writeln!(wrong, "  {col}: expected {want:?}, got {got:?}");
            }
        }
        if !wrong.is_empty() {
            let row = &self.table.rows[self.index];
            let whole: Vec<String> = self
                .table
                .header
                .iter()
                .zip(row)
                .map(|(h, v)| format!("  {h} = {v:?}"))
                .collect();
            panic!(
                "{} row {} differs:\n{wrong}the row:\n{}\nwhole file:\n{}",
                self.table.name,
                self.index + 1,
                whole.join("\n"),
                self.table.text
            );
        }
        self
    }
}

/// The files of a folder, by name.
pub fn files_in(dir: &Path) -> BTreeSet<String> {
    match fs::read_dir(dir) {
        Ok(entries) => entries
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect(),
        Err(_) => BTreeSet::new(),
    }
}

/// The files `run` writes.
pub const OUTPUTS: [&str; 6] = [
    "backup.csv",
    "graph-requests.jsonl",
    "report.html",
    "result.csv",
    "subscription-actions.csv",
    "summary.json",
];

/// The result.csv columns a rule decides (all but the message).
pub const RESULT_COLS: [&str; 9] = [
    "user",
    "organization",
    "from",
    "to",
    "status",
    "codes",
    "licenses_before",
    "licenses_after",
    "disabled_plans",
];

/// The columns of subscription-actions.csv but `reason`.
pub const ACTION_COLS: [&str; 8] = [
    "organization",
    "product",
    "action",
    "total",
    "assigned_before",
    "assigned_after",
    "licenses_to_remove",
    "licenses_to_buy",
];

/// The usual subscriptions.csv header.
pub const SUBS: &str = "Organization,Product,Status,Total,Assigned";
/// The usual users.csv header.
pub const USERS: &str =
    "User principal name,Usage location,Block credential,Licenses,Disabled plans,Group licenses";
/// The plan.csv header with every column.
pub const PLAN: &str = "User,From,To,Disable,Organization,Mode";

/// Asserts that every figure of subscription-actions.csv, backup.csv and
/// summary.json agrees with result.csv.
#[track_caller]
pub fn assert_consistent(out: &Outcome) {
    use serde_json::Value;
    use std::collections::BTreeMap;

    let result = out.result();
    let summary = out.summary();
    let (user, org, from, to, status, codes, before, after) = (
        result.col("user"),
        result.col("organization"),
        result.col("from"),
        result.col("to"),
        result.col("status"),
        result.col("codes"),
        result.col("licenses_before"),
        result.col("licenses_after"),
    );
    let count = |v: &Value| v.as_u64().unwrap_or(0);
    assert_eq!(
        count(&summary["planned"]),
        result.len() as u64,
        "summary planned vs result.csv rows"
    );
    let mut statuses: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    let mut code_counts: BTreeMap<&str, u64> = BTreeMap::new();
    for row in &result.rows {
        *statuses
            .entry(row[org].as_str())
            .or_default()
            .entry(row[status].as_str())
            .or_default() += 1;
        *statuses
            .entry("\0all")
            .or_default()
            .entry(row[status].as_str())
            .or_default() += 1;
        for code in row[codes].split(';').filter(|c| !c.is_empty()) {
            *code_counts.entry(code).or_default() += 1;
        }
    }
    for s in ["reassigned", "unchanged", "error"] {
        let all = statuses
            .get("\0all")
            .and_then(|m| m.get(s))
            .copied()
            .unwrap_or(0);
        assert_eq!(count(&summary["status"][s]), all, "summary status {s}");
    }
    let summary_codes: BTreeMap<&str, u64> = summary["codes"]
        .as_object()
        .expect("summary codes is an object")
        .iter()
        .map(|(k, v)| (k.as_str(), count(v)))
        .filter(|(_, n)| *n > 0)
        .collect();
    assert_eq!(
        summary_codes, code_counts,
        "summary codes vs result.csv codes"
    );
    let organizations = summary["organizations"]
        .as_object()
        .expect("organizations is an object");
    let listed: BTreeSet<&str> = statuses.keys().copied().filter(|k| *k != "\0all").collect();
    assert_eq!(
        organizations
            .keys()
            .map(String::as_str)
            .collect::<BTreeSet<_>>(),
        listed,
        "summary organizations"
    );
    for (name, counts) in organizations {
        for s in ["reassigned", "unchanged", "error"] {
            let n = statuses[name.as_str()].get(s).copied().unwrap_or(0);
            assert_eq!(count(&counts[s]), n, "summary organizations[{name:?}].{s}");
        }
    }
    let actions = out.actions();
    for kind in [
        "buy-licenses",
        "cancel-subscription",
        "remove-licenses",
        "keep",
    ] {
        let n = actions
            .column("action")
            .iter()
            .filter(|a| **a == kind)
            .count() as u64;
        assert_eq!(
            count(&summary["actions"][kind]),
            n,
            "summary actions {kind}"
        );
    }
    let has = |licenses: &str, product: &str| licenses.split('+').any(|l| l == product);
    let number = |row: &[String], col: &str| -> i64 {
        row[actions.col(col)]
            .parse()
            .unwrap_or_else(|_| panic!("{col} is not a number: {row:?}"))
    };
    for row in &actions.rows {
        let (o, p) = (
            &row[actions.col("organization")],
            &row[actions.col("product")],
        );
        let mine = || result.rows.iter().filter(|r| &r[org] == o);
        let reassigned = || mine().filter(|r| r[status] == "reassigned");
        let freed = reassigned()
            .filter(|r| has(&r[before], p) && !has(&r[after], p))
            .count() as i64;
        let moved = reassigned()
            .filter(|r| !has(&r[before], p) && has(&r[after], p))
            .count() as i64;
        let blocked = mine()
            .filter(|r| &r[to] == p && r[codes].split(';').any(|c| c == "not-enough-licenses"))
            .count();
        let (total, assigned_before, assigned_after) = (
            number(row, "total"),
            number(row, "assigned_before"),
            number(row, "assigned_after"),
        );
        let (remove, buy) = (
            number(row, "licenses_to_remove"),
            number(row, "licenses_to_buy"),
        );
        let what = format!("pool {o} {p}: {row:?}\n{}\n{}", actions.text, result.text);
        assert_eq!(
            assigned_after,
            (assigned_before - freed + moved).max(0),
            "assigned_after = before - freed + moved in; {what}"
        );
        match row[actions.col("action")].as_str() {
            "buy-licenses" => assert!(buy > 0 && remove == 0 && blocked > 0, "{what}"),
            "cancel-subscription" => {
                assert!(
                    assigned_after == 0 && remove == total && buy == 0 && freed > 0 && blocked == 0,
                    "{what}"
                )
            }
            "remove-licenses" => {
                assert!(
                    remove == total - assigned_after && remove > 0 && buy == 0 && blocked == 0,
                    "{what}"
                )
            }
            "keep" => assert!(remove == 0 && buy == 0 && blocked == 0, "{what}"),
            other => panic!("unknown action {other}: {what}"),
        }
    }
    let downgraded: Vec<Vec<&str>> = result
        .rows
        .iter()
        .filter(|r| {
            r[codes]
                .split(';')
                .any(|c| c == "downgrade-backup-required")
        })
        .map(|r| {
            vec![
                r[user].as_str(),
                r[org].as_str(),
                r[from].as_str(),
                r[to].as_str(),
            ]
        })
        .collect();
    assert_graph_consistent(out);
    let backup = out.backup();
    let listed: Vec<Vec<&str>> = backup
        .rows
        .iter()
        .map(|r| {
            ["user", "organization", "from", "to"]
                .iter()
                .map(|c| r[backup.col(c)].as_str())
                .collect()
        })
        .collect();
    assert_eq!(
        listed, downgraded,
        "backup.csv lists the downgrade-backup-required rows, in result order"
    );
}

/// graph-requests.jsonl and summary.json's `graph` agree with result.csv: each
/// line names a reassigned row (its line, user and organization as they are), in
/// result.csv order, with every key of SPEC.md in order; reassigned rows with
/// neither a line nor a place in `skipped` are those whose licenses stay the same.
#[track_caller]
pub fn assert_graph_consistent(out: &Outcome) {
    use serde_json::Value;
    use std::collections::BTreeMap;

    let result = out.result();
    let summary = out.summary();
    let requests = out.graph();
    let (user, org, status) = (
        result.col("user"),
        result.col("organization"),
        result.col("status"),
    );
    // A cell's text as written before formula escaping.
    let unescaped = |cell: &str| -> String {
        match cell.strip_prefix('\'') {
            Some(rest) if rest.starts_with(['=', '+', '-', '@', '\t', '\r']) => rest.to_string(),
            _ => cell.to_string(),
        }
    };
    let keys = [
        "line",
        "organization",
        "user",
        "method",
        "url",
        "body",
        "before",
        "after",
    ];
    let mut per_org: BTreeMap<String, u64> = BTreeMap::new();
    let mut last = 1;
    for (text, request) in out.graph_text().lines().zip(&requests) {
        let order: Vec<usize> = keys
            .iter()
            .map(|k| {
                text.find(&format!("\"{k}\":"))
                    .unwrap_or_else(|| panic!("no key {k}: {text}"))
            })
            .collect();
        assert!(order.is_sorted(), "keys out of order: {text}");
        assert_eq!(request.as_object().unwrap().len(), keys.len(), "{text}");
        let line = request["line"].as_u64().expect("line is a number");
        assert!(line > last, "lines out of result.csv order: {text}");
        last = line;
        let row = &result.rows[line as usize - 2];
        assert_eq!(
            row[status], "reassigned",
            "a request for a row not reassigned: {text}"
        );
        assert_eq!(
            request["user"],
            Value::from(unescaped(&row[user])),
            "{text}"
        );
        assert_eq!(
            request["organization"],
            Value::from(unescaped(&row[org])),
            "{text}"
        );
        assert_eq!(request["method"], "POST", "{text}");
        let url = request["url"].as_str().expect("url is a text");
        assert!(
            url.starts_with("/users") && url.ends_with("/assignLicense"),
            "{text}"
        );
        let body = &request["body"];
        assert_eq!(body.as_object().unwrap().len(), 2, "{text}");
        let (add, remove) = (
            body["addLicenses"].as_array().expect("addLicenses"),
            body["removeLicenses"].as_array().expect("removeLicenses"),
        );
        assert!(
            !(add.is_empty() && remove.is_empty()),
            "an empty request: {text}"
        );
        for a in add {
            assert_eq!(a.as_object().unwrap().len(), 2, "{text}");
            assert!(
                a["skuId"].is_string() && a["disabledPlans"].is_array(),
                "{text}"
            );
        }
        *per_org.entry(unescaped(&row[org])).or_default() += 1;
    }
    let graph = &summary["graph"];
    assert_eq!(
        graph["requests"],
        requests.len() as u64,
        "summary graph.requests"
    );
    let organizations: BTreeMap<String, u64> = graph["organizations"]
        .as_object()
        .expect("graph.organizations is an object")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
        .collect();
    assert_eq!(organizations, per_org, "summary graph.organizations");
    let requested: BTreeSet<u64> = requests
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    for line in graph["skipped"]
        .as_array()
        .expect("graph.skipped is a list")
    {
        let line = line.as_u64().expect("a line number");
        assert!(
            !requested.contains(&line),
            "line {line} both requested and skipped"
        );
        assert_eq!(
            result.rows[line as usize - 2][status],
            "reassigned",
            "skipped line {line}"
        );
    }
}

/// The text of the first fenced block of `lang` (```` ```lang ````) that follows
/// the text `after` in `text`.
#[track_caller]
pub fn fenced<'a>(text: &'a str, after: &str, lang: &str) -> &'a str {
    let start = text.find(after).unwrap_or_else(|| panic!("no {after:?}"));
    let text = &text[start..];
    let fence = format!("```{lang}\n");
    let open = text
        .find(&fence)
        .unwrap_or_else(|| panic!("no ```{lang} block after {after:?}"))
        + fence.len();
    let close = text[open..].find("```").expect("the end of the block");
    &text[open..open + close]
}

/// A file of the repository, as text.
#[track_caller]
pub fn repository_file(path: &str) -> String {
    fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(path))
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}
