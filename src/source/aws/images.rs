//! The images of one ECR repository (DescribeImages: every page, since the API has no server-side sort), and what
//! its image indexes list (BatchGetImage, once per index for the life of the process).

use std::collections::HashMap;

use aws_sdk_ecr::types::ImageIdentifier;

use super::convert;
use super::errors::poll_error;
use super::profile_poll::{ProfilePoll, next_token};
use crate::model::{
    DOCKER_MANIFEST, DOCKER_MANIFEST_LIST, ErrorKind, Image, IndexEntry, IndexManifest, OCI_INDEX, OCI_MANIFEST,
    PollError,
};
use crate::oci::ParseError;

/// Page size of DescribeImages (the API allows up to 1000).
const IMAGES_PAGE: i32 = 1000;
/// Images per BatchGetImage call (the API's limit).
const BATCH_GET: usize = 100;
/// The manifest media types BatchGetImage is asked for: the index ones, so that an index comes back as it is, and
/// the image ones, which the API expects in the list as well.
const ACCEPTED: [&str; 4] = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST];

/// Why a repository's images could not be read.
pub(super) enum ImagesFailure {
    /// The repository does not exist in this account and region.
    NotFound,
    /// Any other failure.
    Failed(PollError),
}

/// What one repository holds.
pub(super) struct ImagesRead {
    /// Every image pushed since the poll's `since`.
    pub images: Vec<Image>,
    /// What the image indexes among them list, for those whose manifest could be read.
    pub indexes: Vec<IndexManifest>,
    /// Indexes that could not be read: their images then show as pushes of their own.
    pub warnings: Vec<String>,
}

/// Every image of `repo` pushed since the poll's `since`, and what its image indexes list.
pub(super) async fn read(p: &ProfilePoll<'_>, repo: &str) -> Result<ImagesRead, ImagesFailure> {
    let mut images = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = {
            let _slot = p.slot("ecr:DescribeImages").await;
            p.clients
                .ecr
                .describe_images()
                .repository_name(repo)
                .max_results(IMAGES_PAGE)
                .set_next_token(token.clone())
                .customize()
                .config_override(p.clients.auth())
                .send()
                .await
        };
        let page = match page {
            Ok(page) => page,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_repository_not_found_exception()) => {
                return Err(ImagesFailure::NotFound);
            }
            Err(e) => return Err(ImagesFailure::Failed(poll_error(format!("ecr:DescribeImages {repo}"), &e))),
        };
        images.extend(
            page.image_details().iter().filter_map(|d| convert::image(repo, d)).filter(|i| i.pushed_at >= p.since),
        );
        match next_token(page.next_token(), token.as_deref()) {
            Some(next) => token = Some(next),
            None => break,
        }
    }
    let (indexes, warnings) = indexes(p, repo, &images).await;
    Ok(ImagesRead { images, indexes, warnings })
}

/// What the image indexes among `images` list: from the profile's memory, else read with BatchGetImage (and
/// remembered). A failed call is a warning, never a failure of the profile.
async fn indexes(p: &ProfilePoll<'_>, repo: &str, images: &[Image]) -> (Vec<IndexManifest>, Vec<String>) {
    let wanted: Vec<&str> = images.iter().filter(|i| i.is_index()).map(|i| i.digest.as_str()).collect();
    let mut known: HashMap<String, Result<Vec<IndexEntry>, ParseError>> = HashMap::new();
    let mut missing: Vec<&str> = Vec::new();
    {
        let memory = p.memory.indexes.lock().await;
        for &d in &wanted {
            if let Some(entries) = memory.get(d) {
                known.insert(d.to_string(), entries.clone());
            } else {
                missing.push(d);
            }
        }
    }
    let mut warnings = Vec::new();
    for chunk in missing.chunks(BATCH_GET) {
        match batch_get(p, repo, chunk).await {
            Ok((read, failures)) => {
                p.memory.indexes.lock().await.extend(read.iter().map(|(d, e)| (d.clone(), e.clone())));
                known.extend(read);
                warnings.extend(failures);
            }
            Err(e) => {
                warnings.push(unread(repo, &e));
                break;
            }
        }
    }
    let mut out = Vec::new();
    for d in wanted {
        match known.remove(d) {
            Some(Ok(entries)) => {
                out.push(IndexManifest { repository: repo.to_string(), digest: d.to_string(), entries })
            }
            Some(Err(why)) => warnings.push(format!(
                "image index {d} in `{repo}` not read ({why}): the images it lists show as pushes of their own"
            )),
            None => {}
        }
    }
    (out, warnings)
}

/// What one BatchGetImage call returned: each index's digest and what it lists, and warnings.
type BatchRead = (Vec<(String, Result<Vec<IndexEntry>, ParseError>)>, Vec<String>);

/// One BatchGetImage call for `digests`: what each index lists, and a warning per image the API could not return
/// (an index deleted since DescribeImages is not one).
async fn batch_get(p: &ProfilePoll<'_>, repo: &str, digests: &[&str]) -> Result<BatchRead, PollError> {
    let ids = digests.iter().map(|d| ImageIdentifier::builder().image_digest(*d).build()).collect();
    let mut call = p.clients.ecr.batch_get_image().repository_name(repo).set_image_ids(Some(ids));
    for media_type in ACCEPTED {
        call = call.accepted_media_types(media_type);
    }
    let _slot = p.slot("ecr:BatchGetImage").await;
    let out = call
        .customize()
        .config_override(p.clients.auth())
        .send()
        .await
        .map_err(|e| poll_error(format!("ecr:BatchGetImage {repo}"), &e))?;
    let read = out.images().iter().filter_map(convert::index_entries).collect();
    let failures = out
        .failures()
        .iter()
        .filter(|f| f.failure_code().is_none_or(|c| c.as_str() != "ImageNotFound"))
        .map(|f| {
            let digest = f.image_id().and_then(|i| i.image_digest()).unwrap_or("?");
            let code = f.failure_code().map_or("unknown failure", |c| c.as_str());
            let reason = f.failure_reason().map(|r| format!(": {r}")).unwrap_or_default();
            format!("image index {digest} in `{repo}` not read ({code}{reason}): the images it lists show as pushes of their own")
        })
        .collect();
    Ok((read, failures))
}

/// The warning for a BatchGetImage call that failed: what is shown instead, and what to do.
fn unread(repo: &str, e: &PollError) -> String {
    let todo = match e.kind {
        ErrorKind::AccessDenied => "grant ecr:BatchGetImage on the repository (assets/iam-readonly-policy.json)",
        _ => "the next poll tries again",
    };
    format!(
        "image indexes in `{repo}` not read ({e}): their platform images and attestations show as pushes of their \
         own; {todo}"
    )
}
