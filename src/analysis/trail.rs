//! CloudTrail `PutImage` records of one snapshot, indexed once by (repository, digest) so that finding a push's
//! record costs a hash lookup, not a scan of every record.

use std::collections::HashMap;

use crate::model::{Diagnostics, ImagePush, PutImageRecord};

/// The records of one profile's CloudTrail read, by (repository, digest).
#[derive(Debug, Default)]
pub struct TrailIndex<'a> {
    by_image: HashMap<(&'a str, &'a str), Vec<&'a PutImageRecord>>,
}

impl<'a> TrailIndex<'a> {
    /// Indexes the records of `diagnostics` (none when CloudTrail was not read). Records without a digest cannot
    /// be tied to an image and are left out.
    pub fn new(diagnostics: &'a Diagnostics) -> Self {
        let mut by_image: HashMap<(&str, &str), Vec<&PutImageRecord>> = HashMap::new();
        for r in diagnostics.put_images.done().map_or(&[][..], |read| &read.records) {
            if let Some(digest) = &r.digest {
                by_image.entry((&r.repository, digest)).or_default().push(r);
            }
        }
        Self { by_image }
    }

    /// The record of `push`: same repository and digest, preferring one whose tag the push still holds, then the
    /// newest (an image pushed twice under two tags has two records).
    pub fn record_for(&self, push: &ImagePush) -> Option<&'a PutImageRecord> {
        let candidates = self.by_image.get(&(push.repository.as_str(), push.digest.as_str()))?;
        let held = |r: &PutImageRecord| r.tag.as_ref().is_some_and(|t| push.tags.contains(t));
        let mut best: Option<&'a PutImageRecord> = None;
        for &r in candidates {
            if best.is_none_or(|b| (held(r), r.event_time) > (held(b), b.event_time)) {
                best = Some(r);
            }
        }
        best
    }

    /// The tags `push`'s image was pushed with (its records) that it no longer holds: tags that moved on to a newer
    /// image. Sorted, each once.
    pub fn moved_tags(&self, push: &ImagePush) -> Vec<&'a str> {
        let Some(candidates) = self.by_image.get(&(push.repository.as_str(), push.digest.as_str())) else {
            return Vec::new();
        };
        let mut moved: Vec<&'a str> = candidates
            .iter()
            .filter_map(|r| r.tag.as_deref())
            .filter(|t| !push.tags.iter().any(|held| held == t))
            .collect();
        moved.sort_unstable();
        moved.dedup();
        moved
    }
}

#[cfg(test)]
mod tests {
    use jiff::Timestamp;

    use super::*;
    use crate::model::{CloudTrailRead, Lookup, Pusher};

    fn record(id: &str, repo: &str, tag: Option<&str>, digest: Option<&str>, at: i64) -> PutImageRecord {
        PutImageRecord {
            event_id: id.into(),
            event_time: Timestamp::from_second(1_764_000_000 + at).unwrap(),
            repository: repo.into(),
            tag: tag.map(str::to_string),
            digest: digest.map(str::to_string),
            recipient_account: Some("111111111111".into()),
            pusher: Pusher {
                arn: None,
                account: "111111111111".into(),
                identity_type: "AssumedRole".into(),
                principal_id: None,
                cross_account: false,
            },
        }
    }

    fn diagnostics(records: Vec<PutImageRecord>) -> Diagnostics {
        Diagnostics {
            put_images: Lookup::Done(CloudTrailRead {
                records,
                read_until: Timestamp::from_second(1_764_000_000).unwrap(),
                complete: Default::default(),
            }),
            ..Diagnostics::default()
        }
    }

    fn push(repo: &str, digest: &str, tags: &[&str]) -> ImagePush {
        ImagePush {
            repository: repo.into(),
            digest: digest.into(),
            tags: tags.iter().map(|t| t.to_string()).collect(),
            pushed_at: Timestamp::from_second(1_764_000_000).unwrap(),
            ..ImagePush::default()
        }
    }

    #[test]
    fn prefers_the_tag_the_image_still_holds_then_the_newest() {
        let d = diagnostics(vec![
            record("old-latest", "web", Some("latest"), Some("sha256:a"), 0),
            record("sha-tag", "web", Some("abc123"), Some("sha256:a"), 10),
            record("other-repo", "api", Some("latest"), Some("sha256:a"), 20),
            record("no-digest", "web", Some("latest"), None, 30),
        ]);
        let index = TrailIndex::new(&d);
        let id = |p: &ImagePush| index.record_for(p).map(|r| r.event_id.as_str());
        assert_eq!(id(&push("web", "sha256:a", &["latest"])), Some("old-latest"));
        assert_eq!(id(&push("web", "sha256:a", &["abc123"])), Some("sha-tag"));
        // Holding neither tag: the newest record of the image.
        assert_eq!(id(&push("web", "sha256:a", &[])), Some("sha-tag"));
        assert_eq!(id(&push("api", "sha256:a", &[])), Some("other-repo"));
        assert_eq!(id(&push("web", "sha256:b", &["latest"])), None);
    }

    #[test]
    fn moved_tags_are_the_recorded_tags_the_image_no_longer_holds() {
        let d = diagnostics(vec![
            record("latest", "web", Some("latest"), Some("sha256:a"), 0),
            record("sha", "web", Some("abc123"), Some("sha256:a"), 1),
            record("again", "web", Some("latest"), Some("sha256:a"), 2),
            record("by-digest", "web", None, Some("sha256:a"), 3),
            record("other-repo", "api", Some("prod"), Some("sha256:a"), 4),
        ]);
        let index = TrailIndex::new(&d);
        // `:latest` + `:<sha>`, latest moved on: the sha tag is held, latest comes back (once).
        assert_eq!(index.moved_tags(&push("web", "sha256:a", &["abc123"])), ["latest"]);
        assert_eq!(index.moved_tags(&push("web", "sha256:a", &[])), ["abc123", "latest"]);
        assert!(index.moved_tags(&push("web", "sha256:a", &["abc123", "latest"])).is_empty());
        assert!(index.moved_tags(&push("web", "sha256:b", &[])).is_empty());
    }

    #[test]
    fn an_unread_trail_has_no_records() {
        let d = Diagnostics::default();
        assert_eq!(TrailIndex::new(&d).record_for(&push("web", "sha256:a", &[])), None);
    }
}
