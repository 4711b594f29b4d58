//! Which pushes arrived by replication, and from where.
//!
//! Nothing in DescribeImages marks a replicated image (its field list has no such field, FACTS §4), and whether
//! replication writes a CloudTrail record in the destination is not documented. What pipewatch can see is the
//! *source*: a polled registry whose replication configuration (`ecr:DescribeRegistry`) copies the repository into
//! this account and region, and whose own repository holds the same digest. From that it infers that the image
//! arrived by replication ("A replication action only occurs once per image push", Private image replication); a
//! `PutImage` record in the destination made by anyone but an AWS service says it was pushed there directly.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::model::{ImagePush, ProfileMeta, ProfileSnapshot, PutImageRecord};

/// How an image came into its repository, when not (as far as is known) by a push of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// A polled registry replicates the repository here and holds the same digest: the image was (inferred)
    /// replicated from it.
    Replicated(Source),
    /// Polled registries (these profiles') replicate the repository here, but the image was not seen in them (their
    /// repository is not read, or the image is not there).
    ReplicationConfigured(Vec<String>),
}

/// The registry an image was replicated from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub profile: String,
    pub account: String,
    pub region: String,
    /// When the image was pushed there (its `imagePushedAt` in the source registry).
    pub pushed_at: Timestamp,
}

/// The profiles' registries: where each replicates, and which images each holds.
pub struct Registries<'a> {
    registries: Vec<Registry<'a>>,
}

struct Registry<'a> {
    profile: &'a str,
    account: Option<&'a str>,
    region: &'a str,
    snap: &'a ProfileSnapshot,
    images: HashMap<(&'a str, &'a str), Timestamp>,
}

impl<'a> Registries<'a> {
    /// Indexes the images of every profile (`snapshots` parallel to `metas`).
    pub fn new(metas: &'a [ProfileMeta], snapshots: &[&'a ProfileSnapshot]) -> Self {
        let registries = metas
            .iter()
            .zip(snapshots)
            .map(|(meta, snap)| Registry {
                profile: &meta.name,
                account: snap.identity.as_ref().map(|i| i.account.as_str()),
                region: &meta.region,
                snap,
                images: snap.images.iter().map(|p| ((p.repository.as_str(), p.digest.as_str()), p.pushed_at)).collect(),
            })
            .collect();
        Self { registries }
    }

    /// How `push`, read by profile `index` (whose CloudTrail record of it is `record`), arrived; `None` for a push of
    /// its own (or when nothing says otherwise).
    pub fn arrival(&self, index: usize, push: &ImagePush, record: Option<&PutImageRecord>) -> Option<Arrival> {
        let here = self.registries.get(index)?;
        let account = here.account?;
        // A record of a caller other than an AWS service: someone pushed it here.
        if record.is_some_and(|r| r.pusher.identity_type != "AWSService") {
            return None;
        }
        let mut configured = Vec::new();
        for (i, there) in self.registries.iter().enumerate() {
            let Some(there_account) = there.account else { continue };
            if i == index || (there_account == account && there.region == here.region) {
                continue;
            }
            let copies = there
                .snap
                .diagnostics
                .replication
                .done()
                .is_some_and(|rules| rules.iter().any(|r| r.copies(&push.repository, here.region, account)));
            if !copies {
                continue;
            }
            match there.images.get(&(push.repository.as_str(), push.digest.as_str())) {
                Some(&pushed_at) => {
                    return Some(Arrival::Replicated(Source {
                        profile: there.profile.to_string(),
                        account: there_account.to_string(),
                        region: there.region.to_string(),
                        pushed_at,
                    }));
                }
                None => configured.push(there.profile.to_string()),
            }
        }
        (!configured.is_empty()).then_some(Arrival::ReplicationConfigured(configured))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Identity, Image, Lookup, Pusher, ReplicationRule};

    /// The push of `snap`'s image `i`.
    fn push(snap: &ProfileSnapshot, i: usize) -> ImagePush {
        let image = &snap.images[i];
        ImagePush {
            repository: image.repository.clone(),
            digest: image.digest.clone(),
            pushed_at: image.pushed_at,
            ..ImagePush::default()
        }
    }

    fn t(s: i64) -> Timestamp {
        Timestamp::from_second(1_764_000_000 + s).unwrap()
    }

    fn snap(account: &str, pushes: &[(&str, &str)], replicates_to: Option<(&str, &str)>) -> ProfileSnapshot {
        let mut s = ProfileSnapshot {
            identity: Some(Identity { account: account.into(), arn: String::new(), user_id: String::new() }),
            images: pushes
                .iter()
                .map(|(repo, digest)| Image {
                    repository: repo.to_string(),
                    digest: digest.to_string(),
                    pushed_at: t(-60),
                    ..Image::default()
                })
                .collect(),
            ..ProfileSnapshot::default()
        };
        if let Some((region, to)) = replicates_to {
            s.diagnostics.replication = Lookup::Done(vec![ReplicationRule {
                destinations: vec![(region.into(), to.into())],
                prefixes: vec!["rep".into()],
            }]);
        }
        s
    }

    fn meta(name: &str, region: &str) -> ProfileMeta {
        ProfileMeta { name: name.into(), region: region.into() }
    }

    fn record(identity_type: &str) -> PutImageRecord {
        PutImageRecord {
            event_id: "e".into(),
            event_time: t(0),
            repository: "reports".into(),
            tag: None,
            digest: Some("sha256:r".into()),
            recipient_account: Some("111111111111".into()),
            pusher: Pusher {
                arn: None,
                account: "111111111111".into(),
                identity_type: identity_type.into(),
                principal_id: None,
                cross_account: false,
            },
        }
    }

    #[test]
    fn an_image_the_source_holds_and_replicates_here_arrived_by_replication() {
        let metas = [meta("dest", "ap-northeast-1"), meta("source", "us-east-1")];
        let dest = snap("111111111111", &[("reports", "sha256:r")], None);
        let source = snap("111111111111", &[("reports", "sha256:r")], Some(("ap-northeast-1", "111111111111")));
        let r = Registries::new(&metas, &[&dest, &source]);
        let pushed = &push(&dest, 0);
        assert_eq!(
            r.arrival(0, pushed, None),
            Some(Arrival::Replicated(Source {
                profile: "source".into(),
                account: "111111111111".into(),
                region: "us-east-1".into(),
                pushed_at: t(-60),
            }))
        );
        assert!(r.arrival(0, pushed, Some(&record("AWSService"))).is_some(), "a service's record does not contradict");
        assert_eq!(r.arrival(0, pushed, Some(&record("AssumedRole"))), None, "someone pushed it here");
        assert_eq!(r.arrival(1, &push(&source, 0), None), None, "the source's own push");
    }

    #[test]
    fn configured_replication_without_the_image_is_said_and_other_repositories_are_not_touched() {
        let metas = [meta("dest", "ap-northeast-1"), meta("source", "ap-northeast-1")];
        let dest = snap("111111111111", &[("reports", "sha256:r"), ("web", "sha256:w")], None);
        let source = snap("222222222222", &[], Some(("ap-northeast-1", "111111111111")));
        let r = Registries::new(&metas, &[&dest, &source]);
        assert_eq!(r.arrival(0, &push(&dest, 0), None), Some(Arrival::ReplicationConfigured(vec!["source".into()])));
        assert_eq!(r.arrival(0, &push(&dest, 1), None), None, "web is not replicated");
        let elsewhere = snap("222222222222", &[("reports", "sha256:r")], Some(("eu-west-1", "111111111111")));
        let r = Registries::new(&metas, &[&dest, &elsewhere]);
        assert_eq!(r.arrival(0, &push(&dest, 0), None), None, "replicates to another region");
    }
}
