//! The demo's stuck pipelines: each a pipeline `<repo>-deploy` watching one tag, one push of that tag that started
//! nothing, the rules that should have started it, and the runs that did happen.

use super::parts::{A, Epoch, fake_digest, fake_uuid, image, record, source, target};
use crate::model::{ExecStatus, Execution, Lookup, Pipeline, ProfileSnapshot, PutImageRecord, Revision, TriggerRule};

impl Epoch {
    /// Adds a pipeline `<repo>-deploy` watching `repo:watched_tag`, and one push of that tag that started nothing.
    pub(super) fn stuck(
        self,
        snap: &mut ProfileSnapshot,
        records: &mut Vec<PutImageRecord>,
        rules: &mut Vec<(String, Vec<TriggerRule>)>,
        st: Stuck,
    ) {
        let name = format!("{}-deploy", st.repo);
        let push = image(st.repo, fake_digest(st.repo, 0), vec![st.watched_tag.into()], self.at(st.pushed));
        let mut runs = st.runs;
        if let Some((who, after)) = st.released_by {
            // A release by hand: the console's "Release change" resolves the tag, so the run carries the push's
            // digest, with trigger StartPipelineExecution and the caller's ARN (FACTS.md §9).
            let mut release = self.run("release", st.pushed + after, ExecStatus::Succeeded, Some(push.digest.clone()));
            release.trigger = "StartPipelineExecution".into();
            release.trigger_detail = Some(who.to_string());
            runs.insert(0, release);
        }
        let (account, role) = st.pusher;
        let recipient = snap.identity.as_ref().map_or(A, |i| i.account.as_str()).to_string();
        let arn = role.map(|r| format!("arn:aws:sts::{account}:assumed-role/{r}/build"));
        let mut rec = record(&push, st.watched_tag, &recipient, arn);
        rec.pusher.account = account.into();
        if role.is_none() {
            rec.pusher.identity_type = "AWSAccount".into();
            rec.pusher.principal_id = Some("AIDADEMOACCOUNTBPUSH".into());
        }
        rec.pusher.cross_account = account != recipient;
        records.push(rec);
        snap.pipelines.push(Pipeline {
            name: name.clone(),
            sources: vec![source(st.repo, st.watched_tag)],
            executions: runs,
        });
        snap.images.push(push);
        // Each rule targets its pipeline with a role allowed to start it, unless the story says otherwise.
        let mut st_rules = st.rules;
        for r in &mut st_rules {
            r.targets = Lookup::Done(vec![target(&recipient, &name, true)]);
        }
        rules.push((name, st_rules));
    }

    /// A finished or running execution started at `start` (seconds from the epoch).
    pub(super) fn run(self, kind: &str, start: i64, status: ExecStatus, digest: Option<String>) -> Execution {
        Execution {
            id: fake_uuid(kind, start),
            status,
            trigger: "CloudWatchEvent".into(),
            trigger_detail: Some(format!("arn:aws:events:ap-northeast-1:{A}:rule/{kind}")),
            started_at: self.at(start),
            updated_at: Some(self.at(start + 90)),
            revisions: digest
                .map(|d| vec![Revision { action: "Source".into(), revision_id: d, summary: None }])
                .unwrap_or_default(),
            status_summary: None,
        }
    }
}

/// One stuck pipeline of the demo.
pub(super) struct Stuck {
    pub repo: &'static str,
    pub watched_tag: &'static str,
    /// Seconds from the epoch.
    pub pushed: i64,
    /// The pusher's account and, for an assumed role, the role name (`None`: the account itself).
    pub pusher: (&'static str, Option<&'static str>),
    pub rules: Vec<TriggerRule>,
    pub runs: Vec<Execution>,
    /// Someone released the push's image by hand: the caller's ARN and how many seconds after the push.
    pub released_by: Option<(&'static str, i64)>,
}
