//! Amazon ECR (awsJson1_1, `AmazonEC2ContainerRegistry_V20150921`): DescribeRepositories, DescribeImages,
//! BatchGetImage, ListImages, DescribeRegistry. Shapes: [ImageDetail](https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html),
//! [Image](https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_Image.html); corpus `ecr/`.

use serde_json::{Value, json};

use super::json::{epoch, page, required, str_field};
use super::{ApiError, Cx};
use crate::model::{Image, Repository};
use crate::world::{State, repository_arn};

pub(crate) fn handle(st: &mut State, cx: &Cx, op: &str, body: &Value) -> Result<Value, ApiError> {
    // `registryId` names another account's registry; by default the caller's own.
    let account = str_field(body, "registryId").unwrap_or(&cx.account).to_string();
    match op {
        "DescribeRepositories" => {
            let repos: Vec<Value> = st
                .region_ref(&account, &cx.region)
                .map(|r| r.repositories.values().map(|repo| repository_json(&account, &cx.region, repo)).collect())
                .unwrap_or_default();
            let size = body["maxResults"].as_u64().unwrap_or(100) as usize;
            let (items, next) = page(&repos, str_field(body, "nextToken"), size)?;
            Ok(with_token(json!({"repositories": items}), "nextToken", next))
        }
        "DescribeImages" => {
            let repo = repository(st, cx, &account, body)?;
            let wanted = body["imageIds"].as_array().cloned().unwrap_or_default();
            // filter.tagStatus: TAGGED | UNTAGGED | ANY (DescribeImages API reference).
            let status = body["filter"]["tagStatus"].as_str().unwrap_or("ANY");
            let mut images: Vec<&Image> = repo
                .images
                .iter()
                .filter(|i| match status {
                    "TAGGED" => !i.tags.is_empty(),
                    "UNTAGGED" => i.tags.is_empty(),
                    _ => true,
                })
                .collect();
            if !wanted.is_empty() {
                images.retain(|i| wanted.iter().any(|w| id_matches(w, i)));
                if images.is_empty() {
                    return Err(ApiError::new("ImageNotFoundException", "The image requested does not exist"));
                }
            }
            let details: Vec<Value> = images.iter().map(|i| detail(&account, &repo.name, i)).collect();
            // "maxResults … 1-1000"; 100 per page by default with a nextToken.
            let size = body["maxResults"].as_u64().unwrap_or(100).clamp(1, 1000) as usize;
            let (items, next) = page(&details, str_field(body, "nextToken"), size)?;
            Ok(with_token(json!({"imageDetails": items}), "nextToken", next))
        }
        "ListImages" => {
            let repo = repository(st, cx, &account, body)?;
            let ids: Vec<Value> = repo
                .images
                .iter()
                .flat_map(|i| {
                    if i.tags.is_empty() {
                        vec![json!({"imageDigest": i.digest})]
                    } else {
                        i.tags.iter().map(|t| json!({"imageDigest": i.digest, "imageTag": t})).collect()
                    }
                })
                .collect();
            let size = body["maxResults"].as_u64().unwrap_or(100).clamp(1, 1000) as usize;
            let (items, next) = page(&ids, str_field(body, "nextToken"), size)?;
            Ok(with_token(json!({"imageIds": items}), "nextToken", next))
        }
        "BatchGetImage" => {
            let repo = repository(st, cx, &account, body)?;
            let mut images = Vec::new();
            let mut failures = Vec::new();
            for want in body["imageIds"].as_array().cloned().unwrap_or_default() {
                match repo.images.iter().find(|i| id_matches(&want, i)) {
                    Some(i) => {
                        let mut id = json!({"imageDigest": i.digest});
                        if let Some(tag) = want["imageTag"].as_str() {
                            id["imageTag"] = json!(tag);
                        }
                        images.push(json!({"registryId": account, "repositoryName": repo.name, "imageId": id,
                            "imageManifest": i.manifest, "imageManifestMediaType": i.media_type}));
                    }
                    None => failures.push(json!({"imageId": want, "failureCode": "ImageNotFound",
                        "failureReason": "Requested image not found"})),
                }
            }
            Ok(json!({"images": images, "failures": failures}))
        }
        // The caller's registry and its replication rules (https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_DescribeRegistry.html):
        // a registry without replication answers with its id alone (corpus `ecr/describe-registry/no-replication.json`),
        // one with rules as in `replication-us-east-1.json`.
        "DescribeRegistry" => {
            let rules = st.region_ref(&cx.account, &cx.region).map(|r| r.replication.clone()).unwrap_or_default();
            if rules.is_empty() {
                return Ok(json!({"registryId": cx.account}));
            }
            let rules: Vec<Value> = rules
                .iter()
                .map(|r| {
                    let destinations: Vec<Value> =
                        r.destinations.iter().map(|(a, reg)| json!({"region": reg, "registryId": a})).collect();
                    let filters: Vec<Value> =
                        r.prefixes.iter().map(|f| json!({"filter": f, "filterType": "PREFIX_MATCH"})).collect();
                    json!({"destinations": destinations, "repositoryFilters": filters})
                })
                .collect();
            Ok(json!({"registryId": cx.account, "replicationConfiguration": {"rules": rules}}))
        }
        _ => Err(unknown(op)),
    }
}

pub(crate) fn unknown(op: &str) -> ApiError {
    ApiError::new("UnknownOperationException", format!("awsim does not implement {op}"))
}

fn with_token(mut v: Value, key: &str, token: Option<String>) -> Value {
    if let Some(t) = token {
        v[key] = json!(t);
    }
    v
}

fn repository<'a>(st: &'a State, cx: &Cx, account: &str, body: &Value) -> Result<&'a Repository, ApiError> {
    let name = required(body, "repositoryName")?;
    st.region_ref(account, &cx.region).and_then(|r| r.repositories.get(name)).ok_or_else(|| {
        ApiError::new(
            "RepositoryNotFoundException",
            format!("The repository with name '{name}' does not exist in the registry with id '{account}'"),
        )
    })
}

/// Whether an `ImageIdentifier` names the image (by digest, by tag, or both).
fn id_matches(id: &Value, img: &Image) -> bool {
    let digest_ok = id["imageDigest"].as_str().is_none_or(|d| d == img.digest);
    let tag_ok = id["imageTag"].as_str().is_none_or(|t| img.tags.iter().any(|x| x == t));
    (id.get("imageDigest").is_some() || id.get("imageTag").is_some()) && digest_ok && tag_ok
}

fn repository_json(account: &str, region: &str, repo: &Repository) -> Value {
    json!({"repositoryArn": repository_arn(account, region, &repo.name), "registryId": account,
        "repositoryName": repo.name,
        "repositoryUri": format!("{account}.dkr.ecr.{region}.amazonaws.com/{}", repo.name),
        "imageTagMutability": "MUTABLE"})
}

fn detail(account: &str, repo: &str, i: &Image) -> Value {
    let mut d = json!({"registryId": account, "repositoryName": repo, "imageDigest": i.digest,
        "imageSizeInBytes": i.size, "imagePushedAt": epoch(i.pushed_at),
        "imageManifestMediaType": i.media_type});
    if !i.tags.is_empty() {
        d["imageTags"] = json!(i.tags);
    }
    if let Some(a) = &i.artifact_media_type {
        d["artifactMediaType"] = json!(a);
    }
    if let Some(s) = &i.subject {
        d["subjectManifestDigest"] = json!(s);
    }
    d
}
