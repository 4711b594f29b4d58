//! The AWS partition of a profile (`aws`, `aws-cn`, `aws-us-gov`), which every ARN built for it must carry.

/// The partition named by an ARN (`arn:<partition>:...`).
pub(super) fn of_arn(arn: &str) -> Option<&str> {
    let mut parts = arn.split(':');
    (parts.next() == Some("arn")).then(|| parts.next()).flatten().filter(|p| !p.is_empty())
}

/// The partition a region belongs to.
pub(super) fn of_region(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

/// The profile's partition: the role's (from `role_arn`), else the caller's (from its identity's ARN), else the
/// region's.
pub(super) fn of_profile(role_arn_partition: Option<&str>, caller_arn: Option<&str>, region: &str) -> String {
    role_arn_partition.or_else(|| caller_arn.and_then(of_arn)).unwrap_or_else(|| of_region(region)).to_string()
}

/// The ARN of a pipeline.
pub(super) fn pipeline_arn(partition: &str, region: &str, account: &str, name: &str) -> String {
    format!("arn:{partition}:codepipeline:{region}:{account}:{name}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_name_their_partition() {
        assert_eq!(of_arn("arn:aws-cn:iam::222222222222:role/ci/pipewatch-read"), Some("aws-cn"));
        assert_eq!(of_arn("arn:aws-us-gov:sts::1:assumed-role/r/s"), Some("aws-us-gov"));
        assert_eq!(of_arn("arn:aws:iam::1:role/r"), Some("aws"));
        assert_eq!(of_arn(""), None);
        assert_eq!(of_arn("arn::iam::1:role/r"), None);
        assert_eq!(of_arn("not-an-arn"), None);
    }

    #[test]
    fn regions_name_their_partition() {
        assert_eq!(of_region("cn-north-1"), "aws-cn");
        assert_eq!(of_region("cn-northwest-1"), "aws-cn");
        assert_eq!(of_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(of_region("us-east-1"), "aws");
        assert_eq!(of_region("ap-northeast-1"), "aws");
        assert_eq!(of_region(""), "aws");
    }

    #[test]
    fn the_role_wins_then_the_caller_then_the_region() {
        let caller = Some("arn:aws-us-gov:sts::1:assumed-role/r/s");
        assert_eq!(of_profile(Some("aws-cn"), caller, "us-east-1"), "aws-cn");
        assert_eq!(of_profile(None, caller, "cn-north-1"), "aws-us-gov");
        assert_eq!(of_profile(None, Some(""), "cn-north-1"), "aws-cn", "an empty caller ARN says nothing");
        assert_eq!(of_profile(None, None, "us-gov-east-1"), "aws-us-gov");
        assert_eq!(of_profile(None, None, "eu-west-1"), "aws");
    }

    #[test]
    fn pipeline_arns_carry_the_partition() {
        assert_eq!(
            pipeline_arn("aws-cn", "cn-north-1", "222222222222", "web-deploy"),
            "arn:aws-cn:codepipeline:cn-north-1:222222222222:web-deploy"
        );
        assert_eq!(
            pipeline_arn("aws", "us-east-1", "111111111111", "api"),
            "arn:aws:codepipeline:us-east-1:111111111111:api"
        );
    }
}
