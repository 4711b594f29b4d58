//! The house rules that keep the code easy to read and change, checked on every run: files small enough to read in
//! one sitting, a `//!` line saying why each module exists, the AWS SDK only in the AWS layer, and no import cycle
//! between files.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Lines a file under `src/` may have, tests included.
const MAX_LINES: usize = 600;

/// Every `.rs` file under `src/`, with its module path (`analysis::chain` for `src/analysis/chain.rs`).
fn sources() -> Vec<(String, PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("src is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let rel = path.strip_prefix(&root).expect("under src").with_extension("");
                let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
                if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                    parts.pop();
                }
                let text = std::fs::read_to_string(&path).expect("source is UTF-8");
                out.push((parts.join("::"), path, text));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn every_file_is_short_and_says_why_it_exists() {
    let mut problems = Vec::new();
    for (_, path, text) in sources() {
        let lines = text.lines().count();
        if lines > MAX_LINES {
            problems.push(format!("{}: {lines} lines (split it by meaning)", path.display()));
        }
        if !text.starts_with("//!") {
            problems.push(format!("{}: no `//!` line saying why the module exists", path.display()));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn only_the_aws_layer_touches_the_sdk() {
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|(module, _, text)| !module.starts_with("source::aws") && uses_the_sdk(text))
        .map(|(_, path, _)| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "SDK types outside src/source/aws/: {offenders:?}");
}

/// Whether `text` names a path into an SDK crate (`aws_sdk_ecr::…`, `aws_config::…`); mentioning a crate's name, as
/// a log filter does, is not using it.
fn uses_the_sdk(text: &str) -> bool {
    text.contains("aws_config::")
        || text.match_indices("aws_sdk_").any(|(i, m)| {
            let rest = &text[i + m.len()..];
            let name = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').count();
            rest[name..].starts_with("::")
        })
}

/// The module `path` (`crate::a::b::C`, `super::x`, `self::y`) names from inside `module`, as the longest prefix
/// that is a file of ours.
fn resolve(path: &str, module: &str, files: &BTreeSet<String>) -> Option<String> {
    let mut segments: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = if module.is_empty() { Vec::new() } else { module.split("::").collect() };
    match segments.first().copied() {
        Some("crate") => {
            base.clear();
            segments.remove(0);
        }
        Some("self") => {
            segments.remove(0);
        }
        Some("super") => {
            while segments.first() == Some(&"super") {
                segments.remove(0);
                base.pop();
            }
        }
        _ => return None,
    }
    base.extend(segments);
    (0..=base.len()).rev().map(|n| base[..n].join("::")).find(|m| files.contains(m))
}

#[test]
fn no_import_cycle_between_files() {
    // Test modules import what they test; they are leaves by construction and left out.
    let is_test = |m: &str, p: &Path| {
        m.split("::").any(|s| s == "tests" || s == "fixtures" || s == "testing") || p.ends_with("tests.rs")
    };
    let sources: Vec<_> = sources().into_iter().filter(|(m, p, _)| !is_test(m, p)).collect();
    let files: BTreeSet<String> = sources.iter().map(|(m, _, _)| m.clone()).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, _, text) in &sources {
        // Inline `#[cfg(test)] mod tests { … }` blocks sit at the end of a file.
        let code = text.split("#[cfg(test)]\nmod tests {").next().unwrap_or(text);
        let targets = edges.entry(module.clone()).or_default();
        for (i, _) in
            code.match_indices("crate::").chain(code.match_indices("super::")).chain(code.match_indices("self::"))
        {
            if code[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_' || c == ':') {
                continue;
            }
            let path: String =
                code[i..].chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
            if let Some(target) = resolve(path.trim_end_matches(':'), module, &files)
                && target != *module
            {
                targets.insert(target);
            }
        }
    }
    let cycle = find_cycle(&edges);
    assert_eq!(cycle, None, "import cycle between files: {}", cycle.as_deref().unwrap_or_default().join(" -> "));
}

/// A cycle of `edges` (module -> modules it uses), if there is one.
fn find_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    // A depth-first walk; an edge back into the current path is a cycle.
    fn walk<'a>(
        m: &'a str,
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        done: &mut BTreeSet<&'a str>,
        path: &mut Vec<&'a str>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|s| *s == m) {
            let mut cycle: Vec<String> = path[at..].iter().map(|s| s.to_string()).collect();
            cycle.push(m.to_string());
            return Some(cycle);
        }
        if !done.insert(m) {
            return None;
        }
        path.push(m);
        for t in edges.get(m).into_iter().flatten() {
            if let Some(c) = walk(t, edges, done, path) {
                return Some(c);
            }
        }
        path.pop();
        None
    }
    let mut done = BTreeSet::new();
    edges.keys().find_map(|m| walk(m, edges, &mut done, &mut Vec::new()))
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    // `x::a` uses `x::b`, which uses `super::a`; `x` uses both.
    let files: BTreeSet<String> = ["x::a", "x::b", "x"].map(String::from).into();
    assert_eq!(resolve("crate::x::b::Thing", "x::a", &files).as_deref(), Some("x::b"));
    assert_eq!(resolve("super::a::f", "x::b", &files).as_deref(), Some("x::a"));
    assert_eq!(resolve("self::a", "x", &files).as_deref(), Some("x::a"));
    assert_eq!(resolve("crate::nowhere", "x::a", &files), None, "not a file of ours");
    assert!(uses_the_sdk("use aws_sdk_ecr::Client;") && uses_the_sdk("aws_config::defaults(v)"));
    assert!(!uses_the_sdk("capped: `aws_config`, `aws_sdk_*`"));
    let graph = |pairs: &[(&str, &str)]| {
        let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in pairs {
            g.entry(from.to_string()).or_default().insert(to.to_string());
            g.entry(to.to_string()).or_default();
        }
        g
    };
    assert_eq!(find_cycle(&graph(&[("x", "x::a"), ("x", "x::b"), ("x::a", "x::b")])), None);
    assert_eq!(
        find_cycle(&graph(&[("x", "x::a"), ("x::a", "x::b"), ("x::b", "x::a")])),
        Some(vec!["x::a".to_string(), "x::b".into(), "x::a".into()])
    );
}
