"""The local target's load balancer and DNS server on their own, against real HTTP servers and
real UDP queries: listener rule matching (wildcards, numeric priorities, host headers, the
default), health-check transitions with the target group's thresholds and matcher, fail-open,
and DNS answers for valid, unknown and malformed queries.
"""
import http.client
import os
import socket
import struct
import sys
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.join(os.environ["CAIRN_SOURCE_DIR"], "tools"))
from localrun import dns, proxy, tasks  # noqa: E402

LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/x/1/2"


def rule(prio, tg, paths=None, hosts=None):
    conds = []
    if paths:
        conds.append({"Field": "path-pattern", "PathPatternConfig": {"Values": paths}})
    if hosts:
        conds.append({"Field": "host-header", "HostHeaderConfig": {"Values": hosts}})
    return {"Priority": str(prio), "Conditions": conds, "IsDefault": False,
            "Actions": [{"Type": "forward", "TargetGroupArn": tg}]}


DEFAULT = {"Priority": "default", "IsDefault": True, "Conditions": [],
           "Actions": [{"Type": "fixed-response", "FixedResponseConfig": {
               "StatusCode": "404", "MessageBody": "Not found", "ContentType": "text/plain"}}]}


def group(arn, **kw):
    d = {"TargetGroupArn": arn, "TargetGroupName": arn, "HealthCheckPath": "/health",
         "HealthCheckIntervalSeconds": 1, "HealthCheckTimeoutSeconds": 1,
         "HealthyThresholdCount": 2, "UnhealthyThresholdCount": 2,
         "Matcher": {"HttpCode": "200-299"}}
    d.update(kw)
    return d


class Backend:
    """An HTTP server whose health answer the test sets."""

    def __init__(self, name):
        self.status = 200
        self.hits = 0
        me = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                data = b"POST " + body
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                code = me.status if self.path == "/health" else 200
                if self.path != "/health":
                    me.hits += 1
                body = name.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Rules(unittest.TestCase):
    def setUp(self):
        self.b = proxy.Balancer()
        for arn in ("api", "web", "admin"):
            self.b.set_group(group(arn))
        # Given out of order; "100" sorts before "20" as text, not as a priority.
        self.b.set_rules(LISTENER, [DEFAULT, rule(100, "web", ["/*"]),
                                    rule(20, "api", ["/api/*", "/v?/x"]),
                                    rule(5, "admin", ["/admin*"], ["*.example.com"])])

    def target(self, host, path):
        kind, g, action = self.b.route(LISTENER, host, path)
        return g.arn if kind == "forward" else action["FixedResponseConfig"]["StatusCode"]

    def test_priorities_and_wildcards(self):
        self.assertEqual(self.target("h", "/api/metrics"), "api")
        self.assertEqual(self.target("h", "/api/"), "api")
        self.assertEqual(self.target("h", "/api"), "web")  # /api/* needs the slash
        self.assertEqual(self.target("h", "/v1/x"), "api")
        self.assertEqual(self.target("h", "/v12/x"), "web")  # ? is one character
        self.assertEqual(self.target("h", "/API/metrics"), "web")  # paths are case-sensitive
        self.assertEqual(self.target("h", "/"), "web")
        self.assertEqual(self.target("a.EXAMPLE.com:80", "/admin/users"), "admin")
        self.assertEqual(self.target("example.org", "/admin/users"), "web")  # both conditions

    def test_default_rule(self):
        self.b.set_rules(LISTENER, [rule(20, "api", ["/api/*"]), DEFAULT])
        self.assertEqual(self.target("h", "/nothing"), "404")
        self.b.set_rules(LISTENER, [{"Priority": "1", "IsDefault": False, "Actions": [],
                                     "Conditions": [{"Field": "http-header", "Values": []}]},
                                    DEFAULT])
        self.assertEqual(self.target("h", "/"), "404")  # unsupported conditions never match

    def test_matcher(self):
        m = proxy.matcher_codes("200,202,300-302")
        self.assertEqual([s for s in (199, 200, 201, 202, 300, 302, 303) if m(s)],
                         [200, 202, 300, 302])


class Health(unittest.TestCase):
    def wait_state(self, b, tg, srv, want, timeout=8):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            b.check_due()
            if b.health(tg, "127.0.0.1", srv.port) == want:
                return
            time.sleep(0.1)
        self.fail(f"target never became {want}: {b.health(tg, '127.0.0.1', srv.port)}")

    def test_thresholds_fail_open_and_routing(self):
        one, two = Backend("one"), Backend("two")
        self.addCleanup(one.close)
        self.addCleanup(two.close)
        b = proxy.Balancer()
        b.set_group(group("tg"))
        b.set_rules(LISTENER, [rule(1, "tg", ["/*"]), DEFAULT])
        alive = {"one": True, "two": True}
        b.register("tg", "127.0.0.1", one.port, "t1", lambda: alive["one"])
        b.register("tg", "127.0.0.1", two.port, "t2", lambda: alive["two"])
        self.assertEqual(b.health("tg", "127.0.0.1", one.port), "initial")
        self.wait_state(b, "tg", one, "healthy")
        self.wait_state(b, "tg", two, "healthy")
        p = proxy.Proxy(b, LISTENER).start()
        self.addCleanup(p.stop)

        def get(path="/x"):
            c = http.client.HTTPConnection(*p.address, timeout=5)
            try:
                c.request("GET", path)
                r = c.getresponse()
                return r.status, r.read().decode()
            finally:
                c.close()
        self.assertEqual({get()[1] for _ in range(4)}, {"one", "two"})
        c = http.client.HTTPConnection(*p.address, timeout=5)  # a chunked body is forwarded
        c.request("POST", "/x", body=iter([b"ab", b"cd"]), encode_chunked=True)
        self.assertEqual(c.getresponse().read().decode(), "POST abcd")
        c.close()
        one.status = 500  # two failures in a row (threshold 2) take it out
        self.wait_state(b, "tg", one, "unhealthy")
        hits = one.hits
        self.assertEqual({get()[1] for _ in range(6)}, {"two"})
        self.assertEqual(one.hits, hits)
        snap = b.snapshot()["tg"]
        self.assertIn({"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch"},
                      [d["TargetHealth"] for d in snap])
        two.status = 503  # none healthy: the load balancer fails open to every target
        self.wait_state(b, "tg", two, "unhealthy")
        self.assertEqual({get()[1] for _ in range(4)}, {"one", "two"})
        alive["one"] = False  # an exited task never gets a request, even before deregistration
        self.assertEqual({get()[1] for _ in range(4)}, {"two"})
        one.status = two.status = 200
        self.wait_state(b, "tg", two, "healthy")  # HealthyThresholdCount successes
        b.deregister("tg", "127.0.0.1", two.port)
        alive["one"] = False
        self.assertEqual(get()[0], 503)
        self.assertEqual(get("/")[0], 503)


class Images(unittest.TestCase):
    def test_repository_of_an_image(self):
        for image, repo in (("cairn/cairn-tsdb:0.1.0", "cairn/cairn-tsdb"),
                            ("cairn/cairn-dash", "cairn/cairn-dash"),
                            ("cairn/cairn-dash@sha256:" + "0" * 64, "cairn/cairn-dash"),
                            ("123456789012.dkr.ecr.us-east-1.amazonaws.com/cairn/cairn-tsdb:1.2",
                             "cairn/cairn-tsdb"),
                            ("localhost:5000/cairn/cairn-tsdb:1", "cairn/cairn-tsdb"),
                            ("davidshaevel/backend:latest", "davidshaevel/backend"),
                            ("nginx", "nginx")):
            self.assertEqual(tasks.image_repo(image), repo, image)


class Dns(unittest.TestCase):
    def setUp(self):
        self.records = dns.Records()
        self.records.set_service("svc.ns.local", 10, [("abc", "127.0.0.5", 3001),
                                                      ("def", "127.0.0.6", 3001)])
        self.server = dns.DnsServer(self.records).start()
        self.addCleanup(self.server.stop)

    def raw(self, msg):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.settimeout(1)
        try:
            s.sendto(msg, self.server.address)
            return s.recvfrom(4096)[0]
        except socket.timeout:
            return None
        finally:
            s.close()

    def test_answers(self):
        addr = self.server.address
        self.assertEqual(dns.query(addr, "svc.ns.local"), (0, ["127.0.0.5", "127.0.0.6"]))
        self.assertEqual(dns.query(addr, "ABC.svc.ns.local"), (0, ["127.0.0.5"]))
        rcode, srv = dns.query(addr, "svc.ns.local", dns.TYPE_SRV)
        self.assertEqual(srv, [(1, 1, 3001, "abc.svc.ns.local"), (1, 1, 3001, "def.svc.ns.local")])
        self.assertEqual(dns.query(addr, "svc.ns.local", 28), (0, []))  # AAAA: NODATA
        self.assertEqual(dns.query(addr, "other.ns.local"), (3, []))
        self.records.set_service("svc.ns.local", 10, [])
        self.assertEqual(dns.query(addr, "svc.ns.local"), (0, []))

    def test_malformed_queries(self):
        head = struct.pack("!HHHHHH", 7, 0x0100, 1, 0, 0, 0)
        self.assertIsNone(self.raw(b"\x00\x01"))  # too short: dropped
        loop = head + b"\xc0\x0c" + b"\x00\x01\x00\x01"  # a pointer to itself
        self.assertEqual(self.raw(loop)[3] & 0xF, 1)  # FORMERR
        cut = head + b"\x03sv"  # the name runs off the end
        self.assertEqual(self.raw(cut)[3] & 0xF, 1)
        two = struct.pack("!HHHHHH", 8, 0x0100, 2, 0, 0, 0) + dns.encode_name("svc.ns.local") \
            + b"\x00\x01\x00\x01" * 2
        self.assertEqual(self.raw(two)[3] & 0xF, 1)
        response = struct.pack("!HHHHHH", 9, 0x8100, 1, 0, 0, 0) + \
            dns.encode_name("svc.ns.local") + b"\x00\x01\x00\x01"
        self.assertIsNone(self.raw(response))  # never answer a response
        self.assertEqual(dns.query(self.server.address, "svc.ns.local")[0], 0)  # still serving


if __name__ == "__main__":
    unittest.main()
