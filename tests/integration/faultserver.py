"""A loopback STS endpoint that answers POST / from a script of faults.

Each request gets the next answer of the script and its arrival time is kept,
so a test can count attempts and measure the backoff between them:

    with FaultServer(["throttle", "drop", "ok"]) as s:
        run cairn with AWS_ENDPOINT_URL=s.url
        s.attempts  ->  [Attempt(time, method, path, headers, body), ...]
        s.gaps()    ->  seconds between consecutive attempts

Answers: "throttle" (400 Throttling), "internal" (500 InternalFailure),
"unavailable" (bare 503 with a text body, as a load balancer sends), "drop"
(close the socket without answering), "ok" (GetCallerIdentity result),
"denied" (403 AccessDenied). Past the end of the script every request gets
500 "script exhausted", so extra attempts show up as failures.

Every connection serves one request and closes. A kept-alive connection that
drops would be sent again by libcurl itself (it resends once on a fresh
connection when a reused one dies without a byte), and then the server would
count an attempt cairn never made.
"""
import collections
import socket
import threading
import time

ACCOUNT = "123456789012"
ARN = "arn:aws:iam::123456789012:user/test"
USER_ID = "AIDACKCEVSQ6C2EXAMPLE"

Attempt = collections.namedtuple("Attempt", "time method path headers body")


def _error_xml(kind, code, message):
    return ("<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
            "<Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>"
            "<RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>"
            % (kind, code, message)).encode()


OK_XML = ("<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
          "<GetCallerIdentityResult><Arn>%s</Arn><UserId>%s</UserId><Account>%s</Account>"
          "</GetCallerIdentityResult><ResponseMetadata>"
          "<RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId>"
          "</ResponseMetadata></GetCallerIdentityResponse>" % (ARN, USER_ID, ACCOUNT)).encode()

ANSWERS = {
    "throttle": (400, "text/xml", _error_xml("Sender", "Throttling", "Rate exceeded")),
    "internal": (500, "text/xml", _error_xml("Receiver", "InternalFailure",
                                             "An internal error occurred")),
    "unavailable": (503, "text/plain", b"Service Unavailable"),
    "ok": (200, "text/xml", OK_XML),
    "denied": (403, "text/xml", _error_xml(
        "Sender", "AccessDenied",
        "User: arn:aws:iam::123456789012:user/test is not authorized to perform: "
        "sts:GetCallerIdentity")),
    "exhausted": (500, "text/plain", b"script exhausted"),
}
REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error",
           503: "Service Unavailable"}


def read_request(conn):
    """One request from conn: (method, target, headers, body), or None at EOF."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    want = int(headers.get("content-length", "0"))
    while len(body) < want:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return method, path, headers, body


class FaultServer:
    def __init__(self, script):
        for answer in script:
            if answer != "drop" and answer not in ANSWERS:
                raise ValueError("unknown answer %r" % answer)
        self.script = list(script)
        self.attempts = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(16)
        self.port = self._sock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        self._sock.close()

    def gaps(self):
        """Seconds between consecutive attempts: gaps()[i-1] precedes retry i."""
        times = [a.time for a in self.attempts]
        return [b - a for a, b in zip(times, times[1:])]

    def _accept(self):
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn):
        try:
            req = read_request(conn)
            if req is None:
                return
            with self._lock:
                self.attempts.append(Attempt(time.monotonic(), *req))
                answer = self.script.pop(0) if self.script else "exhausted"
            if answer == "drop":
                return
            status, ctype, body = ANSWERS[answer]
            conn.sendall(("HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n"
                          "x-amzn-RequestId: c6104cbe-af31-11e0-8154-cbc7ccf896c7\r\n"
                          "Connection: close\r\n\r\n"
                          % (status, REASONS[status], ctype, len(body))).encode() + body)
        except OSError:
            pass
        finally:
            conn.close()
