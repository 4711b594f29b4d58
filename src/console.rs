//! Links into the AWS Management Console for what pipewatch shows (a pipeline, one of its executions, an image), in
//! the console of the right partition and region: what `o` opens, the details popup links and `--once` prints.
//!
//! The console's hosts per partition are the documented ones: `console.aws.amazon.com`; `console.amazonaws.cn`
//! ("Amazon Web Services in China" getting-started guide); `console.amazonaws-us-gov.com` (AWS GovCloud (US) User
//! Guide, <https://docs.aws.amazon.com/govcloud-us/latest/UserGuide/configure-account.html>), each reachable under
//! a regional name (`<region>.console.…`). The paths are the console's own deep links, as its address bar shows them
//! and as AWS tools print them (AWS Copilot prints the pipeline form; the CodePipeline User Guide starts from
//! `https://console.aws.amazon.com/codesuite/codepipeline/home`, the ECR User Guide from
//! `https://console.aws.amazon.com/ecr/repositories`):
//! - pipeline: `/codesuite/codepipeline/pipelines/<name>/view?region=<region>`
//! - execution: `/codesuite/codepipeline/pipelines/<name>/executions/<id>/timeline?region=<region>`
//! - image: `/ecr/repositories/private/<account>/<repository>/_/image/<digest>/details?region=<region>`
//!
//! The console opens in the account you are signed in to; only the image link names its account (the registry's).
//! Every name comes from whoever can create a pipeline or push an image: each path segment is percent-encoded, so a
//! URL holds only printable ASCII and can be written inside an OSC 8 hyperlink or a clipboard payload as it is.
//! A region or account that does not look like one gives no link at all.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::analysis::ProfileOutcome;

/// Everything but the unreserved characters of RFC 3986 and the `:` and `@` a path segment may hold.
const SEGMENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b':').remove(b'@');

/// An AWS partition, as far as its console is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    /// `aws`: the commercial regions.
    Aws,
    /// `aws-cn`: Beijing and Ningxia.
    China,
    /// `aws-us-gov`: AWS GovCloud (US).
    GovCloud,
}

impl Partition {
    /// The partition an ARN names (`arn:aws-cn:…`), else the one `region` belongs to.
    pub fn of(arn: Option<&str>, region: &str) -> Self {
        match arn.and_then(|a| a.strip_prefix("arn:")).and_then(|a| a.split(':').next()) {
            Some("aws-cn") => Self::China,
            Some("aws-us-gov") => Self::GovCloud,
            Some("aws") => Self::Aws,
            _ if region.starts_with("cn-") => Self::China,
            _ if region.starts_with("us-gov-") => Self::GovCloud,
            _ => Self::Aws,
        }
    }

    /// The console's domain in this partition.
    fn domain(self) -> &'static str {
        match self {
            Self::Aws => "console.aws.amazon.com",
            Self::China => "console.amazonaws.cn",
            Self::GovCloud => "console.amazonaws-us-gov.com",
        }
    }
}

/// The console of one account and region.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Console {
    partition: Partition,
    region: String,
    /// The 12-digit account, when known (image links need it).
    account: Option<String>,
}

impl Console {
    /// The console of `region` in `partition`; `None` when `region` is not a region name (it goes into the host).
    pub fn new(partition: Partition, region: &str, account: Option<&str>) -> Option<Self> {
        let region_ok = !region.is_empty()
            && region.len() <= 32
            && region.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let account = account.filter(|a| a.len() == 12 && a.bytes().all(|b| b.is_ascii_digit()));
        region_ok.then(|| Self { partition, region: region.to_string(), account: account.map(str::to_string) })
    }

    /// The console of a polled profile: its region, and the partition and account of its identity.
    pub fn of_profile(p: &ProfileOutcome) -> Option<Self> {
        let arn = p.identity.as_ref().map(|i| i.arn.as_str());
        Self::new(Partition::of(arn, &p.region), &p.region, p.identity.as_ref().map(|i| i.account.as_str()))
    }

    fn url(&self, path: &str) -> String {
        format!("https://{}.{}{path}?region={}", self.region, self.partition.domain(), self.region)
    }

    /// The pipeline's page (its stages and latest run).
    pub fn pipeline(&self, name: &str) -> String {
        self.url(&format!("/codesuite/codepipeline/pipelines/{}/view", segment(name)))
    }

    /// One execution of a pipeline (its timeline).
    pub fn execution(&self, pipeline: &str, id: &str) -> String {
        self.url(&format!(
            "/codesuite/codepipeline/pipelines/{}/executions/{}/timeline",
            segment(pipeline),
            segment(id)
        ))
    }

    /// An image of a private repository; `None` when the account is not known.
    pub fn image(&self, repository: &str, digest: &str) -> Option<String> {
        let account = self.account.as_deref()?;
        Some(self.url(&format!(
            "/ecr/repositories/private/{account}/{}/_/image/{}/details",
            path(repository),
            segment(digest)
        )))
    }
}

/// One path segment, percent-encoded.
fn segment(s: &str) -> String {
    utf8_percent_encode(s, SEGMENT).to_string()
}

/// A repository name, whose `/`-separated namespaces stay path segments.
fn path(s: &str) -> String {
    s.split('/').map(segment).collect::<Vec<_>>().join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIGEST: &str = "sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b";

    fn console(partition: Partition, region: &str) -> Console {
        Console::new(partition, region, Some("111111111111")).expect("a region")
    }

    #[test]
    fn commercial_links_follow_the_consoles_forms() {
        let c = console(Partition::Aws, "ap-northeast-1");
        assert_eq!(
            c.pipeline("web-deploy"),
            "https://ap-northeast-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-deploy/view?region=ap-northeast-1"
        );
        assert_eq!(
            c.execution("web-deploy", "4af75de4-b546-2f89-3691-951ca6943ebc"),
            "https://ap-northeast-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/web-deploy/executions/\
             4af75de4-b546-2f89-3691-951ca6943ebc/timeline?region=ap-northeast-1"
        );
        assert_eq!(
            c.image("web", DIGEST).unwrap(),
            format!(
                "https://ap-northeast-1.console.aws.amazon.com/ecr/repositories/private/111111111111/web/_/image/{DIGEST}\
                 /details?region=ap-northeast-1"
            )
        );
    }

    #[test]
    fn china_links_use_the_china_console() {
        let c = console(Partition::China, "cn-north-1");
        assert_eq!(
            c.pipeline("deploy"),
            "https://cn-north-1.console.amazonaws.cn/codesuite/codepipeline/pipelines/deploy/view?region=cn-north-1"
        );
        assert_eq!(
            c.execution("deploy", "e1"),
            "https://cn-north-1.console.amazonaws.cn/codesuite/codepipeline/pipelines/deploy/executions/e1/timeline?region=cn-north-1"
        );
        assert_eq!(
            c.image("team/web", "sha256:ab").unwrap(),
            "https://cn-north-1.console.amazonaws.cn/ecr/repositories/private/111111111111/team/web/_/image/sha256:ab/details?region=cn-north-1"
        );
    }

    #[test]
    fn govcloud_links_use_the_govcloud_console() {
        let c = console(Partition::GovCloud, "us-gov-west-1");
        assert_eq!(
            c.pipeline("deploy"),
            "https://us-gov-west-1.console.amazonaws-us-gov.com/codesuite/codepipeline/pipelines/deploy/view?region=us-gov-west-1"
        );
        assert_eq!(
            c.execution("deploy", "e1"),
            "https://us-gov-west-1.console.amazonaws-us-gov.com/codesuite/codepipeline/pipelines/deploy/executions/e1/timeline?region=us-gov-west-1"
        );
        assert_eq!(
            c.image("web", "sha256:ab").unwrap(),
            "https://us-gov-west-1.console.amazonaws-us-gov.com/ecr/repositories/private/111111111111/web/_/image/sha256:ab/details?region=us-gov-west-1"
        );
    }

    #[test]
    fn the_partition_comes_from_the_identity_then_the_region() {
        assert_eq!(Partition::of(Some("arn:aws-cn:sts::1:assumed-role/r/s"), "us-east-1"), Partition::China);
        assert_eq!(Partition::of(Some("arn:aws-us-gov:sts::1:assumed-role/r/s"), "eu-west-1"), Partition::GovCloud);
        assert_eq!(Partition::of(Some("arn:aws:sts::1:assumed-role/r/s"), "cn-north-1"), Partition::Aws);
        assert_eq!(Partition::of(None, "cn-northwest-1"), Partition::China);
        assert_eq!(Partition::of(Some("garbage"), "us-gov-east-1"), Partition::GovCloud);
        assert_eq!(Partition::of(None, "eu-central-1"), Partition::Aws);
    }

    #[test]
    fn hostile_names_are_encoded_and_bad_hosts_give_no_link() {
        let c = console(Partition::Aws, "us-east-1");
        let url = c.pipeline("a\x1b]52;c;ZXZpbA==\x07b/../x?y#z\u{202e}");
        assert_eq!(
            url,
            "https://us-east-1.console.aws.amazon.com/codesuite/codepipeline/pipelines/\
             a%1B%5D52%3Bc%3BZXZpbA%3D%3D%07b%2F..%2Fx%3Fy%23z%E2%80%AE/view?region=us-east-1"
        );
        assert!(url.bytes().all(|b| b.is_ascii_graphic()), "{url}");
        assert_eq!(Console::new(Partition::Aws, "evil.example.com/", None), None);
        assert_eq!(Console::new(Partition::Aws, "", None), None);
        // Without a 12-digit account there is no image link (the registry is named by its account).
        let nameless = Console::new(Partition::Aws, "us-east-1", Some("12345")).unwrap();
        assert_eq!(nameless.image("web", "sha256:ab"), None);
        assert!(nameless.pipeline("web").starts_with("https://us-east-1."));
    }
}
