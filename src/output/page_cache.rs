//! Tests' view of the page cache: how much of a file the kernel holds. Shared by
//! the unit tests of [`crate::output`] and the integration tests (`#[path]`).

use std::fs;
use std::os::fd::AsRawFd;
use std::path::Path;

/// How many of the file's pages the kernel holds in its cache.
pub fn cached_pages(path: &Path) -> usize {
    let file = fs::File::open(path).unwrap();
    let len = file.metadata().unwrap().len() as usize;
    // SAFETY: a read-only shared mapping of a file nobody writes meanwhile,
    // unmapped before return; `pages` has a byte for each page mapped.
    unsafe {
        let page = libc::sysconf(libc::_SC_PAGESIZE) as usize;
        let map = libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ,
            libc::MAP_SHARED,
            file.as_raw_fd(),
            0,
        );
        assert_ne!(map, libc::MAP_FAILED);
        let mut pages = vec![0u8; len.div_ceil(page)];
        assert_eq!(libc::mincore(map, len, pages.as_mut_ptr()), 0);
        libc::munmap(map, len);
        pages.iter().filter(|&&p| p & 1 == 1).count()
    }
}
