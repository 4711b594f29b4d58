//! The images of one ECR repository (DescribeImages): every page, since the API has no server-side sort.

use super::convert;
use super::errors::poll_error;
use super::profile_poll::ProfilePoll;
use crate::model::{ImagePush, PollError};

/// Page size of DescribeImages (the API allows up to 1000).
const IMAGES_PAGE: i32 = 1000;

/// Why a repository's images could not be read.
pub(super) enum ImagesFailure {
    /// The repository does not exist in this account and region.
    NotFound,
    /// Any other failure.
    Failed(PollError),
}

/// Every image of `repo` pushed since the poll's `since`.
pub(super) async fn read(p: &ProfilePoll<'_>, repo: &str) -> Result<Vec<ImagePush>, ImagesFailure> {
    let mut out = Vec::new();
    let mut pages =
        p.clients.ecr.describe_images().repository_name(repo).into_paginator().page_size(IMAGES_PAGE).send();
    while let Some(page) = p.page("ecr:DescribeImages", pages.next()).await {
        let page = match page {
            Ok(page) => page,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_repository_not_found_exception()) => {
                return Err(ImagesFailure::NotFound);
            }
            Err(e) => return Err(ImagesFailure::Failed(poll_error(format!("ecr:DescribeImages {repo}"), &e))),
        };
        out.extend(
            page.image_details().iter().filter_map(|d| convert::image_push(repo, d)).filter(|i| i.pushed_at >= p.since),
        );
    }
    Ok(out)
}
