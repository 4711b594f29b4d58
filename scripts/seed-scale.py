"""Seeds the scale scenario of scripts/bench-scale.sh into a running moto server.

Usage: python seed-scale.py ENDPOINT_URL ACCOUNT [ACCOUNT...]

In every account (reached, as pipewatch does, through sts:AssumeRole on arn:aws:iam::<account>:role/x, because
moto keeps one backend per account): 5 ECR repositories `app-1`..`app-5`, each with 40 images tagged `v1`..`v40`
(the newest also `latest`); an IAM role trusted by CodePipeline; 5 pipelines `deploy-1`..`deploy-5`, pipeline i
with an ECR source on `app-i:latest`, each started 20 times. Prints one line per account when done.
"""

import json
import sys

import boto3

REGION = "ap-northeast-1"
REPOS = 5
IMAGES = 40
PIPELINES = 5
EXECUTIONS = 20

TRUST_CODEPIPELINE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def manifest(account, repo, n):
    """A distinct schemaVersion-2 image manifest (its digest is what ECR reports)."""
    seed = f"{account}/{repo}/{n}".encode().hex().ljust(64, "0")[:64]
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1000 + n,
                "digest": f"sha256:{seed}",
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 2000 + n,
                    "digest": f"sha256:{seed[::-1]}",
                }
            ],
        }
    )


def session_for(endpoint, account):
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/x", RoleSessionName="seed")["Credentials"]
    return boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=REGION,
    )


def seed(endpoint, account):
    s = session_for(endpoint, account)
    ecr = s.client("ecr", endpoint_url=endpoint)
    iam = s.client("iam", endpoint_url=endpoint)
    cp = s.client("codepipeline", endpoint_url=endpoint)

    for r in range(1, REPOS + 1):
        repo = f"app-{r}"
        ecr.create_repository(repositoryName=repo)
        for n in range(1, IMAGES + 1):
            body = manifest(account, repo, n)
            ecr.put_image(repositoryName=repo, imageManifest=body, imageTag=f"v{n}")
        # The newest image also holds `latest`, the tag the pipelines watch.
        ecr.put_image(repositoryName=repo, imageManifest=manifest(account, repo, IMAGES), imageTag="latest")

    role = iam.create_role(RoleName="codepipeline-service", AssumeRolePolicyDocument=TRUST_CODEPIPELINE)["Role"]["Arn"]
    for p in range(1, PIPELINES + 1):
        name = f"deploy-{p}"
        cp.create_pipeline(
            pipeline={
                "name": name,
                "roleArn": role,
                "artifactStore": {"type": "S3", "location": f"artifacts-{account}"},
                "stages": [
                    {
                        "name": "Source",
                        "actions": [
                            {
                                "name": "Image",
                                "actionTypeId": {
                                    "category": "Source",
                                    "owner": "AWS",
                                    "provider": "ECR",
                                    "version": "1",
                                },
                                "configuration": {"RepositoryName": f"app-{p}", "ImageTag": "latest"},
                                "outputArtifacts": [{"name": "image"}],
                            }
                        ],
                    },
                    {
                        "name": "Approve",
                        "actions": [
                            {
                                "name": "Approve",
                                "actionTypeId": {
                                    "category": "Approval",
                                    "owner": "AWS",
                                    "provider": "Manual",
                                    "version": "1",
                                },
                            }
                        ],
                    },
                ],
            }
        )
        for _ in range(EXECUTIONS):
            cp.start_pipeline_execution(name=name)

    images = sum(len(ecr.describe_images(repositoryName=f"app-{r}")["imageDetails"]) for r in range(1, REPOS + 1))
    execs = sum(
        len(cp.list_pipeline_executions(pipelineName=f"deploy-{p}")["pipelineExecutionSummaries"])
        for p in range(1, PIPELINES + 1)
    )
    print(f"seeded {account}: {REPOS} repositories, {images} images, {PIPELINES} pipelines, {execs} executions")


def main():
    endpoint, accounts = sys.argv[1], sys.argv[2:]
    for account in accounts:
        seed(endpoint, account)


if __name__ == "__main__":
    main()
