#!/usr/bin/env python3
"""Runs a moto server on loopback with one user pool built from a description file.

Used by scripts/demo.sh and bench/quota.sh. The pool and its listed users are created over
HTTP like any client would; --extra-users N more users (user000001 ...) are added through
moto's in-process backend, which is far faster than HTTP for thousands of users.

Writes "URL POOL_ID" to --ready-file once the pool is ready, then serves until killed.
"""
import argparse
import json
import logging
import signal
import sys
import threading

import boto3
from moto.cognitoidp.models import cognitoidp_backends
from moto.server import ThreadedMotoServer

ACCOUNT = "123456789012"  # moto's default account
REGION = "us-east-1"


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--pool", required=True, help="pool description (JSON)")
    p.add_argument("--extra-users", type=int, default=0)
    p.add_argument("--extra-emails", action="store_true",
                   help="give the extra users an email of one of 7 domains (bench/backfill.sh)")
    p.add_argument("--ready-file", required=True)
    args = p.parse_args()

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=args.port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{args.port}"
    client = boto3.client(
        "cognito-idp",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    with open(args.pool) as f:
        desc = json.load(f)
    schema = [
        {
            "Name": a["name"],
            "AttributeDataType": a.get("type", "String"),
            "Mutable": a.get("mutable", True),
        }
        for a in desc.get("custom_attributes", [])
    ]
    # Changed emails are verified by a code, as in a pool made by the console.
    pool_id = client.create_user_pool(
        PoolName=desc["name"], Schema=schema, AutoVerifiedAttributes=["email"]
    )["UserPool"]["Id"]
    for user in desc.get("users", []):
        client.admin_create_user(
            UserPoolId=pool_id,
            Username=user["username"],
            UserAttributes=[{"Name": k, "Value": v} for k, v in user.get("attributes", {}).items()],
            MessageAction="SUPPRESS",
        )
    backend = cognitoidp_backends[ACCOUNT][REGION]
    for i in range(1, args.extra_users + 1):
        attrs = [{"Name": "custom:tier", "Value": "free"}]
        if args.extra_emails:
            attrs.append({"Name": "email", "Value": f"user{i:06d}@Dept{i % 7}.Example"})
        backend.admin_create_user(pool_id, f"user{i:06d}", "SUPPRESS", "", attrs)
    with open(args.ready_file, "w") as f:
        f.write(f"{url} {pool_id}\n")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    server.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
