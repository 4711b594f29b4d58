//! Pushes and replications: the images ECR stores, the CloudTrail records written, and the events raised.

use jiff::Timestamp;
use serde_json::{Value, json};

use super::trail::{self, PutImageCall, rfc3339};
use super::{State, World, WorldError, deliver, repository_arn};
use crate::identity::Principal;
use crate::model::{Image, TagMove};
use crate::oci::{self, Blob, Manifest};

/// One push (`docker push`, `docker buildx build --push`, `cosign sign`, ...).
#[derive(Debug, Clone, PartialEq)]
pub struct PushSpec {
    /// The repository's account and region.
    pub account: String,
    pub region: String,
    pub repository: String,
    pub tags: Vec<String>,
    pub manifest: Manifest,
    pub caller: Principal,
    pub at: Timestamp,
}

impl PushSpec {
    /// A single-image push with no tag yet, its content derived from the repository and time.
    pub fn new(account: &str, region: &str, repository: &str, caller: Principal, at: Timestamp) -> Self {
        PushSpec {
            account: account.into(),
            region: region.into(),
            repository: repository.into(),
            tags: Vec::new(),
            manifest: Manifest::image(&format!("{repository}@{at}")),
            caller,
            at,
        }
    }

    pub fn tag(mut self, tag: &str) -> Self {
        self.tags.push(tag.into());
        self
    }

    pub fn manifest(mut self, manifest: Manifest) -> Self {
        self.manifest = manifest;
        self
    }
}

/// What a push stored and set off.
#[derive(Debug, Clone, PartialEq)]
pub struct PushResult {
    /// The tagged manifest's digest (an index's, for a buildx push).
    pub digest: String,
    /// The manifests pushed by digest before it (platform images, attestations).
    pub children: Vec<String>,
    pub tags: Vec<String>,
    /// The event ids of the `PutImage` records in the repository's account.
    pub event_ids: Vec<String>,
    /// The runs the push's events started: (pipeline, execution id).
    pub started: Vec<(String, String)>,
}

/// An image replicated by ECR's replication into another account or region.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplicateSpec {
    pub source_account: String,
    pub source_region: String,
    pub dest_account: String,
    pub dest_region: String,
    pub repository: String,
    pub digest: String,
    pub at: Timestamp,
}

/// Stores a manifest with `tags` as ECR does: a tag moves off the image that held it, which keeps its other tags
/// or becomes untagged (AWS-NOTES "A moved tag"; [ImageDetail](https://docs.aws.amazon.com/AmazonECR/latest/APIReference/API_ImageDetail.html)
/// "imageTags: The list of tags associated with this image"). A manifest already stored keeps its push time.
fn store(st: &mut State, account: &str, region: &str, repo: &str, blob: &Blob, tags: &[String], at: Timestamp) {
    let r = st.region(account, region).repositories.get_mut(repo).expect("repository checked by the caller");
    for tag in tags {
        for img in r.images.iter_mut().filter(|i| i.digest != blob.digest) {
            img.tags.retain(|t| t != tag);
        }
        r.tag_history.push(TagMove { tag: tag.clone(), digest: blob.digest.clone(), at });
    }
    match r.images.iter_mut().find(|i| i.digest == blob.digest) {
        Some(img) => {
            for tag in tags {
                if !img.tags.contains(tag) {
                    img.tags.push(tag.clone());
                }
            }
        }
        None => r.images.push(Image {
            digest: blob.digest.clone(),
            tags: tags.to_vec(),
            pushed_at: at,
            manifest: blob.body.clone(),
            media_type: blob.media_type.clone(),
            artifact_media_type: blob.artifact_media_type.clone(),
            subject: blob.subject.clone(),
            size: blob.size,
        }),
    }
}

/// The native event: "The following event is sent when each image push is completed." (`ECR Image Action`,
/// `resources: []`; [Amazon ECR events and EventBridge](https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html),
/// FACTS.md §2-§3). A push by digest carries no `image-tag` (observed, FACTS.md §2).
fn image_action(
    st: &mut State,
    account: &str,
    region: &str,
    repo: &str,
    digest: &str,
    tag: Option<&str>,
    at: Timestamp,
) -> Value {
    let mut detail =
        json!({"result": "SUCCESS", "repository-name": repo, "image-digest": digest, "action-type": "PUSH"});
    if let Some(tag) = tag {
        detail["image-tag"] = json!(tag);
    }
    json!({"version": "0", "id": st.uuid(), "detail-type": "ECR Image Action", "source": "aws.ecr",
        "account": account, "time": rfc3339(at), "region": region, "resources": [], "detail": detail})
}

/// One `PutImage` call of a push: its CloudTrail records and its events.
fn put_image(st: &mut State, spec: &PushSpec, blob: &Blob, tag: Option<&str>, out: &mut PushResult) {
    let call = PutImageCall {
        repo_account: &spec.account,
        region: &spec.region,
        repository: &spec.repository,
        digest: &blob.digest,
        tag,
        manifest: &blob.body,
        at: spec.at,
    };
    let caller_account = spec.caller.account().map(str::to_string);
    let cross = caller_account.as_deref().is_some_and(|a| a != spec.account);
    let source = match &spec.caller {
        Principal::Service { service } => service.clone(),
        _ => "AWS Internal".to_string(),
    };
    let created = rfc3339(spec.at.saturating_sub(jiff::SignedDuration::from_mins(3)).unwrap_or(spec.at));
    let key = spec.caller.access_key();
    // CloudTrail: "If the caller and owner are the same AWS account, CloudTrail sends only one event"; otherwise
    // both get one, with a `sharedEventID` (FACTS.md §5). The owner's record shows the caller as `AWSAccount`.
    let shared = cross.then(|| st.uuid());
    let owner_identity = if cross { spec.caller.foreign_identity() } else { spec.caller.user_identity(&key, &created) };
    let (event_id, owner_rec) =
        trail::put_image_record(st, &call, &spec.account, owner_identity, &source, shared.as_deref());
    let (owner_key, owner_user) = if cross { (None, None) } else { (Some(key.clone()), spec.caller.username()) };
    trail::store(st, &spec.account, &spec.region, &owner_rec, owner_key, owner_user, spec.at);
    out.event_ids.push(event_id);
    let mut caller_rec = None;
    if let (true, Some(ca)) = (cross, caller_account.as_deref()) {
        let identity = spec.caller.user_identity(&key, &created);
        let (_, rec) = trail::put_image_record(st, &call, ca, identity, &source, shared.as_deref());
        trail::store(st, ca, &spec.region, &rec, Some(key.clone()), spec.caller.username(), spec.at);
        caller_rec = Some((ca.to_string(), rec));
    }

    // The native event goes to the repository account's default bus: "When an AWS service in your account emits
    // an event, it goes to your account's default event bus" (FACTS.md §2). For a caller from another account this
    // is not documented: a world setting (default: no event, as the field report observed).
    if !cross || st.settings.cross_account_push.native_event_in_repository_account {
        let ev = image_action(st, &spec.account, &spec.region, &spec.repository, &blob.digest, tag, spec.at);
        out.started.extend(deliver::deliver(st, &spec.account, &spec.region, "default", ev, spec.at));
    }

    // The CloudTrail-delivered event, only where a trail logs write management events (FACTS.md §6): to the
    // API caller, and to the resource owner (same account, or the 2021 extension: a setting).
    let mut targets: Vec<(String, Value)> = Vec::new();
    if !cross || st.settings.cross_account_push.cloudtrail_event_to_resource_owner {
        targets.push((spec.account.clone(), owner_rec));
    }
    targets.extend(caller_rec);
    for (account, rec) in targets {
        if trail::logs_writes(st, &account, &spec.region) {
            let ev = trail::delivered_event(st, &account, &spec.region, &rec, spec.at);
            out.started.extend(deliver::deliver(st, &account, &spec.region, "default", ev, spec.at));
        }
    }
}

impl World {
    /// Pushes as the client does: the manifests an index references first, by digest (untagged), then the
    /// top manifest once per tag. Each `PutImage` writes its CloudTrail records and raises its events, and the
    /// rules they match start their pipelines.
    pub fn push(&self, spec: PushSpec) -> Result<PushResult, WorldError> {
        let mut st = self.lock();
        if st.region_ref(&spec.account, &spec.region).is_none_or(|r| !r.repositories.contains_key(&spec.repository)) {
            return Err(WorldError::NoRepository(format!("{}/{}/{}", spec.account, spec.region, spec.repository)));
        }
        let upload = oci::build(&spec.manifest);
        let tags = upload.own_tag.clone().map(|t| vec![t]).unwrap_or_else(|| spec.tags.clone());
        let mut out = PushResult {
            digest: upload.top.digest.clone(),
            children: upload.children.iter().map(|c| c.digest.clone()).collect(),
            tags: tags.clone(),
            event_ids: Vec::new(),
            started: Vec::new(),
        };
        for child in &upload.children {
            store(&mut st, &spec.account, &spec.region, &spec.repository, child, &[], spec.at);
            put_image(&mut st, &spec, child, None, &mut out);
        }
        store(&mut st, &spec.account, &spec.region, &spec.repository, &upload.top, &tags, spec.at);
        if tags.is_empty() {
            put_image(&mut st, &spec, &upload.top, None, &mut out);
        }
        for tag in &tags {
            put_image(&mut st, &spec, &upload.top, Some(tag), &mut out);
        }
        Ok(out)
    }

    /// ECR replication: the image (and the manifests an index references) appears in the destination repository
    /// (created if missing, as replication does), and "The following event is sent when each image replication is
    /// completed": `ECR Replication Action`, `action-type: REPLICATE`, `resources` = the repository ARN, to the
    /// destination's default bus ([Amazon ECR events and EventBridge](https://docs.aws.amazon.com/AmazonECR/latest/userguide/ecr-eventbridge.html), FACTS.md §3-§4).
    /// Returns the runs its event started.
    pub fn replicate(&self, spec: ReplicateSpec) -> Result<Vec<(String, String)>, WorldError> {
        let mut st = self.lock();
        let missing = || WorldError::NoImage(format!("{}@{}", spec.repository, spec.digest));
        let repo = st
            .region_ref(&spec.source_account, &spec.source_region)
            .and_then(|r| r.repositories.get(&spec.repository))
            .ok_or_else(|| WorldError::NoRepository(spec.repository.clone()))?;
        let top = repo.images.iter().find(|i| i.digest == spec.digest).cloned().ok_or_else(missing)?;
        let children: Vec<Image> = repo.images.iter().filter(|i| top.manifest.contains(&i.digest)).cloned().collect();
        let dest = st.region(&spec.dest_account, &spec.dest_region);
        dest.repositories
            .entry(spec.repository.clone())
            .or_insert_with(|| crate::model::Repository { name: spec.repository.clone(), ..Default::default() });
        for img in children.iter().chain(std::iter::once(&top)) {
            let blob = Blob {
                digest: img.digest.clone(),
                body: img.manifest.clone(),
                media_type: img.media_type.clone(),
                artifact_media_type: img.artifact_media_type.clone(),
                subject: img.subject.clone(),
                size: img.size,
            };
            let tags = if img.digest == top.digest { top.tags.clone() } else { Vec::new() };
            store(&mut st, &spec.dest_account, &spec.dest_region, &spec.repository, &blob, &tags, spec.at);
        }
        if st.settings.replication_put_image_record {
            // Not documented (FACTS.md §4): the corpus's assumed AWSService shape.
            let service = Principal::service("replication.ecr.amazonaws.com");
            let call = PutImageCall {
                repo_account: &spec.dest_account,
                region: &spec.dest_region,
                repository: &spec.repository,
                digest: &top.digest,
                tag: top.tags.first().map(String::as_str),
                manifest: &top.manifest,
                at: spec.at,
            };
            let (_, rec) = trail::put_image_record(
                &mut st,
                &call,
                &spec.dest_account,
                service.user_identity("", ""),
                "replication.ecr.amazonaws.com",
                None,
            );
            trail::store(&mut st, &spec.dest_account, &spec.dest_region, &rec, None, None, spec.at);
        }
        let mut detail = json!({"result": "SUCCESS", "repository-name": spec.repository, "image-digest": top.digest,
            "source-account": spec.source_account, "action-type": "REPLICATE", "source-region": spec.source_region});
        if let Some(tag) = top.tags.first() {
            detail["image-tag"] = json!(tag);
        }
        let ev = json!({"version": "0", "id": st.uuid(), "detail-type": "ECR Replication Action", "source": "aws.ecr",
            "account": spec.dest_account, "time": rfc3339(spec.at), "region": spec.dest_region,
            "resources": [repository_arn(&spec.dest_account, &spec.dest_region, &spec.repository)], "detail": detail});
        Ok(deliver::deliver(&mut st, &spec.dest_account, &spec.dest_region, "default", ev, spec.at))
    }
}
