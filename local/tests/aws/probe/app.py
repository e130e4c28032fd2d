"""A probe handler for the local Lambda service's tests (``test_environments.py``): it runs where
the service runs a function (an execution environment, or this process in serial mode) and does
what the event asks: hold at a gate, report where it runs, fail, print, call AWS, exit."""

import json
import os
import socket
import sys
import time

import boto3

STARTED_AT = time.time()  # init: once per execution environment


def lambda_handler(event, context):
    action = event.get("action")
    if action == "gate":  # held until the test releases it (it counts who is inside)
        with socket.create_connection(("127.0.0.1", int(event["port"]))) as conn:
            conn.sendall(f"{os.getpid()}\n".encode())
            conn.recv(16)
        return {"pid": os.getpid()}
    if action == "where":
        return {
            "pid": os.getpid(),
            "env": {k: os.environ.get(k) for k in event.get("env", [])},
            "function_name": context.function_name,
            "request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "memory": context.memory_limit_in_mb,
        }
    if action == "sleep":
        time.sleep(float(event["seconds"]))
        return {"pid": os.getpid()}
    if action == "fail":
        raise type(event["name"], (Exception,), {})(event["message"])
    if action == "not-json":
        return {1, 2}
    if action == "exit":
        sys.exit(3)
    if action == "print":
        for i in range(int(event.get("lines", 1))):
            print(json.dumps({"n": i, "pad": "x" * int(event.get("width", 10))}))
        print("to stderr", file=sys.stderr)
        return {"printed": event.get("lines", 1)}
    if action == "aws":
        secret = boto3.client("secretsmanager").get_secret_value(
            SecretId=os.environ["SOLIDSERVER_SECRET_ARN"]
        )
        ec2 = boto3.client("ec2")
        launched = ec2.run_instances(ImageId=event["image_id"], MinCount=1, MaxCount=1)["Instances"][0][
            "InstanceId"
        ]
        return {"secret": json.loads(secret["SecretString"]), "instance_id": launched}
    raise ValueError(f"unknown action {action!r}")
