#!/usr/bin/env python3
"""Seed a moto server with an AWS Organization for `pipewatch init --org`'s tests.

Run with the python of the moto virtualenv (boto3 ships with moto):

    target/moto-venv/bin/python tests/support/seed_org.py < scenario.json > result.json

Scenario (JSON on stdin):
  {"endpoint": "http://127.0.0.1:5000", "region": "us-east-1",
   "management": "400000000001",            # the account that creates the organization (its own backend in moto)
   "accounts": [{"name": "Dev", "email": "dev@example.com", "close": false}, ...]}
                                            # created in order with create_account; "close": true closes the
                                            #   account afterwards, which moto (like AWS, in the end) shows SUSPENDED
Result (JSON on stdout):
  {"credentials": {"AccessKeyId", "SecretAccessKey", "SessionToken"},   # a session in the management account
   "accounts": [{"id", "name", "email", "status"}]}                    # list_accounts read back, every page
"""

import json
import sys

import boto3

BASE_KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def main():
    scenario = json.load(sys.stdin)
    endpoint = scenario["endpoint"]
    region = scenario.get("region", "us-east-1")
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=region, **BASE_KEYS)
    creds = sts.assume_role(
        RoleArn=f"arn:aws:iam::{scenario['management']}:role/seeder", RoleSessionName="seed-org"
    )["Credentials"]
    org = boto3.client(
        "organizations",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    org.create_organization(FeatureSet="ALL")
    ids = []
    for account in scenario.get("accounts", []):
        status = org.create_account(Email=account["email"], AccountName=account["name"])["CreateAccountStatus"]
        ids.append(status["AccountId"])
    for account, account_id in zip(scenario.get("accounts", []), ids):
        if account.get("close"):
            org.close_account(AccountId=account_id)
    listed = []
    for page in org.get_paginator("list_accounts").paginate():
        listed += [
            {"id": a["Id"], "name": a["Name"], "email": a["Email"], "status": a["Status"]} for a in page["Accounts"]
        ]
    keys = {k: creds[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}
    json.dump({"credentials": keys, "accounts": listed}, sys.stdout)


if __name__ == "__main__":
    main()
