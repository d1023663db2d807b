//! The journal `OUT/applied.csv`: one row per outcome, appended and flushed after
//! every batch and never rewritten, so that an apply killed at any moment leaves
//! every outcome it reached on disk, and the next apply resumes after them.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::batch::Ended;
use super::decide::Outcome;
use super::requests::Request;
use crate::error::{Error, InputError};
use crate::output::escape;

/// The file's name in the output folder.
pub const FILE: &str = "applied.csv";

const HEADER: [&str; 8] = [
    "line",
    "organization",
    "user",
    "outcome",
    "status",
    "code",
    "message",
    "at",
];

/// An outcome an earlier apply journaled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earlier {
    pub line: u64,
    pub organization: String,
    /// As written: escaped like every output cell.
    pub user: String,
    pub outcome: Outcome,
}

impl Earlier {
    /// Whether this row is about `request`: the same result.csv line, for the same
    /// user (a later run may have put someone else on that line).
    pub fn is_of(&self, request: &Request) -> bool {
        self.line == request.line
            && self.organization == escape(&request.organization)
            && self.user == escape(&request.user)
    }
}

/// Reads the journal's rows; none when there is no journal yet.
pub fn read(path: &Path) -> Result<Vec<Earlier>, Error> {
    let file = path.display().to_string();
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => return Err(InputError::Io { file, source }.into()),
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(whole_rows(&bytes));
    let mut rows = Vec::new();
    let mut record = csv::StringRecord::new();
    let mut n = 0;
    loop {
        n += 1;
        let at = |column: usize, message: String| InputError::At {
            file: file.clone(),
            line: n,
            column,
            message,
        };
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(at(1, format!("not CSV: {e}")).into()),
        }
        if n == 1 {
            if record.iter().ne(HEADER) {
                let message = format!(
                    "not a journal of replan apply: the header is not {}",
                    HEADER.join(",")
                );
                return Err(at(1, message).into());
            }
            continue;
        }
        let cell = |i: usize| record.get(i).unwrap_or_default();
        if record.len() != HEADER.len() {
            let message = format!("{} fields, the header has {}", record.len(), HEADER.len());
            return Err(at(1, message).into());
        }
        let line = cell(0)
            .parse()
            .map_err(|_| at(1, format!("line {:?} is not a number", cell(0))))?;
        let outcome = Outcome::parse(cell(3))
            .ok_or_else(|| at(4, format!("unknown outcome {:?}", cell(3))))?;
        rows.push(Earlier {
            line,
            organization: cell(1).to_string(),
            user: cell(2).to_string(),
            outcome,
        });
    }
    Ok(rows)
}

/// The rows ended by a line end: a crash may have cut the last one, whose batch
/// then counts as not journaled (the next apply reads its users again).
fn whole_rows(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    bytes.get(..end).unwrap_or_default()
}

/// The journal, open for appending.
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    /// Opens the journal for appending, writing its header if it is new.
    pub fn open(path: &Path) -> Result<Journal, Error> {
        let fail = |source| Error::Output {
            path: path.to_path_buf(),
            source,
        };
        let mut file = OpenOptions::new()
            .append(true)
            .create(true)
            .open(path)
            .map_err(fail)?;
        let len = file.metadata().map_err(fail)?.len();
        let whole = whole_rows(&fs::read(path).map_err(fail)?).len() as u64;
        if whole < len {
            // A row cut by a crash: its batch had not been journaled.
            file.set_len(whole).map_err(fail)?;
        }
        if whole == 0 {
            file.write_all(format!("{}\n", HEADER.join(",")).as_bytes())
                .map_err(fail)?;
        }
        Ok(Journal {
            file,
            path: path.to_path_buf(),
        })
    }

    /// Appends the outcomes of one batch, all at `at`, and puts them on disk
    /// before the next batch is journaled.
    pub fn append<'r>(
        &mut self,
        ended: impl IntoIterator<Item = (&'r Request, &'r Ended)>,
        at: SystemTime,
    ) -> Result<(), Error> {
        let at = humantime::format_rfc3339_seconds(at).to_string();
        let mut rows = csv::WriterBuilder::new()
            .has_headers(false)
            .terminator(csv::Terminator::Any(b'\n'))
            .from_writer(Vec::new());
        for (request, ended) in ended {
            let status = ended.status.map(|s| s.to_string()).unwrap_or_default();
            let line = request.line.to_string();
            let cells = [
                line.as_str(),
                &request.organization,
                &request.user,
                ended.outcome.as_str(),
                &status,
                &ended.code,
                &ended.message,
                &at,
            ];
            rows.write_record(cells.iter().map(|c| escape(c).into_owned()))
                .map_err(|e| self.fail(e.into()))?;
        }
        let bytes = rows.into_inner().map_err(|e| self.fail(e.into_error()))?;
        // One write a batch: a row is never cut by another apply's (there is
        // none: the lock) nor half on disk after a crash more than the last one.
        self.file.write_all(&bytes).map_err(|e| self.fail(e))?;
        self.file.sync_data().map_err(|e| self.fail(e))
    }

    fn fail(&self, source: io::Error) -> Error {
        Error::Output {
            path: self.path.clone(),
            source,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    fn request(line: u64, user: &str) -> Request {
        Request {
            line,
            organization: "Contoso".into(),
            user: user.into(),
            method: "POST".into(),
            url: "/users/x/assignLicense".into(),
            body: json!({}),
            before: vec![],
            after: vec![],
        }
    }

    #[test]
    fn rows_are_appended_with_their_fields_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_428_800);
        let (a, b) = (
            request(2, "adele@contoso.com"),
            request(3, "=cmd@contoso.com"),
        );
        let applied = Ended {
            outcome: Outcome::Applied,
            status: Some(200),
            code: String::new(),
            message: String::new(),
        };
        let failed = Ended {
            outcome: Outcome::Failed,
            status: Some(400),
            code: "Request_BadRequest".into(),
            message: "License assignment cannot be done for user with invalid usage location."
                .into(),
        };
        Journal::open(&path)
            .unwrap()
            .append([(&a, &applied)], at)
            .unwrap();
        // A second apply appends under the same header.
        Journal::open(&path)
            .unwrap()
            .append([(&b, &failed)], at)
            .unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "line,organization,user,outcome,status,code,message,at\n\
             2,Contoso,adele@contoso.com,applied,200,,,2026-12-05T00:00:00Z\n\
             3,Contoso,'=cmd@contoso.com,failed,400,Request_BadRequest,License assignment cannot be done for user with invalid usage location.,2026-12-05T00:00:00Z\n"
        );
        let rows = read(&path).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].outcome, Outcome::Failed);
        assert!(rows[0].is_of(&a) && !rows[0].is_of(&b));
        assert!(rows[1].is_of(&b), "an escaped user is matched");
        assert!(!rows[1].is_of(&request(3, "other@contoso.com")));
    }

    #[test]
    fn a_row_cut_by_a_crash_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let whole =
            "line,organization,user,outcome,status,code,message,at\n2,C,u,applied,200,,,t\n";
        fs::write(&path, format!("{whole}3,C,v,appl")).unwrap();
        assert_eq!(read(&path).unwrap().len(), 1);
        let at = SystemTime::UNIX_EPOCH;
        let ended = Ended {
            outcome: Outcome::Drifted,
            status: Some(200),
            code: String::new(),
            message: String::new(),
        };
        Journal::open(&path)
            .unwrap()
            .append([(&request(3, "v"), &ended)], at)
            .unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            format!("{whole}3,Contoso,v,drifted,200,,,1970-01-01T00:00:00Z\n")
        );
    }

    #[test]
    fn no_journal_reads_as_none() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read(&dir.path().join(FILE)).unwrap().is_empty());
    }

    #[test]
    fn a_file_that_is_not_a_journal_is_unusable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        fs::write(&path, "user,outcome\nx,applied\n").unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(err.contains("applied.csv:1:1: not a journal"), "{err}");
        fs::write(
            &path,
            "line,organization,user,outcome,status,code,message,at\n2,C,u,done,200,,,t\n",
        )
        .unwrap();
        let err = read(&path).unwrap_err().to_string();
        assert!(
            err.contains("applied.csv:2:4: unknown outcome \"done\""),
            "{err}"
        );
    }
}
