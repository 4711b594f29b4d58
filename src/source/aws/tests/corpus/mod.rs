//! The AWS response corpus (`tests/fixtures/aws/`, see its README) read the way pipewatch reads AWS: each file is the
//! HTTP body of its operation, answered to the real SDK client (so the SDK's own deserializer reads it), then turned
//! into domain values by `convert`. Each operation's test holds what every file of that operation must yield; a file
//! it has no expectation for fails it, and a file in no table fails [`every_fixture_is_read`].

mod ecr;
mod past_rules;
mod pipelines;
mod trail_rules;

use std::path::{Path, PathBuf};

use jiff::{Timestamp, Unit};
use serde_json::Value;

/// Every file of the corpus read here, and the operation whose answer it is.
const CORPUS: &[(&str, &str)] = &[
    ("ecr/describe-images/buildx-index-web.json", "ecr:DescribeImages"),
    ("ecr/describe-images/buildx-index-web-page1.json", "ecr:DescribeImages"),
    ("ecr/describe-images/buildx-index-web-page2.json", "ecr:DescribeImages"),
    ("ecr/describe-images/buildx-oci-artifact-attestations-api.json", "ecr:DescribeImages"),
    ("ecr/describe-images/cosign-tag-artifacts-web.json", "ecr:DescribeImages"),
    ("ecr/describe-images/docker-manifest-list-base.json", "ecr:DescribeImages"),
    ("ecr/describe-images/oci-referrer-web.json", "ecr:DescribeImages"),
    ("ecr/describe-images/pull-through-cache-nginx.json", "ecr:DescribeImages"),
    ("ecr/describe-images/replicated-image-reports.json", "ecr:DescribeImages"),
    ("ecr/describe-images/single-platform-docker-v2-tools.json", "ecr:DescribeImages"),
    ("ecr/batch-get-image/buildx-index-web-by-tag.json", "ecr:BatchGetImage"),
    ("ecr/batch-get-image/buildx-index-api-by-digest.json", "ecr:BatchGetImage"),
    ("ecr/batch-get-image/docker-manifest-list-base.json", "ecr:BatchGetImage"),
    ("ecr/list-image-referrers/web-index.json", "ecr:ListImageReferrers"),
    ("ecr/list-image-referrers/api-linux-amd64.json", "ecr:ListImageReferrers"),
    ("ecr/describe-image-replication-status/reports-latest.json", "ecr:DescribeImageReplicationStatus"),
    ("codepipeline/list-pipeline-executions/web-deploy-v1-page1.json", "codepipeline:ListPipelineExecutions"),
    ("codepipeline/list-pipeline-executions/web-deploy-v1-page2.json", "codepipeline:ListPipelineExecutions"),
    ("codepipeline/list-pipeline-executions/api-deploy-v2-queued.json", "codepipeline:ListPipelineExecutions"),
    (
        "codepipeline/list-pipeline-executions/worker-deploy-v1-ecr-codecommit.json",
        "codepipeline:ListPipelineExecutions",
    ),
    ("codepipeline/list-pipeline-executions/site-deploy-v1-github-webhook.json", "codepipeline:ListPipelineExecutions"),
    ("codepipeline/list-pipeline-executions/batch-deploy-v2-parallel.json", "codepipeline:ListPipelineExecutions"),
    ("codepipeline/get-pipeline/web-deploy-v1-ecr-default-tag.json", "codepipeline:GetPipeline"),
    ("codepipeline/get-pipeline/api-deploy-v2-ecr-tag-and-connection.json", "codepipeline:GetPipeline"),
    ("codepipeline/get-pipeline/worker-deploy-v1-ecr-and-codecommit.json", "codepipeline:GetPipeline"),
    ("codepipeline/get-pipeline/batch-deploy-v2-parallel.json", "codepipeline:GetPipeline"),
    ("codepipeline/get-pipeline-state/web-deploy-waiting-at-approval.json", "codepipeline:GetPipelineState"),
    ("cloudtrail/lookup-events/put-image-page1.json", "cloudtrail:LookupEvents"),
    ("cloudtrail/lookup-events/put-image-page2.json", "cloudtrail:LookupEvents"),
    ("cloudtrail/lookup-events/empty.json", "cloudtrail:LookupEvents"),
    ("events/describe-rule/native-ecr-push.json", "events:DescribeRule"),
    ("events/describe-rule/native-ecr-push-disabled.json", "events:DescribeRule"),
    ("events/describe-rule/cloudtrail-pattern-cdk-before-21580.json", "events:DescribeRule"),
    ("events/describe-rule/resources-filter-cdk-onevent.json", "events:DescribeRule"),
    ("events/describe-rule/custom-bus.json", "events:DescribeRule"),
    ("events/describe-rule/push-or-replicate.json", "events:DescribeRule"),
    ("events/list-rule-names-by-target/web-deploy.json", "events:ListRuleNamesByTarget"),
    ("events/list-rule-names-by-target/paged-page1.json", "events:ListRuleNamesByTarget"),
    ("events/list-rule-names-by-target/paged-page2.json", "events:ListRuleNamesByTarget"),
    ("events/list-rule-names-by-target/none.json", "events:ListRuleNamesByTarget"),
    ("events/events/cloudtrail-put-image.json", "event: AWS API Call via CloudTrail"),
    ("events/list-targets-by-rule/codepipeline-with-role.json", "events:ListTargetsByRule"),
    ("events/list-targets-by-rule/codepipeline-without-role.json", "events:ListTargetsByRule"),
    ("events/list-targets-by-rule/other-pipeline.json", "events:ListTargetsByRule"),
    ("events/list-targets-by-rule/input-transformer-digest.json", "events:ListTargetsByRule"),
    ("iam/simulate-principal-policy/start-pipeline-allowed.xml", "iam:SimulatePrincipalPolicy"),
    ("iam/simulate-principal-policy/start-pipeline-implicit-deny.xml", "iam:SimulatePrincipalPolicy"),
    ("cloudtrail/describe-trails/organization-trail.json", "cloudtrail:DescribeTrails"),
    ("cloudtrail/describe-trails/single-region-account-trail.json", "cloudtrail:DescribeTrails"),
    ("cloudtrail/describe-trails/none.json", "cloudtrail:DescribeTrails"),
    ("cloudtrail/get-trail-status/logging.json", "cloudtrail:GetTrailStatus"),
    ("cloudtrail/get-trail-status/stopped.json", "cloudtrail:GetTrailStatus"),
    ("cloudtrail/get-event-selectors/basic-all-management.json", "cloudtrail:GetEventSelectors"),
    ("cloudtrail/get-event-selectors/basic-read-only-management.json", "cloudtrail:GetEventSelectors"),
    ("cloudtrail/get-event-selectors/advanced-write-management.json", "cloudtrail:GetEventSelectors"),
    ("cloudwatch/get-metric-data/failed-invocations.json", "cloudwatch:GetMetricData"),
    ("cloudwatch/get-metric-data/no-datapoints.json", "cloudwatch:GetMetricData"),
    ("ecr/describe-registry/replication-us-east-1.json", "ecr:DescribeRegistry"),
    ("ecr/describe-registry/no-replication.json", "ecr:DescribeRegistry"),
];

/// Parts of the corpus not read here yet, and why: APIs pipewatch does not call yet (their fixtures are read by
/// whoever adds the call), and event payloads no API returns.
const NOT_READ_YET: &[(&str, &str)] = &[(
    "events/events/ecr-",
    "ECR event payloads: what a rule sees, not an API answer; no pipewatch code reads events",
)];

/// The corpus directory.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/aws")
}

/// The text of corpus file `path`.
fn body(path: &str) -> String {
    let p = root().join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Corpus file `path` as plain JSON, to compare what the SDK read with what the file says.
fn raw(path: &str) -> Value {
    serde_json::from_str(&body(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The files of `operation`, with their names (the part after the last `/`).
fn files_of(operation: &str) -> Vec<(&'static str, &'static str)> {
    let files: Vec<_> = CORPUS
        .iter()
        .filter(|(_, op)| *op == operation)
        .map(|(path, _)| (*path, path.rsplit('/').next().unwrap_or(path)))
        .collect();
    assert!(!files.is_empty(), "no corpus file answers {operation}");
    files
}

/// An epoch-seconds number of the wire (`1795165200.412`) as a timestamp, to the millisecond (the corpus never
/// writes finer).
fn epoch(v: &Value) -> Timestamp {
    let secs = v.as_f64().unwrap_or_else(|| panic!("not an epoch number: {v}"));
    Timestamp::from_millisecond((secs * 1000.0).round() as i64).unwrap()
}

/// `t` to the millisecond, to compare with [`epoch`].
fn ms(t: Timestamp) -> Timestamp {
    t.round(Unit::Millisecond).unwrap()
}

/// The string at `key`, if any.
fn opt(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Every file of the corpus's API directories, relative to the corpus root.
fn files_under(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path.strip_prefix(root()).unwrap().to_string_lossy().replace('\\', "/"));
        }
    }
    out
}

#[test]
fn every_fixture_is_read() {
    let mut unread = Vec::new();
    for dir in ["ecr", "codepipeline", "cloudtrail", "events", "cloudwatch", "iam"] {
        for file in files_under(&root().join(dir)) {
            let listed = CORPUS.iter().any(|(f, _)| *f == file);
            let excused = NOT_READ_YET.iter().any(|(prefix, _)| file.starts_with(prefix));
            assert!(!(listed && excused), "{file} is both read and excused");
            if !listed && !excused {
                unread.push(file);
            }
        }
    }
    assert!(
        unread.is_empty(),
        "corpus files no test reads (add them to CORPUS and to their operation's test): {unread:#?}"
    );
    for (file, _) in CORPUS {
        assert!(root().join(file).is_file(), "{file} is listed but does not exist");
    }
    for (prefix, why) in NOT_READ_YET {
        let any = files_under(&root()).iter().any(|f| f.starts_with(prefix));
        assert!(any, "{prefix} ({why}) matches no file any more: drop it from NOT_READ_YET");
    }
    // The manifests under `oci/` are read by `crate::oci`'s tests, which count them the same way.
}
