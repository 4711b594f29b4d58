//! TEMPORARY stub of the config API (replaced by the real module).
use std::path::{Path, PathBuf};
use std::time::Duration;
#[derive(Debug, Clone)]
pub struct Config { pub path: PathBuf, pub settings: Settings, pub profiles: Vec<Profile> }
#[derive(Debug, Clone, PartialEq)]
pub struct Settings { pub region: Option<String>, pub refresh: Duration, pub grace: Duration, pub lookback: Duration, pub timeout: Duration }
impl Default for Settings { fn default() -> Self { Self { region: None, refresh: Duration::from_secs(30), grace: Duration::from_secs(300), lookback: Duration::from_secs(86400), timeout: Duration::from_secs(10) } } }
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialSource { Environment, EcsContainer, Ec2InstanceMetadata }
#[derive(Debug, Clone, PartialEq)]
pub struct Profile { pub name: String, pub role_arn: Option<String>, pub external_id: Option<String>, pub role_session_name: String, pub duration: Option<Duration>, pub credential_source: Option<CredentialSource>, pub aws_profile: Option<String>, pub region: Option<String>, pub endpoint_url: Option<String>, pub repositories: Vec<String>, pub pipelines: Option<Vec<String>> }
#[derive(Debug, Clone, Default)]
pub struct Overrides { pub refresh: Option<Duration>, pub grace: Option<Duration>, pub lookback: Option<Duration>, pub timeout: Option<Duration>, pub profiles: Vec<String> }
#[derive(Debug, thiserror::Error)]
pub enum ConfigError { #[error("{0}")] Msg(String) }
pub fn locate(explicit: Option<&Path>) -> Result<PathBuf, ConfigError> { explicit.map(Path::to_path_buf).ok_or(ConfigError::Msg("no config".into())) }
pub fn load(_path: &Path) -> Result<Config, ConfigError> { Err(ConfigError::Msg("stub".into())) }
impl Config { pub fn apply(self, _o: &Overrides) -> Result<Config, ConfigError> { Ok(self) } }
pub fn parse_duration(s: &str) -> Result<Duration, String> { humantime::parse_duration(s).map_err(|e| e.to_string()) }
