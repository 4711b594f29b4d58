//! What a notification says about one untriggered push: the push object of the JSON document (the command's stdin)
//! and, for the webhook, that object beside a one-line `text` for chat tools (Slack's incoming webhooks show it).

use serde::Serialize;

use crate::analysis::PushVerdict;
use crate::console::Console;
use crate::report::json;
use crate::sanitize::clean;

/// The bodies of one push's notification, built once for every sink.
#[derive(Debug)]
pub(super) struct Message {
    /// The push object of `/api/report`'s `pushes` (and `--once --output json`'s), pretty, with a newline.
    pub(super) push_json: Vec<u8>,
    /// `{"text": …, "push": {…}}`.
    pub(super) webhook_json: Vec<u8>,
    /// The repository and tags, for logs (control characters made visible).
    pub(super) what: String,
}

#[derive(Serialize)]
struct WebhookBody<'a, P: Serialize> {
    text: &'a str,
    push: P,
}

impl Message {
    /// The bodies for `verdict`, its links in `console` (the profile's, as in the document).
    pub(super) fn of(verdict: &PushVerdict, console: Option<&Console>) -> Self {
        let mut push_json = Vec::new();
        let mut webhook_json = Vec::new();
        // Writing to memory cannot fail.
        let _ = json::write_value(&json::push(verdict, console), &mut push_json);
        let text = text(verdict);
        let _ = json::write_value(&WebhookBody { text: &text, push: json::push(verdict, console) }, &mut webhook_json);
        Message { push_json, webhook_json, what: clean(&repository_and_tags(verdict)).into_owned() }
    }
}

fn repository_and_tags(v: &PushVerdict) -> String {
    let tags = if v.push.tags.is_empty() { "<untagged>".to_owned() } else { v.push.tags.join(",") };
    format!("{}:{tags}", v.push.repository)
}

/// One line for people: what was pushed, which pipeline did not run, and the first finding with its fix. AWS
/// strings have their control characters made visible, and `&`, `<`, `>` are escaped as Slack requires.
pub(super) fn text(v: &PushVerdict) -> String {
    let pipelines = if v.watched_by.is_empty() { "its pipeline".to_owned() } else { v.watched_by.join(", ") };
    let mut text = format!(
        "pipewatch: untriggered push {} in profile {} (pushed {}) started no run of {pipelines}.",
        repository_and_tags(v),
        v.profile,
        v.push.pushed_at
    );
    if let Some(f) = v.findings.first() {
        text += &format!(" [{}] {} Fix: {}", f.code.as_str(), f.message, f.fix);
    }
    slack_escape(&clean(&text))
}

fn slack_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::correlate::PushStatus;
    use crate::analysis::diagnose::{Code, Finding};
    use crate::model::ImagePush;

    fn verdict() -> PushVerdict {
        PushVerdict {
            profile: "alpha".into(),
            push: ImagePush {
                repository: "web\u{1b}[2J".into(),
                digest: "sha256:abc".into(),
                tags: vec!["latest".into(), "v<1>".into()],
                pushed_at: "2026-11-25T21:55:14Z".parse().unwrap(),
                ..ImagePush::default()
            },
            status: PushStatus::Untriggered,
            execution: None,
            watched_by: vec!["web-deploy".into()],
            pusher: None,
            findings: vec![Finding::new(Code::NoTriggerRule, "no rule & no event", "re-save the pipeline")],
            tags_from_cloudtrail: false,
            chain: vec![],
            deployed_by: None,
            recovered_tags: vec![],
            region: "ap-northeast-1".into(),
        }
    }

    #[test]
    fn the_text_names_push_pipeline_finding_and_fix_safely() {
        assert_eq!(
            text(&verdict()),
            "pipewatch: untriggered push web^[[2J:latest,v&lt;1&gt; in profile alpha (pushed 2026-11-25T21:55:14Z) \
             started no run of web-deploy. [no_trigger_rule] no rule &amp; no event Fix: re-save the pipeline"
        );
    }

    #[test]
    fn the_webhook_body_is_text_plus_the_push_object_of_the_report() {
        let m = Message::of(&verdict(), None);
        let push: serde_json::Value = serde_json::from_slice(&m.push_json).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&m.webhook_json).unwrap();
        assert_eq!(body["push"], push);
        assert_eq!(body["text"], text(&verdict()));
        assert_eq!(push["repository"], "web\u{1b}[2J", "the JSON keeps the string exactly");
        assert!(!String::from_utf8(m.push_json).unwrap().contains('\u{1b}'), "escaped in the document");
        assert_eq!(push["status"], "untriggered");
        assert_eq!(m.what, "web^[[2J:latest,v<1>");
    }
}
