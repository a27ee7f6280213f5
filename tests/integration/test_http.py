"""The HTTP client (src/core/http.c) against loopback servers, through tests/tools/http_probe.

Each server speaks raw HTTP/1.1 on a socket so the tests control exactly what
goes on the wire: keep-alive, stalls, oversized bodies, dropped connections,
TLS with a throwaway CA, and a forward proxy.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import unittest

from faultserver import read_request  # the loopback servers' one request reader

PROBE = os.path.join(os.environ.get("CAIRN_TEST_TOOLS", ""), "http_probe")


def clean_env(**extra):
    """The environment without any proxy settings, plus extra."""
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy") and k.lower() != "all_proxy"}
    env.update(extra)
    return env


def response(status=200, body=b"ok", headers=()):
    head = "HTTP/1.1 %d X\r\nContent-Length: %d\r\n" % (status, len(body))
    head += "".join("%s\r\n" % h for h in headers)
    return head.encode() + b"\r\n" + body


class Server:
    """A loopback TCP server; handler(server, conn) serves each connection in a thread.

    Records every request it reads through self.read() with the connection's number."""

    def __init__(self, handler, tls=None):
        self.handler = handler
        self.tls = tls
        self.connections = 0
        self.requests = []  # (connection number, method, target, headers, body)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.url = "%s://127.0.0.1:%d" % ("https" if tls else "http", self.port)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
                number = self.connections
            threading.Thread(target=self._serve, args=(conn, number), daemon=True).start()

    def _serve(self, conn, number):
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            self.handler(self, _Conn(conn, number))
        except (OSError, ssl.SSLError):
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def close(self):
        self.stop.set()
        self.sock.close()


class _Conn:
    """A connection that knows its number, so requests can be told apart by connection."""

    def __init__(self, sock, number):
        self.sock = sock
        self.number = number

    def read(self, server):
        req = read_request(self.sock)
        if req is not None:
            with server.lock:
                server.requests.append((self.number,) + req)
        return req

    def send(self, data):
        self.sock.sendall(data)


def serve_ok(server, conn):
    """Keep-alive: answer every request on the connection."""
    while conn.read(server):
        conn.send(response(200, b"ok", ["X-Padded:    value with spaces   ", "X-UPPER: v",
                                        "X-Folded: first", "\t second"]))


def probe(*args, env=None, timeout=60):
    """Runs http_probe; returns (list of result objects, stderr, seconds taken)."""
    t0 = time.monotonic()
    p = subprocess.run([PROBE] + list(args), capture_output=True, text=True,
                       env=env if env is not None else clean_env(), timeout=timeout)
    took = time.monotonic() - t0
    if p.returncode != 0:
        raise AssertionError("http_probe exited %d: %s" % (p.returncode, p.stderr))
    return [json.loads(line) for line in p.stdout.splitlines()], p.stderr, took


class HttpTest(unittest.TestCase):
    def setUp(self):
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            s.close()

    def server(self, handler, tls=None):
        s = Server(handler, tls)
        self.servers.append(s)
        return s

    def test_connection_is_reused(self):
        s = self.server(serve_ok)
        out, _, _ = probe(s.url + "/a", s.url + "/b", s.url + "/c")
        self.assertEqual([r["result"] for r in out], ["ok"] * 3)
        self.assertEqual([r["status"] for r in out], [200] * 3)
        self.assertEqual([r[2] for r in s.requests], ["/a", "/b", "/c"])
        self.assertEqual(s.connections, 1, "three requests should share one TCP connection")
        self.assertEqual({r[0] for r in s.requests}, {1})

    def test_stale_keepalive_connection_is_replaced(self):
        # The server answers one request per connection but never says
        # "Connection: close"; libcurl must notice the dead connection and
        # send again on a new one, without an error reaching the caller.
        def once(server, conn):
            if conn.read(server):
                conn.send(response(200, b"ok"))
            conn.read(server)

        s = self.server(once)
        out, _, _ = probe(s.url + "/a", s.url + "/b")
        self.assertEqual([r["result"] for r in out], ["ok", "ok"])
        self.assertEqual(s.connections, 2)

    def test_response_headers_are_lowercased_and_trimmed(self):
        s = self.server(serve_ok)
        out, _, _ = probe("--show-body", s.url + "/")
        self.assertEqual(out[0]["headers"]["x-padded"], "value with spaces")
        self.assertEqual(out[0]["headers"]["x-upper"], "v")
        self.assertEqual(out[0]["headers"]["x-folded"], "first second")
        self.assertEqual(out[0]["headers"]["content-length"], "2")
        self.assertEqual(out[0]["body"], "ok")

    def test_request_headers_no_expect_no_accept(self):
        s = self.server(serve_ok)
        # 2 MB would make libcurl send "Expect: 100-continue" on its own.
        out, _, _ = probe("-X", "POST", "--data-size", "2000000",
                          "-H", "Content-Type: application/x-amz-json-1.1",
                          "-H", "X-Amz-Target: Test.Op", s.url + "/")
        self.assertEqual(out[0]["result"], "ok")
        _, method, target, headers, body = s.requests[0]
        self.assertEqual(method, "POST")
        self.assertNotIn("expect", headers)
        self.assertNotIn("accept", headers)
        self.assertNotIn("accept-encoding", headers)
        self.assertTrue(headers["user-agent"].startswith("cairn/"), headers)
        self.assertEqual(headers["content-type"], "application/x-amz-json-1.1")
        self.assertEqual(headers["x-amz-target"], "Test.Op")
        self.assertEqual(headers["content-length"], "2000000")
        self.assertEqual(len(body), 2000000)

    def test_methods_and_caller_accept(self):
        s = self.server(serve_ok)
        probe("-X", "DELETE", s.url + "/d")
        probe("-X", "PUT", "-d", '{"a":1}', "-H", "Content-Type: application/json", s.url + "/p")
        probe("-H", "Accept: application/json", s.url + "/g")
        reqs = {r[2]: r for r in s.requests}
        self.assertEqual(reqs["/d"][1], "DELETE")
        self.assertEqual(reqs["/d"][4], b"")
        self.assertEqual(reqs["/p"][1], "PUT")
        self.assertEqual(reqs["/p"][4], b'{"a":1}')
        self.assertEqual(reqs["/g"][1], "GET")
        self.assertEqual(reqs["/g"][3]["accept"], "application/json")

    def test_malformed_requests_are_refused(self):
        s = self.server(serve_ok)
        out, _, _ = probe("-H", "X-Bad: a\r\nInjected: b", s.url + "/?q=1")
        self.assertEqual(out[0]["result"], "other")
        self.assertIn("header 'X-Bad' is malformed", out[0]["error"])
        self.assertNotIn("q=1", out[0]["error"])
        out, _, _ = probe("-X", "GET / HTTP/1.1\r\nX:", s.url + "/")
        self.assertEqual(out[0]["result"], "other")
        self.assertEqual(s.connections, 0)

    def test_total_timeout(self):
        def stall(server, conn):
            conn.read(server)
            server.stop.wait(30)

        s = self.server(stall)
        out, _, took = probe("--timeout", "1000", s.url + "/stall?X-Amz-Signature=SIGVALUE")
        r = out[0]
        self.assertEqual(r["result"], "timeout")
        self.assertEqual(r["status"], 0)
        self.assertGreaterEqual(r["ms"], 900)
        self.assertLess(took, 8)
        # The message names the URL, without its query string, and curl's reason.
        self.assertIn("GET http://127.0.0.1:%d/stall:" % s.port, r["error"])
        self.assertIn("timed out", r["error"])
        self.assertNotIn("SIGVALUE", r["error"])

    def test_connection_refused(self):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.close()
        out, _, _ = probe("http://127.0.0.1:%d/" % port)
        self.assertEqual(out[0]["result"], "connect")
        self.assertIn("127.0.0.1", out[0]["error"])

    def test_body_cap(self):
        big = b"x" * 2000000

        def sized(server, conn):
            while True:
                req = conn.read(server)
                if not req:
                    return
                if req[1] == "/big":
                    conn.send(response(200, big))
                elif req[1] == "/exact":
                    conn.send(response(200, b"y" * 1000))
                else:  # chunked: no Content-Length to refuse early
                    conn.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
                    for i in range(0, len(big), 65536):
                        piece = big[i:i + 65536]
                        conn.send(b"%x\r\n%s\r\n" % (len(piece), piece))
                    conn.send(b"0\r\n\r\n")

        s = self.server(sized)
        out, _, _ = probe("--max-body", "1000", s.url + "/big", s.url + "/chunked",
                          s.url + "/exact")
        self.assertEqual(out[0]["result"], "too_large", out[0])
        self.assertIn("1000", out[0]["error"])
        self.assertEqual(out[1]["result"], "too_large", out[1])
        # The client is still usable, and exactly max_body bytes is fine.
        self.assertEqual(out[2]["result"], "ok")
        self.assertEqual(out[2]["body_len"], 1000)

    def test_dropped_connections(self):
        def drop(server, conn):
            req = conn.read(server)
            if req[1] == "/reset":  # RST instead of FIN
                conn.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            elif req[1] == "/partial":
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b")
            elif req[1] == "/headers":
                conn.send(b"HTTP/1.1 200 OK\r\nContent-Le")

        s = self.server(drop)
        out, _, _ = probe(s.url + "/close", s.url + "/reset", s.url + "/partial",
                          s.url + "/headers")
        for r in out:
            self.assertEqual(r["result"], "network", r)
            self.assertIn("http://127.0.0.1:%d/" % s.port, r["error"])
            self.assertEqual(r["status"], 0)

    def test_debug_log_is_redacted(self):
        xml = (b"<AssumeRoleWithWebIdentityResponse><AssumeRoleWithWebIdentityResult><Credentials>"
               b"<SessionToken>SESSIONTOKENVALUE2</SessionToken>"
               b"<SecretAccessKey>SECRETKEYVALUE</SecretAccessKey>"
               b"<AccessKeyId>ASIAVISIBLE</AccessKeyId></Credentials>"
               b"</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>")

        def answer(server, conn):
            while conn.read(server):
                conn.send(response(200, xml, ["Content-Type: text/xml",
                                              "Set-Cookie: s=COOKIEVALUE"]))

        s = self.server(answer)
        secrets = ["SIGNATUREVALUE", "SESSIONTOKENVALUE", "JWTVALUE", "SECRETKEYVALUE",
                   "COOKIEVALUE", "QUERYSIG"]
        args = ["-X", "POST",
                "-H", "Authorization: AWS4-HMAC-SHA256 Credential=AKID/x, Signature=SIGNATUREVALUE",
                "-H", "X-Amz-Security-Token: SESSIONTOKENVALUE",
                "-H", "Content-Type: application/x-www-form-urlencoded; charset=utf-8",
                "-H", "X-Amz-Date: 20240101T000000Z",
                "-d", "Action=AssumeRoleWithWebIdentity&WebIdentityToken=JWTVALUE&Version=2011-06-15",
                s.url + "/?X-Amz-Signature=QUERYSIG&keep=1"]
        _, err, _ = probe("--log", "trace", *args)
        for secret in secrets:
            self.assertNotIn(secret, err)
        self.assertIn("POST http://127.0.0.1:%d/?X-Amz-Signature=(redacted)&keep=1 -> 200"
                      % s.port, err)
        self.assertIn("> Authorization: (redacted)", err)
        self.assertIn("> X-Amz-Security-Token: (redacted)", err)
        self.assertIn("> X-Amz-Date: 20240101T000000Z", err)
        self.assertIn("WebIdentityToken=(redacted)&Version=2011-06-15", err)
        self.assertIn("< set-cookie: (redacted)", err)
        self.assertIn("<SecretAccessKey>(redacted)</SecretAccessKey>", err)
        self.assertIn("<AccessKeyId>ASIAVISIBLE</AccessKeyId>", err)
        # The server did get the real values: the log is what is redacted.
        self.assertIn("SESSIONTOKENVALUE", s.requests[0][3]["x-amz-security-token"])

        _, err, _ = probe("--log", "debug", *args)
        self.assertIn("> Authorization: (redacted)", err)
        self.assertNotIn("body", err)  # bodies only at trace
        _, err, _ = probe(*args)
        self.assertEqual(err, "")


class TlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not shutil.which("openssl"):
            raise unittest.SkipTest("no openssl command")
        cls.dir = tempfile.mkdtemp(prefix="cairn-tls-")
        for name, san in (("good", "IP:127.0.0.1"), ("wrong", "DNS:wrong.example")):
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                 "-subj", "/CN=cairn-test-" + name, "-addext", "subjectAltName=" + san,
                 "-keyout", os.path.join(cls.dir, name + ".key"),
                 "-out", os.path.join(cls.dir, name + ".pem")],
                check=True, capture_output=True)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir)

    def serve(self, name):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(self.dir, name + ".pem"),
                            os.path.join(self.dir, name + ".key"))
        s = Server(serve_ok, tls=ctx)
        self.addCleanup(s.close)
        return s

    def test_trusted_certificate(self):
        s = self.serve("good")
        out, _, _ = probe("--cacert", os.path.join(self.dir, "good.pem"), s.url + "/", s.url + "/")
        self.assertEqual([r["result"] for r in out], ["ok", "ok"])
        self.assertEqual(s.connections, 1)

    def test_unknown_issuer_is_refused(self):
        s = self.serve("good")
        out, _, _ = probe(s.url + "/")
        self.assertEqual(out[0]["result"], "tls", out[0])
        self.assertEqual(s.requests, [])

    def test_wrong_host_name_is_refused(self):
        s = self.serve("wrong")
        out, _, _ = probe("--cacert", os.path.join(self.dir, "wrong.pem"), s.url + "/")
        self.assertEqual(out[0]["result"], "tls", out[0])
        self.assertEqual(s.requests, [])


class ProxyTest(unittest.TestCase):
    """libcurl reads the proxy variables itself; cairn must not get in its way."""

    def setUp(self):
        def proxy(server, conn):
            req = conn.read(server)
            if req and req[0] == "CONNECT":
                conn.send(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            elif req:
                conn.send(response(200, b"via proxy"))

        self.proxy = Server(proxy)
        self.direct = Server(serve_ok)
        self.addCleanup(self.proxy.close)
        self.addCleanup(self.direct.close)

    def test_http_proxy(self):
        env = clean_env(http_proxy=self.proxy.url)
        out, _, _ = probe("--show-body", "http://cairn-proxy-test.invalid/path?x=1", env=env)
        self.assertEqual(out[0]["result"], "ok", out[0])
        self.assertEqual(out[0]["body"], "via proxy")
        self.assertEqual(len(self.proxy.requests), 1)
        _, method, target, headers, _ = self.proxy.requests[0]
        self.assertEqual((method, target), ("GET", "http://cairn-proxy-test.invalid/path?x=1"))
        self.assertEqual(headers["host"], "cairn-proxy-test.invalid")

    def test_https_proxy_both_spellings(self):
        for var in ("https_proxy", "HTTPS_PROXY"):
            with self.subTest(var=var):
                self.proxy.requests.clear()
                env = clean_env(**{var: self.proxy.url})
                out, _, _ = probe("https://cairn-proxy-test.invalid/", env=env)
                self.assertNotEqual(out[0]["result"], "ok")
                self.assertEqual(len(self.proxy.requests), 1)
                _, method, target, _, _ = self.proxy.requests[0]
                self.assertEqual((method, target), ("CONNECT", "cairn-proxy-test.invalid:443"))

    def test_no_proxy(self):
        for var in ("no_proxy", "NO_PROXY"):
            with self.subTest(var=var):
                env = clean_env(http_proxy=self.proxy.url, **{var: "127.0.0.1"})
                out, _, _ = probe(self.direct.url + "/direct", env=env)
                self.assertEqual(out[0]["result"], "ok")
                self.assertEqual(self.proxy.requests, [])
        self.assertEqual([r[2] for r in self.direct.requests], ["/direct", "/direct"])


if __name__ == "__main__":
    unittest.main()
