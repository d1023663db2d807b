//! The output files: result.csv, graph-requests.jsonl, subscription-actions.csv,
//! backup.csv, report.html and summary.json. Each is written under a temporary
//! name in the output folder, hashed as it is written (the audit trail), and
//! renamed once all are complete; cells that a spreadsheet would run as a formula
//! are escaped (in the CSV files: JSON is not opened by one).

use std::borrow::Cow;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::audit::{Digest, HashingWriter};
use crate::catalog::{Catalog, ServicePlanIdx};
use crate::codes::Code;
use crate::error::Error;
use crate::expand::Entry;
use crate::guid::Guid;
use crate::lock::OutLock;
use crate::message::message;
use crate::model::{OrgId, ProductId, Products, ServicePlanRef, Target};
use crate::progress::Progress;
use crate::reassign::{self, Scratch};
use crate::report::{self, Figures, UserFigures};
use crate::requests::{self, Built, Change, License, Line, Request, ServicePlans, Tails};
use crate::resolve;
use crate::rules::Status;
use crate::run::{Processed, RowEnds};
use crate::summary::{Graph, Summary};
use direct::Direct;

mod direct;
#[cfg(test)]
#[cfg(target_os = "linux")]
mod page_cache;

pub const RESULT: &str = "result.csv";
pub const GRAPH: &str = "graph-requests.jsonl";
pub const ACTIONS: &str = "subscription-actions.csv";
pub const BACKUP: &str = "backup.csv";
pub const SUMMARY: &str = "summary.json";
pub const REPORT: &str = "report.html";
/// Every file `run` writes.
pub(crate) const FILES: [&str; 6] = [RESULT, GRAPH, ACTIONS, BACKUP, REPORT, SUMMARY];

/// Rows formatted per parallel task, and tasks per batch held in memory at once:
/// two batches are (one written, one formatted), each chunk's rows of result.csv
/// and requests of graph-requests.jsonl (some 300 bytes a line): at 16 chunks a
/// batch they made 80 MiB at the peak, at 4 some 10, with tasks enough for
/// the cores of a usual machine.
const CHUNK: usize = 4096;
const BATCH: usize = 4;

/// Writes every output into `out`, replacing earlier outputs of the same names;
/// completes `summary` with what graph-requests.jsonl holds ([`Graph`]).
/// Returns what to say about the reassigned users left without a request.
pub fn write_all(
    out: &Path,
    p: &Processed,
    summary: &mut Summary,
    progress: &Progress,
) -> Result<Vec<String>, Error> {
    let fail = |path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Output { path, source }
    };
    fs::create_dir_all(out).map_err(fail(out))?;
    let _lock = OutLock::take(out)?;
    remove_leftovers(out).map_err(fail(out))?;
    forget_earlier(out);
    let bar = progress.bar(p.verdicts.len() as u64, "writing");
    // The small files are written, and the report's figures counted, while
    // result.csv and graph-requests.jsonl are (a thread that waits for the next
    // batch of rows takes them); summary.json after, as it counts the requests.
    let (rows, others) = rayon::join(
        || -> Result<_, Error> {
            let graph = staged(out, GRAPH)?;
            let mut requests = Failing {
                inner: io::BufWriter::with_capacity(
                    1 << 16,
                    HashingWriter::new(Direct::new(graph.as_file())),
                ),
                failed: false,
            };
            let mut tally = Tally::default();
            let graph_error = |source| Error::Output {
                path: out.join(GRAPH),
                source,
            };
            let result = stage(out, RESULT, |w| {
                write_rows(w, &mut requests, p, &bar, &mut tally)
            })
            .map_err(|e| match e {
                Error::Output { source, .. } if requests.failed => graph_error(source),
                e => e,
            })?;
            requests.inner.flush().map_err(graph_error)?;
            let digest = requests.inner.get_ref().digest();
            drop(requests);
            let graph = Staged {
                name: GRAPH,
                file: graph,
                digest,
            };
            Ok((result, graph, tally))
        },
        || -> Result<_, Error> {
            Ok((
                [
                    stage(out, ACTIONS, |w| write_actions(w, p))?,
                    stage(out, BACKUP, |w| write_backup(w, p))?,
                ],
                UserFigures::of(p),
            ))
        },
    );
    let (result, graph, tally) = rows?;
    summary.graph = tally.graph(p);
    let ([actions, backup], users) = others?;
    bar.finish_and_clear();
    // In the audit trail in SPEC's order; the report shows those written before it.
    let mut staged = vec![result, actions, backup, graph];
    for file in &staged {
        summary.audit.outputs.push((file.name, file.digest.into()));
    }
    let page = report::render(&Figures::gather(
        p,
        users,
        summary,
        &out.display().to_string(),
    ));
    let report = stage(out, REPORT, |w| w.write_all(page.as_bytes()))?;
    summary
        .audit
        .outputs
        .push((report.name, report.digest.into()));
    staged.push(report);
    staged.push(stage(out, SUMMARY, |w| {
        serde_json::to_writer_pretty(&mut *w, &*summary)?;
        w.write_all(b"\n")
    })?);
    replace(out, staged)?;
    Ok(tally.notes())
}

/// What `check` says of the Graph requests a run would write: `summary`'s
/// [`Graph`], and what to say about the reassigned users left without one.
pub fn requests_only(p: &Processed, summary: &mut Summary) -> Vec<String> {
    let rows = p.verdicts.len();
    let tallies: Vec<Tally> = (0..rows.div_ceil(CHUNK))
        .into_par_iter()
        .map_init(Buffers::default, |buffers, chunk| {
            let Buffers {
                requests,
                scratch,
                graph,
                ..
            } = buffers;
            let mut tally = Tally::default();
            for i in chunk * CHUNK..((chunk + 1) * CHUNK).min(rows) {
                requests.clear();
                if after_of(p, i, &p.ends(i), scratch) {
                    // Into memory: nothing to fail.
                    let _ = request_line(requests, p, i, scratch, graph, &mut tally);
                }
            }
            tally
        })
        .collect();
    let tally = tallies.into_iter().fold(Tally::default(), Tally::merge);
    summary.graph = tally.graph(p);
    tally.notes()
}

/// A writer that remembers having failed: rows and requests are written in one
/// pass, and an error must name the file it happened to.
struct Failing<W> {
    inner: W,
    failed: bool,
}

impl<W: Write> Write for Failing<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(buf);
        self.failed |= written.is_err();
        written
    }

    fn flush(&mut self) -> io::Result<()> {
        let flushed = self.inner.flush();
        self.failed |= flushed.is_err();
        flushed
    }
}

/// Removes the temporary files that a run killed while writing left behind (its
/// staged files and the earlier outputs it had set aside): this run replaces every
/// output, and, holding the lock, knows no other run is writing them.
fn remove_leftovers(out: &Path) -> io::Result<()> {
    for entry in fs::read_dir(out)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        let ours = FILES.iter().any(|file| {
            name.strip_prefix('.')
                .and_then(|rest| rest.strip_prefix(file))
                .is_some_and(|rest| rest.starts_with('.'))
        });
        if ours && (name.ends_with(".tmp") || name.ends_with(".old")) {
            fs::remove_file(out.join(&*name))?;
        }
    }
    Ok(())
}

/// Asks the kernel to drop the earlier outputs' pages from its cache; the files
/// themselves stay whole until the new ones replace them. A run that replaces
/// large outputs would otherwise grow into memory the kernel has never handed
/// out, whose first touch is dear in a virtual machine (the host faults each page
/// in: 10 million users' runs spent 7 of their 17 seconds so), while the earlier
/// outputs' pages, soon deleted, sit idle.
///
/// Only outputs older than the kernel's dirty expiry (`vm.dirty_expire_centisecs`,
/// 30 s by default) are dropped: their pages are on disk. The kernel would first
/// write a younger output's pages, which a run following another at once then
/// pays for (8% of a million users' run), where replacing the file discards them
/// unwritten. A hint only: nothing fails if the kernel ignores it. An output
/// written past the cache ([`Direct`]) leaves nearly nothing to drop.
fn forget_earlier(out: &Path) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        use std::time::{Duration, SystemTime};
        let expiry = fs::read_to_string("/proc/sys/vm/dirty_expire_centisecs")
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .map_or(Duration::from_secs(30), |cs: u64| {
                Duration::from_millis(cs * 10)
            });
        for name in FILES {
            let Ok(file) = fs::File::open(out.join(name)) else {
                continue;
            };
            let written = file.metadata().and_then(|m| m.modified());
            let age = written.map(|at| SystemTime::now().duration_since(at).unwrap_or_default());
            if age.is_ok_and(|age| age >= expiry) {
                // SAFETY: the descriptor is open for the whole call; the advice
                // changes no data and its result is deliberately ignored.
                unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = out;
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

/// An output written under a temporary name in the output folder, and its digest.
struct Staged {
    name: &'static str,
    file: tempfile::NamedTempFile,
    digest: Digest,
}

/// Writes one file under a temporary name, through the page cache, hashing it as
/// it goes; the caller renames it when all are done.
///
/// Only graph-requests.jsonl, the largest output, goes past the cache
/// ([`Direct`]): the cache costs CPU (each page found and copied into), a direct
/// write costs the disk's time, and the run has both at once while it writes.
/// With every output direct, a million users' 373 MB made the writing wait for
/// the disk, and the run took a tenth longer.
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
    let file = staged(out, name)?;
    let mut w = io::BufWriter::with_capacity(1 << 16, HashingWriter::new(file.as_file()));
    write(&mut w).map_err(fail)?;
    w.flush().map_err(fail)?;
    let digest = w.get_ref().digest();
    drop(w);
    Ok(Staged { name, file, digest })
}

/// An empty file under a temporary name in `out`, to become `out/name`.
fn staged(out: &Path, name: &str) -> Result<tempfile::NamedTempFile, Error> {
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // Outputs are ordinary files (the umask applies), not a temporary file's 0600.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(out).map_err(|source| Error::Output {
        path: out.join(name),
        source,
    })
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

/// Writes result.csv into `w` and graph-requests.jsonl into `requests`, row by
/// row in result order: a reassigned row's request is built from the licenses
/// and disabled plans after that its result row has just worked out.
fn write_rows<W: Write + Send, R: Write + Send>(
    w: &mut W,
    requests: &mut R,
    p: &Processed,
    bar: &indicatif::ProgressBar,
    tally: &mut Tally,
) -> io::Result<()> {
    // The header goes out with the first rows, not flushed on its own.
    let mut header = csv_writer(Vec::new());
    row(&mut header, &RESULT_COLUMNS.map(|(name, _)| name))?;
    w.write_all(&header.into_inner().map_err(|e| e.into_error())?)?;
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
                buffers.requests.clear();
                let mut out = csv_writer(std::mem::take(&mut buffers.bytes));
                let entries = &p.expansion.entries;
                let Buffers {
                    requests,
                    text,
                    scratch,
                    graph,
                    tally,
                    ..
                } = &mut buffers;
                for i in chunk.clone() {
                    p.tenant.users.warm_ahead(entries, i, Entry::user);
                    if result_row(&mut out, p, i, text, scratch)? {
                        request_line(requests, p, i, scratch, graph, tally)?;
                    }
                }
                bar.inc(chunk.len() as u64);
                buffers.bytes = out.into_inner().map_err(|e| e.into_error())?;
                Ok(buffers)
            })
            .collect()
    };
    let mut write = |chunks: Vec<io::Result<Buffers>>| -> io::Result<Vec<Buffers>> {
        chunks
            .into_iter()
            .map(|chunk| {
                let mut chunk = chunk?;
                w.write_all(&chunk.bytes)?;
                requests.write_all(&chunk.requests)?;
                let done = std::mem::take(&mut chunk.tally);
                *tally = std::mem::take(tally).merge(done);
                Ok(chunk)
            })
            .collect()
    };
    let (mut pending, mut spare) = (Vec::new(), Vec::new());
    for start in (0..rows).step_by(CHUNK * BATCH) {
        let (written, formatted) = rayon::join(|| write(pending), || format(start, spare));
        spare = written?;
        pending = formatted;
    }
    write(pending)?;
    Ok(())
}

/// What formatting a chunk of rows writes into, kept from chunk to chunk.
#[derive(Default)]
struct Buffers {
    /// result.csv's rows.
    bytes: Vec<u8>,
    /// graph-requests.jsonl's lines.
    requests: Vec<u8>,
    text: RowText,
    scratch: Scratch,
    graph: GraphScratch,
    /// The chunk's requests per organization and users left without one.
    tally: Tally,
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

/// Fills `scratch` with the licenses and disabled plans after of result row
/// `i` when it is reassigned; returns whether it is.
fn after_of(p: &Processed, i: usize, ends: &RowEnds, scratch: &mut Scratch) -> bool {
    let (entry, verdict) = (&p.expansion.entries[i], &p.verdicts[i]);
    let (Some(user), Status::Reassigned, Some(to)) = (entry.user(), verdict.status, ends.to) else {
        return false;
    };
    let tenant = &p.tenant;
    let user = tenant.users.get(user);
    let row = &tenant.plan[entry.row()];
    let Scratch { after, disabled } = scratch;
    reassign::after(&user, ends.from, to, row.mode, after);
    let products = &tenant.products;
    reassign::disabled_after(&p.catalog, products, &user, after, &row.disable, disabled);
    true
}

/// Writes result row `i`; returns whether `scratch` now holds its licenses and
/// disabled plans after ([`after_of`]).
fn result_row<W: Write>(
    w: &mut csv::Writer<W>,
    p: &Processed,
    i: usize,
    text: &mut RowText,
    scratch: &mut Scratch,
) -> io::Result<bool> {
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
    let moved = after_of(p, i, &ends, scratch);
    if moved {
        join_into(
            &mut text.licenses_after,
            scratch.after.iter().map(|&p| name(p)),
            '+',
        );
        join_into(
            &mut text.disabled_plans,
            scratch.disabled.iter().map(|d| d.name(catalog)),
            ';',
        );
    } else {
        text.licenses_after.clone_from(&text.licenses_before);
        let disabled = user_now.map_or(&[][..], |u| u.disabled);
        join_into(
            &mut text.disabled_plans,
            disabled.iter().map(|d| d.name(catalog)),
            ';',
        );
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
    end(w)?;
    Ok(moved)
}
/// A reassigned row's request, worked out in buffers reused from row to row.
#[derive(Default)]
struct GraphScratch {
    before: Vec<License<ProductId>>,
    after: Vec<License<ProductId>>,
    disabled_before: Vec<(ServicePlanIdx, Guid)>,
    disabled_after: Vec<(ServicePlanIdx, Guid)>,
    request: Request,
    url: String,
    tails: Tails,
}

/// The catalog's service plans as a request sees them: a plan with its id.
struct CatalogPlans<'a> {
    catalog: &'a Catalog,
    products: &'a Products,
}

impl ServicePlans<ProductId, (ServicePlanIdx, Guid)> for CatalogPlans<'_> {
    fn contains(&self, product: ProductId, (plan, _): (ServicePlanIdx, Guid)) -> bool {
        self.products
            .as_sku(product)
            .is_some_and(|sku| self.catalog.contains(sku, plan))
    }

    fn id(&self, (_, id): (ServicePlanIdx, Guid)) -> Guid {
        id
    }
}

/// The plans of `disabled` that a request can name: known to the catalog, with
/// an id (one it does not know cannot be sent, and is left out).
fn with_ids<'a>(
    catalog: &'a Catalog,
    disabled: &'a [ServicePlanRef],
) -> impl Iterator<Item = (ServicePlanIdx, Guid)> + 'a {
    disabled.iter().filter_map(|d| match d {
        ServicePlanRef::Known(plan) => Some((*plan, catalog.service_plan_id(*plan)?)),
        ServicePlanRef::Other(_) => None,
    })
}

/// Writes the graph-requests.jsonl line of reassigned row `i`, whose licenses
/// and disabled plans after are in `scratch`, if it needs one; counts it in
/// `tally`, or the user as skipped when a SKU id it needs is unknown.
fn request_line(
    out: &mut Vec<u8>,
    p: &Processed,
    i: usize,
    scratch: &Scratch,
    g: &mut GraphScratch,
    tally: &mut Tally,
) -> io::Result<()> {
    let entry = &p.expansion.entries[i];
    let (Some(u), Some(org)) = (entry.user(), entry.org()) else {
        return Ok(());
    };
    let (tenant, catalog) = (&p.tenant, &p.catalog);
    let user = tenant.users.get(u);
    let sku_id = |product, named| {
        resolve::sku_id(
            catalog,
            &tenant.products,
            &tenant.pools,
            org,
            product,
            named,
        )
    };
    g.before.clear();
    g.before.extend(user.licenses.iter().map(|h| License {
        product: h.product(),
        sku: sku_id(h.product(), h.named()),
        via_group: h.via_group(),
    }));
    g.after.clear();
    for &product in &scratch.after {
        let license = match g.before.iter().find(|l| l.product == product) {
            Some(held) => *held,
            None => License {
                product,
                sku: sku_id(product, None),
                via_group: false,
            },
        };
        g.after.push(license);
    }
    g.disabled_before.clear();
    g.disabled_before.extend(with_ids(catalog, user.disabled));
    g.disabled_after.clear();
    g.disabled_after
        .extend(with_ids(catalog, &scratch.disabled));
    let change = Change {
        before: &g.before,
        after: &g.after,
        disabled_before: &g.disabled_before,
        disabled_after: &g.disabled_after,
    };
    let plans = CatalogPlans {
        catalog,
        products: &tenant.products,
    };
    let line = i as u64 + 2;
    let upn = tenant.users.upn(u);
    match requests::build(&change, &plans, &mut g.request) {
        Built::Request => {
            requests::url(tenant.users.object_id(u), upn, &mut g.url);
            let organization = tenant.orgs.name(org);
            let tail = g.tails.get(&g.request)?;
            Line::new(line, organization, upn, &g.url, tail).write(out)?;
            tally.count(org);
        }
        Built::Nothing => {}
        Built::UnknownSku(product) => tally.skip(line, || {
            format!(
                "{RESULT} line {line}: {upn} gets no Graph request: the SKU id of {} is not known (name the license by its SKU id in users.csv's Licenses, or give subscriptions.csv's SkuId for the pool of {})",
                tenant.products.name(catalog, product),
                tenant.orgs.name(org)
            )
        }),
    }
    Ok(())
}

/// How many users' reasons for having no request stderr gives.
const NOTES: usize = 5;

/// Requests written per organization, and the reassigned users left without
/// one, over some rows; tallies of successive rows merge in result order.
#[derive(Debug, Default)]
struct Tally {
    /// Requests by organization id.
    per_org: Vec<u64>,
    /// result.csv lines of reassigned users left without a request.
    skipped: Vec<u64>,
    /// Why, for the first [`NOTES`] of them.
    notes: Vec<String>,
}

impl Tally {
    fn count(&mut self, org: OrgId) {
        let i = org.0 as usize;
        if self.per_org.len() <= i {
            self.per_org.resize(i + 1, 0);
        }
        self.per_org[i] += 1;
    }

    fn skip(&mut self, line: u64, why: impl FnOnce() -> String) {
        self.skipped.push(line);
        if self.notes.len() < NOTES {
            self.notes.push(why());
        }
    }

    /// This tally, then `later`'s.
    fn merge(mut self, later: Tally) -> Tally {
        if self.per_org.len() < later.per_org.len() {
            self.per_org.resize(later.per_org.len(), 0);
        }
        for (n, more) in self.per_org.iter_mut().zip(later.per_org) {
            *n += more;
        }
        self.skipped.extend(later.skipped);
        self.notes.extend(later.notes);
        self.notes.truncate(NOTES);
        self
    }

    /// summary.json's `graph`; the last note says how many more were skipped.
    fn graph(&self, p: &Processed) -> Graph {
        let organizations = self
            .per_org
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(o, n)| (p.tenant.orgs.name(OrgId(o as u32)).to_string(), *n))
            .collect();
        Graph {
            requests: self.per_org.iter().sum(),
            organizations,
            skipped: self.skipped.clone(),
        }
    }

    /// What stderr says: a line for each of the first users left without a
    /// request, and how many more there are.
    fn notes(mut self) -> Vec<String> {
        let more = self.skipped.len().saturating_sub(self.notes.len());
        if more > 0 {
            self.notes.push(format!(
                "and {more} more reassigned users without a Graph request: summary.json's graph.skipped lists their {RESULT} lines"
            ));
        }
        self.notes
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The earlier outputs' bytes, and every other file of the folder.
    fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
        let mut all: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).unwrap(),
                )
            })
            .collect();
        all.sort();
        all
    }

    #[test]
    fn forgetting_the_earlier_outputs_keeps_them_whole() {
        let dir = tempfile::tempdir().unwrap();
        for (i, name) in FILES.iter().enumerate() {
            fs::write(dir.path().join(name), vec![b'a' + i as u8; 300_000]).unwrap();
        }
        fs::write(dir.path().join("notes.txt"), "not ours").unwrap();
        let before = contents(dir.path());
        forget_earlier(dir.path());
        assert_eq!(contents(dir.path()), before);
    }

    #[cfg(target_os = "linux")]
    use super::page_cache::cached_pages;

    #[cfg(target_os = "linux")]
    #[test]
    fn the_earlier_outputs_leave_the_page_cache_once_on_disk() {
        // Beside the build, on a disk: a tmpfs file lives in the cache and
        // cannot leave it.
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let (old, young) = (dir.path().join(RESULT), dir.path().join(GRAPH));
        let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        for path in [&old, &young] {
            let mut file = fs::File::create(path).unwrap();
            file.write_all(&vec![b'x'; 4 << 20]).unwrap();
            // On disk either way: the older file only is dropped.
            file.sync_all().unwrap();
            if path == &old {
                file.set_modified(hour_ago).unwrap();
            }
            drop(file);
            fs::read(path).unwrap();
            assert!(
                cached_pages(path) > 0,
                "{} was never cached",
                path.display()
            );
        }
        forget_earlier(dir.path());
        assert_eq!(cached_pages(&old), 0);
        assert!(cached_pages(&young) > 0, "a young output was dropped");
        assert_eq!(fs::read(&old).unwrap(), vec![b'x'; 4 << 20]);
    }
}
