//! What `pipewatch doctor --demo` shows: the checks of the demo's two simulated accounts, all passing, in the
//! same order and with the same API list as against AWS.

use crate::model::ProfileMeta;
use crate::source::aws::doctor::checked_actions;

use super::{Check, Checkup, ProfileCheckup, Setting, Status, Step};

/// The demo's accounts, in profile order (`metas` are the demo's).
pub fn checkup(metas: &[ProfileMeta]) -> Checkup {
    let accounts = ["111111111111", "222222222222"];
    let profiles = metas
        .iter()
        .zip(accounts)
        .map(|(m, account)| {
            let role = format!("arn:aws:iam::{account}:role/pipewatch-read");
            let mut config = Check::new(Step::Config, "config", Status::Ok, "");
            let set = |key: &str, value: &str, from: &str| Setting {
                key: key.into(),
                value: value.into(),
                from: from.into(),
            };
            config.settings = vec![
                set("region", &m.region, "the demo"),
                set("credentials", "simulated", "the demo"),
                set("role_arn", &role, "the demo"),
            ];
            let mut checks = vec![
                config,
                Check::new(
                    Step::Credentials,
                    "credentials",
                    Status::Ok,
                    "simulated, signing as arn:aws:iam::123456789012:user/demo",
                ),
                Check::new(
                    Step::AssumeRole,
                    "sts:AssumeRole",
                    Status::Ok,
                    format!("assumed {role} as session pipewatch"),
                ),
                Check::new(
                    Step::Identity,
                    "sts:GetCallerIdentity",
                    Status::Ok,
                    format!("arn:aws:sts::{account}:assumed-role/pipewatch-read/pipewatch in account {account}"),
                ),
                Check::new(Step::Clock, "clock", Status::Ok, "in step with AWS (simulated)"),
            ];
            checks.extend(
                checked_actions().into_iter().map(|a| Check::new(Step::Api, a, Status::Ok, "allowed (simulated)")),
            );
            ProfileCheckup { name: m.name.clone(), region: m.region.clone(), checks }
        })
        .collect();
    Checkup { config: None, profiles }
}
