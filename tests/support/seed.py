#!/usr/bin/env python3
"""Seed a moto server with ECR images, CodePipeline pipelines and executions for pipewatch's tests.

Run with the python of the moto virtualenv (boto3 ships with moto):

    target/moto-venv/bin/python tests/support/seed.py < scenario.json > result.json

Scenario (JSON on stdin)
------------------------
{
  "endpoint": "http://127.0.0.1:5000",   # required: the moto server
  "region": "ap-northeast-1",            # optional, default ap-northeast-1
  "accounts": [                           # processed in order
    {
      "id": "111111111111",               # 12 digits; moto keeps one backend per account
      "repositories": [                   # created if missing (so a second seed run can push more)
        {"name": "web",
         "images": [                      # pushed in order with put_image
           {"seed": "a1",                 # required, unique per repository: derives a distinct manifest,
                                          #   hence a distinct digest
            "tags": ["latest", "v1"]}     # optional; [] or absent = untagged image. Putting a tag another
         ]}                               #   image holds moves the tag (moto, like ECR).
      ],                                  # What `docker buildx` and cosign push (see "Multi-platform pushes").
      "pipelines": [                      # created if missing, replaced (update_pipeline) if "sources" given
        {"name": "web-deploy",            #   and it already exists
         "sources": [                     # ECR source actions of stage "Source"; omit to only start executions
           {"action": "Source",           #   of an existing pipeline. "action" defaults to Source<i>,
            "repository": "web",          #   "tag" defaults to "latest".
            "tag": "latest"}],
         "start_executions": 1}           # optional, default 0: start_pipeline_execution N times, after all
      ],                                  #   images of this account were pushed
      "rules": [                          # optional EventBridge rules (default bus)
        {"name": "web-push",
         "repository": "web", "tag": "latest",   # builds the pattern ECR creates for an ECR source action
         "event_pattern": {...},                 # optional: a raw pattern instead of repository/tag
         "pipeline": "web-deploy",               # optional: target = this pipeline's ARN
         "state": "ENABLED"}                     # optional, default ENABLED
      ]
    }
  ]
}

Multi-platform pushes
---------------------
An image may instead be one of these, pushed the way ECR stores them (PutImage with `imageManifestMediaType` and the
`imageDigest` of the manifest's bytes, as a registry computes it):
  {"seed": "amd64", "platform": "linux/amd64"}          an OCI image manifest for that platform (untagged unless
                                                         "tags" says otherwise)
  {"seed": "att-amd64", "attests": "amd64"}              a BuildKit provenance attestation manifest of image "amd64"
  {"seed": "idx", "tags": ["latest"], "index": ["amd64", "arm64", "att-amd64"]}
                                                         an OCI image index listing those images (pushed earlier in
                                                         the list): platform images with their platform,
                                                         attestations with platform unknown/unknown and the
                                                         `vnd.docker.reference.type: attestation-manifest` and
                                                         `vnd.docker.reference.digest` annotations (BuildKit's layout)
  {"seed": "sig", "signs": "idx"}                        a cosign signature manifest tagged `sha256-<hex of idx>.sig`

Within one account the order is: IAM role for CodePipeline, repositories and images, pipelines, executions,
rules. Credentials come from sts.assume_role on arn:aws:iam::<id>:role/seeder (moto does not check roles),
so every call lands in that account's backend.

Result (JSON on stdout)
-----------------------
{
  "region": "ap-northeast-1",
  "accounts": [
    {"id": "111111111111",
     "digests": {"web/a1": "sha256:..."},          # "<repository>/<seed>" -> digest, for quick lookups
     "repositories": [{"name": "web", "uri": "...",
                       "images": [{"seed": "a1", "digest": "sha256:...", "tags": ["latest", "v1"],
                                   "present": true,
                                   "pushed_at": "2026-11-25T21:55:14+00:00"}]}],   # read back with describe_images
     "pipelines": [{"name": "web-deploy", "arn": "arn:aws:codepipeline:...",
                    "started": ["<id>", ...],                      # ids started by THIS run, in start order
                    "executions": [{"id", "status", "trigger", "started_at"}]}],   # list_pipeline_executions
                                                                   #   read back (all of them, newest first)
     "rules": [{"name": "web-push", "arn": "..."}]}
  ]
}

"tags" in the result are the tags the image holds after the whole account was seeded (a later push of the same
tag may have taken it away). Beware, moto differs from ECR here: moving the ONLY tag of an image to another image
deletes the older image (ECR would keep it untagged); such an image is reported with "present": false,
"tags": [] and "pushed_at": null. Timestamps are RFC 3339 in UTC. On failure, a message goes to stderr and the exit
status is 1.
"""

import hashlib
import json
import sys
from datetime import timezone

import boto3
from botocore.exceptions import ClientError

BASE_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing-secret"}
TRUST_CODEPIPELINE = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "codepipeline.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)
TRUST_EVENTS = TRUST_CODEPIPELINE.replace("codepipeline.amazonaws.com", "events.amazonaws.com")
PIPELINE_ROLE = "pipewatch-seed-codepipeline"
EVENTS_ROLE = "pipewatch-seed-events"


def rfc3339(dt):
    return dt.astimezone(timezone.utc).isoformat()


def manifest(repository, seed):
    """A docker schemaVersion-2 manifest whose content (and so digest) is derived from repository and seed."""

    def blob(kind):
        return "sha256:" + hashlib.sha256(f"{kind}:{repository}:{seed}".encode()).hexdigest()

    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1469,
                "digest": blob("config"),
            },
            "layers": [
                {
                    "mediaType": "application/vnd.docker.image.rootfs.diff.tar.gzip",
                    "size": 2811478,
                    "digest": blob("layer"),
                }
            ],
        },
        sort_keys=True,
        separators=(",", ":"),
    )


OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"))


def sha256(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def oci_manifest(repository, seed, layer_media_type, annotations=None):
    """An OCI image manifest whose content (and digest) derives from repository and seed."""
    layer = {"mediaType": layer_media_type, "size": 4242, "digest": sha256(f"layer:{repository}:{seed}")}
    if annotations:
        layer["annotations"] = annotations
    return canonical(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": {"mediaType": OCI_CONFIG, "size": 1469, "digest": sha256(f"config:{repository}:{seed}")},
            "layers": [layer],
        }
    )


def buildx_manifest(repository, image, pushed):
    """The manifest text and media type of a multi-platform image spec (see the docstring), or None for a plain one.
    `pushed` maps the seeds pushed so far to (digest, manifest text, spec)."""
    seed = image["seed"]
    if "platform" in image:
        return oci_manifest(repository, seed, "application/vnd.oci.image.layer.v1.tar+gzip"), OCI_MANIFEST
    if "attests" in image:
        annotations = {"in-toto.io/predicate-type": "https://slsa.dev/provenance/v0.2"}
        return oci_manifest(repository, seed, "application/vnd.in-toto+json", annotations), OCI_MANIFEST
    if "signs" in image:
        annotations = {"dev.cosignproject.cosign/signature": "MEUCIQ" + hashlib.sha256(seed.encode()).hexdigest()}
        return oci_manifest(repository, seed, "application/vnd.dev.cosign.simplesigning.v1+json", annotations), OCI_MANIFEST
    if "index" in image:
        descriptors = []
        for child in image["index"]:
            digest, body, spec = pushed[child]
            d = {"mediaType": OCI_MANIFEST, "digest": digest, "size": len(body.encode())}
            if "attests" in spec:
                d["annotations"] = {
                    "vnd.docker.reference.digest": pushed[spec["attests"]][0],
                    "vnd.docker.reference.type": "attestation-manifest",
                }
                d["platform"] = {"architecture": "unknown", "os": "unknown"}
            else:
                os_, arch, *variant = spec["platform"].split("/")
                d["platform"] = {"architecture": arch, "os": os_}
                if variant:
                    d["platform"]["variant"] = variant[0]
            descriptors.append(d)
        return canonical({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}), OCI_INDEX
    return None


def account_clients(endpoint, region, account_id):
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region, **BASE_KEYS)
    creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/seeder", RoleSessionName="seed")[
        "Credentials"
    ]
    session = boto3.session.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=region,
    )
    return lambda service: session.client(service, endpoint_url=endpoint)


def ensure_role(iam, name, trust):
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "NoSuchEntity":
            raise
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def ensure_repository(ecr, name):
    try:
        return ecr.create_repository(repositoryName=name)["repository"]["repositoryUri"]
    except ClientError as e:
        if e.response["Error"]["Code"] != "RepositoryAlreadyExistsException":
            raise
    return ecr.describe_repositories(repositoryNames=[name])["repositories"][0]["repositoryUri"]


def push_image(ecr, repository, image, pushed):
    seed = image["seed"]
    tags = list(image.get("tags") or [])
    extra = {}
    buildx = buildx_manifest(repository, image, pushed)
    if buildx is None:
        body = manifest(repository, seed)
    else:
        body, media_type = buildx
        # As a registry does: the digest is the manifest's own; moto would otherwise derive one from the layers.
        extra = {"imageManifestMediaType": media_type, "imageDigest": sha256(body)}
        if "signs" in image:
            tags.append(pushed[image["signs"]][0].replace(":", "-", 1) + ".sig")
    digest = None
    for tag in tags or [None]:
        kwargs = {"repositoryName": repository, "imageManifest": body, **extra}
        if tag is not None:
            kwargs["imageTag"] = tag
        try:
            got = ecr.put_image(**kwargs)["image"]["imageId"]["imageDigest"]
        except ClientError as e:
            # Re-putting an identical image with a tag it already has: not an error for a seeder.
            if e.response["Error"]["Code"] != "ImageAlreadyExistsException":
                raise
            got = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": tag}])["images"][0][
                "imageId"
            ]["imageDigest"]
        if digest is not None and got != digest:
            raise RuntimeError(f"{repository}/{seed}: tag {tag} got digest {got}, expected {digest}")
        digest = got
    pushed[seed] = (digest, body, image)
    return digest


def pipeline_definition(account_id, spec, role_arn):
    actions = []
    for i, src in enumerate(spec["sources"]):
        actions.append(
            {
                "name": src.get("action") or f"Source{i}",
                "actionTypeId": {"category": "Source", "owner": "AWS", "provider": "ECR", "version": "1"},
                "configuration": {"RepositoryName": src["repository"], "ImageTag": src.get("tag", "latest")},
                "outputArtifacts": [{"name": f"SourceArtifact{i}"}],
                "runOrder": 1,
            }
        )
    return {
        "name": spec["name"],
        "roleArn": role_arn,
        "artifactStore": {"type": "S3", "location": f"pipewatch-artifacts-{account_id}"},
        "stages": [
            {"name": "Source", "actions": actions},
            {
                "name": "Approve",
                "actions": [
                    {
                        "name": "Approve",
                        "actionTypeId": {"category": "Approval", "owner": "AWS", "provider": "Manual", "version": "1"},
                        "runOrder": 1,
                    }
                ],
            },
        ],
    }


def ensure_pipeline(cp, account_id, spec, role_arn):
    if "sources" not in spec:
        cp.get_pipeline(name=spec["name"])  # must exist already
        return
    definition = pipeline_definition(account_id, spec, role_arn)
    try:
        cp.create_pipeline(pipeline=definition)
    except ClientError as e:
        # AWS says PipelineNameInUseException; moto says InvalidStructureException "... already exists ...".
        code = e.response["Error"]["Code"]
        if not (code == "PipelineNameInUseException" or "already exists" in str(e)):
            raise
        cp.update_pipeline(pipeline=definition)


def list_executions(cp, name):
    out = []
    for page in cp.get_paginator("list_pipeline_executions").paginate(pipelineName=name):
        for s in page["pipelineExecutionSummaries"]:
            out.append(
                {
                    "id": s["pipelineExecutionId"],
                    "status": s.get("status"),
                    "trigger": (s.get("trigger") or {}).get("triggerType"),
                    "started_at": rfc3339(s["startTime"]) if "startTime" in s else None,
                }
            )
    return out


def ecr_event_pattern(rule):
    detail = {"action-type": ["PUSH"], "result": ["SUCCESS"], "repository-name": [rule["repository"]]}
    if rule.get("tag"):
        detail["image-tag"] = [rule["tag"]]
    return {"source": ["aws.ecr"], "detail-type": ["ECR Image Action"], "detail": detail}


def seed_account(endpoint, region, account):
    account_id = account["id"]
    client = account_clients(endpoint, region, account_id)
    iam, ecr, cp = client("iam"), client("ecr"), client("codepipeline")
    out = {"id": account_id, "digests": {}, "repositories": [], "pipelines": [], "rules": []}

    pipeline_role = ensure_role(iam, PIPELINE_ROLE, TRUST_CODEPIPELINE)

    seeds = {}
    for repo in account.get("repositories", []):
        uri = ensure_repository(ecr, repo["name"])
        seeds[repo["name"]] = []
        pushed = {}
        for image in repo.get("images", []):
            digest = push_image(ecr, repo["name"], image, pushed)
            seeds[repo["name"]].append((image["seed"], digest))
            out["digests"][f"{repo['name']}/{image['seed']}"] = digest
        out["repositories"].append({"name": repo["name"], "uri": uri, "images": []})

    started = {}
    for spec in account.get("pipelines", []):
        ensure_pipeline(cp, account_id, spec, pipeline_role)
    for spec in account.get("pipelines", []):
        ids = started.setdefault(spec["name"], [])
        for _ in range(int(spec.get("start_executions", 0))):
            ids.append(cp.start_pipeline_execution(name=spec["name"])["pipelineExecutionId"])

    if account.get("rules"):
        events = client("events")
        events_role = ensure_role(iam, EVENTS_ROLE, TRUST_EVENTS)
        for rule in account["rules"]:
            pattern = rule.get("event_pattern") or ecr_event_pattern(rule)
            arn = events.put_rule(
                Name=rule["name"], EventPattern=json.dumps(pattern), State=rule.get("state", "ENABLED")
            )["RuleArn"]
            if rule.get("pipeline"):
                target = f"arn:aws:codepipeline:{region}:{account_id}:{rule['pipeline']}"
                events.put_targets(
                    Rule=rule["name"], Targets=[{"Id": "codepipeline", "Arn": target, "RoleArn": events_role}]
                )
            out["rules"].append({"name": rule["name"], "arn": arn})

    # Read everything back, so the result reflects what pipewatch will see.
    for repo in out["repositories"]:
        details = {}
        for page in ecr.get_paginator("describe_images").paginate(repositoryName=repo["name"]):
            for d in page["imageDetails"]:
                details[d["imageDigest"]] = d
        for seed, digest in seeds[repo["name"]]:
            d = details.get(digest)
            repo["images"].append(
                {
                    "seed": seed,
                    "digest": digest,
                    "present": d is not None,
                    "tags": d.get("imageTags", []) if d else [],
                    "pushed_at": rfc3339(d["imagePushedAt"]) if d else None,
                }
            )
    for name, ids in started.items():
        pipeline = cp.get_pipeline(name=name)
        out["pipelines"].append(
            {
                "name": name,
                "arn": pipeline["metadata"]["pipelineArn"],
                "started": ids,
                "executions": list_executions(cp, name),
            }
        )
    return out


def main():
    scenario = json.load(sys.stdin)
    endpoint = scenario["endpoint"]
    region = scenario.get("region", "ap-northeast-1")
    result = {"region": region, "accounts": []}
    for account in scenario.get("accounts", []):
        result["accounts"].append(seed_account(endpoint, region, account))
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # one clear line for the Rust side's panic message
        print(f"seed.py: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
