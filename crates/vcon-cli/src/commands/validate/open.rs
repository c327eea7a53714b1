//! Opening and reading the files of a batch. A walked directory's files are
//! opened relative to a descriptor of their directory (`openat`), kept per
//! worker thread, so that the kernel resolves one name per file instead of
//! the whole path; anything unusual falls back to a plain `open` of the path.
//! Files are read into a buffer kept per worker thread, to their end, with no
//! `statx` first: the end-of-file read costs the kernel less than the file
//! attributes did, and the buffer is not allocated and zeroed per file.

use std::cell::RefCell;
use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::input::{Input, read_to_end_bounded};

/// A kept buffer larger than this is dropped after use, so that one big input
/// does not hold its memory for the rest of the batch.
const KEEP_CAPACITY: usize = 1 << 20;

/// The first capacity of a worker's buffer: most vCons fit at once.
const FIRST_CAPACITY: usize = 64 * 1024;

thread_local! {
    /// This worker's read buffer.
    static BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Reads `input` whole, refusing more than `max` bytes (`Ok(Err(size))`),
/// and gives the bytes to `f`: the same bytes, sizes and errors as
/// [`Input::read_bounded`].
pub fn with_bytes<R>(
    input: &Input,
    max: usize,
    f: impl FnOnce(Result<Result<&[u8], u64>>) -> R,
) -> R {
    let Input::File(path) = input else {
        return match input.read_bounded(max) {
            Ok(Ok(bytes)) => f(Ok(Ok(&bytes))),
            Ok(Err(size)) => f(Ok(Err(size))),
            Err(e) => f(Err(e)),
        };
    };
    BUF.with(|cell| {
        // A nested call (none today) would find the buffer taken: give it its own.
        let mut fresh = Vec::new();
        let mut kept = cell.try_borrow_mut();
        let buf = match kept.as_deref_mut() {
            Ok(buf) => buf,
            Err(_) => &mut fresh,
        };
        buf.clear();
        if buf.capacity() == 0 {
            buf.reserve(FIRST_CAPACITY);
        }
        let read = open(path)
            .and_then(|file| read_to_end_bounded(file, max, buf))
            .with_context(|| format!("cannot read {}", path.display()));
        let out = match read {
            Ok(Ok(())) => f(Ok(Ok(buf.as_slice()))),
            Ok(Err(size)) => f(Ok(Err(size))),
            Err(e) => f(Err(e)),
        };
        if buf.capacity() > KEEP_CAPACITY {
            *buf = Vec::new();
        }
        out
    })
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
    let Some((dir, name)) = split_at_last_slash(path) else {
        return File::open(path);
    };
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

/// `path` as a directory and a name in it, split at its last `/` (cheaper
/// than `Path::parent` and `Path::file_name`, which parse every component):
/// `None` when there is no `/` or nothing after the last one. The directory
/// is `/` for a name at the root.
#[cfg(unix)]
fn split_at_last_slash(path: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    use std::os::unix::ffi::OsStrExt as _;
    let bytes = path.as_os_str().as_bytes();
    let slash = bytes.iter().rposition(|&b| b == b'/')?;
    let name = &bytes[slash + 1..];
    if name.is_empty() {
        return None;
    }
    let dir = if slash == 0 {
        &bytes[..1]
    } else {
        &bytes[..slash]
    };
    Some((
        Path::new(std::ffi::OsStr::from_bytes(dir)),
        std::ffi::OsStr::from_bytes(name),
    ))
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_last_slash() {
        let split = |p: &str| {
            split_at_last_slash(Path::new(p)).map(|(d, n)| {
                (
                    d.to_str().unwrap().to_owned(),
                    n.to_str().unwrap().to_owned(),
                )
            })
        };
        let pair = |d: &str, n: &str| Some((d.to_owned(), n.to_owned()));
        assert_eq!(split("a/b/c.vcon"), pair("a/b", "c.vcon"));
        assert_eq!(split("/c.vcon"), pair("/", "c.vcon"));
        assert_eq!(split("a//c.vcon"), pair("a/", "c.vcon"));
        assert_eq!(split("c.vcon"), None);
        assert_eq!(split("a/"), None);
        assert_eq!(split(""), None);
    }

    fn ours(input: &Input, max: usize) -> Result<Result<Vec<u8>, u64>, String> {
        with_bytes(input, max, |r| match r {
            Ok(Ok(bytes)) => Ok(Ok(bytes.to_vec())),
            Ok(Err(size)) => Ok(Err(size)),
            Err(e) => Err(format!("{e:#}")),
        })
    }

    /// Same bytes and same errors as `Input::read_bounded`, in any order of
    /// sizes (the kept buffer is reused), around the limit and past the size
    /// at which the file attributes are asked for.
    #[test]
    fn reads_like_input_read_bounded() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        std::fs::write(dir.join("a.vcon"), b"{\"parties\":[]}").unwrap();
        std::fs::write(dir.join("empty.vcon"), b"").unwrap();
        std::fs::write(dir.join("big.vcon"), vec![b' '; 100]).unwrap();
        std::fs::write(dir.join("fifty.vcon"), vec![b'5'; 50]).unwrap();
        std::fs::write(dir.join("fifty-one.vcon"), vec![b'5'; 51]).unwrap();
        let huge: Vec<u8> = (0..KEEP_CAPACITY * 2 + 7)
            .map(|i| (i % 251) as u8)
            .collect();
        std::fs::write(dir.join("huge.vcon"), &huge).unwrap();
        std::fs::create_dir(dir.join("sub.vcon")).unwrap();
        let names = [
            "a.vcon",
            "empty.vcon",
            "big.vcon",
            "fifty.vcon",
            "fifty-one.vcon",
            "sub.vcon",
            "missing.vcon",
            "huge.vcon",
            "a.vcon",
        ];
        for max in [
            50,
            KEEP_CAPACITY - 1,
            KEEP_CAPACITY,
            KEEP_CAPACITY + 1,
            huge.len() - 1,
            huge.len(),
            usize::MAX,
        ] {
            for name in names {
                let input = Input::File(dir.join(name));
                let reference = input.read_bounded(max).map_err(|e| format!("{e:#}"));
                assert_eq!(ours(&input, max), reference, "{name} {max}");
            }
        }
        let dotted = Input::File(dir.join(".").join("a.vcon"));
        assert_eq!(
            ours(&dotted, 50),
            ours(&Input::File(dir.join("a.vcon")), 50)
        );
        let relative = Input::File(PathBuf::from("Cargo.toml"));
        assert_eq!(
            ours(&relative, 1 << 20).unwrap().unwrap(),
            relative.read_bounded(1 << 20).unwrap().unwrap()
        );
    }
}
