//! ECR answers of the corpus: DescribeImages into images, BatchGetImage into what an index lists, and both through
//! the image reader into the pushes people made; ListImageReferrers and DescribeImageReplicationStatus (not called
//! by pipewatch) through the SDK alone.

use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};

use super::*;
use crate::model::Image;
use crate::source::aws::convert;

/// A client of ECR whose every answer to the operations of `rules` is a corpus body.
fn client(rules: &[&Rule]) -> aws_sdk_ecr::Client {
    mock_client!(aws_sdk_ecr, RuleMode::MatchAny, rules)
}

/// Short names of the media types, so that expectations fit on a line.
fn media(m: Option<&str>) -> &str {
    match m {
        None => "-",
        Some("application/vnd.oci.image.index.v1+json") => "oci-index",
        Some("application/vnd.oci.image.manifest.v1+json") => "oci-manifest",
        Some("application/vnd.docker.distribution.manifest.list.v2+json") => "docker-list",
        Some("application/vnd.docker.distribution.manifest.v2+json") => "docker-manifest",
        Some("application/vnd.oci.image.config.v1+json") => "oci-config",
        Some("application/vnd.docker.container.image.v1+json") => "docker-config",
        Some(other) => other,
    }
}

/// `digest8 tags manifest-type artifact-type subject8`.
fn line(i: &Image) -> String {
    let tags = if i.tags.is_empty() { "-".to_string() } else { i.tags.join(",") };
    let subject = i.subject.as_deref().map_or("-", |s| &s[7..15]);
    format!(
        "{} {tags} {} {} {subject}",
        &i.digest[7..15],
        media(i.manifest_media_type.as_deref()),
        media(i.artifact_media_type.as_deref())
    )
}

#[tokio::test]
async fn describe_images_yields_every_field_of_every_image() {
    for (path, name) in files_of("ecr:DescribeImages") {
        let text = body(path);
        let rule =
            mock!(aws_sdk_ecr::Client::describe_images).sequence().http_status(200, Some(text)).repeatedly().build();
        let out = client(&[&rule])
            .describe_images()
            .repository_name("any")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        let file = raw(path);
        let details = file["imageDetails"].as_array().unwrap();
        let images: Vec<Image> = out
            .image_details()
            .iter()
            .zip(details)
            .map(|(d, r)| convert::image(r["repositoryName"].as_str().unwrap(), d).expect("digest and push time"))
            .collect();
        assert_eq!(images.len(), details.len(), "{path}");
        assert_eq!(out.next_token().map(str::to_string), opt(&file, "nextToken"), "{path}");

        // Field by field, what the SDK read and `convert` made of it is what the file says.
        for (img, r) in images.iter().zip(details) {
            let mut tags: Vec<String> = r["imageTags"]
                .as_array()
                .map_or(vec![], |t| t.iter().map(|t| t.as_str().unwrap().to_string()).collect());
            tags.sort();
            let want = Image {
                repository: opt(r, "repositoryName").unwrap(),
                digest: opt(r, "imageDigest").unwrap(),
                tags,
                pushed_at: epoch(&r["imagePushedAt"]),
                manifest_media_type: opt(r, "imageManifestMediaType"),
                artifact_media_type: opt(r, "artifactMediaType"),
                subject: opt(r, "subjectManifestDigest"),
            };
            assert_eq!(Image { pushed_at: ms(img.pushed_at), ..img.clone() }, want, "{path}");
        }

        let hex = "f18e45cf1607d2759adcf83c5a06fdcf4ed98b7da17a352670a67c1bfe911bc8";
        let want: Vec<String> = match name {
            "buildx-index-web.json" => vec![
                "a830d414 - oci-manifest oci-config -".into(),
                "4b9413e6 - oci-manifest oci-config -".into(),
                "12bcbfa2 - oci-manifest oci-config -".into(),
                "34f8097a - oci-manifest oci-config -".into(),
                "f18e45cf 1a2b3c4,latest oci-index - -".into(),
            ],
            "buildx-index-web-page1.json" => vec![
                "a830d414 - oci-manifest oci-config -".into(),
                "4b9413e6 - oci-manifest oci-config -".into(),
                "12bcbfa2 - oci-manifest oci-config -".into(),
            ],
            "buildx-index-web-page2.json" => {
                vec!["34f8097a - oci-manifest oci-config -".into(), "f18e45cf 1a2b3c4,latest oci-index - -".into()]
            }
            "buildx-oci-artifact-attestations-api.json" => vec![
                "469243b0 - oci-manifest oci-config -".into(),
                "19eff3cd - oci-manifest oci-config -".into(),
                "f7c95262 - oci-manifest application/vnd.docker.attestation.manifest.v1+json 469243b0".into(),
                "9f336886 - oci-manifest application/vnd.docker.attestation.manifest.v1+json 19eff3cd".into(),
                "9c85973f release oci-index - -".into(),
                "425cd8fd - docker-manifest docker-config -".into(),
            ],
            "cosign-tag-artifacts-web.json" => vec![
                format!("e7026da7 sha256-{hex}.sig oci-manifest oci-config -"),
                format!("dbc00428 sha256-{hex}.att oci-manifest oci-config -"),
                format!("6a63042a sha256-{hex}.sbom oci-manifest oci-config -"),
            ],
            "docker-manifest-list-base.json" => vec![
                "020154d7 - docker-manifest docker-config -".into(),
                "899cdf8b - docker-manifest docker-config -".into(),
                "addc6169 3.20 docker-list - -".into(),
            ],
            "oci-referrer-web.json" => {
                vec!["8029e157 - oci-manifest application/vnd.cncf.notary.signature f18e45cf".into()]
            }
            "pull-through-cache-nginx.json" => vec!["89e1c913 1.27 oci-manifest oci-config -".into()],
            "replicated-image-reports.json" => vec!["9441bc9b latest docker-manifest docker-config -".into()],
            "single-platform-docker-v2-tools.json" => vec![
                "6fc6050c latest,v42 docker-manifest docker-config -".into(),
                "338a3fdd 9f8e7d6 docker-manifest docker-config -".into(),
                "39847837 - docker-manifest docker-config -".into(),
            ],
            other => panic!("no expectation for ecr/describe-images/{other}"),
        };
        assert_eq!(images.iter().map(line).collect::<Vec<_>>(), want, "{path}");
    }
}

#[tokio::test]
async fn describe_images_keeps_push_times_to_the_millisecond() {
    let rule = mock!(aws_sdk_ecr::Client::describe_images)
        .sequence()
        .http_status(200, Some(body("ecr/describe-images/buildx-index-web.json")))
        .repeatedly()
        .build();
    let out = client(&[&rule]).describe_images().repository_name("web").send().await.unwrap();
    let index = convert::image("web", &out.image_details()[4]).unwrap();
    assert_eq!(ms(index.pushed_at), "2026-11-20T09:00:02.104Z".parse::<Timestamp>().unwrap());
}

#[tokio::test]
async fn batch_get_image_yields_what_each_index_lists() {
    for (path, name) in files_of("ecr:BatchGetImage") {
        let rule = mock!(aws_sdk_ecr::Client::batch_get_image)
            .sequence()
            .http_status(200, Some(body(path)))
            .repeatedly()
            .build();
        let out = client(&[&rule])
            .batch_get_image()
            .repository_name("any")
            .send()
            .await
            .unwrap_or_else(|e| panic!("{path}: {e:?}"));
        assert!(out.failures().is_empty(), "{path}");
        let read: Vec<_> = out.images().iter().filter_map(convert::index_entries).collect();
        let [(digest, entries)] = read.as_slice() else { panic!("{path}: one image expected, got {read:?}") };
        let file = raw(path);
        let manifest = file["images"][0]["imageManifest"].as_str().unwrap();
        assert_eq!(
            entries,
            &crate::oci::parse_index(manifest),
            "{path}: the manifest string reaches the parser intact"
        );
        let shown: Vec<String> = entries
            .as_ref()
            .unwrap()
            .iter()
            .map(|e| match (&e.reference_type, &e.reference_digest) {
                (Some(t), Some(d)) => format!("{} {t} of {}", &e.digest[7..15], &d[7..15]),
                _ => format!("{} {}", &e.digest[7..15], e.platform.as_deref().unwrap_or("-")),
            })
            .collect();
        let (want_digest, want): (&str, &[&str]) = match name {
            "buildx-index-web-by-tag.json" => (
                "f18e45cf",
                &[
                    "a830d414 linux/amd64",
                    "4b9413e6 linux/arm64",
                    "12bcbfa2 attestation-manifest of a830d414",
                    "34f8097a attestation-manifest of 4b9413e6",
                ],
            ),
            "buildx-index-api-by-digest.json" => (
                "9c85973f",
                &[
                    "469243b0 linux/amd64",
                    "19eff3cd linux/arm64",
                    "f7c95262 attestation-manifest of 469243b0",
                    "9f336886 attestation-manifest of 19eff3cd",
                ],
            ),
            "docker-manifest-list-base.json" => ("addc6169", &["020154d7 linux/amd64", "899cdf8b linux/arm64/v8"]),
            other => panic!("no expectation for ecr/batch-get-image/{other}"),
        };
        assert_eq!(&digest[7..15], want_digest, "{path}");
        assert_eq!(shown, want, "{path}");
        let media_type = out.images()[0].image_manifest_media_type();
        assert_eq!(media_type.map(str::to_string), opt(&file["images"][0], "imageManifestMediaType"), "{path}");
    }
}

/// Not called by pipewatch (`subjectManifestDigest` in DescribeImages names a referrer's subject): read through the
/// SDK only, to keep the corpus honest for whoever calls it.
#[tokio::test]
async fn list_image_referrers_reads_through_the_sdk() {
    for (path, name) in files_of("ecr:ListImageReferrers") {
        let rule = mock!(aws_sdk_ecr::Client::list_image_referrers)
            .sequence()
            .http_status(200, Some(body(path)))
            .repeatedly()
            .build();
        let subject = aws_sdk_ecr::types::SubjectIdentifier::builder().image_digest("sha256:x").build().unwrap();
        let registry = client(&[&rule]);
        let out = registry.list_image_referrers().repository_name("any").subject_id(subject).send().await.unwrap();
        let got: Vec<String> = out
            .referrers()
            .iter()
            .map(|r| format!("{} {}", &r.digest()[7..15], r.artifact_type().unwrap_or("-")))
            .collect();
        let want = match name {
            "web-index.json" => ["8029e157 application/vnd.cncf.notary.signature"],
            "api-linux-amd64.json" => ["f7c95262 application/vnd.docker.attestation.manifest.v1+json"],
            other => panic!("no expectation for ecr/list-image-referrers/{other}"),
        };
        assert_eq!(got, want, "{path}");
    }
}

/// Not called by pipewatch (nothing in DescribeImages marks a replicated image): read through the SDK only.
#[tokio::test]
async fn describe_image_replication_status_reads_through_the_sdk() {
    for (path, name) in files_of("ecr:DescribeImageReplicationStatus") {
        let rule = mock!(aws_sdk_ecr::Client::describe_image_replication_status)
            .sequence()
            .http_status(200, Some(body(path)))
            .repeatedly()
            .build();
        let id = aws_sdk_ecr::types::ImageIdentifier::builder().image_tag("latest").build();
        let registry = client(&[&rule]);
        let out =
            registry.describe_image_replication_status().repository_name("any").image_id(id).send().await.unwrap();
        let got: Vec<String> = out
            .replication_statuses()
            .iter()
            .map(|s| format!("{} {}", s.region().unwrap_or("-"), s.status().map_or("-", |s| s.as_str())))
            .collect();
        let want = match name {
            "reports-latest.json" => ["ap-northeast-1 COMPLETE"],
            other => panic!("no expectation for ecr/describe-image-replication-status/{other}"),
        };
        assert_eq!(out.repository_name(), Some("reports"), "{path}");
        assert_eq!(got, want, "{path}");
    }
}
