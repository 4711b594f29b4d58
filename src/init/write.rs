//! Where `pipewatch init` puts the config: a file (its directory created, never replaced without `--force`) or
//! stdout (`--output -`).

use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::InitError;

/// Where the config goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `--output -`.
    Stdout,
    /// A file; `force` replaces one that exists.
    File { path: PathBuf, force: bool },
}

impl Destination {
    /// `-` is stdout, anything else a file.
    pub fn of(path: &Path, force: bool) -> Destination {
        if path.as_os_str() == "-" {
            Destination::Stdout
        } else {
            Destination::File { path: path.to_path_buf(), force }
        }
    }
}

/// Writes `text` to `to` (`stdout` for [`Destination::Stdout`]); a file's parent directories are created, and an
/// existing file is an error unless `force`. A closed stdout (`| head`) is not an error.
pub fn write(text: &str, to: &Destination, stdout: impl Write) -> Result<(), InitError> {
    match to {
        Destination::Stdout => write_stdout(text, stdout),
        Destination::File { path, force } => write_file(text, path, *force),
    }
}

fn write_stdout(text: &str, mut stdout: impl Write) -> Result<(), InitError> {
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(InitError::Write { path: PathBuf::from("-"), error }),
    }
}

fn write_file(text: &str, path: &Path, force: bool) -> Result<(), InitError> {
    let failed = |error| InitError::Write { path: path.to_path_buf(), error };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
    }
    let mut options = OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        // Atomic: a file that appears between a check and the write is still not replaced.
        options.create_new(true);
    }
    let mut file = match options.open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(InitError::Exists(path.to_path_buf())),
        Err(e) => return Err(failed(e)),
    };
    file.write_all(text.as_bytes()).and_then(|()| file.sync_all()).map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_written_with_its_directory_and_never_replaced_without_force() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pipewatch/config.toml");
        let to = Destination::of(&path, false);
        write("one", &to, io::sink()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one");
        let e = write("two", &to, io::sink()).unwrap_err();
        assert!(matches!(e, InitError::Exists(_)), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one");
        write("three", &Destination::of(&path, true), io::sink()).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three");
        // A directory in the way is a write error naming the path.
        let e = write("x", &Destination::of(dir.path(), true), io::sink()).unwrap_err();
        assert!(matches!(e, InitError::Write { .. }) && e.to_string().contains("cannot write the config"), "{e}");
    }

    #[test]
    fn dash_is_stdout() {
        assert_eq!(Destination::of(Path::new("-"), false), Destination::Stdout);
        let mut out = Vec::new();
        write("text", &Destination::Stdout, &mut out).unwrap();
        assert_eq!(out, b"text");
    }
}
