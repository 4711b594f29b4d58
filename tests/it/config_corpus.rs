//! Every file in `tests/bad_configs` must be rejected by `pipewatch::config::load` with a
//! one-line error that names the file and contains the file's `# expect:` substring.

use crate::support::corpus::{corpus, expectation};

#[test]
fn bad_configs_are_rejected_with_the_expected_message() {
    let files = corpus();
    assert!(files.len() >= 20, "only {} files in tests/bad_configs", files.len());
    let mut failures = Vec::new();
    for path in &files {
        let expected = expectation(path);
        let file_name = path.file_name().and_then(|n| n.to_str()).expect("file name");
        match pipewatch::config::load(path) {
            Ok(config) => failures.push(format!("{file_name}: accepted: {config:?}")),
            Err(e) => {
                let shown = e.to_string();
                if !shown.contains(&expected) {
                    failures.push(format!("{file_name}:\n  error:    {shown}\n  expected: {expected}"));
                }
                if !shown.contains(file_name) {
                    failures.push(format!("{file_name}: error does not name the file: {shown}"));
                }
                if shown.contains('\n') {
                    failures.push(format!("{file_name}: error is not one line: {shown:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn bad_configs_have_unique_numbered_names() {
    let mut numbers: Vec<String> =
        corpus().iter().filter_map(|p| p.file_name()?.to_str()?.split('_').next().map(str::to_owned)).collect();
    assert!(numbers.iter().all(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit())), "{numbers:?}");
    let count = numbers.len();
    numbers.dedup();
    assert_eq!(numbers.len(), count, "duplicate NN_ prefixes");
}
