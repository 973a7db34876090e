#!/usr/bin/env python3
"""Talks to a moto server for the SharedTier tests, with boto3 (which moto[server] brings).

    moto_s3.py setup   ENDPOINT BUCKET...     -> {"access_key_id": ..., "secret_access_key": ...}
    moto_s3.py put     ENDPOINT BUCKET KEY FILE   (FILE's bytes become the object)
    moto_s3.py keys    ENDPOINT BUCKET PREFIX -> ["key", ...]
    moto_s3.py session ENDPOINT               -> {"access_key_id", "secret_access_key", "session_token"}

`setup` runs against a moto started with INITIAL_NO_AUTH_ACTION_COUNT=3: its first three
calls (create an IAM user, give it a policy, make it an access key) are the unauthenticated
ones, so every later request, the buckets created here included, must be signed with that key.
The other commands sign with AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment.
Nothing is printed but the JSON answers.
"""

import json
import os
import sys

import boto3
from botocore.config import Config

REGION = "us-east-1"
# The first three calls of `setup`: moto checks signatures from the fourth request on.
UNAUTHENTICATED_CALLS = 3


def client(service, endpoint, key_id=None, secret=None, token=None):
    return boto3.client(
        service, endpoint_url=endpoint, region_name=REGION,
        aws_access_key_id=key_id or os.environ["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=secret or os.environ["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=token,
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
    )


def setup(endpoint, buckets):
    iam = client("iam", endpoint, "unauthenticated", "unauthenticated")
    iam.create_user(UserName="assets-tests")
    policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    iam.put_user_policy(UserName="assets-tests", PolicyName="everything", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName="assets-tests")["AccessKey"]
    s3 = client("s3", endpoint, key["AccessKeyId"], key["SecretAccessKey"])
    for bucket in buckets:
        s3.create_bucket(Bucket=bucket)
    print(json.dumps({"access_key_id": key["AccessKeyId"], "secret_access_key": key["SecretAccessKey"]}))


def main():
    command, endpoint, *rest = sys.argv[1:]
    if command == "setup":
        setup(endpoint, rest)
    elif command == "put":
        bucket, key, path = rest
        with open(path, "rb") as source:
            client("s3", endpoint).put_object(Bucket=bucket, Key=key, Body=source.read())
    elif command == "keys":
        bucket, prefix = rest
        pages = client("s3", endpoint).get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        print(json.dumps([item["Key"] for page in pages for item in page.get("Contents", [])]))
    elif command == "session":
        # moto knows temporary keys from AssumeRole (not from GetSessionToken).
        iam = client("iam", endpoint)
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
        try:
            role = iam.create_role(RoleName="assets-tests", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
        except iam.exceptions.EntityAlreadyExistsException:
            role = iam.get_role(RoleName="assets-tests")["Role"]
        policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        iam.put_role_policy(RoleName="assets-tests", PolicyName="everything", PolicyDocument=json.dumps(policy))
        credentials = client("sts", endpoint).assume_role(RoleArn=role["Arn"], RoleSessionName="tests")["Credentials"]
        print(json.dumps({
            "access_key_id": credentials["AccessKeyId"], "secret_access_key": credentials["SecretAccessKey"],
            "session_token": credentials["SessionToken"],
        }))
    else:
        sys.exit("unknown command %r" % command)


if __name__ == "__main__":
    main()
