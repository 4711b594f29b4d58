//! Where the config file is: `--config`, the environment, or the XDG default.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use super::ConfigError;

/// Where the config file is: `--config PATH`, else `$PIPEWATCH_CONFIG`, else
/// `$XDG_CONFIG_HOME/pipewatch/config.toml`, else `~/.config/pipewatch/config.toml`.
///
/// Does not check that the file exists; [`load`](super::load) reports that.
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> {
    let pipewatch_config = std::env::var_os("PIPEWATCH_CONFIG");
    let xdg_config_home = std::env::var_os("XDG_CONFIG_HOME");
    let home = std::env::var_os("HOME");
    locate_with(explicit, pipewatch_config.as_deref(), xdg_config_home.as_deref(), home.as_deref())
}

/// [`locate`] with the environment passed in: the values of `PIPEWATCH_CONFIG`,
/// `XDG_CONFIG_HOME` and `HOME`.
///
/// Empty variables count as unset; a relative `XDG_CONFIG_HOME` is ignored, as the XDG
/// base directory specification requires.
pub fn locate_with(
    explicit: Option<&Path>,
    pipewatch_config: Option<&OsStr>,
    xdg_config_home: Option<&OsStr>,
    home: Option<&OsStr>,
) -> Result<PathBuf, ConfigError> {
    if let Some(path) = explicit {
        return Ok(path.to_path_buf());
    }
    if let Some(path) = pipewatch_config.filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(path));
    }
    if let Some(xdg) = xdg_config_home.map(Path::new).filter(|p| p.is_absolute()) {
        return Ok(xdg.join("pipewatch").join("config.toml"));
    }
    match home.filter(|v| !v.is_empty()) {
        Some(home) => Ok(Path::new(home).join(".config").join("pipewatch").join("config.toml")),
        None => Err(ConfigError::NoLocation),
    }
}

/// How [`locate`] found the file, for people: `--config`, `$PIPEWATCH_CONFIG`, `$XDG_CONFIG_HOME` or `$HOME`.
pub fn found_by(explicit: Option<&Path>) -> &'static str {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    if explicit.is_some() {
        "--config"
    } else if set("PIPEWATCH_CONFIG") {
        "$PIPEWATCH_CONFIG"
    } else if std::env::var_os("XDG_CONFIG_HOME").is_some_and(|v| Path::new(&v).is_absolute()) {
        "$XDG_CONFIG_HOME"
    } else {
        "$HOME/.config, the default"
    }
}
