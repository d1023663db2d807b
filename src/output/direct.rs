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

use std::fs::File;
use std::io::{self, Write};

/// Direct writes must start at, and be a multiple of, the device's block; 4 KiB
/// covers the usual 512-byte and 4 KiB ones.
const ALIGN: usize = 4096;
/// Bytes gathered per direct write.
const SIZE: usize = 1 << 22;

/// A writer into `file`: direct while whole blocks come, then ordinary for the
/// tail that [`Write::flush`] writes (a direct write cannot end mid-block).
pub(crate) struct Direct<'a> {
    file: &'a File,
    /// `SIZE` bytes from `start` are aligned to `ALIGN`.
    buf: Vec<u8>,
    start: usize,
    filled: usize,
    direct: bool,
}

impl<'a> Direct<'a> {
    pub(crate) fn new(file: &'a File) -> Direct<'a> {
        let direct = set_direct(file, true);
        let buf = if direct {
            vec![0; SIZE + ALIGN]
        } else {
            Vec::new()
        };
        let start = buf.as_ptr().align_offset(ALIGN).min(ALIGN);
        Direct {
            file,
            buf,
            start,
            filled: 0,
            direct,
        }
    }

    /// Writes the first `len` bytes gathered; `len` is a multiple of `ALIGN`.
    fn put(&mut self, len: usize) -> io::Result<()> {
        let data = self
            .buf
            .get(self.start..self.start + len)
            .unwrap_or_default();
        match (&*self.file).write_all(data) {
            // Some file systems take the flag and refuse the write.
            Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                set_direct(self.file, false);
                self.direct = false;
                (&*self.file).write_all(data)
            }
            done => done,
        }
    }
}

impl Write for Direct<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        if !self.direct {
            return (&*self.file).write(data);
        }
        let n = (SIZE - self.filled).min(data.len());
        let at = self.start + self.filled;
        if let (Some(to), Some(from)) = (self.buf.get_mut(at..at + n), data.get(..n)) {
            to.copy_from_slice(from);
        }
        self.filled += n;
        if self.filled == SIZE {
            self.put(SIZE)?;
            self.filled = 0;
        }
        Ok(n)
    }

    /// Writes everything gathered: the whole blocks direct, the rest ordinarily,
    /// as every later write then is.
    fn flush(&mut self) -> io::Result<()> {
        if !self.direct {
            return Ok(());
        }
        let whole = self.filled / ALIGN * ALIGN;
        self.put(whole)?;
        set_direct(self.file, false);
        self.direct = false;
        let tail = self.start + whole..self.start + self.filled;
        (&*self.file).write_all(self.buf.get(tail).unwrap_or_default())?;
        self.filled = 0;
        self.buf = Vec::new();
        Ok(())
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
        let cached = crate::output::tests::cached_pages(&dir.path().join("out"));
        // Only the tail, written through the cache: one page.
        assert!(cached <= 1, "{cached} pages cached");
        assert_eq!(std::fs::read(dir.path().join("out")).unwrap(), expected);
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
