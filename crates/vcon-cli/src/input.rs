//! Inputs: `-` (standard input), files, and directories walked recursively.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

/// Name suffixes picked when walking a directory (compared without regard to case).
pub const WALK_SUFFIXES: &[&str] = &[".vcon", ".json", ".vcon.gz", ".json.gz"];

/// One input to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Standard input, named `-` on the command line.
    Stdin,
    /// A file path.
    File(PathBuf),
}

impl Input {
    /// Parses a command-line operand: `-` is standard input.
    pub fn from_arg(arg: &Path) -> Self {
        if arg == Path::new("-") {
            Self::Stdin
        } else {
            Self::File(arg.to_path_buf())
        }
    }

    /// The name used in reports: `-` for standard input, else the path.
    pub fn name(&self) -> String {
        match self {
            Self::Stdin => "-".to_owned(),
            Self::File(p) => p.display().to_string(),
        }
    }

    /// Reads the whole input, refusing more than `max` bytes (`Ok(Err(size))`).
    pub fn read_bounded(&self, max: usize) -> Result<Result<Vec<u8>, u64>> {
        let max64 = u64::try_from(max).unwrap_or(u64::MAX);
        match self {
            Self::Stdin => {
                let mut buf = Vec::new();
                std::io::stdin()
                    .lock()
                    .take(max64.saturating_add(1))
                    .read_to_end(&mut buf)
                    .context("cannot read standard input")?;
                if buf.len() > max {
                    return Ok(Err(buf.len() as u64));
                }
                Ok(Ok(buf))
            }
            Self::File(path) => read_file_bounded(path, max)
                .with_context(|| format!("cannot read {}", path.display())),
        }
    }

    /// Reads the whole input with no size limit.
    pub fn read_all(&self) -> Result<Vec<u8>> {
        match self.read_bounded(usize::MAX)? {
            Ok(bytes) => Ok(bytes),
            Err(size) => anyhow::bail!("{}: {size} bytes is too large", self.name()),
        }
    }
}

fn read_file_bounded(path: &Path, max: usize) -> std::io::Result<Result<Vec<u8>, u64>> {
    let mut buf = Vec::new();
    Ok(read_to_end_bounded(File::open(path)?, max, &mut buf)?.map(|()| buf))
}

/// Bytes read before a file's size is asked for: a file larger than the
/// limit is then refused without being read further.
const SIZE_CHECK_AFTER: usize = 1 << 20;

/// Appends `file`'s bytes to `buf` (empty), refusing more than `max`
/// (`Ok(Err(size))`: the size the file's attributes give for a regular file,
/// else the bytes read) and directories. `vcon validate` calls it with a
/// buffer kept between files.
pub fn read_to_end_bounded(
    file: File,
    max: usize,
    buf: &mut Vec<u8>,
) -> std::io::Result<Result<(), u64>> {
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    // `Take` reads into the spare capacity until a read returns 0; `File`'s own
    // read_to_end would ask for the size (statx) and the position (lseek) first.
    // Past SIZE_CHECK_AFTER bytes the size is asked for, so that a file too large
    // is refused without being read.
    let first = limit.min(SIZE_CHECK_AFTER as u64);
    read_more(&file, first, buf)?;
    if buf.len() as u64 == first && first < limit {
        let meta = file.metadata()?;
        if meta.is_file() && meta.len() > limit - 1 {
            return Ok(Err(meta.len()));
        }
        read_more(&file, limit - first, buf)?;
    }
    if buf.len() as u64 == limit {
        let meta = file.metadata()?;
        return Ok(Err(if meta.is_file() {
            meta.len().max(limit)
        } else {
            limit
        }));
    }
    Ok(Ok(()))
}

/// Appends at most `n` more bytes of `file` to `buf`, stopping at its end.
fn read_more(mut file: &File, n: u64, buf: &mut Vec<u8>) -> std::io::Result<()> {
    match (&mut file).take(n).read_to_end(buf) {
        Ok(_) => Ok(()),
        // A directory opens, and its first read fails (EISDIR): reports keep
        // the short message they have always given.
        Err(e) if e.kind() == std::io::ErrorKind::IsADirectory => Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory",
        )),
        Err(e) => Err(e),
    }
}

/// An input that could not even be listed (a directory walk error).
#[derive(Debug, Clone)]
pub struct ListError {
    /// The path concerned.
    pub path: String,
    /// What went wrong.
    pub message: String,
}

/// Expands operands into inputs, in order: `-` and files as given, directories
/// walked recursively (sorted by name) for [`WALK_SUFFIXES`]. Walk errors are
/// returned in place, so that reports stay in input order.
pub fn expand(operands: &[PathBuf]) -> Result<Vec<Result<Input, ListError>>> {
    let stdin_count = operands.iter().filter(|p| p.as_os_str() == "-").count();
    if stdin_count > 1 {
        return Err(crate::cli::UsageError(
            "`-` (standard input) may be given only once".to_owned(),
        )
        .into());
    }
    let mut out = Vec::with_capacity(operands.len());
    for op in operands {
        if op.as_os_str() != "-" && op.is_dir() {
            let before = out.len();
            walk(op, &mut out);
            if out.len() == before {
                eprintln!(
                    "vcon: warning: no file named *.vcon, *.json, *.vcon.gz or *.json.gz under {}",
                    op.display()
                );
            }
        } else {
            out.push(Ok(Input::from_arg(op)));
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<Result<Input, ListError>>) {
    // Walked unsorted, then sorted once on a key computed once per item: the
    // path with `/` replaced by NUL. Every path starts with `dir`, and a NUL
    // sorts before any byte of a name, so this is the order of a walk sorted by
    // file name in every directory (walkdir's `sort_by_file_name`, which parses
    // both paths on every comparison); errors sort at the path they name.
    let mut found: Vec<(Vec<u8>, Result<Input, ListError>)> = Vec::new();
    for entry in walkdir::WalkDir::new(dir) {
        match entry {
            Ok(e) => {
                let picked = has_walk_suffix(e.file_name().as_encoded_bytes())
                    && (e.file_type().is_file()
                        || (e.file_type().is_symlink() && e.path().is_file()));
                if picked {
                    found.push((sort_key(e.path()), Ok(Input::File(e.into_path()))));
                }
            }
            Err(e) => found.push((
                sort_key(e.path().unwrap_or(dir)),
                Err(ListError {
                    path: e
                        .path()
                        .map_or_else(|| dir.display().to_string(), |p| p.display().to_string()),
                    message: e
                        .io_error()
                        .map_or_else(|| e.to_string(), ToString::to_string),
                }),
            )),
        }
    }
    // Stable: items with equal keys keep their walk order.
    found.sort_by(|a, b| a.0.cmp(&b.0));
    out.extend(found.into_iter().map(|(_, item)| item));
}

/// The walk order key of `path`: its bytes with each `/` replaced by NUL.
fn sort_key(path: &Path) -> Vec<u8> {
    path.as_os_str()
        .as_encoded_bytes()
        .iter()
        .map(|&b| {
            if std::path::is_separator(char::from(b)) {
                0
            } else {
                b
            }
        })
        .collect()
}

/// Whether a file name ends with one of [`WALK_SUFFIXES`], ignoring ASCII case.
pub fn has_walk_suffix(name: &[u8]) -> bool {
    WALK_SUFFIXES.iter().any(|s| {
        name.len() > s.len() && name[name.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes())
    })
}

/// Writes `bytes` to `path`, or to standard output when `path` is `None` or `-`.
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> Result<()> {
    use std::io::Write as _;
    match path {
        Some(p) if p != Path::new("-") => {
            std::fs::write(p, bytes).with_context(|| format!("cannot write {}", p.display()))
        }
        _ => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)
                .and_then(|()| out.flush())
                .context("cannot write standard output")
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    /// The sorted-once walk lists files in the order of walkdir's
    /// `sort_by_file_name` walk, over names where a path-wise and a byte-wise
    /// order would differ.
    #[test]
    fn walk_order_is_sorted_walkdir_order() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path();
        let dirs = [
            "a", "a.b", "a-b", "ab", "a/b", "a/b.c", "A", "z", "a b", "é",
        ];
        for d in dirs {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        for d in dirs.iter().chain(&[""]) {
            for f in [
                "a.json", "a.vcon", "a.b.json", "b.json", "B.VCON", "a-.json", "é.json",
            ] {
                std::fs::write(root.join(d).join(f), b"{}").unwrap();
            }
        }
        let mut ours = Vec::new();
        walk(root, &mut ours);
        let reference: Vec<PathBuf> = walkdir::WalkDir::new(root)
            .sort_by_file_name()
            .into_iter()
            .map(|e| e.unwrap())
            .filter(|e| {
                e.file_type().is_file() && has_walk_suffix(e.file_name().as_encoded_bytes())
            })
            .map(walkdir::DirEntry::into_path)
            .collect();
        let ours: Vec<PathBuf> = ours
            .into_iter()
            .map(|i| match i.unwrap() {
                Input::File(p) => p,
                Input::Stdin => unreachable!(),
            })
            .collect();
        assert_eq!(ours.len(), 77);
        assert_eq!(ours, reference);
    }

    #[test]
    fn suffixes() {
        assert!(has_walk_suffix(b"a.vcon"));
        assert!(has_walk_suffix(b"a.JSON"));
        assert!(has_walk_suffix(b"a.vcon.gz"));
        assert!(!has_walk_suffix(b"a.tar.gz"));
        assert!(!has_walk_suffix(b".vcon"));
        assert!(!has_walk_suffix(b"notes.txt"));
    }

    #[test]
    fn stdin_once() {
        let ops = [PathBuf::from("-"), PathBuf::from("-")];
        assert!(expand(&ops).is_err());
    }
}
