//! Opening the files of a batch: a walked directory's files are opened
//! relative to a descriptor of their directory (`openat`), kept per worker
//! thread, so that the kernel resolves one name per file instead of the
//! whole path. Anything unusual falls back to a plain `open` of the path.

use std::cell::RefCell;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::input::{Input, read_open_file_bounded};

/// Reads `input` whole, refusing more than `max` bytes (`Ok(Err(size))`),
/// exactly as [`Input::read_bounded`] does (same bytes, same errors).
pub fn read_bounded(input: &Input, max: usize) -> Result<Result<Vec<u8>, u64>> {
    let Input::File(path) = input else {
        return input.read_bounded(max);
    };
    let max64 = u64::try_from(max).unwrap_or(u64::MAX);
    open(path)
        .and_then(|file| read_open_file_bounded(file, max64))
        .with_context(|| format!("cannot read {}", path.display()))
}

#[cfg(unix)]
thread_local! {
    /// The directory last opened by this thread, and a descriptor of it.
    static DIR: RefCell<Option<(PathBuf, rustix::fd::OwnedFd)>> = const { RefCell::new(None) };
}

/// Opens `path` for reading, relative to a cached descriptor of its directory
/// when it has one.
#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<File> {
    use rustix::fs::{Mode, OFlags};
    let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
        return File::open(path);
    };
    if dir.as_os_str().is_empty() {
        return File::open(path);
    }
    DIR.with(|cell| {
        let mut cached = cell.borrow_mut();
        let hit = cached.as_ref().is_some_and(|(p, _)| {
            p.as_os_str().as_encoded_bytes() == dir.as_os_str().as_encoded_bytes()
        });
        if !hit {
            // O_PATH needs only search permission on the directory, like open(path).
            let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC;
            match rustix::fs::open(dir, flags, Mode::empty()) {
                Ok(fd) => *cached = Some((dir.to_path_buf(), fd)),
                Err(_) => {
                    *cached = None;
                    return File::open(path);
                }
            }
        }
        match cached.as_ref() {
            Some((_, fd)) => {
                rustix::fs::openat(fd, name, OFlags::RDONLY | OFlags::CLOEXEC, Mode::empty())
                    .map(File::from)
                    .map_err(std::io::Error::from)
            }
            None => File::open(path),
        }
    })
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// Same bytes and same errors as `Input::read_bounded`.
    #[test]
    fn reads_like_input_read_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("a.vcon"), b"{\"parties\":[]}").unwrap();
        std::fs::write(dir.join("empty.vcon"), b"").unwrap();
        std::fs::write(dir.join("big.vcon"), vec![b' '; 100]).unwrap();
        std::fs::create_dir(dir.join("sub.vcon")).unwrap();
        let names = [
            "a.vcon",
            "empty.vcon",
            "big.vcon",
            "sub.vcon",
            "missing.vcon",
            "a.vcon",
        ];
        for name in names {
            let input = Input::File(dir.join(name));
            let ours = read_bounded(&input, 50).map_err(|e| format!("{e:#}"));
            let reference = input.read_bounded(50).map_err(|e| format!("{e:#}"));
            assert_eq!(ours, reference, "{name}");
        }
        let relative = Input::File(PathBuf::from("Cargo.toml"));
        assert_eq!(
            read_bounded(&relative, 1 << 20).unwrap().unwrap(),
            relative.read_bounded(1 << 20).unwrap().unwrap()
        );
    }
}
