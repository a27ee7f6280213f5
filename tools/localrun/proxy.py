"""The Application Load Balancer, locally: one listener's rules applied by a reverse proxy on a
loopback port, forwarding to the healthy targets of target groups, with the target groups'
health checks.

Rules (Elastic Load Balancing, "Listener rules for your Application Load Balancer"): evaluated
in priority order, lowest first, the default rule last. Conditions supported: path-pattern
(case-sensitive, `*` any run of characters, `?` one character, matched against the path without
the query string) and host-header (case-insensitive, same wildcards). A rule with any other
condition never matches (it is listed by `local-run status`). Actions: forward (one target
group, or the first of ForwardConfig's), fixed-response, redirect.

Targets (ELB, "Health checks for your target groups"): a registered target starts `initial`
and is checked at once, then every second while `initial` (a local start takes a fraction of a
second; ELB waits the interval); its first success makes it `healthy` and
`UnhealthyThresholdCount` consecutive failures `unhealthy`. From then on
`UnhealthyThresholdCount` consecutive failures make it `unhealthy` and `HealthyThresholdCount`
consecutive successes `healthy` again. A check is an HTTP GET of HealthCheckPath on the target's
address and port (or HealthCheckPort) with HealthCheckTimeoutSeconds, every
HealthCheckIntervalSeconds; success is a status in Matcher.HttpCode ("200", "200,202", "200-399"). Requests go round-robin
to healthy targets; when none is healthy the load balancer fails open to every registered
target, as ELB does; a deregistered target (its task stopped or died) never gets a request.
"""
import http.client
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailers", "transfer-encoding", "upgrade"}


def wildcard(pattern, flags=0):
    """ELB's * and ? (nothing else is special) as an anchored regex."""
    out = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(out + r"\Z", flags | re.S)


def matcher_codes(spec):
    """Matcher.HttpCode ("200", "200,202", "200-399") as a predicate on a status."""
    ranges = []
    for part in (spec or "200").split(","):
        lo, _, hi = part.strip().partition("-")
        ranges.append((int(lo), int(hi or lo)))
    return lambda status: any(lo <= status <= hi for lo, hi in ranges)


class Target:
    def __init__(self, ip, port, task_id, alive):
        self.ip, self.port, self.task_id, self.alive = ip, port, task_id, alive
        self.state, self.reason = "initial", "Elb.RegistrationInProgress"
        self.ok_run = self.fail_run = 0
        self.next_check = 0.0
        self.checks = 0


class TargetGroup:
    def __init__(self, desc):
        self.arn = desc["TargetGroupArn"]
        self.name = desc["TargetGroupName"]
        self.update(desc)
        self.targets = {}  # (ip, port) -> Target
        self.rr = 0

    def update(self, desc):
        self.path = desc.get("HealthCheckPath") or "/"
        self.hc_port = desc.get("HealthCheckPort") or "traffic-port"
        self.interval = int(desc.get("HealthCheckIntervalSeconds") or 30)
        self.timeout = int(desc.get("HealthCheckTimeoutSeconds") or 5)
        self.healthy_n = int(desc.get("HealthyThresholdCount") or 5)
        self.unhealthy_n = int(desc.get("UnhealthyThresholdCount") or 2)
        self.ok = matcher_codes((desc.get("Matcher") or {}).get("HttpCode"))
        self.enabled = desc.get("HealthCheckEnabled", True)


class Balancer:
    """Target groups, their targets' health, and the listeners' rules; shared by the proxy
    threads, the health checker and the supervisor."""

    def __init__(self, log=lambda msg: None):
        self.lock = threading.RLock()
        self.groups = {}  # arn -> TargetGroup
        self.listeners = {}  # listener arn -> [rule dicts sorted by priority, default last]
        self.log = log
        self.changed = threading.Event()  # set when a target's health changes

    # -- configuration (from the supervisor) --
    def set_group(self, desc):
        with self.lock:
            g = self.groups.get(desc["TargetGroupArn"])
            if g:
                g.update(desc)
            else:
                self.groups[desc["TargetGroupArn"]] = TargetGroup(desc)

    def set_rules(self, listener_arn, rules):
        def prio(r):
            return (1, 0) if r.get("IsDefault") or r["Priority"] == "default" else \
                (0, int(r["Priority"]))
        with self.lock:
            self.listeners[listener_arn] = sorted(rules, key=prio)

    def register(self, tg_arn, ip, port, task_id, alive=lambda: True):
        """alive() says whether the task's process still runs: a request never goes to a
        task that has exited, even in the instant before the supervisor deregisters it."""
        with self.lock:
            g = self.groups[tg_arn]
            g.targets.setdefault((ip, port), Target(ip, port, task_id, alive))

    def deregister(self, tg_arn, ip, port):
        with self.lock:
            g = self.groups.get(tg_arn)
            if g:
                g.targets.pop((ip, port), None)

    def health(self, tg_arn, ip, port):
        with self.lock:
            g = self.groups.get(tg_arn)
            t = g and g.targets.get((ip, port))
            return t.state if t else None

    def snapshot(self):
        """DescribeTargetHealth's shape, per target group ARN."""
        with self.lock:
            return {arn: [{"Target": {"Id": t.ip, "Port": t.port},
                           "HealthCheckPort": str(t.port if g.hc_port == "traffic-port"
                                                  else g.hc_port),
                           "TargetHealth": {"State": t.state} if t.state == "healthy" else
                           {"State": t.state, "Reason": t.reason}}
                          for t in g.targets.values()]
                    for arn, g in self.groups.items()}

    # -- health checks --
    def check_due(self, now=None):
        now = now or time.monotonic()
        due = []
        with self.lock:
            for g in self.groups.values():
                for t in g.targets.values():
                    if t.next_check <= now:
                        t.next_check = now + (min(1, g.interval) if t.state == "initial"
                                              else g.interval)
                        due.append((g, t))
        for g, t in due:
            threading.Thread(target=self._check, args=(g, t), daemon=True).start()

    def _check(self, g, t):
        port = t.port if g.hc_port == "traffic-port" else int(g.hc_port)
        ok, why = False, "Target.FailedHealthChecks"
        if not g.enabled:
            ok = True
        else:
            try:
                c = http.client.HTTPConnection(t.ip, port, timeout=g.timeout)
                c.request("GET", g.path, headers={"User-Agent": "ELB-HealthChecker/2.0"})
                status = c.getresponse().status
                c.close()
                ok = g.ok(status)
                why = "Target.ResponseCodeMismatch"
            except TimeoutError:
                why = "Target.Timeout"
            except OSError:
                why = "Target.FailedHealthChecks"
        with self.lock:
            t.checks += 1
            before = t.state
            if ok:
                t.ok_run, t.fail_run = t.ok_run + 1, 0
                if t.state == "initial" or t.ok_run >= g.healthy_n:
                    t.state, t.reason = "healthy", None
            else:
                t.fail_run, t.ok_run = t.fail_run + 1, 0
                if t.fail_run >= g.unhealthy_n:
                    t.state, t.reason = "unhealthy", why
            if t.state != before:
                self.log(f"target {t.ip}:{t.port} of {g.name}: {before} -> {t.state}")
                self.changed.set()

    # -- routing --
    def route(self, listener_arn, host, path):
        """The first matching rule's action: ("forward", TargetGroup) or the action dict."""
        with self.lock:
            for r in self.listeners.get(listener_arn, []):
                if self._matches(r, host, path):
                    a = r["Actions"][-1]
                    if a["Type"] == "forward":
                        arn = a.get("TargetGroupArn") or \
                            a["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]
                        return "forward", self.groups.get(arn), a
                    return a["Type"], None, a
        return "fixed-response", None, {"FixedResponseConfig": {"StatusCode": "404"}}

    @staticmethod
    def _matches(rule, host, path):
        for c in rule.get("Conditions", []):
            f = c.get("Field")
            if f == "path-pattern":
                vals = (c.get("PathPatternConfig") or {}).get("Values") or c.get("Values", [])
                if not any(wildcard(v).match(path) for v in vals):
                    return False
            elif f == "host-header":
                vals = (c.get("HostHeaderConfig") or {}).get("Values") or c.get("Values", [])
                h = (host or "").split(":")[0]
                if not any(wildcard(v, re.I).match(h) for v in vals):
                    return False
            else:
                return False
        return True

    def pick(self, g):
        with self.lock:
            ts = [t for t in g.targets.values() if t.alive()]
            healthy = [t for t in ts if t.state == "healthy"] or ts  # ELB fails open
            if not healthy:
                return None
            g.rr = (g.rr + 1) % len(healthy)
            return healthy[g.rr]


def make_handler(balancer, listener_arn, log):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "awselb/2.0"
        sys_version = ""

        def log_message(self, fmt_, *args):
            log("proxy: " + (fmt_ % args))

        def fixed(self, status, body, ctype="text/plain; charset=utf-8", headers=()):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def read_body(self):
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                chunks = []
                while True:  # RFC 9112 7.1: size line, data, CRLF; 0 ends, then trailers
                    size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                            pass
                        return b"".join(chunks)
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else None

        def handle_any(self):
            path = self.path.split("?", 1)[0]
            kind, g, action = balancer.route(listener_arn, self.headers.get("Host"), path)
            body = self.read_body()
            if kind == "fixed-response":
                c = action.get("FixedResponseConfig", {})
                return self.fixed(int(c.get("StatusCode", "404")), c.get("MessageBody", ""),
                                  c.get("ContentType", "text/plain"))
            if kind == "redirect":
                c = action.get("RedirectConfig", {})
                loc = c.get("Path", path).replace("#{path}", path)
                code = 301 if c.get("StatusCode") == "HTTP_301" else 302
                return self.fixed(code, "", headers=(("Location", loc),))
            if kind != "forward" or g is None:
                return self.fixed(502, "502 Bad Gateway")
            t = balancer.pick(g)
            if t is None:
                return self.fixed(503, "503 Service Temporarily Unavailable")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
            peer = self.client_address[0]
            xff = self.headers.get("X-Forwarded-For")
            headers["X-Forwarded-For"] = f"{xff}, {peer}" if xff else peer
            headers["X-Forwarded-Proto"] = "http"
            headers["X-Forwarded-Port"] = str(self.server.server_address[1])
            try:
                c = http.client.HTTPConnection(t.ip, t.port, timeout=60)
                c.request(self.command, self.path, body=body, headers=headers)
                r = c.getresponse()
                data = r.read()
                c.close()
            except OSError:
                return self.fixed(502, "502 Bad Gateway")
            self.send_response(r.status, r.reason)
            for k, v in r.getheaders():
                if k.lower() not in HOP_BY_HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = handle_any

    return Handler


class Proxy:
    """One listener on host:port, served from a daemon thread."""

    def __init__(self, balancer, listener_arn, host="127.0.0.1", port=0, log=lambda m: None):
        self.server = ThreadingHTTPServer((host, port), make_handler(balancer, listener_arn, log))
        self.server.daemon_threads = True
        self.address = self.server.server_address
        self.listener_arn = listener_arn

    def start(self):
        threading.Thread(target=self.server.serve_forever, name="proxy", daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

