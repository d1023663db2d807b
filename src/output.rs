//! The output files: result.csv, subscription-actions.csv, backup.csv, report.html
//! and summary.json. Each is written under a temporary name in the output folder and
//! renamed once all are complete; cells that a spreadsheet would run as a formula
//! are escaped.

use std::borrow::Cow;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::audit::{Digest, HashingWriter};
use crate::codes::Code;
use crate::error::Error;
use crate::message::message;
use crate::model::{Target, Users};
use crate::progress::Progress;
use crate::reassign::{self, Scratch};
use crate::report::{self, Figures};
use crate::rules::Status;
use crate::run::{Processed, RowEnds};
use crate::summary::Summary;

pub const RESULT: &str = "result.csv";
pub const ACTIONS: &str = "subscription-actions.csv";
pub const BACKUP: &str = "backup.csv";
pub const SUMMARY: &str = "summary.json";
pub const REPORT: &str = "report.html";

/// Rows formatted per parallel task, and tasks per batch held in memory at once.
const CHUNK: usize = 4096;
const BATCH: usize = 16;

/// Writes every output into `out`, replacing earlier outputs of the same names,
/// and records each one's size and SHA-256 in `summary`'s audit trail: the report
/// shows those of the files written before it, summary.json all of them.
pub fn write_all(
    out: &Path,
    p: &Processed,
    summary: &mut Summary,
    progress: &Progress,
) -> Result<(), Error> {
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Output { path, source }
    };
    fs::create_dir_all(out).map_err(fail(out))?;
    let bar = progress.bar(p.verdicts.len() as u64, "writing");
    // The small files are written while result.csv is: a thread that waits for
    // the next batch of result rows takes them.
    let (result, others) = rayon::join(
        || stage(out, RESULT, |w| write_result(w, p, &bar)),
        || -> Result<_, Error> {
            Ok([
                stage(out, ACTIONS, |w| write_actions(w, p))?,
                stage(out, BACKUP, |w| write_backup(w, p))?,
            ])
        },
    );
    let mut staged = vec![result?];
    staged.extend(others?);
    bar.finish_and_clear();
    for file in &staged {
        summary.audit.outputs.push((file.name, file.digest.into()));
    }
    // The report shows the audit trail so far: every output but itself.
    let page = report::render(&Figures::gather(p, summary, &out.display().to_string()));
    let report = stage(out, REPORT, |w| w.write_all(page.as_bytes()))?;
    summary
        .audit
        .outputs
        .push((report.name, report.digest.into()));
    staged.push(report);
    let summary_file = stage(out, SUMMARY, |w| {
        serde_json::to_writer_pretty(&mut *w, &*summary)?;
        w.write_all(b"\n")
    })?;
    staged.push(summary_file);
    replace(out, staged)
}

/// An output written under a temporary name in the output folder.
struct Staged {
    name: &'static str,
    file: tempfile::NamedTempFile,
    digest: Digest,
}

/// Renames the staged files over the outputs, all or none: each earlier output is
/// moved aside under a temporary name until every new file is in place, and put
/// back if a rename fails half-way (a folder in the way, a file held open).
/// Renaming onto a name that is free also spares the flush that ext4 starts when a
/// rename replaces a file (`auto_da_alloc`): 50 ms for a million users' result.csv.
fn replace(out: &Path, staged: Vec<Staged>) -> Result<(), Error> {
    // Each output replaced so far, and its earlier file if there was one.
    let mut done: Vec<(PathBuf, Option<tempfile::TempPath>)> = Vec::new();
    for Staged { name, file, .. } in staged {
        let path = out.join(name);
        let placed = set_aside(out, name, &path).and_then(|earlier| match file.persist(&path) {
            Ok(_) => Ok(earlier),
            Err(e) => {
                if let Some(earlier) = earlier {
                    drop(earlier.persist(&path));
                }
                Err(e.error)
            }
        });
        match placed {
            Ok(earlier) => done.push((path, earlier)),
            Err(source) => {
                for (replaced, earlier) in done {
                    match earlier {
                        Some(earlier) => drop(earlier.persist(&replaced)),
                        None => drop(fs::remove_file(&replaced)),
                    }
                }
                return Err(Error::Output { path, source });
            }
        }
    }
    // The earlier files, still aside, are deleted as `done` drops.
    Ok(())
}

/// Moves the earlier output at `path` aside, under a temporary name deleted when
/// the returned path drops. A folder stays where it is: renaming onto it fails.
fn set_aside(out: &Path, name: &str, path: &Path) -> io::Result<Option<tempfile::TempPath>> {
    match fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_dir() => tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".old")
            .make_in(out, |aside| fs::rename(path, aside))
            .map(|kept| Some(kept.into_temp_path())),
        _ => Ok(None),
    }
}

/// Writes one file under a temporary name, hashing it as it goes; the caller
/// renames it when all are done.
fn stage(
    out: &Path,
    name: &'static str,
    write: impl FnOnce(&mut io::BufWriter<HashingWriter<&fs::File>>) -> io::Result<()>,
) -> Result<Staged, Error> {
    let path: PathBuf = out.join(name);
    let fail = |source| Error::Output {
        path: path.clone(),
        source,
    };
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // Outputs are ordinary files (the umask applies), not a temporary file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    let file = builder.tempfile_in(out).map_err(fail)?;
    let mut w = io::BufWriter::with_capacity(1 << 16, HashingWriter::new(file.as_file()));
    write(&mut w).map_err(fail)?;
    w.flush().map_err(fail)?;
    let digest = w.get_ref().digest();
    drop(w);
    Ok(Staged { name, file, digest })
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP
/// "CSV injection").
pub fn escape(cell: &str) -> Cow<'_, str> {
    if needs_escape(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

fn needs_escape(cell: &str) -> bool {
    matches!(
        cell.as_bytes().first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    )
}

fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

/// Writes one escaped cell of the current row.
fn cell<W: Write>(w: &mut csv::Writer<W>, text: &str) -> io::Result<()> {
    if needs_escape(text) {
        w.write_field(escape(text).as_bytes())?;
    } else {
        w.write_field(text)?;
    }
    Ok(())
}

/// Ends the current row.
fn end<W: Write>(w: &mut csv::Writer<W>) -> io::Result<()> {
    w.write_record(None::<&[u8]>)?;
    Ok(())
}

/// Writes one escaped row.
fn row<W: Write, S: AsRef<str>>(w: &mut csv::Writer<W>, cells: &[S]) -> io::Result<()> {
    for text in cells {
        cell(w, text.as_ref())?;
    }
    end(w)
}

fn write_result<W: Write + Send>(
    w: &mut W,
    p: &Processed,
    bar: &indicatif::ProgressBar,
) -> io::Result<()> {
    let mut header = csv_writer(&mut *w);
    row(&mut header, &RESULT_COLUMNS.map(|(name, _)| name))?;
    header.flush()?;
    drop(header);
    let rows = p.verdicts.len();
    // Rows are formatted in parallel, a chunk per task, and written in plan order
    // (the bytes do not depend on the thread count); a batch is written while the
    // next one is formatted. Buffers go round from writing back to formatting:
    // fresh ones would cost a page fault every 4 KiB.
    let format = |start: usize, mut spare: Vec<Buffers>| -> Vec<io::Result<Buffers>> {
        let end = (start + CHUNK * BATCH).min(rows);
        let jobs: Vec<(usize, Buffers)> = (start..end)
            .step_by(CHUNK)
            .map(|from| (from, spare.pop().unwrap_or_default()))
            .collect();
        jobs.into_par_iter()
            .map(|(from, mut buffers)| {
                let chunk = from..(from + CHUNK).min(end);
                buffers.bytes.clear();
                let mut out = csv_writer(std::mem::take(&mut buffers.bytes));
                let entries = &p.expansion.entries[chunk.clone()];
                for (n, part) in entries.chunks(Users::WARM).enumerate() {
                    p.tenant.users.warm(part.iter().filter_map(|e| e.user()));
                    let start = chunk.start + n * Users::WARM;
                    for i in start..start + part.len() {
                        result_row(&mut out, p, i, &mut buffers.text, &mut buffers.scratch)?;
                    }
                }
                bar.inc(chunk.len() as u64);
                buffers.bytes = out.into_inner().map_err(|e| e.into_error())?;
                Ok(buffers)
            })
            .collect()
    };
    let write = |w: &mut W, chunks: Vec<io::Result<Buffers>>| -> io::Result<Vec<Buffers>> {
        chunks
            .into_iter()
            .map(|chunk| {
                let chunk = chunk?;
                w.write_all(&chunk.bytes)?;
                Ok(chunk)
            })
            .collect()
    };
    let (mut pending, mut spare) = (Vec::new(), Vec::new());
    for start in (0..rows).step_by(CHUNK * BATCH) {
        let (written, formatted) = rayon::join(|| write(w, pending), || format(start, spare));
        spare = written?;
        pending = formatted;
    }
    write(w, pending)?;
    Ok(())
}

/// What formatting a chunk of result rows writes into, kept from chunk to chunk.
#[derive(Default)]
struct Buffers {
    bytes: Vec<u8>,
    text: RowText,
    scratch: Scratch,
}

/// One row of result.csv, as its cells.
struct ResultRow<'a> {
    user: &'a str,
    organization: &'a str,
    from: &'a str,
    to: &'a str,
    status: &'a str,
    codes: &'a str,
    licenses_before: &'a str,
    licenses_after: &'a str,
    disabled_plans: &'a str,
    message: &'a str,
}

/// result.csv's columns, in order: each header and the cell of a row under it.
type ResultCell = for<'r> fn(&'r ResultRow<'r>) -> &'r str;
const RESULT_COLUMNS: [(&str, ResultCell); 10] = [
    ("user", |r| r.user),
    ("organization", |r| r.organization),
    ("from", |r| r.from),
    ("to", |r| r.to),
    ("status", |r| r.status),
    ("codes", |r| r.codes),
    ("licenses_before", |r| r.licenses_before),
    ("licenses_after", |r| r.licenses_after),
    ("disabled_plans", |r| r.disabled_plans),
    ("message", |r| r.message),
];

/// The texts a result row's cells are joined into, reused from row to row.
#[derive(Default)]
struct RowText {
    codes: String,
    licenses_before: String,
    licenses_after: String,
    disabled_plans: String,
    message: String,
}

/// The first cells of a result row.
pub(crate) struct Head<'a> {
    pub(crate) user: &'a str,
    pub(crate) organization: &'a str,
    pub(crate) from: &'a str,
    pub(crate) to: &'a str,
}

/// The first cells of result row `i` (before formula escaping).
pub(crate) fn head<'a>(p: &'a Processed, i: usize, ends: &RowEnds<'a>) -> Head<'a> {
    let entry = &p.expansion.entries[i];
    let tenant = &p.tenant;
    let row = &tenant.plan[entry.row()];
    Head {
        user: match (entry.user(), &row.target) {
            (Some(u), _) => tenant.users.upn(u),
            (None, Target::Named(n)) => n,
            (None, Target::Holders { .. }) => "",
        },
        organization: entry.org().map_or("", |o| tenant.orgs.name(o)),
        from: ends.from_name,
        to: ends.to_name,
    }
}

/// Joins `items` with `sep` into `buf`.
fn join_into<'a>(buf: &mut String, items: impl IntoIterator<Item = &'a str>, sep: char) {
    buf.clear();
    for (n, item) in items.into_iter().enumerate() {
        if n > 0 {
            buf.push(sep);
        }
        buf.push_str(item);
    }
}

fn result_row<W: Write>(
    w: &mut csv::Writer<W>,
    p: &Processed,
    i: usize,
    text: &mut RowText,
    scratch: &mut Scratch,
) -> io::Result<()> {
    let (entry, verdict) = (&p.expansion.entries[i], &p.verdicts[i]);
    let tenant = &p.tenant;
    let catalog = &p.catalog;
    let name = |product| tenant.products.name(catalog, product);
    let ends = p.ends(i);
    let Head {
        user,
        organization,
        from,
        to,
    } = head(p, i, &ends);
    join_into(
        &mut text.codes,
        verdict.codes().iter().map(Code::as_str),
        ';',
    );
    let user_now = entry.user().map(|u| tenant.users.get(u));
    let licenses = user_now.map_or(&[][..], |u| u.licenses);
    join_into(
        &mut text.licenses_before,
        licenses.iter().map(|h| name(h.product())),
        '+',
    );
    let row = &tenant.plan[entry.row()];
    match (user_now, verdict.status, ends.to) {
        (Some(user), Status::Reassigned, Some(to)) => {
            let Scratch { after, disabled } = scratch;
            reassign::after(&user, ends.from, to, row.mode, after);
            join_into(
                &mut text.licenses_after,
                after.iter().map(|&p| name(p)),
                '+',
            );
            let products = &tenant.products;
            reassign::disabled_after(catalog, products, &user, after, &row.disable, disabled);
            join_into(
                &mut text.disabled_plans,
                disabled.iter().map(|d| d.name(catalog)),
                ';',
            );
        }
        _ => {
            text.licenses_after.clone_from(&text.licenses_before);
            let disabled = user_now.map_or(&[][..], |u| u.disabled);
            join_into(
                &mut text.disabled_plans,
                disabled.iter().map(|d| d.name(catalog)),
                ';',
            );
        }
    }
    message(p, i, &ends, &mut text.message);
    let cells = ResultRow {
        user,
        organization,
        from,
        to,
        status: verdict.status.as_str(),
        codes: &text.codes,
        licenses_before: &text.licenses_before,
        licenses_after: &text.licenses_after,
        disabled_plans: &text.disabled_plans,
        message: &text.message,
    };
    for (_, cell_of) in RESULT_COLUMNS {
        cell(w, cell_of(&cells))?;
    }
    end(w)
}

fn write_actions(w: &mut impl Write, p: &Processed) -> io::Result<()> {
    let mut out = csv_writer(w);
    row(
        &mut out,
        &[
            "organization",
            "product",
            "action",
            "total",
            "assigned_before",
            "assigned_after",
            "licenses_to_remove",
            "licenses_to_buy",
            "reason",
        ],
    )?;
    for action in &p.actions {
        let pool = &p.tenant.pools.list[action.pool];
        row(
            &mut out,
            &[
                p.tenant.orgs.name(pool.org),
                p.tenant.products.name(&p.catalog, pool.product),
                action.kind.as_str(),
                &pool.total.to_string(),
                &pool.assigned.to_string(),
                &action.assigned_after.to_string(),
                &action.to_remove.to_string(),
                &action.to_buy.to_string(),
                &action.reason,
            ],
        )?;
    }
    out.flush()
}

fn write_backup(w: &mut impl Write, p: &Processed) -> io::Result<()> {
    let mut out = csv_writer(w);
    row(
        &mut out,
        &["user", "organization", "from", "to", "services"],
    )?;
    for (i, verdict) in p.verdicts.iter().enumerate() {
        if !verdict.codes().contains(Code::DowngradeBackupRequired) {
            continue;
        }
        let h = head(p, i, &p.ends(i));
        let services = verdict
            .change
            .as_ref()
            .map(|m| m.lost.join())
            .unwrap_or_default();
        row(&mut out, &[h.user, h.organization, h.from, h.to, &services])?;
    }
    out.flush()
}
