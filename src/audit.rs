//! The audit trail: the size and SHA-256 of every file read and written, taken as
//! the bytes pass through (a file is never read twice to hash it), and the record
//! of a run that summary.json `audit` and the report's audit trail show.

use std::io::{self, Read, Write};
use std::sync::{Arc, OnceLock, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use std::path::Path;

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use crate::run::{Processed, Settings};

/// The size and SHA-256 of a file's bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest {
    pub bytes: u64,
    pub sha256: [u8; 32],
}

impl Digest {
    /// The SHA-256 in lowercase hex, as `sha256sum` prints it.
    pub fn hex(&self) -> String {
        use std::fmt::Write as _;
        self.sha256
            .iter()
            .fold(String::with_capacity(64), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            })
    }
}

/// Size and hash so far of the bytes that went through.
#[derive(Clone, Default)]
struct Hasher {
    sha: Sha256,
    bytes: u64,
}

impl Hasher {
    fn update(&mut self, data: &[u8]) {
        self.sha.update(data);
        self.bytes += data.len() as u64;
    }

    fn digest(&self) -> Digest {
        Digest {
            bytes: self.bytes,
            sha256: self.sha.clone().finalize().into(),
        }
    }
}

/// Where a [`HashingReader`] leaves its file's digest once it has read to the end.
#[derive(Clone, Debug, Default)]
pub struct DigestSlot(Arc<OnceLock<Digest>>);

impl DigestSlot {
    /// The digest of the whole file; `None` until it was read to its end.
    pub fn get(&self) -> Option<Digest> {
        self.0.get().copied()
    }
}

/// A reader that hashes every byte it passes on.
pub struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
    slot: DigestSlot,
}

impl<R: Read> HashingReader<R> {
    /// Wraps `inner`; the slot gets the digest when `inner` reaches its end.
    pub fn new(inner: R) -> (HashingReader<R>, DigestSlot) {
        let slot = DigestSlot::default();
        let reader = HashingReader {
            inner,
            hasher: Hasher::default(),
            slot: slot.clone(),
        };
        (reader, slot)
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        match buf.get(..n) {
            Some(read) if n > 0 => self.hasher.update(read),
            _ if !buf.is_empty() => {
                let _ = self.slot.0.set(self.hasher.digest());
            }
            _ => {}
        }
        Ok(n)
    }
}

/// Bytes a [`ReadAhead`] reads at a time, and blocks it reads ahead of its reader.
pub const BLOCK: usize = 1 << 20;
const AHEAD: usize = 4;

/// A block read, and how many of its bytes were.
type Block = (Vec<u8>, usize);

/// A reader that reads and hashes its file on a thread of its own, a few blocks
/// ahead: the thread that parses the CSV is the slowest of a large file's reading,
/// and the read system calls and SHA-256 took over a quarter of its time (admin
/// center export, 411 MB). Blocks go back to the thread once copied out, so the
/// few megabytes it reads into are faulted in once.
pub struct ReadAhead {
    /// `None` once dropped, so that the thread sees it gone before it is joined.
    full: Option<mpsc::Receiver<io::Result<Block>>>,
    empty: mpsc::Sender<Vec<u8>>,
    /// The block being copied out, its length, and how much of it is copied.
    block: Vec<u8>,
    len: usize,
    at: usize,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl ReadAhead {
    /// Starts reading `inner`; the slot gets its digest when the end is read,
    /// before the reader returns its end.
    pub fn new<R: Read + Send + 'static>(mut inner: R) -> (ReadAhead, DigestSlot) {
        let slot = DigestSlot::default();
        let done = slot.clone();
        let (full_tx, full) = mpsc::sync_channel(AHEAD);
        let (empty, empty_rx) = mpsc::channel::<Vec<u8>>();
        let thread = std::thread::spawn(move || {
            let mut hasher = Hasher::default();
            loop {
                let mut block = empty_rx.try_recv().unwrap_or_else(|_| vec![0; BLOCK]);
                let read = match inner.read(&mut block) {
                    Ok(0) => {
                        let _ = done.0.set(hasher.digest());
                        return;
                    }
                    Ok(n) => {
                        hasher.update(&block[..n]);
                        Ok((block, n))
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => Err(e),
                };
                let failed = read.is_err();
                // A closed channel: the reader was dropped, nothing more to read.
                if full_tx.send(read).is_err() || failed {
                    return;
                }
            }
        });
        let reader = ReadAhead {
            full: Some(full),
            empty,
            block: Vec::new(),
            len: 0,
            at: 0,
            thread: Some(thread),
        };
        (reader, slot)
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.at == self.len {
            let next = self.full.as_ref().and_then(|full| full.recv().ok());
            let Some(next) = next else {
                return Ok(0);
            };
            let (block, len) = next?;
            let spent = std::mem::replace(&mut self.block, block);
            (self.len, self.at) = (len, 0);
            // The first block replaced is no block.
            if !spent.is_empty() {
                let _ = self.empty.send(spent);
            }
        }
        let n = (self.len - self.at).min(buf.len());
        buf[..n].copy_from_slice(&self.block[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

impl Drop for ReadAhead {
    fn drop(&mut self) {
        self.full = None;
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A writer that hashes every byte it writes.
pub struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> HashingWriter<W> {
        HashingWriter {
            inner,
            hasher: Hasher::default(),
        }
    }

    /// The digest of everything written so far.
    pub fn digest(&self) -> Digest {
        self.hasher.digest()
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        if let Some(written) = buf.get(..n) {
            self.hasher.update(written);
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// How the run was started: the command line as given, and when.
#[derive(Clone, Debug)]
pub struct Invocation {
    /// `replan` and the arguments as given.
    pub command: Vec<String>,
    pub started: Started,
}

/// When a run started: now, or the instant `SOURCE_DATE_EPOCH` names, which makes a
/// run reproducible byte for byte (the report then shows no elapsed time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Started {
    /// Seconds since the Unix epoch, UTC.
    pub at: SystemTime,
    pub reproducible: bool,
}

impl Started {
    /// `SOURCE_DATE_EPOCH`'s value if set (whole seconds since the epoch, as
    /// reproducible-builds.org defines it), else `now`.
    pub fn new(source_date_epoch: Option<&str>, now: SystemTime) -> Result<Started, String> {
        match source_date_epoch {
            None => Ok(Started {
                at: now,
                reproducible: false,
            }),
            Some(text) => {
                let seconds: u64 = text
                    .trim()
                    .parse()
                    .ok()
                    .filter(|_| text.trim().bytes().all(|b| b.is_ascii_digit()))
                    .ok_or_else(|| {
                        format!("SOURCE_DATE_EPOCH=`{text}` is not a number of seconds since 1970-01-01 UTC")
                    })?;
                Ok(Started {
                    at: UNIX_EPOCH + Duration::from_secs(seconds),
                    reproducible: true,
                })
            }
        }
    }

    /// UTC, RFC 3339, to the second (`2026-12-04T09:30:00Z`).
    pub fn rfc3339(&self) -> String {
        humantime::format_rfc3339_seconds(self.at).to_string()
    }
}

/// A file's size and SHA-256, as summary.json `audit` writes them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Written {
    pub bytes: u64,
    pub sha256: String,
}

impl From<Digest> for Written {
    fn from(d: Digest) -> Written {
        Written {
            bytes: d.bytes,
            sha256: d.hex(),
        }
    }
}

/// An input file in summary.json `audit.inputs`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct InputFile {
    pub path: String,
    pub bytes: u64,
    pub sha256: String,
    /// Data rows read.
    pub rows: u64,
}

/// The catalog in summary.json `audit.catalog`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CatalogFile {
    /// `built-in`, or the path given with `--catalog`.
    pub source: String,
    pub sha256: String,
    pub products: u64,
}

/// summary.json `audit`: what produced the outputs, and what they are.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Audit {
    pub command: Vec<String>,
    pub started: String,
    pub catalog: CatalogFile,
    /// Conventional file name (`users.csv`) → the file read.
    #[serde(serialize_with = "crate::summary::ordered")]
    pub inputs: Vec<(&'static str, InputFile)>,
    /// Output file name → what was written, in the order written.
    #[serde(serialize_with = "crate::summary::ordered")]
    pub outputs: Vec<(&'static str, Written)>,
    /// `started` came from SOURCE_DATE_EPOCH: the report shows no elapsed time.
    #[serde(skip)]
    pub reproducible: bool,
}

impl Audit {
    /// The record of a run that read its inputs: outputs are added as they are
    /// written ([`crate::output`]).
    pub fn of(p: &Processed, settings: &Settings, invocation: &Invocation) -> Audit {
        let catalog = p.catalog.digest();
        let (paths, digests, rows) = (&settings.inputs, &p.tenant.digests, &p.tenant.rows);
        let file = |path: &Path, digest: &Digest, rows: u64| InputFile {
            path: path.display().to_string(),
            bytes: digest.bytes,
            sha256: digest.hex(),
            rows,
        };
        let mut inputs = vec![
            ("users.csv", file(&paths.users, &digests.users, rows.users)),
            (
                "subscriptions.csv",
                file(
                    &paths.subscriptions,
                    &digests.subscriptions,
                    rows.subscriptions,
                ),
            ),
            ("plan.csv", file(&paths.plan, &digests.plan, rows.plan)),
        ];
        let optional = [
            (
                "domains.csv",
                &paths.domains,
                &digests.domains,
                rows.domains,
            ),
            ("prices.csv", &paths.prices, &digests.prices, rows.prices),
        ];
        for (name, path, digest, rows) in optional {
            if let (Some(path), Some(digest), Some(rows)) = (path, digest, rows) {
                inputs.push((name, file(path, digest, rows)));
            }
        }
        Audit {
            command: invocation.command.clone(),
            started: invocation.started.rfc3339(),
            catalog: CatalogFile {
                source: settings
                    .catalog
                    .as_ref()
                    .map_or_else(|| "built-in".to_string(), |p| p.display().to_string()),
                sha256: catalog.hex(),
                products: p.catalog.sku_count() as u64,
            },
            inputs,
            outputs: Vec::new(),
            reproducible: invocation.started.reproducible,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // SHA-256 of "abc", FIPS 180-2 appendix B.1.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn reader_leaves_the_digest_of_the_whole_stream_at_its_end() {
        let (mut reader, slot) = HashingReader::new(&b"abc"[..]);
        let mut first = [0u8; 2];
        reader.read_exact(&mut first).unwrap();
        assert_eq!(slot.get(), None, "not at the end yet");
        let mut rest = Vec::new();
        reader.read_to_end(&mut rest).unwrap();
        let digest = slot.get().unwrap();
        assert_eq!((digest.bytes, digest.hex().as_str()), (3, ABC));
    }

    /// Bytes that differ from block to block, over several blocks and a part.
    fn blocks(n: usize) -> Vec<u8> {
        (0..n * BLOCK + 12_345).map(|i| (i % 251) as u8).collect()
    }

    #[test]
    fn read_ahead_passes_every_byte_on_and_hashes_them_as_read() {
        let bytes = blocks(3);
        let (mut ahead, slot) = ReadAhead::new(io::Cursor::new(bytes.clone()));
        // Small reads: a block is copied out over many calls.
        let mut got = Vec::new();
        let mut buf = [0u8; 1000];
        loop {
            let n = ahead.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, bytes);
        let (mut inline, inline_slot) = HashingReader::new(&bytes[..]);
        io::copy(&mut inline, &mut io::sink()).unwrap();
        assert_eq!(slot.get(), inline_slot.get());
        assert_eq!(slot.get().unwrap().bytes, bytes.len() as u64);
    }

    #[test]
    fn read_ahead_dropped_early_stops_its_thread() {
        // More blocks than the thread reads ahead.
        let (mut ahead, slot) = ReadAhead::new(io::Cursor::new(blocks(AHEAD + 8)));
        let mut first = [0u8; 10];
        ahead.read_exact(&mut first).unwrap();
        // Joins the thread, which waits on a full channel: must not hang.
        drop(ahead);
        assert_eq!(slot.get(), None, "never read to its end");
    }

    #[test]
    fn read_ahead_passes_on_a_read_error() {
        struct Failing(usize);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0 == 0 {
                    return Err(io::Error::other("disk gone"));
                }
                self.0 -= 1;
                buf[0] = b'x';
                Ok(1)
            }
        }
        let (mut ahead, slot) = ReadAhead::new(Failing(2));
        let mut got = Vec::new();
        let err = ahead.read_to_end(&mut got).unwrap_err();
        assert_eq!(err.to_string(), "disk gone");
        assert_eq!(got, b"xx");
        assert_eq!(slot.get(), None);
    }

    #[test]
    fn source_date_epoch_sets_the_start_and_makes_the_run_reproducible() {
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let started = Started::new(Some("1764840600"), now).unwrap();
        assert!(started.reproducible);
        assert_eq!(started.rfc3339(), "2025-12-04T09:30:00Z");
        let started = Started::new(None, now).unwrap();
        assert!(!started.reproducible);
        assert_eq!(started.rfc3339(), "2027-01-15T08:00:00Z");
        for bad in ["", "soon", "-1", "1.5", "+3"] {
            assert!(Started::new(Some(bad), now).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn writer_hashes_what_it_writes() {
        let mut out = Vec::new();
        let mut writer = HashingWriter::new(&mut out);
        writer.write_all(b"ab").unwrap();
        writer.write_all(b"c").unwrap();
        let digest = writer.digest();
        assert_eq!((digest.bytes, digest.hex().as_str()), (3, ABC));
        assert_eq!(out, b"abc");
    }
}
