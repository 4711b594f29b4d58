//! Reading the config file: bounded in size, UTF-8 checked, then handed to [`parse`].

use std::io::Read;
use std::path::Path;

use super::error::location_of;
use super::{Config, ConfigError, Location, parse};

/// Refuse to read more than this, so `--config /dev/zero` fails instead of hanging.
pub(super) const MAX_FILE_SIZE: u64 = 1024 * 1024;

/// Read and [`parse`] the file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    parse(&read(path)?, path)
}

/// Read the file at `path` for its `[keys]` and `[theme]` only (see [`parse_ui`](super::resolve::parse_ui)).
pub fn load_ui(path: &Path) -> Result<super::Ui, ConfigError> {
    super::resolve::parse_ui(&read(path)?, path)
}

/// The text of the file at `path`: bounded in size, UTF-8 checked.
fn read(path: &Path) -> Result<String, ConfigError> {
    let file = std::fs::File::open(path).map_err(|error| io_error(path, error))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_SIZE + 1).read_to_end(&mut bytes).map_err(|error| io_error(path, error))?;
    if bytes.len() as u64 > MAX_FILE_SIZE {
        return Err(ConfigError::TooLarge { path: path.to_path_buf(), limit: MAX_FILE_SIZE });
    }
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let bytes = e.as_bytes();
            // The prefix is valid UTF-8 by definition; fall back to line 1 defensively.
            let location = std::str::from_utf8(bytes.get(..valid).unwrap_or_default())
                .map(|prefix| location_of(prefix, prefix.len()))
                .unwrap_or(Location { line: 1, column: 1 });
            return Err(ConfigError::NotUtf8 { path: path.to_path_buf(), location });
        }
    };
    Ok(text)
}

fn io_error(path: &Path, error: std::io::Error) -> ConfigError {
    if error.kind() == std::io::ErrorKind::NotFound {
        ConfigError::NotFound { path: path.to_path_buf() }
    } else {
        ConfigError::Read { path: path.to_path_buf(), error }
    }
}
