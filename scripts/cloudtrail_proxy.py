#!/usr/bin/env python3
"""A CloudTrail LookupEvents stand-in in front of moto, for scripts/bench-cloudtrail.sh.

Usage: cloudtrail_proxy.py LISTEN_PORT MOTO_PORT [LOOKUP_PER_SECOND]

moto does not implement LookupEvents. This HTTP/1.1 proxy forwards every request to moto, except LookupEvents,
which it answers itself the way the LookupEvents API reference describes it (tests/fixtures/aws/FACTS.md, section 7):
- the events are the `PutImage` calls that went through the proxy (seed moto through it): one event per call, at
  the time of the call, in the account of the caller (learned from the AssumeRole calls that went through it);
- `StartTime`/`EndTime` filter by event time, newest first, 50 events a page, a `NextToken` that "must be passed in
  with the same parameters that were specified in the original call" (else `InvalidNextTokenException`);
- "The rate of lookup requests is limited to two per second, per account, per Region. If this limit is exceeded, a
  throttling error occurs": a token bucket per account of LOOKUP_PER_SECOND (default 2) tokens a second holding at
  most 2, answering `ThrottlingException` (HTTP 400, awsJson1_1) when empty.

It prints one line per LookupEvents answer to stderr (`lookup ACCOUNT ok|throttled`) and counts them; GET /stats
returns the counts as JSON. Only 127.0.0.1 is used on both sides.
"""

import http.client
import json
import re
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

PAGE = 50
BURST = 2.0

lock = threading.Lock()
account_of_key = {}  # access key id -> account
events = {}  # account -> [event dict], in call order
buckets = {}  # account -> [tokens, last refill]
counts = {"lookup_ok": 0, "lookup_throttled": 0, "lookup_by_account": {}}


def take(account, rate):
    now = time.monotonic()
    with lock:
        tokens, last = buckets.get(account, [BURST, now])
        tokens = min(BURST, tokens + (now - last) * rate)
        ok = tokens >= 1.0
        buckets[account] = [tokens - 1.0 if ok else tokens, now]
        return ok


def key_of(headers):
    m = re.search(r"Credential=([^/]+)/", headers.get("Authorization", ""))
    return m.group(1) if m else None


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    moto_port = 0
    rate = 2.0

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/stats":
            with lock:
                body = json.dumps(counts).encode()
            return self.reply(200, body, [("Content-Type", "application/json")])
        self.forward(b"")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        target = self.headers.get("X-Amz-Target", "")
        if target.endswith(".LookupEvents"):
            return self.lookup(body)
        status, headers, answer = self.forward_raw(body)
        self.learn(target, body, answer)
        self.reply(status, answer, headers)

    def forward(self, body):
        status, headers, answer = self.forward_raw(body)
        self.reply(status, answer, headers)

    def forward_raw(self, body):
        conn = http.client.HTTPConnection("127.0.0.1", self.moto_port, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("connection", "content-length")}
        conn.request(self.command, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        answer = resp.read()
        keep = [(k, v) for k, v in resp.getheaders()
                if k.lower() not in ("connection", "content-length", "transfer-encoding", "server", "date")]
        conn.close()
        return resp.status, keep, answer

    def learn(self, target, body, answer):
        """Remembers which account an issued access key acts in, and every PutImage call as a CloudTrail event."""
        if b"Action=AssumeRole" in body:
            form = parse_qs(body.decode())
            arn = form.get("RoleArn", [""])[0]
            key = re.search(rb"<AccessKeyId>([^<]+)</AccessKeyId>", answer)
            if key and arn.count(":") >= 4:
                with lock:
                    account_of_key[key.group(1).decode()] = arn.split(":")[4]
        elif target.endswith(".PutImage"):
            try:
                request, response = json.loads(body), json.loads(answer)
            except ValueError:
                return
            image = response.get("image") or {}
            with lock:
                account = account_of_key.get(key_of(self.headers)) or image.get("registryId") or "123456789012"
            when = time.time()
            record = {
                "eventVersion": "1.08",
                "eventName": "PutImage",
                "eventSource": "ecr.amazonaws.com",
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when)),
                "eventID": str(uuid.uuid4()),
                "recipientAccountId": account,
                "awsRegion": "ap-northeast-1",
                "userIdentity": {
                    "type": "AssumedRole",
                    "accountId": account,
                    "arn": f"arn:aws:sts::{account}:assumed-role/codebuild/build",
                    "principalId": "AROAEXAMPLE:build",
                },
                "requestParameters": {
                    "repositoryName": request.get("repositoryName"),
                    "imageTag": request.get("imageTag"),
                    "registryId": account,
                },
                "responseElements": {"image": {
                    "repositoryName": request.get("repositoryName"),
                    "registryId": account,
                    "imageId": image.get("imageId") or {},
                }},
            }
            event = {
                "EventId": record["eventID"],
                "EventName": "PutImage",
                "ReadOnly": "false",
                "EventTime": when,
                "EventSource": "ecr.amazonaws.com",
                "Username": "build",
                "Resources": [],
                "CloudTrailEvent": json.dumps(record),
            }
            with lock:
                events.setdefault(account, []).append(event)

    def lookup(self, body):
        with lock:
            account = account_of_key.get(key_of(self.headers), "unknown")
        if not take(account, self.rate):
            with lock:
                counts["lookup_throttled"] += 1
            print(f"lookup {account} throttled", file=sys.stderr, flush=True)
            err = json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded"}).encode()
            return self.reply(400, err, [("Content-Type", "application/x-amz-json-1.1"),
                                         ("X-Amzn-ErrorType", "ThrottlingException")])
        req = json.loads(body or b"{}")
        start, end = req.get("StartTime", 0), req.get("EndTime", 1e12)
        params = f"{start}/{end}/{json.dumps(req.get('LookupAttributes'), sort_keys=True)}"
        offset = 0
        if req.get("NextToken"):
            token_params, _, n = req["NextToken"].rpartition("#")
            if token_params != params:
                err = json.dumps({"__type": "InvalidNextTokenException", "message": "Invalid NextToken"}).encode()
                return self.reply(400, err, [("Content-Type", "application/x-amz-json-1.1"),
                                             ("X-Amzn-ErrorType", "InvalidNextTokenException")])
            offset = int(n)
        with lock:
            found = [e for e in events.get(account, []) if start <= e["EventTime"] <= end]
            counts["lookup_ok"] += 1
            counts["lookup_by_account"][account] = counts["lookup_by_account"].get(account, 0) + 1
        found.sort(key=lambda e: e["EventTime"], reverse=True)
        page = found[offset:offset + PAGE]
        out = {"Events": page}
        if offset + PAGE < len(found):
            out["NextToken"] = f"{params}#{offset + PAGE}"
        print(f"lookup {account} ok {len(page)} events", file=sys.stderr, flush=True)
        self.reply(200, json.dumps(out).encode(), [("Content-Type", "application/x-amz-json-1.1")])


def main():
    listen, moto = int(sys.argv[1]), int(sys.argv[2])
    Handler.moto_port = moto
    if len(sys.argv) > 3:
        Handler.rate = float(sys.argv[3])
    server = ThreadingHTTPServer(("127.0.0.1", listen), Handler)
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
