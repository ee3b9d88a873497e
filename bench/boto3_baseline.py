#!/usr/bin/env python3
"""The baseline the tool is measured against: a plain boto3 script, a ThreadPoolExecutor
calling admin_update_user_attributes with the standard retry mode.

usage: boto3_baseline.py URL POOL_ID INPUT.csv CONCURRENCY
"""
import csv
import sys
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

url, pool, path, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
client = boto3.client(
    "cognito-idp",
    endpoint_url=url,
    region_name="us-east-1",
    aws_access_key_id="testing",
    aws_secret_access_key="testing",
    config=Config(retries={"mode": "standard"}, max_pool_connections=concurrency),
)
with open(path, newline="") as f:
    rows = list(csv.DictReader(f))


def update(row):
    user = row.pop("username")
    try:
        client.admin_update_user_attributes(
            UserPoolId=pool,
            Username=user,
            UserAttributes=[{"Name": k, "Value": v} for k, v in row.items()],
        )
        return True
    except Exception:
        return False


with ThreadPoolExecutor(concurrency) as pool_:
    ok = sum(pool_.map(update, rows))
print(f"{ok} {len(rows)}")
