//! Parsing `/metrics` with a real exposition-format parser: the Python `prometheus_client` library's (the
//! Prometheus project's own client), installed into the tests' moto virtualenv on first use. Both formats: the
//! classic text format (0.0.4) and OpenMetrics, each with its own parser.

use std::collections::BTreeMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::Moto;

/// The parser's release.
const REQUIREMENT: &str = "prometheus-client==0.26.0";

/// Reads the exposition on stdin, writes its families and samples as JSON.
const SCRIPT: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families as classic
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics
parse = openmetrics if sys.argv[1] == "openmetrics" else classic
families = [
    {"name": f.name, "type": f.type,
     "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]}
    for f in parse(sys.stdin.read())
]
json.dump(families, sys.stdout)
"#;

/// The two formats `/metrics` speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    OpenMetrics,
}

/// One sample as the parser read it.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

/// Every sample of an exposition, with the type of its family (`gauge`, `counter`, `info`, ...).
#[derive(Debug, Clone)]
pub struct Exposition {
    pub samples: Vec<(String, Sample)>,
}

impl Exposition {
    /// The samples named `name`.
    pub fn named(&self, name: &str) -> Vec<&Sample> {
        self.samples.iter().filter(|(_, s)| s.name == name).map(|(_, s)| s).collect()
    }

    /// The value of the one sample named `name` whose labels include every pair of `labels`.
    pub fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let found: Vec<_> = self
            .named(name)
            .into_iter()
            .filter(|s| labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
            .collect();
        assert!(found.len() <= 1, "several {name} samples match {labels:?}: {found:?}");
        found.first().map(|s| s.value)
    }

    /// The type of the family holding samples named `name`.
    pub fn kind(&self, name: &str) -> Option<&str> {
        self.samples.iter().find(|(_, s)| s.name == name).map(|(k, _)| k.as_str())
    }
}

/// Parses `text` in `format`; panics with the parser's error (a malformed exposition fails the test).
pub fn parse(text: &str, format: Format) -> Exposition {
    static READY: OnceLock<Result<(), String>> = OnceLock::new();
    let moto = Moto::shared();
    if let Err(e) = READY.get_or_init(|| moto.ensure_package("prometheus_client", REQUIREMENT)) {
        panic!("the exposition parser is unavailable: {e}");
    }
    let arg = match format {
        Format::Text => "text",
        Format::OpenMetrics => "openmetrics",
    };
    let mut child = Command::new(moto.python())
        .args(["-c", SCRIPT, arg])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("running the exposition parser");
    child.stdin.take().expect("stdin").write_all(text.as_bytes()).expect("writing to the parser");
    let out = child.wait_with_output().expect("waiting for the parser");
    assert!(
        out.status.success(),
        "the {arg} parser rejected the exposition:\n{}\n--- exposition ---\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let families: serde_json::Value = serde_json::from_slice(&out.stdout).expect("the parser's JSON");
    let mut samples = Vec::new();
    for f in families.as_array().expect("a list of families") {
        let kind = f["type"].as_str().unwrap_or_default().to_owned();
        for s in f["samples"].as_array().expect("samples") {
            let labels = s["labels"]
                .as_object()
                .expect("labels")
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let sample = Sample {
                name: s["name"].as_str().unwrap_or_default().to_owned(),
                labels,
                value: s["value"].as_f64().expect("a numeric value"),
            };
            samples.push((kind.clone(), sample));
        }
    }
    Exposition { samples }
}
