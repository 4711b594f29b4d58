//! The `[notify]` table: defaults when absent, every key resolved, and located errors that never echo a webhook.

use super::*;

#[test]
fn notify_defaults_when_the_table_is_absent_or_empty() {
    let expected = Notify { command: None, webhook: None, timeout: Duration::from_secs(10), bell: true };
    assert_eq!(ok("[profiles.a]\n").notify, expected);
    assert_eq!(ok("[notify]\n[profiles.a]\n").notify, expected);
}

#[test]
fn notify_keys_resolve() {
    let config = ok(concat!(
        "[notify]\n",
        "command = [\"/usr/local/bin/page-oncall\", \"--team\", \"\"]\n",
        "timeout = \"1m 30s\"\n",
        "webhook = \"https://hooks.slack.com/services/T0/B0/secret\"\n",
        "bell = false\n",
        "[profiles.a]\n",
    ));
    assert_eq!(
        config.notify,
        Notify {
            command: Some(vec!["/usr/local/bin/page-oncall".into(), "--team".into(), String::new()]),
            webhook: Some("https://hooks.slack.com/services/T0/B0/secret".into()),
            timeout: Duration::from_secs(90),
            bell: false,
        }
    );
}

#[test]
fn debug_output_hides_the_webhook_and_the_arguments() {
    let notify = Notify {
        command: Some(vec!["page".into(), "--token".into(), "tok-123".into()]),
        webhook: Some("https://hooks.slack.com/services/T0/B0/very-secret".into()),
        ..Notify::default()
    };
    let shown = format!("{notify:?}");
    assert!(shown.contains("page") && shown.contains("<hidden>"), "{shown}");
    assert!(!shown.contains("very-secret") && !shown.contains("tok-123"), "{shown}");
}

#[test]
fn notify_errors_name_line_table_and_key() {
    assert_err("[notify]\ncommand = []\n[profiles.a]\n", "config.toml:2:11: [notify] command: must name a program");
    assert_err(
        "[notify]\ncommand = [\" \", \"x\"]\n[profiles.a]\n",
        "config.toml:2:12: [notify] command: the program (the list's first item) must not be empty",
    );
    assert_err(
        "[notify]\ncommand = [\"a\", \"b\\u0000\"]\n[profiles.a]\n",
        "[notify] command: an argument cannot hold a NUL",
    );
    assert_err(
        "[notify]\ncommand = [1]\n[profiles.a]\n",
        "[notify] command: invalid type: integer `1`, expected a string",
    );
    assert_err(
        "[notify]\ntimeout = \"0s\"\n[profiles.a]\n",
        "config.toml:2:11: [notify] timeout: invalid duration \"0s\"",
    );
    assert_err(
        "[notify]\ntimeout = 10\n[profiles.a]\n",
        "[notify] timeout: invalid type: integer `10`, expected a string (durations are strings",
    );
    assert_err(
        "[notify]\nbell = \"no\"\n[profiles.a]\n",
        "[notify] bell: invalid type: string \"no\", expected a boolean",
    );
    let shown = err("[notify]\nwebhook = \"ftp://hooks.example/T0/very-secret\"\n[profiles.a]\n");
    assert!(shown.contains("config.toml:2:11: [notify] webhook: must be an http:// or https:// URL"), "{shown}");
    assert!(!shown.contains("very-secret"), "the webhook URL is echoed: {shown}");
}

#[test]
fn the_example_documents_every_notify_key_with_its_default() {
    let text = include_str!("../../../config.example.toml");
    assert_eq!(ok(text).notify, Notify::default(), "the example's [notify] shows the defaults");
    let table = &text[text.find("[notify]").expect("a [notify] table")..];
    for key in ["command = [", "webhook = \"https://", "timeout = ", "bell = "] {
        assert!(table.contains(key), "{key} is not documented in config.example.toml's [notify]");
    }
}
