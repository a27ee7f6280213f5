"""The strict proxy: validate every request, then forward it to moto.

A request that breaks botocore's model gets HTTP 400 with error code
StrictValidationError in the protocol's own error format (so cairn reports
it like any AWS error) and never reaches moto. A valid request is forwarded
unchanged - same method, target, headers (Host included: moto does not check
signatures) and body - and moto's answer is relayed unchanged.
"""

import collections
import http.client
import http.server
import json
import os
import socket
import sys
import threading
import traceback
import uuid
from xml.sax.saxutils import escape

from .validator import Validator, WireRequest

ERROR_CODE = "StrictValidationError"

# Headers that describe one hop, not the message; never relayed as is.
_HOP_BY_HOP = {
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "expect", "content-length",
}


class Call(collections.namedtuple("Call", "service operation is_write")):
    """One request the proxy saw: botocore service name, operation, is_write."""


class Journal:
    """Thread-safe record of calls and violations, optionally mirrored to files."""

    def __init__(self, log_dir=None):
        self._lock = threading.Lock()
        self.calls = []
        self.violations = []
        self._log_dir = log_dir

    def record(self, verdict):
        call = Call(verdict.service, verdict.operation, verdict.is_write)
        with self._lock:
            self.calls.append(call)
            self.violations.extend(verdict.violations)
            if self._log_dir:
                kind = "write" if call.is_write else "read"
                self._append("calls.log", [f"{call.service} {call.operation} {kind}"])
                self._append("violations.log", verdict.violations)

    def _append(self, name, lines):
        if lines:
            with open(os.path.join(self._log_dir, name), "a", encoding="utf-8") as f:
                f.writelines(line + "\n" for line in lines)

    def add_violation(self, message):
        """Record a problem of the harness itself (it must fail the test too)."""
        with self._lock:
            self.violations.append(message)
            if self._log_dir:
                self._append("violations.log", [message])

    def snapshot(self):
        with self._lock:
            return list(self.calls), list(self.violations)

    def clear(self):
        with self._lock:
            self.calls.clear()
            self.violations.clear()


class Intercepted:
    """A valid request handed to an intercept handler (see StrictProxy.intercept)."""

    def __init__(self, proxy, request, verdict):
        self.request = request  # the WireRequest
        self.service = verdict.service
        self.operation = verdict.operation
        self.params = verdict.params  # decoded input, boto3-style
        self._proxy = proxy

    def forward(self):
        """Send the request to moto; returns (status, headers, body)."""
        return self._proxy.forward(self.request)


def error_response(protocol, request, message):
    """(status, headers, body) for a StrictValidationError in the request's protocol."""
    rid = str(uuid.uuid4())
    if protocol is None:  # service unknown: answer in the style the request used
        if request.headers.get("X-Amz-Target"):
            protocol = "json"
        elif request.form_pairs():
            protocol = "query"
    msg = escape(message)
    if protocol == "ec2":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
            f"<Code>{ERROR_CODE}</Code><Message>{msg}</Message></Error></Errors>"
            f"<RequestID>{rid}</RequestID></Response>"
        )
        headers = [("Content-Type", "text/xml;charset=UTF-8")]
    elif protocol == "query":
        body = (
            "<ErrorResponse><Error><Type>Sender</Type>"
            f"<Code>{ERROR_CODE}</Code><Message>{msg}</Message></Error>"
            f"<RequestId>{rid}</RequestId></ErrorResponse>"
        )
        headers = [("Content-Type", "text/xml")]
    elif protocol == "json":
        body = json.dumps({"__type": ERROR_CODE, "message": message})
        headers = [("Content-Type", "application/x-amz-json-1.1")]
    else:  # rest-json and anything else
        body = json.dumps({"__type": ERROR_CODE, "code": ERROR_CODE, "message": message})
        headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", ERROR_CODE)]
    headers.append(("x-amzn-RequestId", rid))
    return 400, headers, body.encode("utf-8")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as SDKs and libcurl expect
    timeout = 120  # lets threads of idle keep-alive connections end

    def _any(self):
        proxy = self.server.proxy
        request = WireRequest(self.command, self.path, self.headers.items(), self._read_body())
        if request.path.startswith("/moto-api"):
            self._send(*proxy.forward(request))  # moto's own API: not AWS
            return
        try:
            verdict = proxy.validator.check(request)
        except Exception:  # a harness bug must fail the test, not hang it
            traceback.print_exc(file=sys.stderr)
            self._harness_error(proxy, request, traceback.format_exc(limit=3))
            return
        proxy.journal.record(verdict)
        if verdict.problems:
            self._send(*error_response(verdict.protocol, request, "; ".join(verdict.violations)))
            return
        def run():
            response = None
            handler = proxy.handlers.get((verdict.service, verdict.operation))
            if handler is not None:
                response = handler(Intercepted(proxy, request, verdict))
            return proxy.forward(request) if response is None else response

        faults = proxy.faults
        self._send(*(faults.handle(verdict, run) if faults is not None else run()))

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _any

    def _harness_error(self, proxy, request, detail):
        message = f"harness error while validating {request.method} {request.path}: {detail}"
        proxy.journal.add_violation(message)
        self._send(*error_response(None, request, message))

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():  # trailers
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def setup(self):
        super().setup()
        # With the answer in one send (below) and no Nagle, no response waits for
        # cairn's delayed ACK (40 ms a call, half of a plan's time on the emulator).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _send(self, status, headers, body):
        self.send_response_only(status)
        length = str(len(body))
        for key, value in headers:
            if key.lower() not in _HOP_BY_HOP:
                self.send_header(key, value)
            elif key.lower() == "content-length" and self.command == "HEAD":
                length = value  # a HEAD answer announces the GET body's length
        self.send_header("Content-Length", length)
        # Status line, headers and body in one send: end_headers() would flush the
        # headers alone first.
        self._headers_buffer.append(b"\r\n")
        if self.command != "HEAD":
            self._headers_buffer.append(body)
        self.flush_headers()

    def log_message(self, format, *args):
        pass  # the journal is the log; stderr stays readable


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # cairn reads every resource type at once; Python's default backlog of 5 makes the rest
    # of those connections wait a second for a retransmitted SYN.
    request_queue_size = 64


class StrictProxy:
    """Loopback HTTP server validating requests in front of an upstream (moto)."""

    def __init__(self, upstream_port, port=0, validator=None, log_dir=None):
        self.upstream_port = upstream_port
        self.validator = validator or Validator()
        self.journal = Journal(log_dir)
        self.handlers = {}
        self.faults = None  # a faults.Faults, or None
        self._server = _Server(("127.0.0.1", port), _Handler)
        self._server.proxy = self
        self.port = self._server.server_address[1]
        self._thread = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self._thread = threading.Thread(
            target=self._server.serve_forever, name=f"strict-proxy-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self):
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def intercept(self, service, operation, handler):
        """Route valid calls of one operation to handler(Intercepted) first.

        The handler returns (status, headers, body) to answer itself, or None
        to forward to moto as usual; handler=None removes it. This is where
        moto's gaps get filled and delays get injected.
        """
        if handler is None:
            self.handlers.pop((service, operation), None)
        else:
            self.handlers[(service, operation)] = handler

    def forward(self, request):
        """Send a WireRequest to moto unchanged; return (status, headers, body)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.upstream_port, timeout=300)
        try:
            conn.putrequest(request.method, request.target, skip_host=True, skip_accept_encoding=True)
            for key, value in request.headers.items():
                if key.lower() not in _HOP_BY_HOP:
                    conn.putheader(key, value)
            if request.body or request.method in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(request.body)))
            conn.endheaders(request.body or None)
            response = conn.getresponse()
            body = response.read()
            return response.status, response.getheaders(), body
        except OSError as e:
            message = f"harness: moto on port {self.upstream_port} did not answer: {e}"
            self.journal.add_violation(message)
            return 502, [("Content-Type", "text/plain")], message.encode()
        finally:
            conn.close()
