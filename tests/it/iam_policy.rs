//! The shipped least-privilege policy names exactly the AWS operations the code calls: no more, no fewer.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

/// Client fields of `ProfileClients` (`src/source/aws/clients.rs`) and their IAM prefixes.
const SERVICES: [(&str, &str); 8] = [
    ("sts", "sts"),
    ("ecr", "ecr"),
    ("codepipeline", "codepipeline"),
    ("cloudtrail", "cloudtrail"),
    ("events", "events"),
    ("iam", "iam"),
    ("cloudwatch", "cloudwatch"),
    // `pipewatch init --org` (`source/aws/organization.rs`), in the management account only.
    ("organizations", "organizations"),
];
/// Client methods that are not API operations.
const NOT_OPERATIONS: [&str; 1] = ["config"];

/// Every `.rs` file under `dir`, subdirectories included.
fn sources(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// `p.clients.codepipeline.list_pipelines()` → `codepipeline:ListPipelines`, for every such call in the AWS layer.
fn called_operations() -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/source/aws");
    let files = sources(&dir);
    assert!(files.len() > 5, "the AWS layer moved: {files:?}");
    for path in files {
        let text = fs::read_to_string(path).unwrap();
        for (service, prefix) in SERVICES {
            let needle = format!(".{service}");
            for (at, _) in text.match_indices(&needle) {
                // Method chains may break the line: `c.codepipeline\n    .list_pipeline_executions()`.
                let Some(rest) = text[at + needle.len()..].trim_start().strip_prefix('.') else { continue };
                let op: String = rest.chars().take_while(|c| c.is_ascii_lowercase() || *c == '_').collect();
                if rest[op.len()..].starts_with("()") && !NOT_OPERATIONS.contains(&op.as_str()) {
                    let pascal: String = op
                        .split('_')
                        .map(|w| {
                            let mut c = w.chars();
                            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
                        })
                        .collect();
                    ops.insert(format!("{prefix}:{pascal}"));
                }
            }
        }
    }
    ops
}

/// The actions of the policy `assets/<name>` (`Action` a list or one string).
fn actions_of(name: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(name);
    let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    v["Statement"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| match &s["Action"] {
            serde_json::Value::String(a) => vec![a.clone()],
            list => list.as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect(),
        })
        .collect()
}

fn policy_actions() -> BTreeSet<String> {
    actions_of("iam-readonly-policy.json")
}

/// What the base identity is allowed (`doctor` calls AssumeRole itself, to explain its errors).
const BASE_IDENTITY: &str = "sts:AssumeRole";

/// What `pipewatch init --org` needs in the management (or a delegated administrator) account: its own policy,
/// since it runs in that one account only, and no doctor check, since doctor checks the polled accounts.
const ORG_LISTING: &str = "organizations:ListAccounts";

#[test]
fn policy_matches_the_calls_in_the_code() {
    let mut called = called_operations();
    assert!(called.contains("codepipeline:ListPipelineExecutions"), "scanner found {called:?}");
    assert!(called.remove(BASE_IDENTITY), "doctor's AssumeRole call not found");
    assert!(actions_of("iam-assume-policy.json").contains(BASE_IDENTITY));
    assert!(called.remove(ORG_LISTING), "init's ListAccounts call not found");
    assert_eq!(actions_of("iam-organizations-policy.json"), BTreeSet::from([ORG_LISTING.to_string()]));
    assert!(!policy_actions().contains(ORG_LISTING), "the polled accounts' policy must not allow {ORG_LISTING}");
    assert_eq!(called, policy_actions());
}

/// Every API the AWS layer calls in a polled account has its doctor check (the identity step reads
/// `sts:GetCallerIdentity`): a new call without a row in `source/aws/doctor/apis.rs` fails here.
#[test]
fn every_called_api_has_a_doctor_check() {
    let mut called = called_operations();
    called.remove(BASE_IDENTITY);
    called.remove("sts:GetCallerIdentity");
    called.remove(ORG_LISTING);
    let checked: BTreeSet<String> =
        pipewatch::source::aws::doctor::checked_actions().into_iter().map(str::to_string).collect();
    let missing: Vec<_> = called.difference(&checked).collect();
    assert!(
        missing.is_empty(),
        "APIs called without a doctor check (add a row to source/aws/doctor/apis.rs): {missing:?}"
    );
    assert_eq!(called, checked, "doctor checks APIs that are no longer called");
}

#[test]
fn iam_policy_subcommand_prints_the_shipped_policy() {
    let out = assert_cmd::Command::new(env!("CARGO_BIN_EXE_pipewatch")).arg("iam-policy").output().unwrap();
    assert!(out.status.success());
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/iam-readonly-policy.json");
    let shipped: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
    assert_eq!(printed, shipped);
}

#[test]
fn trust_policies_are_valid_json_with_an_external_id_condition() {
    for name in ["trust-policy-account.json", "trust-policy-role.json"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(name);
        let v: serde_json::Value = serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap();
        let st = &v["Statement"][0];
        assert_eq!(st["Action"], "sts:AssumeRole", "{name}");
        assert!(st["Condition"]["StringEquals"]["sts:ExternalId"].is_string(), "{name}");
    }
}

/// The member-account role of the StackSet template (README, "A whole organization") grants exactly the shipped
/// policy and requires the external id.
#[test]
fn the_stackset_template_grants_the_shipped_policy() {
    let read = |name: &str| -> serde_json::Value {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets").join(name);
        serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
    };
    let template = read("member-role-stackset.json");
    let role = &template["Resources"]["PipewatchReadRole"];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    assert_eq!(role["Properties"]["Policies"][0]["PolicyDocument"], read("iam-readonly-policy.json"));
    let trust = &role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0];
    assert_eq!(trust["Action"], "sts:AssumeRole");
    assert_eq!(trust["Condition"]["StringEquals"]["sts:ExternalId"], serde_json::json!({"Ref": "ExternalId"}));
}
