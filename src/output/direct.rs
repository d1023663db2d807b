//! Writes an output file past the page cache (`O_DIRECT` on Linux), falling back
//! to ordinary writes where the file system refuses.
//!
//! A run writes its outputs once and never reads them back: through the page
//! cache, each 4 KiB of them is first copied into a page the kernel must find.
//! In a virtual machine that hands free memory back to its host, finding one
//! faults on the host: writing 1 GiB that way took 2.5 s here, against 0.5 s
//! straight to the disk (`dd oflag=direct`), and a 10M-user run spent most of its
//! system time so. Straight to the disk, the run waits for the disk instead: on
//! a slow one, as long as it takes to write the outputs.
//!
//! A direct write returns once the disk has the data. Made by the thread that
//! formats the rows, it would leave that thread's core idle meanwhile (0.25 s of
//! the 0.75 s a million users' outputs took to write here): each full block is
//! written by a thread of its own while the next one fills.

use std::fs::File;
use std::io::{self, Write};
use std::thread::{self, JoinHandle};

/// Direct writes must start at, and be a multiple of, the device's block; 4 KiB
/// covers the usual 512-byte and 4 KiB ones.
const ALIGN: usize = 4096;
/// Bytes gathered per direct write.
const SIZE: usize = 1 << 22;

/// `SIZE` bytes aligned to `ALIGN`, or none once writes are ordinary.
struct Block {
    buf: Vec<u8>,
    start: usize,
}

impl Block {
    fn new() -> Block {
        let buf = vec![0; SIZE + ALIGN];
        let start = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        Block { buf, start }
    }

    fn none() -> Block {
        Block {
            buf: Vec::new(),
            start: 0,
        }
    }

    /// The first `len` bytes.
    fn get(&self, len: usize) -> &[u8] {
        self.buf
            .get(self.start..self.start + len)
            .unwrap_or_default()
    }
}

/// A full block on its way to the disk: the block back, and whether the file
/// still takes direct writes.
type Writing = JoinHandle<(Block, io::Result<bool>)>;

/// A writer into `file`: direct while whole blocks come, then ordinary for the
/// tail that [`Write::flush`] writes (a direct write cannot end mid-block).
pub(crate) struct Direct<'a> {
    file: &'a File,
    /// Being filled: `filled` bytes so far.
    block: Block,
    filled: usize,
    /// The block filled before, being written.
    writing: Option<Writing>,
    /// Nothing waits in `block` when writes are ordinary.
    direct: bool,
}

impl<'a> Direct<'a> {
    pub(crate) fn new(file: &'a File) -> Direct<'a> {
        let direct = set_direct(file, true);
        Direct {
            file,
            block: if direct { Block::new() } else { Block::none() },
            filled: 0,
            writing: None,
            direct,
        }
    }

    /// Waits for the block being written; the block back, if one was.
    fn finish(&mut self) -> io::Result<Option<Block>> {
        let Some(writing) = self.writing.take() else {
            return Ok(None);
        };
        let (block, written) = writing
            .join()
            .map_err(|_| io::Error::other("the thread writing a block stopped"))?;
        self.direct &= written?;
        Ok(Some(block))
    }

    /// Hands the full block to a thread that writes it, and goes on with an
    /// empty one.
    fn send(&mut self) -> io::Result<()> {
        let spare = self.finish()?;
        if !self.direct {
            // The block before found direct writes refused: this one, and all
            // after, go ordinarily.
            (&*self.file).write_all(self.block.get(SIZE))?;
            self.block = Block::none();
            return Ok(());
        }
        let file = self.file.try_clone()?;
        let full = std::mem::replace(&mut self.block, spare.unwrap_or_else(Block::new));
        let spawned = thread::Builder::new()
            .name("replan-write".into())
            .spawn(move || {
                let written = put(&file, full.get(SIZE));
                (full, written)
            });
        match spawned {
            Ok(writing) => self.writing = Some(writing),
            // The block went with the closure: the file is short of it.
            Err(e) => {
                return Err(io::Error::other(format!(
                    "cannot start a thread to write: {e}"
                )));
            }
        }
        Ok(())
    }
}

impl Write for Direct<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if !self.direct {
            return (&*self.file).write(data);
        }
        let n = (SIZE - self.filled).min(data.len());
        let at = self.block.start + self.filled;
        if let (Some(to), Some(from)) = (self.block.buf.get_mut(at..at + n), data.get(..n)) {
            to.copy_from_slice(from);
        }
        self.filled += n;
        if self.filled == SIZE {
            self.filled = 0;
            self.send()?;
        }
        Ok(n)
    }

    /// Writes everything gathered: the whole blocks direct, the rest ordinarily,
    /// as every later write then is.
    fn flush(&mut self) -> io::Result<()> {
        if !self.direct {
            return Ok(());
        }
        self.finish()?;
        let filled = std::mem::take(&mut self.filled);
        let block = std::mem::replace(&mut self.block, Block::none());
        let whole = if self.direct {
            let whole = filled / ALIGN * ALIGN;
            self.direct = put(self.file, block.get(whole))?;
            whole
        } else {
            0
        };
        set_direct(self.file, false);
        self.direct = false;
        (&*self.file).write_all(block.get(filled).get(whole..).unwrap_or_default())
    }
}

impl Drop for Direct<'_> {
    /// A block still being written is waited for: its thread holds the file.
    fn drop(&mut self) {
        drop(self.finish());
    }
}

/// Writes `data` into `file`, direct if the file takes it (some file systems
/// take the flag and refuse the write: it is then written ordinarily); whether
/// the file still takes direct writes.
fn put(file: &File, data: &[u8]) -> io::Result<bool> {
    let mut file = file;
    match file.write_all(data) {
        Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
            set_direct(file, false);
            file.write_all(data).map(|()| false)
        }
        done => done.map(|()| true),
    }
}

/// Turns direct writing of `file` on or off; whether it could.
#[cfg(target_os = "linux")]
fn set_direct(file: &File, on: bool) -> bool {
    use std::os::fd::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: the descriptor stays open for both calls, which only read and set
    // its status flags.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 {
            return false;
        }
        let flags = if on {
            flags | libc::O_DIRECT
        } else {
            flags & !libc::O_DIRECT
        };
        libc::fcntl(fd, libc::F_SETFL, flags) == 0
    }
}

#[cfg(not(target_os = "linux"))]
fn set_direct(_: &File, on: bool) -> bool {
    !on
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Bytes that differ from block to block.
    fn bytes(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    /// Writes `writes` (their lengths) into `dir/out`; what was written, and
    /// whether the writer started direct.
    fn write(dir: &std::path::Path, writes: &[usize]) -> (Vec<u8>, bool) {
        let file = File::create(dir.join("out")).unwrap();
        let mut w = Direct::new(&file);
        let direct = w.direct;
        let mut expected = Vec::new();
        for &len in writes {
            let data = bytes(len);
            w.write_all(&data).unwrap();
            expected.extend(data);
        }
        w.flush().unwrap();
        (expected, direct)
    }

    fn written(dir: &std::path::Path, writes: &[usize]) {
        let (expected, _) = write(dir, writes);
        assert_eq!(
            std::fs::read(dir.join("out")).unwrap(),
            expected,
            "{writes:?}"
        );
    }

    #[test]
    fn every_byte_lands_in_order_whatever_the_sizes_written() {
        // Beside the build, on a disk; and in /dev/shm, a tmpfs, which refuses
        // direct writes on older kernels (the writer then writes ordinarily).
        let mut dirs = vec![tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap()];
        dirs.extend(tempfile::tempdir_in("/dev/shm").ok());
        for dir in &dirs {
            every_size(dir.path());
        }
    }

    fn every_size(dir: &std::path::Path) {
        for writes in [
            &[][..],
            &[1],
            &[ALIGN],
            &[ALIGN - 1, 2],
            &[SIZE],
            &[SIZE + 1],
            &[SIZE - 1, ALIGN + 7, 3 * SIZE + 5],
            &[100; 1000],
        ] {
            written(dir, writes);
        }
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn a_large_file_is_written_past_the_page_cache() {
        // Beside the build, on a disk (tmpfs takes no direct writes: it is the cache).
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let (expected, direct) = write(dir.path(), &[3 * SIZE + 5]);
        assert!(direct, "the build's disk takes direct writes");
        let cached = crate::output::page_cache::cached_pages(&dir.path().join("out"));
        // Only the tail, written through the cache: one page.
        assert!(cached <= 1, "{cached} pages cached");
        assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), expected);
    }

    #[test]
    fn a_block_that_cannot_be_written_fails_the_writer() {
        // Blocks are written on a thread of their own: its failure must still
        // reach the caller, at the next block or at the flush.
        let dir = tempfile::tempdir_in(env!("CARGO_MANIFEST_DIR")).unwrap();
        let path = dir.path().join("out");
        std::fs::write(&path, b"").unwrap();
        let read_only = File::open(&path).unwrap();
        let mut w = Direct::new(&read_only);
        let data = bytes(SIZE + 10);
        let failed = w.write_all(&data).and_then(|()| w.flush());
        assert!(failed.is_err(), "writing into a read-only file succeeded");
        let mut w = Direct::new(&read_only);
        let failed = w.write_all(&bytes(3 * SIZE)).and_then(|()| w.flush());
        assert!(failed.is_err(), "writing into a read-only file succeeded");
    }

    #[test]
    fn writes_after_a_flush_go_on_where_it_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out");
        let file = File::create(&path).unwrap();
        let mut w = Direct::new(&file);
        let (a, b) = (bytes(SIZE + 10), bytes(ALIGN + 3));
        w.write_all(&a).unwrap();
        w.flush().unwrap();
        w.write_all(&b).unwrap();
        w.flush().unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), [a, b].concat());
    }
}
