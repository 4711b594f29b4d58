//! Parses an image index (an OCI image index or a Docker manifest list) into the descriptors it lists, so that a
//! multi-platform push can be shown as one push with its platforms and attestations.
//!
//! The text is the registry's (`imageManifest` of ECR BatchGetImage) and is read as untrusted: it is bounded in size
//! before it is parsed, a descriptor without a digest is skipped, a field of the wrong type counts as absent, and at
//! most [`MAX_ENTRIES`] descriptors are kept. Layouts: [OCI image index](https://github.com/opencontainers/image-spec/blob/v1.1.0/image-index.md),
//! [Docker manifest list](https://distribution.github.io/distribution/spec/manifest-v2-2/), BuildKit's
//! [attestation storage](https://docs.docker.com/build/metadata/attestations/attestation-storage/)
//! (`vnd.docker.reference.type` / `vnd.docker.reference.digest` annotations).

use serde_json::Value;

use crate::model::IndexEntry;

/// The largest manifest read: ECR accepts manifests up to 4 MiB.
pub const MAX_MANIFEST_BYTES: usize = 4 * 1024 * 1024;
/// Descriptors kept from one index (buildx writes two per platform).
pub const MAX_ENTRIES: usize = 1024;

/// Why a manifest could not be read as an image index.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum ParseError {
    /// Larger than a registry accepts.
    #[error("the manifest is {0} bytes, more than the 4 MiB a registry accepts")]
    TooLarge(usize),
    /// Not JSON at all.
    #[error("the manifest is not JSON")]
    NotJson,
    /// JSON, but without a `manifests` list.
    #[error("the manifest is not an image index (it has no `manifests` list)")]
    NotAnIndex,
}

/// The descriptors of the image index `text`, in its order.
pub fn parse_index(text: &str) -> Result<Vec<IndexEntry>, ParseError> {
    if text.len() > MAX_MANIFEST_BYTES {
        return Err(ParseError::TooLarge(text.len()));
    }
    let v: Value = serde_json::from_str(text).map_err(|_| ParseError::NotJson)?;
    let list = v.get("manifests").and_then(Value::as_array).ok_or(ParseError::NotAnIndex)?;
    Ok(list.iter().filter_map(entry).take(MAX_ENTRIES).collect())
}

/// One descriptor; `None` without a digest.
fn entry(d: &Value) -> Option<IndexEntry> {
    let digest = text(d, &["digest"])?;
    let platform = d.get("platform").and_then(|p| {
        let (os, arch) = (text(p, &["os"])?, text(p, &["architecture"])?);
        Some(match text(p, &["variant"]) {
            Some(variant) => format!("{os}/{arch}/{variant}"),
            None => format!("{os}/{arch}"),
        })
    });
    Some(IndexEntry {
        digest: digest.to_string(),
        media_type: text(d, &["mediaType"]).map(str::to_string),
        platform,
        reference_type: text(d, &["annotations", "vnd.docker.reference.type"]).map(str::to_string),
        reference_digest: text(d, &["annotations", "vnd.docker.reference.digest"]).map(str::to_string),
    })
}

/// The non-empty string at `path`.
fn text<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    path.iter().try_fold(v, |v, k| v.get(k))?.as_str().filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn oci(name: &str) -> String {
        let path = format!("{}/tests/fixtures/aws/oci/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    fn summary(entries: &[IndexEntry]) -> Vec<String> {
        entries
            .iter()
            .map(|e| {
                format!(
                    "{} {} {} {}",
                    &e.digest[7..15],
                    e.platform.as_deref().unwrap_or("-"),
                    e.reference_type.as_deref().unwrap_or("-"),
                    e.reference_digest.as_deref().map_or("-", |d| &d[7..15]),
                )
            })
            .collect()
    }

    /// Every manifest of the corpus (`tests/fixtures/aws/oci/`): the three indexes list their descriptors, the
    /// image and artifact manifests are not indexes.
    #[test]
    fn the_corpus_manifests_read_as_the_corpus_says() {
        let want: &[(&str, &[&str])] = &[
            (
                "web-index.json",
                &[
                    "a830d414 linux/amd64 - -",
                    "4b9413e6 linux/arm64 - -",
                    "12bcbfa2 unknown/unknown attestation-manifest a830d414",
                    "34f8097a unknown/unknown attestation-manifest 4b9413e6",
                ],
            ),
            (
                "api-index.json",
                &[
                    "469243b0 linux/amd64 - -",
                    "19eff3cd linux/arm64 - -",
                    "f7c95262 unknown/unknown attestation-manifest 469243b0",
                    "9f336886 unknown/unknown attestation-manifest 19eff3cd",
                ],
            ),
            ("base-manifest-list.json", &["020154d7 linux/amd64 - -", "899cdf8b linux/arm64/v8 - -"]),
        ];
        let mut files: Vec<String> =
            std::fs::read_dir(format!("{}/tests/fixtures/aws/oci", env!("CARGO_MANIFEST_DIR")))
                .unwrap()
                .map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect();
        files.sort();
        assert_eq!(files.len(), 15, "a new manifest in the corpus: say here what it reads as");
        for file in files {
            let got = parse_index(&oci(&file));
            match want.iter().find(|(f, _)| *f == file) {
                Some((_, entries)) => assert_eq!(summary(&got.unwrap()), *entries, "{file}"),
                None => assert_eq!(got, Err(ParseError::NotAnIndex), "{file} is an image or artifact manifest"),
            }
        }
        let web = parse_index(&oci("web-index.json")).unwrap();
        assert_eq!(web[0].media_type.as_deref(), Some(crate::model::OCI_MANIFEST));
    }

    #[test]
    fn odd_descriptors_are_skipped_or_read_partly() {
        let text = r#"{"manifests": [
            {"mediaType": "x"},
            {"digest": 7},
            {"digest": "sha256:aa", "platform": {"os": "linux"}},
            {"digest": "sha256:bb", "platform": {"os": "linux", "architecture": 64}},
            {"digest": "sha256:cc", "platform": "linux/amd64", "annotations": ["x"]},
            {"digest": "sha256:dd", "annotations": {"vnd.docker.reference.type": {"a": 1}}},
            {"digest": "", "platform": {"os": "linux", "architecture": "amd64"}},
            "sha256:ee"
        ]}"#;
        let got = parse_index(text).unwrap();
        assert_eq!(
            got.iter().map(|e| e.digest.as_str()).collect::<Vec<_>>(),
            ["sha256:aa", "sha256:bb", "sha256:cc", "sha256:dd"]
        );
        assert!(got.iter().all(|e| e.platform.is_none() && e.reference_type.is_none()), "{got:?}");
        assert_eq!(parse_index(r#"{"manifests": []}"#), Ok(vec![]));
        assert_eq!(parse_index(r#"{"manifests": {}}"#), Err(ParseError::NotAnIndex));
        assert_eq!(parse_index("[]"), Err(ParseError::NotAnIndex));
        assert_eq!(parse_index("<html>"), Err(ParseError::NotJson));
        assert_eq!(parse_index(""), Err(ParseError::NotJson));
    }

    #[test]
    fn work_is_bounded() {
        let huge = format!(r#"{{"manifests": [], "pad": "{}"}}"#, "x".repeat(MAX_MANIFEST_BYTES));
        assert_eq!(parse_index(&huge), Err(ParseError::TooLarge(huge.len())));
        let one = r#"{"digest":"sha256:aa"}"#;
        let many = format!(r#"{{"manifests": [{}]}}"#, vec![one; MAX_ENTRIES + 5].join(","));
        assert_eq!(parse_index(&many).unwrap().len(), MAX_ENTRIES);
        // Nesting deeper than serde_json's recursion limit is an error, not a stack overflow.
        let deep = format!(r#"{{"manifests": [{}1{}]}}"#, "[".repeat(100_000), "]".repeat(100_000));
        assert_eq!(parse_index(&deep), Err(ParseError::NotJson));
    }

    /// Pieces of index JSON, so that generated text gets past the tokenizer.
    const TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        "\"manifests\"",
        "\"digest\"",
        "\"sha256:aa\"",
        "\"platform\"",
        "\"os\"",
        "\"architecture\"",
        "\"variant\"",
        "\"linux\"",
        "\"annotations\"",
        "\"vnd.docker.reference.type\"",
        "\"attestation-manifest\"",
        "\"vnd.docker.reference.digest\"",
        "\"mediaType\"",
        "null",
        "1",
        "\"\"",
        "\"\\u001b[2J\"",
        " ",
    ];

    fn descriptor() -> impl Strategy<Value = IndexEntry> {
        let s = || proptest::option::of("[ -~]{1,12}");
        ("[ -~]{1,20}", s(), proptest::option::of(("[a-z]{1,6}", "[a-z0-9]{1,6}", s())), s(), s()).prop_map(
            |(digest, media_type, platform, reference_type, reference_digest)| IndexEntry {
                digest,
                media_type,
                platform: platform.map(|(os, arch, variant)| match variant {
                    Some(v) => format!("{os}/{arch}/{v}"),
                    None => format!("{os}/{arch}"),
                }),
                reference_type,
                reference_digest,
            },
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        #[test]
        fn never_panics_on_arbitrary_text(text in proptest::collection::vec(any::<char>(), 0..200)) {
            let text: String = text.into_iter().collect();
            if let Ok(entries) = parse_index(&text) {
                prop_assert!(entries.len() <= MAX_ENTRIES);
            }
        }

        #[test]
        fn never_panics_on_token_soup(tokens in proptest::collection::vec(proptest::sample::select(TOKENS), 0..60)) {
            let _ = parse_index(&tokens.concat());
        }

        /// What an index says is what is read back, whatever the strings hold.
        #[test]
        fn descriptors_read_back(entries in proptest::collection::vec(descriptor(), 0..8)) {
            let json: Vec<Value> = entries.iter().map(|e| {
                let mut d = serde_json::json!({"digest": e.digest});
                if let Some(m) = &e.media_type { d["mediaType"] = m.as_str().into(); }
                if let Some(p) = &e.platform {
                    let parts: Vec<&str> = p.splitn(3, '/').collect();
                    d["platform"] = serde_json::json!({"os": parts[0], "architecture": parts[1]});
                    if let Some(v) = parts.get(2) { d["platform"]["variant"] = (*v).into(); }
                }
                let mut a = serde_json::Map::new();
                if let Some(t) = &e.reference_type { a.insert("vnd.docker.reference.type".into(), t.as_str().into()); }
                if let Some(t) = &e.reference_digest { a.insert("vnd.docker.reference.digest".into(), t.as_str().into()); }
                if !a.is_empty() { d["annotations"] = Value::Object(a); }
                d
            }).collect();
            let text = serde_json::json!({"schemaVersion": 2, "manifests": json}).to_string();
            prop_assert_eq!(parse_index(&text), Ok(entries));
        }
    }
}
