//! Where each setting of a profile came from: the file's line, `[settings]`, a flag, the environment the AWS SDK
//! reads, or a default. Pure: the environment is passed in.

use crate::config::{Config, Profile};

use super::Setting;

/// The settings of `profile` of `config` with their origins; `env` reads an environment variable, `resolved_region`
/// is the region the SDK settled on, `timeout_flag` whether `--timeout` was given.
pub fn of_profile(
    config: &Config,
    profile: &Profile,
    env: &dyn Fn(&str) -> Option<String>,
    resolved_region: Option<&str>,
    timeout_flag: bool,
) -> Vec<Setting> {
    let file = config.path.display().to_string();
    let name = profile.name.as_str();
    let in_profile =
        |key: &str| config.line_of(&["profiles", name, key]).map(|l| format!("[profiles.{name}] {key}, {file}:{l}"));
    let in_settings = |key: &str| config.line_of(&["settings", key]).map(|l| format!("[settings] {key}, {file}:{l}"));
    let set = |key: &str, value: String, from: String| Setting { key: key.into(), value, from };
    let env_var = |names: &[&'static str]| -> Option<(&'static str, String)> {
        names.iter().find_map(|n| env(n).filter(|v| !v.is_empty()).map(|v| (*n, v)))
    };
    let mut out = Vec::new();

    let region_from = in_profile("region")
        .or_else(|| in_profile("regions"))
        .or_else(|| in_settings("region"))
        .or_else(|| in_settings("regions"))
        .or_else(|| env_var(&["AWS_REGION", "AWS_DEFAULT_REGION"]).map(|(n, _)| format!("environment {n}")))
        .unwrap_or_else(|| "the AWS shared config".to_string());
    let region = resolved_region.map(str::to_string).or_else(|| profile.region().map(str::to_string));
    out.push(match region {
        Some(r) => set("region", r, region_from),
        None => set("region", "none".into(), "nowhere: set region in the profile, [settings] or AWS_REGION".into()),
    });

    let endpoint = match (&profile.endpoint_url, in_profile("endpoint_url")) {
        (Some(url), Some(from)) => set("endpoint_url", url.clone(), from),
        _ => match env_var(&["AWS_ENDPOINT_URL"]) {
            Some((n, v)) => set("endpoint_url", v, format!("environment {n}")),
            None => set("endpoint_url", "AWS's endpoints".into(), "default".into()),
        },
    };
    out.push(endpoint);

    out.push(match (&profile.credential_source, &profile.aws_profile) {
        (Some(source), _) => set(
            "credentials",
            source.to_string(),
            in_profile("credential_source").unwrap_or_else(|| "credential_source".into()),
        ),
        (None, Some(p)) => {
            let file = env_var(&["AWS_CONFIG_FILE"]).map_or_else(|| "~/.aws/config".to_string(), |(_, v)| v);
            set(
                "credentials",
                format!("profile {p} of {file}"),
                in_profile("aws_profile").unwrap_or_else(|| "aws_profile".into()),
            )
        }
        (None, None) => set("credentials", default_chain(&env_var), "the AWS SDK's default chain".into()),
    });

    match &profile.role_arn {
        Some(arn) => {
            out.push(set("role_arn", arn.clone(), in_profile("role_arn").unwrap_or_default()));
            out.push(match in_profile("external_id") {
                Some(from) => set("external_id", "set (not shown)".into(), from),
                None => set("external_id", "none".into(), "not set".into()),
            });
            out.push(match (profile.duration, in_profile("duration")) {
                (Some(d), Some(from)) => set("duration", humantime::format_duration(d).to_string(), from),
                _ => set("duration", "1h".into(), "default (STS's)".into()),
            });
            out.push(set(
                "role_session_name",
                profile.role_session_name.clone(),
                in_profile("role_session_name").unwrap_or_else(|| "default".into()),
            ));
            out.push(match (config.settings.assume_role_rate, in_settings("assume_role_rate")) {
                (Some(rate), Some(from)) => set("assume_role_rate", format!("{rate} a second"), from),
                _ => set("assume_role_rate", "unpaced".into(), "not set".into()),
            });
        }
        None => out.push(set("role_arn", "none".into(), "not set: the base credentials are used as they are".into())),
    }
    let timeout = humantime::format_duration(config.settings.timeout).to_string();
    let timeout_from =
        if timeout_flag { "--timeout".to_string() } else { in_settings("timeout").unwrap_or_else(|| "default".into()) };
    out.push(set("timeout", timeout, timeout_from));
    out
}

/// Which link of the SDK's default chain the environment points at (environment keys, a profile, web identity,
/// the container endpoint, else the instance metadata service).
/// Reads the first set variable of a list: its name and value.
type EnvVar<'a> = dyn Fn(&[&'static str]) -> Option<(&'static str, String)> + 'a;

fn default_chain(env_var: &EnvVar<'_>) -> String {
    if env_var(&["AWS_ACCESS_KEY_ID"]).is_some() {
        "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY".into()
    } else if let Some((_, p)) = env_var(&["AWS_PROFILE"]) {
        format!("shared config profile {p} (AWS_PROFILE)")
    } else if env_var(&["AWS_WEB_IDENTITY_TOKEN_FILE"]).is_some() {
        "web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)".into()
    } else if env_var(&["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"]).is_some() {
        "the container credentials endpoint (ECS/EKS)".into()
    } else {
        "the default profile of ~/.aws/config, else the EC2 instance metadata service".into()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const TEXT: &str = "[settings]\nregion = \"ap-northeast-1\"\ntimeout = \"20s\"\n\n[profiles.a]\n\
                        role_arn = \"arn:aws:iam::111111111111:role/pipewatch-read\"\nexternal_id = \"secret-id\"\n\
                        duration = \"2h\"\n\n[profiles.b]\nregion = \"us-east-1\"\nendpoint_url = \"http://127.0.0.1:5000\"\n";

    fn find<'a>(s: &'a [Setting], key: &str) -> &'a Setting {
        s.iter().find(|x| x.key == key).unwrap_or_else(|| panic!("no {key} in {s:?}"))
    }

    #[test]
    fn each_setting_names_its_line_or_its_default() {
        let config = crate::config::parse(TEXT, Path::new("c.toml")).unwrap();
        let none = |_: &str| None;
        let a = of_profile(&config, &config.profiles[0], &none, Some("ap-northeast-1"), false);
        assert_eq!(find(&a, "region").from, "[settings] region, c.toml:2");
        assert_eq!(find(&a, "role_arn").from, "[profiles.a] role_arn, c.toml:6");
        assert_eq!(find(&a, "external_id").value, "set (not shown)", "the external id is not printed");
        assert!(!format!("{a:?}").contains("secret-id"));
        assert_eq!(
            (find(&a, "duration").value.as_str(), find(&a, "duration").from.as_str()),
            ("2h", "[profiles.a] duration, c.toml:8")
        );
        assert_eq!(find(&a, "role_session_name").from, "default");
        assert_eq!(
            (find(&a, "assume_role_rate").value.as_str(), find(&a, "assume_role_rate").from.as_str()),
            ("unpaced", "not set")
        );
        let paced = "[settings]\nassume_role_rate = 5\n[profiles.a]\nrole_arn = \"arn:aws:iam::111111111111:role/r\"\n";
        let paced = crate::config::parse(paced, Path::new("c.toml")).unwrap();
        let rate = of_profile(&paced, &paced.profiles[0], &none, Some("ap-northeast-1"), false);
        assert_eq!(
            (find(&rate, "assume_role_rate").value.as_str(), find(&rate, "assume_role_rate").from.as_str()),
            ("5 a second", "[settings] assume_role_rate, c.toml:2")
        );
        assert_eq!(find(&a, "timeout").from, "[settings] timeout, c.toml:3");
        assert_eq!(find(&a, "endpoint_url").value, "AWS's endpoints");
        let keys = |_: &str| Some("x".to_string());
        let b = of_profile(&config, &config.profiles[1], &keys, Some("us-east-1"), true);
        assert_eq!(find(&b, "region").from, "[profiles.b] region, c.toml:11");
        assert_eq!(find(&b, "endpoint_url").from, "[profiles.b] endpoint_url, c.toml:12");
        assert_eq!(find(&b, "credentials").value, "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY");
        assert_eq!(find(&b, "role_arn").value, "none");
        assert_eq!(find(&b, "timeout").from, "--timeout");
    }
}
