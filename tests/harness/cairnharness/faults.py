"""Faults injected by the strict proxy: AWS under load, on purpose.

A Faults object decides, for each valid request, what goes wrong with it:

    None        nothing: moto answers as usual
    "throttle"  a throttling error, before moto sees the request
    "before"    HTTP 500 before moto sees the request (nothing was done)
    "after"     moto does the work, then the answer is replaced by HTTP 500: AWS's ambiguous
                failure, the one that tempts a client into making a second object

Each error is in the protocol's own shape (EC2, query, JSON, REST-JSON), as AWS sends it.

moto ignores idempotency tokens; AWS answers a repeated request with the same token with the
first request's answer. So that a retry behaves as against AWS, the first successful answer to
a write carrying a token (ClientToken, CreationToken, ...) is kept and given again to a request
with the same operation and token, without moto seeing it.

    emu.faults(Faults.first_write_fails_after())          # 500 after the first of every write
    emu.faults(Faults.random(seed=7, rate=0.3))           # 30 % mixed faults, repeatable
    emu.faults(None)                                      # off
    faults.injected -> [(service, operation, kind), ...]
"""
import json
import random
import threading
import uuid

TOKEN_MEMBERS = ("ClientToken", "clientToken", "CreationToken", "IdempotencyToken",
                 "ClientRequestToken", "CreatorRequestId")

KINDS = ("throttle", "before", "after")


def error_answer(protocol, kind):
    """(status, headers, body) of a throttle or an internal error in the protocol's shape."""
    rid = str(uuid.uuid4())
    throttle = kind == "throttle"
    if protocol == "ec2":
        code = "RequestLimitExceeded" if throttle else "InternalError"
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{code}</Code><Message>injected {kind}</Message></Error></Errors>"
                f"<RequestID>{rid}</RequestID></Response>")
        return (503 if throttle else 500), [("Content-Type", "text/xml;charset=UTF-8")], \
            body.encode()
    if protocol == "query":
        code = "Throttling" if throttle else "InternalFailure"
        body = (f"<ErrorResponse><Error><Type>{'Sender' if throttle else 'Receiver'}</Type>"
                f"<Code>{code}</Code><Message>injected {kind}</Message></Error>"
                f"<RequestId>{rid}</RequestId></ErrorResponse>")
        return (400 if throttle else 500), [("Content-Type", "text/xml"),
                                            ("x-amzn-RequestId", rid)], body.encode()
    code = "ThrottlingException" if throttle else "InternalFailure"
    body = json.dumps({"__type": code, "message": f"injected {kind}"}).encode()
    headers = [("Content-Type", "application/x-amz-json-1.1" if protocol == "json"
                else "application/json"), ("x-amzn-RequestId", rid)]
    if protocol != "json":
        headers.append(("x-amzn-ErrorType", code))
    return (400 if throttle else 500), headers, body


class Faults:
    """decide(service, operation, is_write, params) -> None or one of KINDS."""

    def __init__(self, decide):
        self.decide = decide
        self.injected = []  # (service, operation, kind) in the order they happened
        self._answers = {}  # (service, operation, token) -> the first successful answer
        self._lock = threading.Lock()

    @classmethod
    def first_write_fails_after(cls):
        """The first call of every write operation is carried out, then answered with 500."""
        seen = set()

        def decide(service, operation, is_write, params):
            if not is_write or (service, operation) in seen:
                return None
            seen.add((service, operation))
            return "after"
        return cls(decide)

    @classmethod
    def random(cls, seed, rate=0.3, writes_only=False):
        """Each request, with probability rate, gets one of KINDS ("after" only for writes;
        a read's "after" is a "before"), drawn from a generator seeded with seed."""
        rng = random.Random(seed)
        lock = threading.Lock()

        def decide(service, operation, is_write, params):
            if writes_only and not is_write:
                return None
            with lock:
                if rng.random() >= rate:
                    return None
                kind = rng.choice(KINDS)
            return "before" if kind == "after" and not is_write else kind
        return cls(decide)

    def count(self, kind=None):
        with self._lock:
            return len([k for k in self.injected if kind is None or k[2] == kind])

    @staticmethod
    def _token(params):
        for name in TOKEN_MEMBERS:
            value = params.get(name) if isinstance(params, dict) else None
            if isinstance(value, str) and value:
                return value
        return None

    def handle(self, verdict, run):
        """Answer one valid request; run() is what the proxy would do without faults."""
        kind = self.decide(verdict.service, verdict.operation, verdict.is_write, verdict.params)
        if kind is not None:
            with self._lock:
                self.injected.append((verdict.service, verdict.operation, kind))
        if kind in ("throttle", "before"):
            return error_answer(verdict.protocol, kind)
        token = self._token(verdict.params) if verdict.is_write else None
        key = (verdict.service, verdict.operation, token)
        with self._lock:
            answer = self._answers.get(key) if token else None
        if answer is None:
            answer = run()
            if token and answer[0] == 200:
                with self._lock:
                    answer = self._answers.setdefault(key, answer)
        if kind == "after":
            return error_answer(verdict.protocol, "after")
        return answer

    def forget(self):
        """Drop the kept token answers (moto was reset)."""
        with self._lock:
            self._answers.clear()
