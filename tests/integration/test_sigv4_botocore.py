"""cairn's SigV4 signer held against botocore's, over seeded pseudo-random requests.

Each request is signed by botocore (SigV4Auth, or S3SigV4Auth for "s3"), with
the clock fixed by patching botocore.auth.get_current_datetime, and by cairn
through the sigv4_sign tool ($CAIRN_TEST_TOOLS/sigv4_sign, JSON lines on stdin).
The Authorization headers (and the other headers the signers add) must be
equal byte for byte.

The two are given the same request in the form each expects: botocore takes
the wire path in the URL and the query as (key, value) pairs, as its
serializers hand them over; cairn takes the URL as it goes on the wire, with
the query percent-encoded in a randomly chosen but equivalent way (hex case,
optional escapes, raw '+', "key" for "key="), so that its decode-then-encode
step is exercised. Non-S3 services normalize the path and encode it again, as
real AWS services expect and botocore does; S3 signs the wire path as it is.
"""

import base64
import datetime
import json
import os
import random
import subprocess
import sys
import unittest
from unittest import mock
from urllib.parse import quote, unquote, urlsplit

import botocore.auth
from botocore.auth import S3SigV4Auth, S3SigV4QueryAuth, SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

SEED = 20150830
HEADER_FORM_COUNT = 800
PRESIGN_COUNT = 200

REGIONS = [
    "us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "eu-west-3", "ap-southeast-2",
    "ap-northeast-1", "sa-east-1", "us-gov-west-1", "cn-north-1",
]
# (signing name, host pattern)
SERVICES = [
    ("ec2", "ec2.{r}.amazonaws.com"),
    ("ecs", "ecs.{r}.amazonaws.com"),
    ("elasticfilesystem", "elasticfilesystem.{r}.amazonaws.com"),
    ("elasticloadbalancing", "elasticloadbalancing.{r}.amazonaws.com"),
    ("backup", "backup.{r}.amazonaws.com"),
    ("secretsmanager", "secretsmanager.{r}.amazonaws.com"),
    ("servicediscovery", "servicediscovery.{r}.amazonaws.com"),
    ("logs", "logs.{r}.amazonaws.com"),
    ("sts", "sts.{r}.amazonaws.com"),
    ("iam", "iam.amazonaws.com"),
    ("execute-api", "a1b2c3.execute-api.{r}.amazonaws.com"),
    ("s3", "my-bucket.s3.{r}.amazonaws.com"),
]
METHODS = ["GET", "POST", "PUT", "DELETE"]
UNRESERVED = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
# Characters for paths and query parts: unreserved, reserved, '%', and UTF-8.
ODD = list(" %+=;@:,!$&'()*/~") + ["é", "ü", "€", "ሴ", "😀", "中"]
PLAIN = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.~")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def tool_path():
    tools = os.environ.get("CAIRN_TEST_TOOLS")
    if not tools:
        raise AssertionError("CAIRN_TEST_TOOLS is not set: it names the dir holding sigv4_sign")
    path = os.path.join(tools, "sigv4_sign")
    if not os.access(path, os.X_OK):
        raise AssertionError(f"{path} is missing or not executable")
    return path


def rand_text(rng, lo, hi, odd=0.3, pool_odd=ODD):
    return "".join(
        rng.choice(pool_odd) if rng.random() < odd else rng.choice(PLAIN)
        for _ in range(rng.randint(lo, hi))
    )


def escape_char(rng, ch):
    """One character percent-encoded as UTF-8, with random hex case."""
    upper = rng.random() < 0.7
    return "".join(("%%%02X" if upper else "%%%02x") % b for b in ch.encode("utf-8"))


def wire_path(rng, s3):
    """A path as it travels: some characters raw, some escaped, dot segments, '//'."""
    segments = []
    for _ in range(rng.randint(0, 5)):
        r = rng.random()
        if not s3 and r < 0.08:
            segments.append(".")
        elif not s3 and r < 0.16:
            segments.append("..")
        elif r < 0.24:
            segments.append("")  # a repeated slash
        else:
            segments.append(rand_text(rng, 1, 12, odd=0.35, pool_odd=[c for c in ODD if c != "/"]))
    out = []
    for seg in segments:
        if s3:
            # S3 signs the path as it is, so give it what a client sends: escaped.
            out.append(quote(seg, safe="~"))
            continue
        piece = []
        for ch in seg:
            if ch in UNRESERVED:
                piece.append(ch if rng.random() < 0.9 else escape_char(rng, ch))
            else:
                # '%' alone, a space, '+', UTF-8: raw or escaped, both sides take bytes.
                piece.append(ch if rng.random() < 0.5 else escape_char(rng, ch))
        out.append("".join(piece))
    path = "/" + "/".join(out)
    if segments and rng.random() < 0.2:
        path += "/"
    return path


def query_pairs(rng):
    keys = ["Action", "Version", "max-items", "prefix", "a b", "ключ", "x+y", "k=v",
            "~tilde", "Param", "param", "ሴ", "list.member.1", "%"]
    pairs = []
    for _ in range(rng.choice([0, 0, 1, 2, 3, 5, 8])):
        if pairs and rng.random() < 0.25:
            key = rng.choice(pairs)[0]  # a repeated key
        elif rng.random() < 0.03:
            key = ""
        elif rng.random() < 0.6:
            key = rng.choice(keys)
        else:
            key = rand_text(rng, 1, 8, odd=0.3, pool_odd=ODD)
        r = rng.random()
        value = "" if r < 0.15 else rand_text(rng, 1, 16, odd=0.4, pool_odd=ODD)
        pairs.append((key, value))
    return pairs


def wire_query_part(rng, s):
    out = []
    for ch in s:
        if ch in UNRESERVED:
            out.append(ch if rng.random() < 0.9 else escape_char(rng, ch))
        elif ch in "&=#% ":
            out.append(escape_char(rng, ch))  # these must be escaped to survive
        else:
            # '+' left raw is a literal plus to a SigV4 signer, never a space.
            out.append(ch if rng.random() < 0.5 else escape_char(rng, ch))
    return "".join(out)


def wire_query(rng, pairs):
    parts = []
    for key, value in pairs:
        k = wire_query_part(rng, key)
        if key and value == "" and rng.random() < 0.5:
            parts.append(k)  # "key" means "key="; a lone "" would be an empty piece
        else:
            parts.append(k + "=" + wire_query_part(rng, value))
    return "&".join(parts)


def header_value(rng):
    words = [rand_text(rng, 1, 10, odd=0.15, pool_odd=list("\"'/,;=:()é€ü")) for _ in
             range(rng.randint(0, 4))]
    seps = [" ", "  ", "\t", " \t ", "   ", "\n  ", "\r\n\t"]
    v = ""
    for i, w in enumerate(words):
        v += (rng.choice(seps) if i else "") + w
    if rng.random() < 0.3:
        v = rng.choice([" ", "\t", "  "]) + v
    if rng.random() < 0.3:
        v = v + rng.choice([" ", "\t", "  "])
    return v


def headers_for(rng, service, body, host):
    names = ["Content-Type", "X-Amz-Target", "X-Custom-Thing", "x-cUsToM-thing", "My-Header1",
             "Accept", "Accept-Encoding", "User-Agent", "X-Amzn-Trace-Id", "Expect",
             "Connection", "X-Amz-Meta-Note", "Idempotency-Key", "If-Match", "Range"]
    headers = []
    if rng.random() < 0.15:
        headers.append((rng.choice(["Host", "host", "HOST"]), host))
    if body and rng.random() < 0.5:
        headers.append(("Content-Length", str(len(body))))
    for _ in range(rng.randint(0, 6)):
        if headers and rng.random() < 0.2:
            name = rng.choice(headers)[0]
            if name.lower() == "host":
                name = "X-Repeated"
            # The same name in another case: one header to a signer.
            name = name.swapcase() if rng.random() < 0.5 else name
        else:
            name = rng.choice(names)
        headers.append((name, header_value(rng)))
    return headers


def make_body(rng):
    r = rng.random()
    if r < 0.4:
        return b""
    if r < 0.6:
        return json.dumps({"Name": rand_text(rng, 1, 20, odd=0.3)}, ensure_ascii=False).encode()
    if r < 0.8:
        return ("Action=Describe&Version=2016-11-15&Value=" + rand_text(rng, 0, 30)).encode()
    return rng.randbytes(rng.randint(1, 300))


def make_case(rng, index):
    service, host_pattern = rng.choice(SERVICES)
    region = rng.choice(REGIONS)
    s3 = service == "s3"
    host = host_pattern.format(r=region)
    if region.startswith("cn-"):
        host += ".cn"
    r = rng.random()
    if r < 0.1:
        base = f"http://localhost:{rng.randint(1024, 65535)}"
        host = base.split("//")[1]
    elif r < 0.2:
        base = "https://" + "".join(c.upper() if rng.random() < 0.3 else c for c in host) + ":443"
    else:
        base = "https://" + host
    path = wire_path(rng, s3)
    pairs = query_pairs(rng)
    body = make_body(rng)
    token = None
    if rng.random() < 0.5:
        token = "".join(rng.choice(B64) for _ in range(rng.randint(100, 400)))
        token += rng.choice(["", "=", "=="])
    access = rng.choice(["AKIA", "ASIA"]) + "".join(
        rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    return {
        "index": index,
        "method": rng.choice(METHODS),
        "base": base,
        "path": path,
        "pairs": pairs,
        "wire_query": wire_query(rng, pairs),
        "headers": headers_for(rng, service, body, host),
        "body": body,
        "region": region,
        "service": service,
        "s3": s3,
        "access_key": access,
        "secret_key": "".join(rng.choice(B64) for _ in range(40)),
        "token": token,
        "timestamp": rng.randint(946684800, 2145916799),
    }


class RecordingMixin:
    """Keeps the canonical request, to show it when the signatures differ."""

    def string_to_sign(self, request, canonical_request):
        self.last_canonical = canonical_request
        return super().string_to_sign(request, canonical_request)


class RecordingSigV4(RecordingMixin, SigV4Auth):
    pass


class RecordingS3SigV4(RecordingMixin, S3SigV4Auth):
    pass


def fixed_clock(ts):
    now = datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).replace(tzinfo=None)
    return mock.patch.object(botocore.auth, "get_current_datetime", return_value=now)


def botocore_sign(case):
    creds = Credentials(case["access_key"], case["secret_key"], case["token"])
    signer = (RecordingS3SigV4 if case["s3"] else RecordingSigV4)(
        creds, case["service"], case["region"])
    req = AWSRequest(method=case["method"], url=case["base"] + case["path"],
                     data=case["body"], params=list(case["pairs"]) or None)
    for name, value in case["headers"]:
        req.headers[name] = value  # appends: repeated names stay repeated
    with fixed_clock(case["timestamp"]):
        signer.add_auth(req)
    return req, signer.last_canonical


def tool_input(case, presign=None):
    url = case["base"] + case["path"]
    if case["wire_query"]:
        url += "?" + case["wire_query"]
    line = {
        "method": case["method"],
        "url": url,
        "headers": [list(h) for h in case["headers"]],
        "body_b64": base64.b64encode(case["body"]).decode(),
        "region": case["region"],
        "service": case["service"],
        "access_key": case["access_key"],
        "secret_key": case["secret_key"],
        "token": case["token"],
        "timestamp": case["timestamp"],
    }
    if presign:
        line["presign"] = presign
        if case["s3"]:
            line["payload_hash"] = "UNSIGNED-PAYLOAD"
    return line


def split_query(query):
    """(key, value) pairs of a wire query, '+' being a plus as SigV4 has it (not parse_qsl)."""
    pairs = []
    for piece in filter(None, query.split("&")):
        key, _, value = piece.partition("=")
        pairs.append((unquote(key), unquote(value)))
    return pairs


def run_tool(lines):
    proc = subprocess.run([tool_path()], input="".join(json.dumps(x) + "\n" for x in lines),
                          capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise AssertionError(f"sigv4_sign exited {proc.returncode}: {proc.stderr[-2000:]}")
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    if len(out) != len(lines):
        raise AssertionError(f"sigv4_sign answered {len(out)} lines for {len(lines)}")
    return out


def describe(case, ours, theirs_canonical):
    return (f"request #{case['index']}: {case['method']} {case['base']}{case['path']}"
            f"?{case['wire_query']} service={case['service']} region={case['region']}\n"
            f"--- botocore canonical request:\n{theirs_canonical}\n"
            f"--- cairn canonical request:\n{ours.get('canonical_request', ours.get('error'))}\n")


class SigV4AgainstBotocore(unittest.TestCase):
    def test_header_form_matches_botocore(self):
        rng = random.Random(SEED)
        cases = [make_case(rng, i) for i in range(HEADER_FORM_COUNT)]
        ours = run_tool([tool_input(c) for c in cases])
        mismatches = []
        kinds = {"s3": 0, "token": 0, "query": 0, "body": 0, "dup-header": 0}
        for case, mine in zip(cases, ours):
            req, canonical = botocore_sign(case)
            if "error" in mine:
                mismatches.append(f"cairn refused: {mine['error']}\n" +
                                  describe(case, mine, canonical))
                continue
            added = {name.lower(): value for name, value in mine["headers"]}
            want = {"authorization": req.headers["Authorization"],
                    "x-amz-date": req.headers["X-Amz-Date"]}
            if case["token"]:
                want["x-amz-security-token"] = req.headers["X-Amz-Security-Token"]
            if case["s3"]:
                want["x-amz-content-sha256"] = req.headers["X-Amz-Content-SHA256"]
            if added != want:
                mismatches.append(f"added headers differ:\n  botocore {want}\n  cairn    {added}\n"
                                  + describe(case, mine, canonical))
            kinds["s3"] += case["s3"]
            kinds["token"] += bool(case["token"])
            kinds["query"] += bool(case["pairs"])
            kinds["body"] += bool(case["body"])
            kinds["dup-header"] += len({n.lower() for n, _ in case["headers"]}) < len(
                case["headers"])
        print(f"\nsigv4 header form: compared {len(cases)} requests with botocore "
              f"({kinds}), {len(mismatches)} mismatches", file=sys.stderr)
        self.assertFalse(mismatches, f"{len(mismatches)} of {len(cases)} differ; first:\n" +
                         "\n".join(mismatches[:3]))
        # The generator must have reached what it is meant to cover.
        for kind, n in kinds.items():
            self.assertGreater(n, len(cases) // 20, kind)

    def test_presigned_form_matches_botocore(self):
        # botocore's query signer keeps one value per key and moves form bodies
        # into the query, so these are GETs without repeated keys.
        rng = random.Random(SEED + 1)
        cases = []
        while len(cases) < PRESIGN_COUNT:
            case = make_case(rng, len(cases))
            seen = {}
            for k, v in case["pairs"]:
                seen.setdefault(k, v)
            case["pairs"] = list(seen.items())
            case["wire_query"] = wire_query(rng, case["pairs"])
            case["method"], case["body"] = "GET", b""
            case["headers"] = [h for h in case["headers"]
                               if h[0].lower() not in ("content-length", "content-type")]
            cases.append(case)
        expires = [rng.randint(1, 604800) for _ in cases]
        ours = run_tool([tool_input(c, e) for c, e in zip(cases, expires)])
        mismatches = []
        for case, exp, mine in zip(cases, expires, ours):
            creds = Credentials(case["access_key"], case["secret_key"], case["token"])
            cls = S3SigV4QueryAuth if case["s3"] else SigV4QueryAuth
            signer = cls(creds, case["service"], case["region"], expires=exp)
            req = AWSRequest(method="GET", url=case["base"] + case["path"],
                             params=dict(case["pairs"]))
            for name, value in case["headers"]:
                req.headers[name] = value
            with fixed_clock(case["timestamp"]):
                signer.add_auth(req)
            theirs = dict(split_query(urlsplit(req.url).query))
            if "error" in mine:
                mismatches.append(f"request #{case['index']}: cairn refused: {mine['error']}")
                continue
            full = (case["wire_query"] + "&" if case["wire_query"] else "") + mine["query"]
            got = dict(split_query(full))
            if got != theirs:
                mismatches.append(f"request #{case['index']} {case['path']}?"
                                  f"{case['wire_query']}\n  botocore {theirs}\n  cairn    {got}\n"
                                  f"--- cairn canonical request:\n{mine['canonical_request']}")
        print(f"\nsigv4 presigned form: compared {len(cases)} URLs with botocore, "
              f"{len(mismatches)} mismatches", file=sys.stderr)
        self.assertFalse(mismatches, f"{len(mismatches)} of {len(cases)} differ; first:\n" +
                         "\n".join(mismatches[:3]))

    def test_a_wrong_signature_is_noticed(self):
        # The comparison itself can fail: a different secret must change the header.
        rng = random.Random(SEED + 2)
        case = make_case(rng, 0)
        other = dict(case, secret_key=case["secret_key"][::-1])
        mine = run_tool([tool_input(other)])[0]
        req, _ = botocore_sign(case)
        self.assertNotEqual(dict((n.lower(), v) for n, v in mine["headers"])["authorization"],
                            req.headers["Authorization"])


if __name__ == "__main__":
    unittest.main()
