//! `pipewatch init`: the example, and `--org` against moto's Organizations (an organization of 300 accounts, some
//! closed, hence SUSPENDED) and against awsim for what moto does not do (not in an organization, a member account
//! denied, `ListAccounts`' pages of 20). The written config's profiles, names, role ARNs and comments; the refusal
//! to overwrite; `--output -`; the errors.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Value, json};

use crate::support::sim::Sim;
use crate::support::{Moto, Run, fresh_account, pipewatch, run_command, run_seed_script};

/// `pipewatch ARGS` with `env` on top of [`pipewatch`]'s clean environment, `$HOME` at `home`.
fn init(home: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut cmd = pipewatch();
    cmd.env("HOME", home).env_remove("XDG_CONFIG_HOME");
    for (k, v) in env {
        cmd.env(k, v);
    }
    run_command(cmd, args)
}

#[test]
fn init_writes_the_example_where_pipewatch_looks_and_never_over_a_file() {
    let home = tempfile::tempdir().unwrap();
    let example = include_str!("../../config.example.toml");
    let run = init(home.path(), &["init"], &[]);
    let path = home.path().join(".config/pipewatch/config.toml");
    assert_eq!(run.code, Some(0), "{run}");
    assert!(run.stdout.starts_with(&format!("wrote {}: the two-account example", path.display())), "{run}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), example);

    std::fs::write(&path, "mine").unwrap();
    let run = init(home.path(), &["init"], &[]);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains(&format!("{}: the file exists; pass --force", path.display())), "{run}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    assert!(run.stdout.is_empty());

    let run = init(home.path(), &["init", "--force"], &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), example);

    let run = init(home.path(), &["init", "--output", "-"], &[]);
    assert_eq!((run.code, run.stdout.as_str()), (Some(0), example), "{run}");

    // --config names where pipewatch will look, so init writes there.
    let elsewhere = home.path().join("elsewhere/p.toml");
    let run = init(home.path(), &["init", "--config", elsewhere.to_str().unwrap()], &[]);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), example);

    for args in [&["init", "--org"][..], &["init", "--role-name", "r"], &["init", "--regions", "us-east-1"]] {
        let run = init(home.path(), args, &[]);
        assert_eq!(run.code, Some(2), "{args:?}: {run}");
        assert!(run.stderr.contains("required arguments were not provided"), "{run}");
    }
}

/// The accounts of an organization as the seed script lists them back.
fn listed(seeded: &Value) -> Vec<(String, String, String, String)> {
    seeded["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let s = |k: &str| a[k].as_str().unwrap().to_string();
            (s("id"), s("name"), s("email"), s("status"))
        })
        .collect()
}

#[test]
fn init_org_writes_one_profile_per_active_account_of_moto_s_organization() {
    let management = fresh_account();
    let accounts: Vec<Value> = (0..300)
        .map(|i| {
            let name = match i {
                1 => "Dev".to_string(),
                2 => "dev".to_string(),
                _ => format!("Team {i:03}"),
            };
            json!({"name": name, "email": format!("team{i:03}@example.com"), "close": i % 50 == 7})
        })
        .collect();
    let seeded = run_seed_script("seed_org.py", json!({"management": management, "accounts": accounts}));
    let all = listed(&seeded);
    let active: Vec<_> = all.iter().filter(|a| a.3 == "ACTIVE").collect();
    assert_eq!(all.len() - active.len(), 6, "moto shows closed accounts SUSPENDED: {seeded:#}");
    let keys = &seeded["credentials"];
    let key = |k: &str| keys[k].as_str().unwrap().to_string();
    let (id, secret, token) = (key("AccessKeyId"), key("SecretAccessKey"), key("SessionToken"));
    let endpoint = Moto::shared().endpoint();
    let env = [
        ("AWS_ACCESS_KEY_ID", id.as_str()),
        ("AWS_SECRET_ACCESS_KEY", secret.as_str()),
        ("AWS_SESSION_TOKEN", token.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
    ];

    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("org.toml");
    let args = ["init", "--org", "--role-name", "pipewatch-read", "--regions", "eu-west-1", "--output"];
    let mut with_path: Vec<&str> = args.to_vec();
    with_path.push(path.to_str().unwrap());
    let run = init(home.path(), &with_path, &env);
    eprintln!("init --org over moto, {} accounts ({} ACTIVE): {:?}", all.len(), active.len(), run.elapsed);
    assert_eq!(run.code, Some(0), "{run}");
    let summary = format!(
        "wrote {}: {} profiles, one per ACTIVE account of the organization (6 not ACTIVE left out)",
        path.display(),
        active.len()
    );
    assert!(run.stdout.starts_with(&summary), "{run}");

    let config = pipewatch::config::load(&path).expect("the written config loads");
    assert_eq!(config.profiles.len(), active.len());
    assert_eq!(config.settings.regions, ["eu-west-1"]);
    let names: Vec<&str> = config.profiles.iter().map(|p| p.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "profiles sorted by name");
    let arns: BTreeSet<String> = config.profiles.iter().map(|p| p.role_arn.clone().unwrap()).collect();
    let expected: BTreeSet<String> =
        active.iter().map(|a| format!("arn:aws:iam::{}:role/pipewatch-read", a.0)).collect();
    assert_eq!(arns, expected);
    let text = std::fs::read_to_string(&path).unwrap();
    for (id, name, email, status) in &all {
        let comment = format!("# {name} ({id}, {email})\n");
        assert_eq!(text.contains(&comment), status == "ACTIVE", "{comment}");
    }
    let dev = |n: &str| all.iter().find(|a| a.1 == n).unwrap().0.clone();
    assert!(text.contains(&format!("# Dev ({}, team001@example.com)\n[profiles.dev-{}]\n", dev("Dev"), dev("Dev"))));
    assert!(text.contains(&format!("[profiles.dev-{}]\n", dev("dev"))));
    assert!(text.contains("# Team 003 (") && text.contains("[profiles.team-003]\n"));

    // Never over a file without --force; --output - prints the same config.
    let run = init(home.path(), &with_path, &env);
    assert_eq!(run.code, Some(2), "{run}");
    assert!(run.stderr.contains("the file exists; pass --force"), "{run}");
    let mut to_stdout: Vec<&str> = args.to_vec();
    to_stdout.push("-");
    let run = init(home.path(), &to_stdout, &env);
    assert_eq!(run.code, Some(0), "{run}");
    assert_eq!(run.stdout, text);
    with_path.push("--force");
    assert_eq!(init(home.path(), &with_path, &env).code, Some(0));
}

/// An account of an awsim organization.
fn org_account(i: usize, status: &str) -> awsim::OrgAccount {
    awsim::OrgAccount {
        id: format!("{:012}", 500_000_000_000 + i),
        name: format!("Account {i}"),
        email: format!("a{i}@example.com"),
        status: status.to_string(),
    }
}

#[test]
fn init_org_errors_say_what_to_do_and_pages_are_all_read() {
    let sim = Sim::start();
    let home = tempfile::tempdir().unwrap();
    let endpoint = sim.endpoint();
    let env = [("AWS_ENDPOINT_URL", endpoint.as_str())];
    let args = ["init", "--org", "--role-name", "pipewatch-read", "--output", "-"];

    let run = init(home.path(), &args, &env);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(run.stderr.contains("AWSOrganizationsNotInUseException") && run.stderr.contains("in no AWS Organization"));
    assert!(run.stdout.is_empty(), "{run}");

    // The base identity (123456789012) is a member account, not the management account.
    let accounts: Vec<_> = (0..45).map(|i| org_account(i, if i % 10 == 3 { "SUSPENDED" } else { "ACTIVE" })).collect();
    sim.world.set_organization("999999999999", accounts.clone());
    let run = init(home.path(), &args, &env);
    assert_eq!(run.code, Some(3), "{run}");
    assert!(run.stderr.contains("AccessDeniedException"), "{run}");
    assert!(run.stderr.contains("management account or a delegated administrator"), "{run}");
    assert!(run.stderr.contains("assets/iam-organizations-policy.json"), "{run}");

    // As the management account: three pages of 20, the suspended accounts left out.
    let mut accounts = accounts;
    accounts.push(org_account(99, "PENDING_CLOSURE"));
    sim.world.set_organization("123456789012", accounts);
    let run = init(home.path(), &args, &env);
    assert_eq!(run.code, Some(0), "{run}");
    let config = pipewatch::config::parse(&run.stdout, Path::new("stdout")).unwrap();
    assert_eq!(config.profiles.len(), 40, "{run}");
    assert_eq!(config.settings.regions, [crate::support::REGION], "the ambient region by default");
    assert!(config.profiles.iter().all(|p| p.role_arn.as_deref().unwrap().starts_with("arn:aws:iam::5")));
    assert!(!run.stdout.contains("500000000003") && !run.stdout.contains("500000000099"));

    // No credentials at all.
    let run = pipewatch()
        .env("HOME", home.path())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env("AWS_ENDPOINT_URL", &endpoint)
        .args(args)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("no usable AWS credentials"), "{stderr}");
}
