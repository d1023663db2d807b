//! The output files: result.csv, subscription-actions.csv, backup.csv and
//! summary.json. Each is written under a temporary name in the output folder and
//! renamed once all are complete; cells that a spreadsheet would run as a formula
//! are escaped.

use std::borrow::Cow;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::Error;
use crate::message::message;
use crate::progress::Progress;
use crate::report::Summary;
use crate::rules::Status;
use crate::run::Processed;

pub const RESULT: &str = "result.csv";
pub const ACTIONS: &str = "subscription-actions.csv";
pub const BACKUP: &str = "backup.csv";
pub const SUMMARY: &str = "summary.json";
/// Every file `run` writes.
pub const FILES: [&str; 4] = [RESULT, ACTIONS, BACKUP, SUMMARY];

/// Rows formatted per parallel task, and tasks per batch held in memory at once.
const CHUNK: usize = 4096;
const BATCH: usize = 64;

/// Writes every output into `out`, replacing earlier outputs of the same names.
pub fn write_all(out: &Path, p: &Processed, summary: &Summary, progress: &Progress) -> Result<(), Error> {
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Output { path, source }
    };
    fs::create_dir_all(out).map_err(fail(out))?;
    let bar = progress.bar(p.verdicts.len() as u64, "writing");
    let mut staged = Vec::new();
    staged.push(stage(out, RESULT, |w| write_result(w, p, &bar))?);
    staged.push(stage(out, ACTIONS, |w| write_actions(w, p))?);
    staged.push(stage(out, BACKUP, |w| write_backup(w, p))?);
    staged.push(stage(out, SUMMARY, |w| {
        serde_json::to_writer_pretty(&mut *w, summary)?;
        w.write_all(b"\n")
    })?);
    bar.finish_and_clear();
    for (file, name) in staged.into_iter().zip(FILES) {
        let path = out.join(name);
        file.persist(&path).map_err(|e| Error::Output {
            path: path.clone(),
            source: e.error,
        })?;
    }
    Ok(())
}

/// Writes one file under a temporary name; the caller renames it when all are done.
fn stage(
    out: &Path,
    name: &str,
    write: impl FnOnce(&mut io::BufWriter<&fs::File>) -> io::Result<()>,
) -> Result<tempfile::NamedTempFile, Error> {
    let path: PathBuf = out.join(name);
    let fail = |source| Error::Output {
        path: path.clone(),
        source,
    };
    let file = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(out)
        .map_err(fail)?;
    let mut w = io::BufWriter::with_capacity(1 << 16, file.as_file());
    write(&mut w).map_err(fail)?;
    w.flush().map_err(fail)?;
    drop(w);
    Ok(file)
}

/// A cell a spreadsheet would run as a formula gets a leading apostrophe (OWASP
/// "CSV injection").
pub fn escape(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => Cow::Owned(format!("'{cell}")),
        _ => Cow::Borrowed(cell),
    }
}

fn csv_writer<W: Write>(w: W) -> csv::Writer<W> {
    csv::WriterBuilder::new()
        .has_headers(false)
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(w)
}

/// Writes one escaped row.
fn row<W: Write, S: AsRef<str>>(w: &mut csv::Writer<W>, cells: &[S]) -> io::Result<()> {
    w.write_record(cells.iter().map(|c| escape(c.as_ref()).into_owned()))
        .map_err(io::Error::from)
}

fn write_result(w: &mut impl Write, p: &Processed, bar: &indicatif::ProgressBar) -> io::Result<()> {
    let mut header = csv_writer(&mut *w);
    row(
        &mut header,
        &[
            "user", "organization", "from", "to", "status", "codes", "licenses_before",
            "licenses_after", "disabled_plans", "message",
        ],
    )?;
    header.flush()?;
    drop(header);
    let indices: Vec<usize> = (0..p.verdicts.len()).collect();
    // Rows are formatted in parallel, a chunk per task, and written in plan order:
    // the bytes do not depend on the thread count.
    for batch in indices.chunks(CHUNK * BATCH) {
        let chunks: Vec<io::Result<Vec<u8>>> = batch
            .par_chunks(CHUNK)
            .map(|chunk| {
                let mut out = csv_writer(Vec::with_capacity(chunk.len() * 160));
                for &i in chunk {
                    row(&mut out, &result_row(p, i))?;
                }
                bar.inc(chunk.len() as u64);
                out.into_inner().map_err(|e| e.into_error())
            })
            .collect();
        for chunk in chunks {
            w.write_all(&chunk?)?;
        }
    }
    Ok(())
}

fn result_row(p: &Processed, i: usize) -> [String; 10] {
    let (entry, verdict) = (&p.expansion.entries[i], &p.verdicts[i]);
    let tenant = &p.tenant;
    let row = &tenant.plan[entry.row];
    let user = entry.user.map(|u| &tenant.users.list[u as usize]);
    let name = |product| tenant.products.name(&p.catalog, product);
    let user_text = match (user, &row.target) {
        (Some(u), _) => u.upn.to_string(),
        (None, crate::model::Target::Named(n)) => n.clone(),
        (None, crate::model::Target::Holders { .. }) => String::new(),
    };
    let org = user.and_then(|u| u.org).map_or("", |o| tenant.orgs.name(o));
    let from = verdict.from.map(name).or(row.from.as_deref()).unwrap_or("");
    let to = verdict.to.map(name).unwrap_or(&row.to);
    let before: Vec<&str> = user.map_or(Vec::new(), |u| u.licenses.iter().map(|h| name(h.product)).collect());
    let (after, disabled): (Vec<&str>, Vec<&str>) = match (&verdict.change, verdict.status) {
        (Some(change), Status::Reassigned) => (
            change.after.iter().map(|&p| name(p)).collect(),
            change.disabled.iter().map(|d| d.name(&p.catalog)).collect(),
        ),
        _ => (
            before.clone(),
            user.map_or(Vec::new(), |u| u.disabled.iter().map(|d| d.name(&p.catalog)).collect()),
        ),
    };
    [
        user_text,
        org.to_string(),
        from.to_string(),
        to.to_string(),
        verdict.status.as_str().to_string(),
        verdict.codes().join(),
        before.join("+"),
        after.join("+"),
        disabled.join(";"),
        message(p, i),
    ]
}

fn write_actions(w: &mut impl Write, p: &Processed) -> io::Result<()> {
    let mut out = csv_writer(w);
    row(
        &mut out,
        &[
            "organization", "product", "action", "total", "assigned_before", "assigned_after",
            "licenses_to_remove", "licenses_to_buy", "reason",
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
    row(&mut out, &["user", "organization", "from", "to", "services"])?;
    for (i, verdict) in p.verdicts.iter().enumerate() {
        if !verdict.codes().contains(crate::codes::Code::DowngradeBackupRequired) {
            continue;
        }
        let [user, org, from, to, ..] = result_row_head(p, i);
        let services = verdict.change.as_ref().map(|c| c.lost.join()).unwrap_or_default();
        row(&mut out, &[user, org, from, to, services])?;
    }
    out.flush()
}

/// The first four cells of a result row (user, organization, from, to).
fn result_row_head(p: &Processed, i: usize) -> [String; 4] {
    let [user, org, from, to, ..] = result_row(p, i);
    [user, org, from, to]
}
