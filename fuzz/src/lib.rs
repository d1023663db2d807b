//! What the fuzz targets share: a scratch folder per fuzzing process, the valid
//! tenant (samples/partner) that the reader targets put one fuzzed file into, a
//! small catalog for the pipeline, and the checks made on the outputs.
//!
//! Every target goes through the library's public entry points, as `replan run`
//! does: `input::read` for the readers, `run::process` and `output::write_all`
//! for the pipeline. A panic, or a failed check, is a crash.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use replan::audit::{Invocation, Started};
use replan::catalog::Catalog;
use replan::input::{self, InputPaths};
use replan::output;
use replan::progress::Progress;
use replan::summary::{self, Summary};
use replan::run::{self, Settings};

/// Microsoft's table, as built into the binary.
const TABLE: &[u8] = include_bytes!("../../data/ms-licensing-catalog.csv");

/// The valid tenant.
const USERS: &[u8] = include_bytes!("../../samples/partner/users.csv");
const SUBSCRIPTIONS: &[u8] = include_bytes!("../../samples/partner/subscriptions.csv");
const PLAN: &[u8] = include_bytes!("../../samples/partner/plan.csv");
const DOMAINS: &[u8] = include_bytes!("../../samples/partner/domains.csv");
const PRICES: &[u8] = include_bytes!("../../samples/partner/prices.csv");

/// Separates the files of a pipeline input: users, subscriptions, plan and
/// optionally domains (ASCII record separator).
pub const SEPARATOR: u8 = 0x1e;

/// The products the small catalog keeps: those of the samples and test exports,
/// with the SKUs that share their display names.
const SMALL: &[&str] = &[
    "O365_BUSINESS_PREMIUM",
    "SPB",
    "O365_BUSINESS_ESSENTIALS",
    "SMB_BUSINESS_ESSENTIALS",
    "O365_BUSINESS",
    "SMB_BUSINESS",
    "ENTERPRISEPACK",
    "SPE_E3",
    "EMS",
    "EMSPREMIUM",
    "EXCHANGESTANDARD",
    "VISIOCLIENT",
    "VISIO_PLAN2_DEPT",
    "POWER_BI_PRO",
    "FLOW_FREE",
    "SHAREPOINTSTORAGE",
];

/// The input file a reader target fuzzes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum File {
    Users,
    Subscriptions,
    Plan,
    Domains,
    Prices,
}

/// A folder for this process's files, on tmpfs where there is one.
fn scratch() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        let base = if shm.is_dir() {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        };
        remove_stale(&base);
        let dir = base.join(format!("replan-fuzz-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("cannot create the scratch folder");
        for (name, bytes) in [
            ("users.csv", USERS),
            ("subscriptions.csv", SUBSCRIPTIONS),
            ("plan.csv", PLAN),
            ("domains.csv", DOMAINS),
            ("prices.csv", PRICES),
            ("catalog.csv", &small_catalog()[..]),
        ] {
            fs::write(dir.join(name), bytes).expect("cannot write the scratch folder");
        }
        dir
    })
}

/// Removes the scratch folders of fuzzing processes that have ended (libFuzzer
/// exits without running destructors).
fn remove_stale(base: &Path) {
    let Ok(entries) = fs::read_dir(base) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|n| n.strip_prefix("replan-fuzz-")) else {
            continue;
        };
        if Path::new("/proc").is_dir() && !Path::new("/proc").join(pid).exists() {
            let _ = fs::remove_dir_all(entry.path());
        }
    }
}

fn write(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch().join(name);
    fs::write(&path, bytes).expect("cannot write the scratch folder");
    path
}

/// The header and the rows of the built-in table for the products of `SMALL`.
fn small_catalog() -> Vec<u8> {
    let mut out = Vec::new();
    for (i, line) in TABLE.split_inclusive(|&b| b == b'\n').enumerate() {
        let text = String::from_utf8_lossy(line);
        if i == 0 || SMALL.iter().any(|sku| text.contains(&format!(",{sku},"))) {
            out.extend_from_slice(line);
        }
    }
    out
}

fn builtin() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| Catalog::builtin().expect("the built-in catalog reads"))
}

/// The valid tenant's files, with `fuzzed` in place of one of them.
fn paths(fuzzed: Option<(File, PathBuf)>) -> InputPaths {
    let dir = scratch();
    let pick = |file: File, name: &str| match &fuzzed {
        Some((f, path)) if *f == file => path.clone(),
        _ => dir.join(name),
    };
    InputPaths {
        users: pick(File::Users, "users.csv"),
        subscriptions: pick(File::Subscriptions, "subscriptions.csv"),
        plan: pick(File::Plan, "plan.csv"),
        domains: Some(pick(File::Domains, "domains.csv")),
        prices: Some(pick(File::Prices, "prices.csv")),
    }
}

/// One reader: the valid tenant with `file` replaced by `data`, read with the
/// built-in catalog; when it reads, the plan is expanded too.
pub fn read(file: File, data: &[u8]) {
    let fuzzed = write("fuzzed.csv", data);
    let paths = paths(Some((file, fuzzed)));
    let reading = Progress::hidden().bar(0, "reading");
    if let Ok((tenant, names)) = input::read(&paths, builtin(), &reading) {
        let expansion = replan::expand::expand(&tenant, &names);
        let rows = tenant.rows.users + tenant.rows.plan;
        assert!(expansion.planned() as u64 <= rows);
    }
}

/// The catalog: the valid tenant run with `data` as `--catalog`.
pub fn catalog(data: &[u8]) {
    let path = write("fuzzed-catalog.csv", data);
    let settings = Settings {
        inputs: paths(None),
        catalog: Some(path),
        allow_partial: false,
        strict: false,
        threads: Some(1),
    };
    run_and_check(&settings);
}

/// The whole pipeline. `data` is a flags byte (1: `--allow-partial`, 2: `--strict`)
/// then users.csv, subscriptions.csv, plan.csv and optionally domains.csv,
/// separated by [`SEPARATOR`]; a file left out is the valid tenant's.
pub fn pipeline(data: &[u8]) {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let parts: Vec<&[u8]> = rest.split(|&b| b == SEPARATOR).collect();
    let part = |i: usize, valid: &'static [u8]| parts.get(i).copied().unwrap_or(valid);
    let inputs = InputPaths {
        users: write("p-users.csv", part(0, USERS)),
        subscriptions: write("p-subscriptions.csv", part(1, SUBSCRIPTIONS)),
        plan: write("p-plan.csv", part(2, PLAN)),
        domains: parts.get(3).map(|d| write("p-domains.csv", d)),
        prices: None,
    };
    let settings = Settings {
        inputs,
        catalog: Some(scratch().join("catalog.csv")),
        allow_partial: flags & 1 != 0,
        strict: flags & 2 != 0,
        threads: Some(1),
    };
    run_and_check(&settings);
}

/// `replan run` without the command line: process, report, write the outputs and
/// check them.
fn run_and_check(settings: &Settings) {
    let progress = Progress::hidden();
    let pool = run::pool(settings).expect("a pool of the settings' threads");
    pool.install(|| {
        let Ok(processed) = run::process(settings, &progress) else {
            return;
        };
        let invocation = Invocation {
            command: vec!["replan".into(), "run".into()],
            started: Started::new(Some("0"), std::time::SystemTime::UNIX_EPOCH)
                .expect("a valid start"),
        };
        let mut summary = Summary::of(&processed, settings, &invocation);
        let _ = summary.text();
        let _ = summary::findings(&processed, &summary);
        let _ = summary::unmatched_warnings(&processed, "plan.csv");
        let _ = processed.exit_code();
        let out = scratch().join("out");
        output::write_all(&out, &processed, &mut summary, &progress)
            .expect("the outputs are written");
        check_outputs(&out, processed.planned());
    });
}

/// Every output CSV is rectangular and holds no cell a spreadsheet would run;
/// result.csv has one row per planned user.
fn check_outputs(out: &Path, planned: usize) {
    for name in [output::RESULT, output::ACTIONS, output::BACKUP] {
        let bytes = fs::read(out.join(name)).expect("an output is missing");
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(bytes.as_slice());
        let mut width = None;
        let mut rows = 0usize;
        for record in reader.byte_records() {
            let record = record.expect("an output is not valid CSV");
            assert_eq!(
                *width.get_or_insert(record.len()),
                record.len(),
                "{name}: ragged row"
            );
            for cell in &record {
                assert!(
                    !matches!(
                        cell.first(),
                        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
                    ),
                    "{name}: a formula cell {:?}",
                    String::from_utf8_lossy(cell)
                );
            }
            rows += 1;
        }
        if name == output::RESULT {
            assert_eq!(rows, planned + 1, "result.csv: one row per planned user");
        }
    }
    let summary = fs::read(out.join(output::SUMMARY)).expect("summary.json is missing");
    assert!(
        std::str::from_utf8(&summary).is_ok(),
        "summary.json is not UTF-8"
    );
}
