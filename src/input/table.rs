//! The one place that builds CSV readers: encoding (UTF-8 with or without BOM,
//! UTF-16 with BOM), delimiter detection (and Excel's `sep=` line), header aliases,
//! cell trimming and non-breaking spaces, size limits, and errors located by file,
//! line and column.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use csv::{ByteRecord, StringRecord};

use crate::audit::{BLOCK, DigestSlot, HashingReader, ReadAhead};
use crate::error::InputError;

/// Longest cell accepted, in UTF-8 bytes before trimming.
pub const MAX_CELL: usize = 64 * 1024;
/// Most fields accepted in one row.
pub const MAX_FIELDS: usize = 1000;

/// How far into a file the header line is looked for, to detect the delimiter.
const SNIFF: usize = 64 * 1024;

/// The header names one logical column accepts, in priority order, and whether
/// the file must have it.
pub struct Accepts {
    pub names: &'static [&'static str],
    pub required: bool,
}

impl Accepts {
    /// The names, `` `quoted` `` and `, `-joined, for messages.
    pub fn quoted(&self) -> String {
        self.names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The logical columns of one input file, declared with [`columns!`]: what a
/// [`Table`] is opened with and its cells are read by.
pub trait Columns: Copy {
    /// Every column, in declaration order.
    const ALL: &'static [Accepts];

    /// The column's place in [`Columns::ALL`].
    fn index(self) -> usize;
}

/// Declares the columns of an input file in one place: an enum, each variant
/// `required` or `optional` with the header names it accepts, in priority order.
macro_rules! columns {
    ($(#[$meta:meta])* $vis:vis enum $name:ident {
        $($(#[$vmeta:meta])* $variant:ident: $presence:ident [$($accepted:literal),+ $(,)?],)+
    }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $crate::input::table::Columns for $name {
            const ALL: &'static [$crate::input::table::Accepts] = &[$(
                $crate::input::table::Accepts {
                    names: &[$($accepted),+],
                    required: $crate::input::table::columns!(@$presence),
                },
            )+];

            fn index(self) -> usize {
                self as usize
            }
        }
    };
    (@required) => {
        true
    };
    (@optional) => {
        false
    };
}
pub(crate) use columns;

/// A file's name and header: what it takes to read a cell of one of its rows.
#[derive(Clone, Debug)]
pub struct Header {
    file: String,
    names: Vec<String>,
    /// Per logical column: the positions of its accepted names, in priority order.
    positions: Vec<Vec<usize>>,
}

/// An open CSV file positioned on its data rows.
pub struct Table {
    header: Header,
    reader: csv::Reader<Box<dyn Read + Send>>,
    record: StringRecord,
    scratch: Scratch,
    rows: u64,
    /// Lines end with `\r\n` (as the header line does).
    crlf: bool,
    /// The file has been read to its end.
    at_end: Arc<AtomicBool>,
}

/// A source that says when it has been read to its end.
struct Watched {
    inner: Box<dyn Read + Send>,
    at_end: Arc<AtomicBool>,
}

impl Read for Watched {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 && !buf.is_empty() {
            self.at_end.store(true, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Where [`Header::admit`] rewrites a record's non-breaking spaces, reused from
/// row to row.
#[derive(Default)]
pub struct Scratch {
    spare: StringRecord,
    cell: String,
}

/// One data row of a file.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    header: &'a Header,
    record: &'a StringRecord,
}

/// An input file opened for reading: every byte read from it is hashed for the
/// audit trail.
pub struct Source {
    file: String,
    len: u64,
    reader: Box<dyn Read + Send>,
}

impl Source {
    /// Opens `path`; the slot gets the file's digest once it has been read.
    pub fn open(path: &Path) -> Result<(Source, DigestSlot), InputError> {
        let file = path.display().to_string();
        let io_err = |source| InputError::Io {
            file: file.clone(),
            source,
        };
        let handle = File::open(path).map_err(io_err)?;
        let len = handle.metadata().map_or(0, |m| m.len());
        // A file of several blocks is read and hashed on a thread of its own,
        // when the run has more than one.
        let (reader, slot): (Box<dyn Read + Send>, _) =
            if len > 4 * BLOCK as u64 && rayon::current_num_threads() > 1 {
                let (reader, slot) = ReadAhead::new(handle);
                (Box::new(reader), slot)
            } else {
                let (reader, slot) = HashingReader::new(handle);
                (Box::new(reader), slot)
            };
        Ok((Source { file, len, reader }, slot))
    }

    /// CSV already in memory (the built-in catalog, tests), under the name `name`.
    pub fn bytes(name: &str, bytes: &'static [u8]) -> (Source, DigestSlot) {
        let (reader, slot) = HashingReader::new(bytes);
        let source = Source {
            file: name.to_string(),
            len: bytes.len() as u64,
            reader: Box::new(reader),
        };
        (source, slot)
    }

    /// The file's size when opened, in bytes.
    pub fn len(&self) -> u64 {
        self.len
    }
}

impl Table {
    /// Reads `source`, a file of columns `C`.
    pub fn open<C: Columns>(source: Source) -> Result<Table, InputError> {
        Table::open_needing::<C>(source, &[])
    }

    /// Reads `source`, a file of columns `C` that must also have the optional
    /// columns of `needed` in this run, each with why (for the message that
    /// names every missing column at once).
    pub fn open_needing<C: Columns>(
        source: Source,
        needed: &[(C, String)],
    ) -> Result<Table, InputError> {
        let needed: Vec<(usize, &str)> = needed
            .iter()
            .map(|(column, why)| (column.index(), why.as_str()))
            .collect();
        Table::from_reader(source.file, source.reader, C::ALL, &needed)
    }

    /// Reads CSV already in memory (tests).
    #[cfg(test)]
    pub fn from_bytes<C: Columns>(name: &str, bytes: &'static [u8]) -> Result<Table, InputError> {
        Table::open::<C>(Source::bytes(name, bytes).0)
    }

    fn from_reader(
        file: String,
        mut source: Box<dyn Read + Send>,
        columns: &[Accepts],
        needed: &[(usize, &str)],
    ) -> Result<Table, InputError> {
        let io_err = |source| InputError::Io {
            file: file.clone(),
            source,
        };
        let mut head = Vec::with_capacity(SNIFF);
        (&mut source)
            .take(SNIFF as u64)
            .read_to_end(&mut head)
            .map_err(io_err)?;
        let (head, source) = match decode_bom(&file, head, source)? {
            Decoded::Utf8(head, rest) => (head, rest),
            Decoded::Whole(text) => (text, Box::new(io::empty()) as Box<dyn Read + Send>),
        };
        let dialect = sniff(&file, &head)?;
        let crlf = head
            .split(|&b| b == b'\n')
            .next()
            .is_some_and(|l| l.ends_with(b"\r"));
        let at_end = Arc::new(AtomicBool::new(false));
        let reader = csv::ReaderBuilder::new()
            .delimiter(dialect.delimiter)
            .has_headers(false)
            .flexible(true)
            .buffer_capacity(1 << 16)
            .from_reader(Box::new(Watched {
                inner: Box::new(Cursor::new(head).chain(source)),
                at_end: Arc::clone(&at_end),
            }) as Box<dyn Read + Send>);
        let mut table = Table {
            header: Header {
                file,
                names: Vec::new(),
                positions: Vec::new(),
            },
            reader,
            record: StringRecord::new(),
            scratch: Scratch::default(),
            rows: 0,
            crlf,
            at_end,
        };
        table.read_header(columns, needed, dialect.sep_line)?;
        Ok(table)
    }

    fn read_header(
        &mut self,
        columns: &[Accepts],
        needed: &[(usize, &str)],
        sep_line: bool,
    ) -> Result<(), InputError> {
        if !self.read_record()? {
            return Err(self.at(1, 1, "the file is empty: it has no header line".into()));
        }
        // Excel's `sep=X` line has set the delimiter; the header comes after it.
        if sep_line && !self.read_record()? {
            return Err(self.at(
                2,
                1,
                "the file has no header line after its `sep=` line".into(),
            ));
        }
        // Windows PowerShell's Export-Csv without -NoTypeInformation writes a
        // `#TYPE ...` line before the header; Import-Csv skips it, and so do we.
        if is_type_line(self.record.get(0).unwrap_or("").as_bytes()) && !self.read_record()? {
            return Err(self.at(
                2,
                1,
                "the file has no header line after its `#TYPE` line".into(),
            ));
        }
        self.header.check_limits(&self.record)?;
        unbreak_spaces(&mut self.record, &mut self.scratch);
        let line = self.line();
        self.header.names = self.record.iter().map(|h| clean(h).to_string()).collect();
        let normalized: Vec<String> = self
            .header
            .names
            .iter()
            .map(|h| normalize_header(h))
            .collect();
        let mut missing = Vec::new();
        for (index, column) in columns.iter().enumerate() {
            let why = needed
                .iter()
                .find(|(i, _)| *i == index)
                .map(|(_, why)| *why);
            let mut found = Vec::new();
            for name in column.names {
                let wanted = normalize_header(name);
                found.extend(
                    normalized
                        .iter()
                        .enumerate()
                        .filter(|(_, n)| **n == wanted)
                        .map(|(i, _)| i),
                );
            }
            if (column.required || why.is_some()) && found.is_empty() {
                missing.push((column, why));
            }
            self.header.positions.push(found);
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(self.at(line, 1, self.missing_message(&missing)))
    }

    /// Every missing required column with the names it accepts, and the columns
    /// the header does hold: one message, so that one edit fixes the file.
    fn missing_message(&self, missing: &[(&Accepts, Option<&str>)]) -> String {
        let described: Vec<String> = missing
            .iter()
            .map(|(column, why)| {
                format!(
                    "`{}` (accepted names: {}{})",
                    column.names.first().copied().unwrap_or("?"),
                    column.quoted(),
                    why.map(|why| format!("; {why}")).unwrap_or_default()
                )
            })
            .collect();
        let seen = self
            .header
            .names
            .iter()
            .filter(|h| !h.is_empty())
            .map(|h| format!("`{h}`"))
            .collect::<Vec<_>>()
            .join(", ");
        format!(
            "missing required column{} {}; columns found: {}",
            if missing.len() > 1 { "s:" } else { "" },
            described.join(", "),
            if seen.is_empty() { "none".into() } else { seen }
        )
    }

    /// Reads the next record as it is in the file (header lines included),
    /// dated with the line where it starts.
    fn read_raw(&mut self, raw: &mut ByteRecord) -> Result<bool, InputError> {
        match self.reader.read_byte_record(raw) {
            Ok(more) => {
                if let Some(start) = raw.position() {
                    // Line breaks inside quoted cells. The memchr crate's search
                    // (SIMD) reads a wide row of the admin center's export in a
                    // tenth of the instructions `[u8]::contains` takes.
                    let bytes = raw.as_slice();
                    let embedded = match memchr::memchr(b'\n', bytes) {
                        Some(_) => memchr::memchr_iter(b'\n', bytes).count(),
                        None => 0,
                    };
                    let mut start = start.clone();
                    start.set_line(self.start_line(start.line(), embedded as u64));
                    raw.set_position(Some(start));
                }
                Ok(more)
            }
            Err(err) => Err(self.csv_error(err)),
        }
    }

    /// Reads the next record into `self.record` (a header line).
    fn read_record(&mut self) -> Result<bool, InputError> {
        let mut raw = std::mem::take(&mut self.record).into_byte_record();
        let more = self.read_raw(&mut raw)?;
        self.record = self.header.text(raw)?;
        Ok(more)
    }

    /// The line where the record just read starts. The csv crate dates a record where
    /// reading began: before the blank lines it skips (BurntSushi/rust-csv#208) and,
    /// in a CRLF file, before the `\n` left over from the previous line end (#395).
    /// So count back from where reading ended, less the line breaks inside quotes.
    fn start_line(&self, began: u64, embedded: u64) -> u64 {
        let ended = self.reader.position().line();
        if self.crlf {
            // Reading stops after the `\r`: the row's own `\n` is not counted yet.
            ended.saturating_sub(embedded).max(1)
        } else {
            // Reading stops after the row's `\n`, if it has one.
            let end = u64::from(!self.at_end.load(Ordering::Relaxed));
            ended.saturating_sub(embedded + end).max(began)
        }
    }

    fn csv_error(&self, err: csv::Error) -> InputError {
        let line = err
            .position()
            .map_or(self.line() + 1, |p| self.start_line(p.line(), 0));
        match err.into_kind() {
            csv::ErrorKind::Io(source) => InputError::Io {
                file: self.header.file.clone(),
                source,
            },
            csv::ErrorKind::Utf8 { err, .. } => self.at(line, err.field() + 1, NOT_UTF8.into()),
            other => self.at(line, 1, format!("unreadable CSV: {other:?}")),
        }
    }

    /// Moves to the next data row, skipping rows whose cells are all empty.
    /// Returns false at the end of the file.
    pub fn next_row(&mut self) -> Result<bool, InputError> {
        let mut raw = ByteRecord::new();
        loop {
            if !self.read_raw(&mut raw)? {
                return Ok(false);
            }
            if self
                .header
                .admit(&mut raw, &mut self.record, &mut self.scratch)?
            {
                self.rows += 1;
                return Ok(true);
            }
        }
    }

    /// Reads the next record as it is in the file into `raw` (a buffer to
    /// reuse), for [`Header::admit`] to check on another thread: reading and
    /// checking a row take about as long as each other. Blank rows are read
    /// too: they are rows the file has, and [`Header::admit`] skips them.
    pub fn next_raw(&mut self, raw: &mut ByteRecord) -> Result<bool, InputError> {
        self.read_raw(raw)
    }

    /// The current row.
    pub fn row(&self) -> Row<'_> {
        Row {
            header: &self.header,
            record: &self.record,
        }
    }

    /// The file's name and header, to check and read rows handed over by
    /// [`Table::next_raw`].
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The trimmed value of logical column `column` on the current row.
    pub fn get(&self, column: impl Columns) -> &str {
        self.row().get(column)
    }

    /// Whether the file has logical column `column`.
    pub fn has(&self, column: impl Columns) -> bool {
        self.header.has(column)
    }

    /// The file line where the current row starts.
    pub fn line(&self) -> u64 {
        self.row().line()
    }

    /// Data rows read so far (rows with at least one non-empty cell).
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The file as named on the command line.
    pub fn file(&self) -> &str {
        &self.header.file
    }

    /// An error about logical column `column` on the current row.
    pub fn error(&self, column: impl Columns, message: impl Into<String>) -> InputError {
        self.row().error(column, message)
    }

    /// The 1-based file column of logical column `column` on the current row.
    pub fn column_number(&self, column: impl Columns) -> usize {
        self.row().column_number(column)
    }

    /// An error about a required column whose cell is empty.
    pub fn empty_error(&self, column: impl Columns) -> InputError {
        self.row().empty_error(column)
    }

    fn at(&self, line: u64, column: usize, message: String) -> InputError {
        self.header.at(line, column, message)
    }
}

impl Header {
    /// Makes the record `raw` read by [`Table::next_raw`] the data row `row`:
    /// UTF-8 text, of the header's width (extra cells empty), within the size
    /// limits, non-breaking spaces as spaces. Returns false for a blank row (every
    /// cell empty), which is skipped. The two records trade buffers.
    pub fn admit(
        &self,
        raw: &mut ByteRecord,
        row: &mut StringRecord,
        scratch: &mut Scratch,
    ) -> Result<bool, InputError> {
        let text = self.text(std::mem::take(raw))?;
        *raw = std::mem::replace(row, text).into_byte_record();
        if row.iter().all(|c| clean(c).is_empty()) {
            return Ok(false);
        }
        self.check_limits(row)?;
        let line = row.position().map_or(1, |p| p.line());
        let (width, expected) = (row.len(), self.names.len());
        if width < expected {
            return Err(self.at(
                line,
                width + 1,
                format!("this row has {width} fields but the header has {expected}"),
            ));
        }
        if let Some(extra) =
            (expected..width).find(|&i| row.get(i).is_some_and(|c| !clean(c).is_empty()))
        {
            return Err(self.at(
                line,
                extra + 1,
                format!("this row has {width} fields but the header has {expected}, and the extra ones are not empty"),
            ));
        }
        unbreak_spaces(row, scratch);
        Ok(true)
    }

    /// The record as text, or where it is not UTF-8.
    fn text(&self, raw: ByteRecord) -> Result<StringRecord, InputError> {
        StringRecord::from_byte_record(raw).map_err(|err| {
            let field = err.utf8_error().field();
            let line = err.into_byte_record().position().map_or(1, |p| p.line());
            self.at(line, field + 1, NOT_UTF8.into())
        })
    }

    fn check_limits(&self, record: &StringRecord) -> Result<(), InputError> {
        let line = record.position().map_or(1, |p| p.line());
        let width = record.len();
        if width > MAX_FIELDS {
            return Err(self.at(
                line,
                MAX_FIELDS + 1,
                format!("{width} fields in one row; at most {MAX_FIELDS} are accepted"),
            ));
        }
        // A row shorter than the limit cannot hold a cell longer than it.
        if record.as_slice().len() > MAX_CELL
            && let Some(i) = record.iter().position(|c| c.len() > MAX_CELL)
        {
            return Err(self.at(
                line,
                i + 1,
                format!("a cell of more than {} KiB", MAX_CELL / 1024),
            ));
        }
        Ok(())
    }

    /// Whether the file has logical column `column`.
    pub fn has(&self, column: impl Columns) -> bool {
        !self.positions(column.index()).is_empty()
    }

    /// The file columns of logical column `column`, in priority order.
    fn positions(&self, column: usize) -> &[usize] {
        self.positions.get(column).map_or(&[], Vec::as_slice)
    }

    /// An error about logical column `column` on line `line`.
    pub fn error_at(&self, line: u64, column: impl Columns, message: String) -> InputError {
        let at = self.positions(column.index()).first().map_or(1, |i| i + 1);
        self.at(line, at, message)
    }

    /// The file as named on the command line.
    pub fn file(&self) -> &str {
        &self.file
    }

    /// A row of this file admitted by [`Header::admit`].
    pub fn row<'a>(&'a self, record: &'a StringRecord) -> Row<'a> {
        Row {
            header: self,
            record,
        }
    }

    fn at(&self, line: u64, column: usize, message: String) -> InputError {
        InputError::At {
            file: self.file.clone(),
            line,
            column,
            message,
        }
    }
}

impl<'a> Row<'a> {
    /// The trimmed value of logical column `column`: the first non-empty one of its
    /// accepted names, or "" when absent or empty.
    pub fn get(&self, column: impl Columns) -> &'a str {
        self.header
            .positions(column.index())
            .iter()
            .filter_map(|&i| self.record.get(i))
            .map(clean)
            .find(|c| !c.is_empty())
            .unwrap_or("")
    }

    /// The byte offset where the row starts (for progress).
    pub fn byte(&self) -> u64 {
        self.record.position().map_or(0, |p| p.byte())
    }

    /// The file line where the row starts.
    pub fn line(&self) -> u64 {
        self.record.position().map_or(1, |p| p.line())
    }

    /// An error about logical column `column` on this row.
    pub fn error(&self, column: impl Columns, message: impl Into<String>) -> InputError {
        self.header
            .at(self.line(), self.column_number(column), message.into())
    }

    /// The 1-based file column of logical column `column`: the one its value comes
    /// from, else its first accepted name.
    pub fn column_number(&self, column: impl Columns) -> usize {
        let positions = self.header.positions(column.index());
        positions
            .iter()
            .copied()
            .find(|&i| self.record.get(i).is_some_and(|c| !clean(c).is_empty()))
            .or(positions.first().copied())
            .map_or(1, |i| i + 1)
    }

    /// The header name of logical column `column` as the file spells it: the one
    /// its value comes from, else its first accepted name present.
    pub fn column_name(&self, column: impl Columns) -> &'a str {
        self.header
            .names
            .get(self.column_number(column) - 1)
            .filter(|_| self.header.has(column))
            .map_or("?", String::as_str)
    }

    /// An error about a required column whose cell is empty.
    pub fn empty_error(&self, column: impl Columns) -> InputError {
        let name = self.column_name(column);
        self.error(column, format!("the required column `{name}` is empty"))
    }
}

/// What a cell that is not UTF-8 is told.
const NOT_UTF8: &str = "invalid UTF-8 text: save the file as UTF-8 (\"CSV UTF-8\" in Excel) or UTF-16 with a byte order mark";

/// Rewrites the record's non-breaking spaces as spaces: SPEC counts one as a
/// space wherever it stands in a cell (`O365_w/o<NBSP>Teams`).
fn unbreak_spaces(record: &mut StringRecord, scratch: &mut Scratch) {
    const NBSP: char = '\u{a0}';
    let text = record.as_slice();
    // Every NBSP ends with the byte 0xA0: a memchr for it finds none in most
    // rows, and only then is the text searched. The rewrite reuses buffers.
    if memchr::memchr(0xA0, text.as_bytes()).is_none() || !text.contains(NBSP) {
        return;
    }
    let Scratch { spare, cell } = scratch;
    spare.clear();
    for field in record.iter() {
        if field.contains(NBSP) {
            cell.clear();
            for (i, piece) in field.split(NBSP).enumerate() {
                if i > 0 {
                    cell.push(' ');
                }
                cell.push_str(piece);
            }
            spare.push_field(cell);
        } else {
            spare.push_field(field);
        }
    }
    spare.set_position(record.position().cloned());
    std::mem::swap(record, spare);
}

enum Decoded {
    /// UTF-8: the first bytes (BOM removed) and the rest of the stream.
    Utf8(Vec<u8>, Box<dyn Read + Send>),
    /// UTF-16, decoded whole to UTF-8.
    Whole(Vec<u8>),
}

fn decode_bom(
    file: &str,
    mut head: Vec<u8>,
    mut rest: Box<dyn Read + Send>,
) -> Result<Decoded, InputError> {
    let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(&head) else {
        return Ok(Decoded::Utf8(head, rest));
    };
    head.drain(..bom);
    if encoding == encoding_rs::UTF_8 {
        return Ok(Decoded::Utf8(head, rest));
    }
    rest.read_to_end(&mut head)
        .map_err(|source| InputError::Io {
            file: file.to_string(),
            source,
        })?;
    match encoding.decode_without_bom_handling_and_without_replacement(&head) {
        Some(text) => Ok(Decoded::Whole(text.into_owned().into_bytes())),
        None => Err(InputError::At {
            file: file.to_string(),
            line: 1,
            column: 1,
            message: format!("invalid {} text after its byte order mark", encoding.name()),
        }),
    }
}

/// How a file separates its fields.
struct Dialect {
    delimiter: u8,
    /// The file starts with Excel's `sep=X` line, which named the delimiter.
    sep_line: bool,
}

/// The delimiters SPEC accepts, in the order that breaks a tie.
const DELIMITERS: [u8; 3] = [b',', b';', b'\t'];

/// The delimiter that a first line `sep=X` names; else the one the header line
/// holds most of (on a tie, the first of [`DELIMITERS`]).
fn sniff(file: &str, head: &[u8]) -> Result<Dialect, InputError> {
    let at = |line, message: String| InputError::At {
        file: file.to_string(),
        line,
        column: 1,
        message,
    };
    let mut lines = head
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l));
    let mut line = lines.next().unwrap_or(&[]);
    if let Some((prefix, rest)) = line.split_at_checked(4)
        && prefix.eq_ignore_ascii_case(b"sep=")
    {
        return match *rest {
            [d] if DELIMITERS.contains(&d) => Ok(Dialect {
                delimiter: d,
                sep_line: true,
            }),
            _ => Err(at(
                1,
                format!(
                    "the first line `{}` names a delimiter replan does not read: save the file with `,`, `;` or tab between fields",
                    String::from_utf8_lossy(line)
                ),
            )),
        };
    }
    if is_type_line(line) {
        line = lines.next().unwrap_or(&[]);
    }
    if line.contains(&0) {
        return Err(at(1, "the header line contains NUL bytes: this looks like UTF-16 without a byte order mark; save the file as UTF-8 or as UTF-16 with BOM".into()));
    }
    let count = |d: u8| line.iter().filter(|&&b| b == d).count();
    // `max_by_key` keeps the last of equals: go through the tie order backwards.
    let delimiter = DELIMITERS
        .iter()
        .rev()
        .copied()
        .max_by_key(|&d| count(d))
        .unwrap_or(b',');
    Ok(Dialect {
        delimiter,
        sep_line: false,
    })
}

/// The `#TYPE Selected.Microsoft.Graph...` line of Windows PowerShell's Export-Csv.
fn is_type_line(line: &[u8]) -> bool {
    line.starts_with(b"#TYPE ")
}

/// A cell without surrounding white space (non-breaking spaces included).
pub fn clean(cell: &str) -> &str {
    // Most cells start and end with a visible ASCII character: nothing to decode.
    match cell.as_bytes() {
        [first, .., last] if first.is_ascii_graphic() && last.is_ascii_graphic() => cell,
        _ => cell.trim_matches(char::is_whitespace),
    }
}

/// A header as compared: lowercase, without spaces, `_`, `.` and `-`.
fn normalize_header(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '.' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    columns! {
        enum Column {
            Upn: required ["User principal name", "UPN"],
            UsageLocation: optional ["Usage location"],
        }
    }
    use Column::{Upn, UsageLocation};

    fn table(bytes: &'static [u8]) -> Result<Table, InputError> {
        Table::from_bytes::<Column>("t.csv", bytes)
    }

    #[test]
    fn headers_match_ignoring_case_spaces_and_punctuation() {
        let mut t = table(b"user_PRINCIPAL-name;usage.location\n a@b.c ;FR\n").unwrap();
        assert!(t.next_row().unwrap());
        assert_eq!(t.get(Upn), "a@b.c");
        assert_eq!(t.get(UsageLocation), "FR");
    }

    #[test]
    fn first_non_empty_alias_wins() {
        let mut t = table(b"UPN,User principal name\n,a@b.c\nx@y.z,b@b.c\n").unwrap();
        assert!(t.next_row().unwrap());
        assert_eq!(t.get(Upn), "a@b.c");
        assert!(t.next_row().unwrap());
        assert_eq!(t.get(Upn), "b@b.c");
    }

    #[test]
    fn non_breaking_spaces_are_trimmed() {
        let mut t = table("UPN\n\u{a0}a@b.c\u{a0}\n".as_bytes()).unwrap();
        assert!(t.next_row().unwrap());
        assert_eq!(t.get(Upn), "a@b.c");
    }

    #[test]
    fn non_breaking_spaces_inside_cells_are_spaces() {
        let mut t = table("UPN,Usage\u{a0}location\nA\u{a0}b@c.d\u{a0},FR\n".as_bytes()).unwrap();
        assert!(t.next_row().unwrap());
        assert_eq!((t.get(Upn), t.get(UsageLocation)), ("A b@c.d", "FR"));
        // Other characters whose UTF-8 ends with 0xA0 are left alone.
        let mut t = table("UPN\nà\u{2020}@c.d\n".as_bytes()).unwrap();
        assert!(t.next_row().unwrap());
        assert_eq!(t.get(Upn), "à\u{2020}@c.d");
    }

    #[test]
    fn delimiter_is_the_most_frequent_in_the_header_in_tie_order() {
        let delimiter = |head: &[u8]| sniff("t.csv", head).unwrap().delimiter;
        assert_eq!(delimiter(b"a;b,c;d\nx,y,z,w,v\n"), b';');
        assert_eq!(delimiter(b"a\tb\tc,d\n"), b'\t');
        assert_eq!(delimiter(b"a,b;c\td\n"), b',');
        assert_eq!(delimiter(b"a;b\tc\n"), b';');
        assert_eq!(delimiter(b"UPN\n"), b',');
        assert_eq!(delimiter(b"#TYPE x.y\r\na;b\r\n"), b';');
    }

    #[test]
    fn excel_sep_line_wins_and_is_skipped_but_counted() {
        let dialect = sniff("t.csv", b"SEP=\t\r\na,b\tc,d\r\n").unwrap();
        assert!(dialect.sep_line && dialect.delimiter == b'\t');
        let mut t = table(b"sep=;\r\nUPN;Usage location,x\r\na@b.c;FR,y\r\n").unwrap();
        assert!(t.next_row().unwrap());
        assert_eq!(
            (t.get(Upn), t.get(UsageLocation), t.line()),
            ("a@b.c", "", 3)
        );
        let err = table(b"sep=\n").err().unwrap().to_string();
        assert!(
            err.starts_with("t.csv:1:1:") && err.contains("`sep=`"),
            "{err}"
        );
        let err = table(b"sep=;\n").err().unwrap().to_string();
        assert!(err.starts_with("t.csv:2:1:"), "{err}");
    }

    #[test]
    fn every_missing_column_is_named_in_one_message() {
        columns! {
            #[allow(dead_code, reason = "only its accepted names are read")]
            enum Both {
                Upn: required ["User principal name", "UPN"],
                Licenses: required ["Licenses", "License"],
            }
        }
        let err = Table::from_bytes::<Both>("t.csv", b"Name,Mail\n")
            .err()
            .unwrap()
            .to_string();
        assert_eq!(
            err,
            "t.csv:1:1: missing required columns: `User principal name` (accepted names: `User principal name`, `UPN`), `Licenses` (accepted names: `Licenses`, `License`); columns found: `Name`, `Mail`"
        );
    }

    #[test]
    fn missing_column_lists_found_and_accepted_names() {
        let err = table(b"Name,Mail\n").err().unwrap().to_string();
        assert!(err.contains("`UPN`") && err.contains("`Mail`"), "{err}");
    }

    #[test]
    fn empty_file_has_no_header() {
        let err = table(b"").err().unwrap().to_string();
        assert!(
            err.contains("t.csv:1:1") && err.contains("no header"),
            "{err}"
        );
    }

    #[test]
    fn blank_rows_are_skipped_and_empty_extra_fields_accepted() {
        let mut t = table(b"UPN,Usage location\n,\n,,\na@b.c,FR,,\n\n").unwrap();
        assert!(t.next_row().unwrap());
        assert_eq!(t.line(), 4);
        assert!(!t.next_row().unwrap());
        assert_eq!(t.rows(), 1);
    }

    #[test]
    fn short_or_non_empty_extra_rows_are_unusable() {
        let mut t = table(b"UPN,Usage location\na@b.c\n").unwrap();
        let err = t.next_row().err().unwrap().to_string();
        assert!(err.starts_with("t.csv:2:2:"), "{err}");
        let mut t = table(b"UPN,Usage location\na@b.c,FR,x\n").unwrap();
        let err = t.next_row().err().unwrap().to_string();
        assert!(err.starts_with("t.csv:2:3:"), "{err}");
    }

    #[test]
    fn powershell_type_line_is_skipped() {
        let mut t = table(b"#TYPE Selected.Microsoft.Graph.PowerShell.Models.MicrosoftGraphUser\n\"UPN\";\"Usage location\"\n\"a@b.c\";\"FR\"\n").unwrap();
        assert!(t.next_row().unwrap());
        assert_eq!((t.get(Upn), t.get(UsageLocation)), ("a@b.c", "FR"));
        assert_eq!(t.line(), 3);
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "UPN;Usage location\r\na@b.c;FR\r\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let mut t = table(bytes).unwrap();
        assert!(t.next_row().unwrap());
        assert_eq!((t.get(Upn), t.get(UsageLocation)), ("a@b.c", "FR"));
    }

    #[test]
    fn utf16_without_bom_is_refused() {
        let mut bytes = Vec::new();
        for unit in "UPN\na@b.c\n".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let err = table(bytes).err().unwrap().to_string();
        assert!(err.contains("UTF-16"), "{err}");
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let mut t = table(b"UPN,Usage location\na@b.c,\xe9\n").unwrap();
        let err = t.next_row().err().unwrap().to_string();
        assert!(err.starts_with("t.csv:2:2:"), "{err}");
    }

    #[test]
    fn oversized_cells_and_rows_are_unusable() {
        let big: &'static [u8] = Box::leak(
            format!("UPN\n{}\n", "a".repeat(MAX_CELL + 1))
                .into_bytes()
                .into_boxed_slice(),
        );
        let mut t = table(big).unwrap();
        assert!(t.next_row().err().unwrap().to_string().contains("KiB"));
        let wide: &'static [u8] = Box::leak(
            format!("UPN{}\n", ",x".repeat(MAX_FIELDS))
                .into_bytes()
                .into_boxed_slice(),
        );
        assert!(table(wide).err().unwrap().to_string().contains("fields"));
    }
}
