//! `pipewatch doctor`: what was checked for each profile, in the order a person debugs it (config, credentials,
//! AssumeRole, identity, clock, then one minimal read per API), as data that the text and JSON writers render.
//!
//! The AWS layer (`source::aws::doctor`) and the demo fill these types; `explain` says what AWS's answers mean.

pub mod demo;
pub mod explain;
pub mod settings;

/// The checks of every profile, and where the config came from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checkup {
    /// The config file and how it was found (`None` for the demo).
    pub config: Option<ConfigSource>,
    /// In profile order.
    pub profiles: Vec<ProfileCheckup>,
}

/// Where the config file is and why that one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigSource {
    pub path: String,
    /// `--config`, `$PIPEWATCH_CONFIG`, …
    pub found_by: String,
}

/// The checks of one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileCheckup {
    pub name: String,
    pub region: String,
    /// In the order they ran; a check that could not run is `Skipped` with the reason.
    pub checks: Vec<Check>,
}

/// Which step of the debugging order a check belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Where each setting came from.
    Config,
    /// Which credential source applies, and as whom it signs.
    Credentials,
    /// Assuming the profile's role.
    AssumeRole,
    /// Who the profile's credentials are, in which account.
    Identity,
    /// The local clock against AWS's.
    Clock,
    /// One minimal read of an API pipewatch calls.
    Api,
}

impl Step {
    /// A stable `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Config => "config",
            Step::Credentials => "credentials",
            Step::AssumeRole => "assume_role",
            Step::Identity => "identity",
            Step::Clock => "clock",
            Step::Api => "api",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Works, but worth fixing (a clock a minute off); not a problem for the exit code.
    Warning,
    /// AWS refused the call: a permission is missing (the statement to add comes with it).
    Denied,
    /// The endpoint could not be reached (the endpoint comes with it).
    Unreachable,
    /// Anything else that went wrong.
    Failed,
    /// Not run: an earlier step failed, or the profile switches the lookup off.
    Skipped,
}

impl Status {
    /// A stable `snake_case` name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Denied => "denied",
            Status::Unreachable => "unreachable",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
        }
    }

    /// Whether this outcome is a problem to fix (doctor exits 3).
    pub fn is_problem(self) -> bool {
        matches!(self, Status::Denied | Status::Unreachable | Status::Failed)
    }
}

/// One setting of a profile, its value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub key: String,
    pub value: String,
    pub from: String,
}

/// One check of one profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub step: Step,
    /// `config`, `sts:AssumeRole`, `codepipeline:ListPipelines`, …
    pub name: String,
    pub status: Status,
    /// What was found, one line.
    pub detail: String,
    /// What to do, when something is to be done.
    pub fix: Option<String>,
    /// For a denied call: the IAM policy statement that allows it (JSON).
    pub statement: Option<String>,
    /// For an unreachable endpoint: the endpoint.
    pub endpoint: Option<String>,
    /// For the config step: each setting.
    pub settings: Vec<Setting>,
}

impl Check {
    /// A check with just a status and a detail.
    pub fn new(step: Step, name: impl Into<String>, status: Status, detail: impl Into<String>) -> Self {
        Self {
            step,
            name: name.into(),
            status,
            detail: detail.into(),
            fix: None,
            statement: None,
            endpoint: None,
            settings: Vec::new(),
        }
    }

    /// The same check with `fix`.
    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

impl ProfileCheckup {
    /// Whether any check of the profile is a problem.
    pub fn has_problem(&self) -> bool {
        self.checks.iter().any(|c| c.status.is_problem())
    }
}

impl Checkup {
    /// The exit code: 0 when every profile is healthy, 3 when one has a problem.
    pub fn exit_code(&self) -> u8 {
        if self.profiles.iter().any(ProfileCheckup::has_problem) {
            crate::exit::PROFILE_FAILED
        } else {
            crate::exit::HEALTHY
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_denied_unreachable_and_failed_are_problems() {
        let problems: Vec<Status> =
            [Status::Ok, Status::Warning, Status::Denied, Status::Unreachable, Status::Failed, Status::Skipped]
                .into_iter()
                .filter(|s| s.is_problem())
                .collect();
        assert_eq!(problems, [Status::Denied, Status::Unreachable, Status::Failed]);
        let profile = |status| ProfileCheckup {
            name: "a".into(),
            region: "r".into(),
            checks: vec![Check::new(Step::Clock, "clock", status, "")],
        };
        let healthy = Checkup { config: None, profiles: vec![profile(Status::Ok), profile(Status::Warning)] };
        assert_eq!(healthy.exit_code(), 0);
        let sick = Checkup { config: None, profiles: vec![profile(Status::Ok), profile(Status::Denied)] };
        assert_eq!(sick.exit_code(), 3);
    }
}
