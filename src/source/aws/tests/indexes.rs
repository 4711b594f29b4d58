//! Image indexes through the image reader: DescribeImages and BatchGetImage answered with the corpus's bodies make
//! one push of a buildx push; an index is read once for the life of the profile; a refused or partial BatchGetImage
//! is a warning, and the index's children then stay pushes of their own.

use aws_sdk_ecr::operation::batch_get_image::BatchGetImageError;
use aws_smithy_mocks::mock;
use aws_smithy_types::error::ErrorMetadata;

use super::*;
use crate::analysis::pushes::group;
use crate::model::{ArtifactKind, ImagePush, OCI_INDEX};
use crate::source::aws::images::{self, ImagesFailure, ImagesRead};
use crate::source::aws::profile_poll::ProfilePoll;
use crate::source::aws::stats::CallStats;

const WEB_INDEX: &str = "sha256:f18e45cf1607d2759adcf83c5a06fdcf4ed98b7da17a352670a67c1bfe911bc8";

fn corpus(path: &str) -> String {
    let p = format!("{}/tests/fixtures/aws/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{p}: {e}"))
}

/// DescribeImages of `web` over two pages (children first, the index on page 2), as in the corpus.
fn web_pages() -> (Rule, Rule) {
    let page1 = mock!(aws_sdk_ecr::Client::describe_images)
        .match_requests(|r| r.next_token().is_none())
        .sequence()
        .http_status(200, Some(corpus("ecr/describe-images/buildx-index-web-page1.json")))
        .repeatedly()
        .build();
    let page2 = mock!(aws_sdk_ecr::Client::describe_images)
        .match_requests(|r| r.next_token().is_some())
        .sequence()
        .http_status(200, Some(corpus("ecr/describe-images/buildx-index-web-page2.json")))
        .repeatedly()
        .build();
    (page1, page2)
}

/// BatchGetImage answering with `body`, for a request that names the web index by digest and accepts index types.
fn batch_get(body: String) -> Rule {
    mock!(aws_sdk_ecr::Client::batch_get_image)
        .match_requests(|r| {
            let ids: Vec<_> = r.image_ids().iter().map(|i| i.image_digest()).collect();
            let accepted = r.accepted_media_types();
            ids == [Some(WEB_INDEX)] && accepted.iter().any(|m| m == OCI_INDEX)
        })
        .sequence()
        .http_status(200, Some(body))
        .repeatedly()
        .build()
}

/// Reads `web` through `ecr` with `memory`, and what the read cost.
async fn read_web(ecr: &[&Rule], memory: &ProfileMemory) -> (ImagesRead, PollStats) {
    let c = clients(&[], &[], ecr);
    let stats = CallStats::default();
    let limit = Semaphore::new(8);
    let scope = Scope::default();
    let p = ProfilePoll {
        clients: &c,
        scope: &scope,
        memory,
        limit: &limit,
        quota: &AccountQuota::default(),
        stats: &stats,
        since: Timestamp::from_second(1_795_000_000).unwrap(),
        now: Timestamp::from_second(1_795_166_000).unwrap(),
    };
    let Ok(read) = images::read(&p, "web").await else { panic!("the repository is read") };
    (read, stats.finish())
}

fn calls(stats: &PollStats, api: &str) -> u32 {
    stats.calls.iter().find(|(a, _)| a == api).map_or(0, |(_, n)| *n)
}

fn one_push(read: &ImagesRead) -> ImagePush {
    let pushes = group(&read.images, &read.indexes);
    assert_eq!(pushes.len(), 1, "{pushes:#?}");
    pushes.into_iter().next().unwrap()
}

use crate::model::PollStats;

#[tokio::test]
async fn a_buildx_push_read_over_two_pages_is_one_push_and_its_index_is_read_once() {
    let (page1, page2) = web_pages();
    let index = batch_get(corpus("ecr/batch-get-image/buildx-index-web-by-tag.json"));
    let memory = ProfileMemory::default();
    let (read, stats) = read_web(&[&page1, &page2, &index], &memory).await;
    assert!(read.warnings.is_empty(), "{:?}", read.warnings);
    assert_eq!(read.images.len(), 5);
    let push = one_push(&read);
    assert_eq!(
        (push.digest.as_str(), push.tags.as_slice()),
        (WEB_INDEX, &["1a2b3c4".to_string(), "latest".into()][..])
    );
    let platforms: Vec<_> = push.manifests.iter().map(|m| m.platform.as_deref().unwrap_or("?")).collect();
    assert_eq!(platforms, ["linux/amd64", "linux/arm64"]);
    assert_eq!(push.artifacts.iter().map(|a| a.kind).collect::<Vec<_>>(), [ArtifactKind::Attestation; 2]);
    assert_eq!((calls(&stats, "ecr:DescribeImages"), calls(&stats, "ecr:BatchGetImage")), (2, 1));

    // The next poll knows the index: no BatchGetImage, the same push.
    let (again, stats) = read_web(&[&page1, &page2, &index], &memory).await;
    assert_eq!((calls(&stats, "ecr:BatchGetImage"), index.num_calls()), (0, 1));
    assert_eq!(one_push(&again), push);
}

#[tokio::test]
async fn a_refused_batch_get_image_is_a_warning_and_the_children_stay_pushes() {
    let (page1, page2) = web_pages();
    let denied = mock!(aws_sdk_ecr::Client::batch_get_image).then_error(|| {
        BatchGetImageError::generic(
            ErrorMetadata::builder()
                .code("AccessDeniedException")
                .message("not authorized to perform: ecr:BatchGetImage")
                .build(),
        )
    });
    let memory = ProfileMemory::default();
    let (read, _) = read_web(&[&page1, &page2, &denied], &memory).await;
    assert_eq!(
        read.warnings,
        ["image indexes in `web` not read (ecr:BatchGetImage web: AccessDeniedException: not authorized to perform: \
             ecr:BatchGetImage): their platform images and attestations show as pushes of their own; grant \
             ecr:BatchGetImage on the repository (assets/iam-readonly-policy.json)"]
    );
    assert!(read.indexes.is_empty());
    assert_eq!(group(&read.images, &read.indexes).len(), 5, "as before pipewatch read indexes");
    assert!(memory.indexes.lock().await.is_empty(), "a failure is not remembered: the next poll asks again");
}

#[tokio::test]
async fn a_throttled_batch_get_image_says_the_next_poll_tries_again() {
    let (page1, page2) = web_pages();
    let throttled = mock!(aws_sdk_ecr::Client::batch_get_image)
        .sequence()
        .error(|| {
            BatchGetImageError::generic(
                ErrorMetadata::builder().code("ThrottlingException").message("Rate exceeded").build(),
            )
        })
        .repeatedly()
        .build();
    let (read, _) = read_web(&[&page1, &page2, &throttled], &ProfileMemory::default()).await;
    assert_eq!(read.warnings.len(), 1);
    assert!(
        read.warnings[0].ends_with("show as pushes of their own; the next poll tries again"),
        "{:?}",
        read.warnings
    );
    assert_eq!(throttled.num_calls(), 3, "retried by the SDK first");
}

#[tokio::test]
async fn an_image_the_api_could_not_return_is_a_warning_unless_it_is_gone() {
    let (page1, page2) = web_pages();
    let failures = |code: &str| {
        format!(
            r#"{{"images": [], "failures": [{{"imageId": {{"imageDigest": "{WEB_INDEX}"}}, "failureCode": "{code}",
            "failureReason": "Requested image not found"}}]}}"#
        )
    };
    let (read, _) = read_web(&[&page1, &page2, &batch_get(failures("ImageNotFound"))], &ProfileMemory::default()).await;
    assert!(read.warnings.is_empty(), "deleted since DescribeImages: nothing to say {:?}", read.warnings);
    let (read, _) = read_web(&[&page1, &page2, &batch_get(failures("KmsError"))], &ProfileMemory::default()).await;
    assert_eq!(
        read.warnings,
        [format!(
            "image index {WEB_INDEX} in `web` not read (KmsError: Requested image not found): the images it lists show \
             as pushes of their own"
        )]
    );
}

#[tokio::test]
async fn a_manifest_that_is_no_index_is_remembered_and_said_every_poll() {
    let (page1, page2) = web_pages();
    let body = format!(
        r#"{{"images": [{{"imageId": {{"imageDigest": "{WEB_INDEX}"}}, "imageManifest": "<html>"}}], "failures": []}}"#
    );
    let odd = batch_get(body);
    let memory = ProfileMemory::default();
    let want = [format!(
        "image index {WEB_INDEX} in `web` not read (the manifest is not JSON): the images it lists show as pushes of \
         their own"
    )];
    let (read, _) = read_web(&[&page1, &page2, &odd], &memory).await;
    assert_eq!(read.warnings, want);
    let (read, _) = read_web(&[&page1, &page2, &odd], &memory).await;
    assert_eq!((read.warnings.as_slice(), odd.num_calls()), (&want[..], 1));
}

#[tokio::test]
async fn a_missing_repository_is_still_told_apart() {
    let missing = mock!(aws_sdk_ecr::Client::describe_images).then_error(|| {
        aws_sdk_ecr::operation::describe_images::DescribeImagesError::RepositoryNotFoundException(
            aws_sdk_ecr::types::error::RepositoryNotFoundException::builder().message("gone").build(),
        )
    });
    let c = clients(&[], &[], &[&missing]);
    let (stats, limit, scope, memory) =
        (CallStats::default(), Semaphore::new(1), Scope::default(), ProfileMemory::default());
    let p = ProfilePoll {
        clients: &c,
        scope: &scope,
        memory: &memory,
        limit: &limit,
        quota: &AccountQuota::default(),
        stats: &stats,
        since: Timestamp::MIN,
        now: Timestamp::MAX,
    };
    assert!(matches!(images::read(&p, "web").await, Err(ImagesFailure::NotFound)));
}
