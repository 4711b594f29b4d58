#!/usr/bin/env bash
# The "CLI way" baseline of scripts/bench-scale.sh: gathers what `pipewatch --once` reads, with one sequential
# `aws` CLI call after another, as a shell script written by hand would.
#
# Usage: scripts/cli-baseline.sh ENDPOINT_URL ACCOUNT [ACCOUNT...]
#
# For each account: sts assume-role on arn:aws:iam::ACCOUNT:role/pipewatch-read (the role of the benchmark config),
# then with those credentials: sts get-caller-identity, codepipeline list-pipelines, and per pipeline get-pipeline
# (its ECR source actions) and list-pipeline-executions, then ecr describe-images for every repository the
# pipelines watch. Everything read is printed to stdout (JSON documents and text lines). Base credentials and
# region come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION); the `aws` on PATH is
# used (bench-scale.sh puts the one of its venv first).
set -euo pipefail

if [[ $# -lt 2 ]]; then
    echo "usage: $0 ENDPOINT_URL ACCOUNT [ACCOUNT...]" >&2
    exit 2
fi
endpoint=$1
shift
# AWS CLI v1 reads the region from AWS_DEFAULT_REGION.
export AWS_DEFAULT_REGION=${AWS_DEFAULT_REGION:-${AWS_REGION:-ap-northeast-1}}

for account in "$@"; do
    read -r key secret token < <(aws sts assume-role --endpoint-url "$endpoint" \
        --role-arn "arn:aws:iam::${account}:role/pipewatch-read" --role-session-name pipewatch \
        --query 'Credentials.[AccessKeyId,SecretAccessKey,SessionToken]' --output text)
    (
        export AWS_ACCESS_KEY_ID=$key AWS_SECRET_ACCESS_KEY=$secret AWS_SESSION_TOKEN=$token
        echo "# account $account"
        aws sts get-caller-identity --endpoint-url "$endpoint" --output json
        repos=()
        for pipeline in $(aws codepipeline list-pipelines --endpoint-url "$endpoint" \
            --query 'pipelines[].name' --output text); do
            echo "# pipeline $pipeline"
            # ECR source actions: action name, repository, tag (pipewatch reads the same three fields).
            sources=$(aws codepipeline get-pipeline --endpoint-url "$endpoint" --name "$pipeline" \
                --query "pipeline.stages[].actions[?actionTypeId.provider=='ECR'][].[name,configuration.RepositoryName,configuration.ImageTag]" \
                --output text)
            echo "$sources"
            while read -r _ repo _; do
                if [[ -n $repo && " ${repos[*]} " != *" $repo "* ]]; then
                    repos+=("$repo")
                fi
            done <<<"$sources"
            aws codepipeline list-pipeline-executions --endpoint-url "$endpoint" --pipeline-name "$pipeline" \
                --output json
        done
        for repo in "${repos[@]}"; do
            echo "# repository $repo"
            aws ecr describe-images --endpoint-url "$endpoint" --repository-name "$repo" --output json
        done
    )
done
