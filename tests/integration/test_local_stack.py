"""The README's main job for real: `tools/local-up` applies the seed stack
(stacks/dev-davidshaevel.yaml) to the emulator and runs it with tools/local-run: backend x2 and
frontend x2 (fixture exporters), cairn-tsdb as Prometheus and cairn-dash as Grafana, found
through the local Cloud Map DNS and reached through the load balancer's reverse proxy. Checked
through that proxy, as a user would: Grafana's health, the admin password from Secrets Manager
logging in, the provisioned "Application Overview" rendered by headless Chromium with data in
every panel (the screenshot is kept under $CAIRN_LOCAL_SCREENSHOTS, default
build/local-stack/ next to this test's binaries), and `up` = 1 for every scrape target. Then a
killed backend task: `up` 0 for it within a scrape interval, the task replaced, `up` 1 again.

The scrape interval is 2 s (--param scrape_interval=2s) to keep the wall time short. The tests
share one run and go in name order.
"""
import base64
import http.client
import http.server
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
LOCAL_UP = os.path.join(SOURCE, "tools", "local-up")
BUILD = os.path.dirname(os.environ["CAIRN_BIN"])
SHOTS = os.environ.get("CAIRN_LOCAL_SCREENSHOTS") or os.path.join(BUILD, "local-stack")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
STACK = "dev-davidshaevel"
INTERVAL = 2  # seconds, the scrape interval the stack is applied with


def panels_of(dom):
    """The page's rendering report (as test_dash_ui reads it): the body's data-* attributes
    and each panel's."""
    body = re.search(r"<body([^>]*)>", dom).group(1)
    attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', body))
    panels = [dict(re.findall(r'data-([\w-]+)="([^"]*)"', m.group(1)))
              for m in re.finditer(r'<div class="panel[^"]*"([^>]*)>', dom)]
    return attrs, panels


def request(base, method, path, body=None, headers=None, timeout=10):
    u = urllib.parse.urlsplit(base)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
    try:
        c.request(method, path, body=body, headers=headers or {})
        r = c.getresponse()
        return r.status, r.getheaders(), r.read().decode()
    finally:
        c.close()


class AuthProxy:
    """A loopback forward proxy for Chromium that adds the admin's basic auth to every
    request, since headless Chromium cannot fill in the login form; cairn-dash, as Grafana,
    accepts basic auth on every path."""

    def __init__(self, user, password):
        auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self.hits = 0
        self.refused = set()  # hosts not on loopback that were asked for
        me = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def relay(self):
                u = urllib.parse.urlsplit(self.path)
                if not (u.hostname or "").startswith("127."):  # Chromium's own, or a leak
                    me.refused.add(u.hostname)
                    self.send_error(502)
                    return
                me.hits += 1
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else None
                headers = {k: v for k, v in self.headers.items()
                           if k.lower() not in ("proxy-connection", "connection", "host")}
                headers["Authorization"] = auth
                headers["Host"] = u.netloc
                c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=30)
                try:
                    c.request(self.command, u.path + ("?" + u.query if u.query else ""),
                              body=body, headers=headers)
                    r = c.getresponse()
                    data = r.read()
                    self.send_response(r.status)
                    for k, v in r.getheaders():
                        if k.lower() not in ("transfer-encoding", "connection",
                                             "content-length"):
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                finally:
                    c.close()
            do_GET = do_POST = do_HEAD = relay

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class LocalStack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.t0 = time.monotonic()
        cls.state = tempfile.mkdtemp(prefix="cairn-local-stack-")
        cls.addClassCleanup(shutil.rmtree, cls.state, True)
        # Loopback addresses of our own, so that parallel runs do not meet.
        cls.prefix = f"127.{random.randint(100, 250)}.{os.getpid() % 250}"
        cls.env = dict(os.environ, CAIRN=os.environ["CAIRN_BIN"], CAIRN_LOCAL_DIR=cls.state)
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            cls.env.pop(k, None)
        cls.addClassCleanup(subprocess.run, [LOCAL_UP, "--down"], env=cls.env,
                            capture_output=True, timeout=120)
        cls.started = subprocess.run([LOCAL_UP, "--prefix", cls.prefix, "--param",
                                 f"scrape_interval={INTERVAL}s"], env=cls.env,
                                capture_output=True, text=True, timeout=300,
                                stdin=subprocess.DEVNULL)
        cls.up_seconds = time.monotonic() - cls.t0
        assert cls.started.returncode == 0, cls.started.stdout[-3000:] + cls.started.stderr[-3000:]
        with open(os.path.join(cls.state, "proxy")) as f:
            cls.base = f.read().split()[0]
        with open(os.path.join(cls.state, "emulator", "env")) as f:
            for line in f:
                if line.startswith("export "):
                    k, v = line[7:].strip().split("=", 1)
                    cls.env[k] = v.strip("'\"")
        import boto3
        sm = boto3.client("secretsmanager", endpoint_url=cls.env["AWS_ENDPOINT_URL"],
                          region_name="us-east-1", aws_access_key_id=cls.env[
                              "AWS_ACCESS_KEY_ID"],
                          aws_secret_access_key=cls.env["AWS_SECRET_ACCESS_KEY"])
        arn = [s["ARN"] for s in sm.list_secrets()["SecretList"]
               if s.get("Description", "").startswith("Admin password of Grafana")][0]
        cls.password = sm.get_secret_value(SecretId=arn)["SecretString"]

    def get(self, path, **kw):
        return request(self.base, "GET", path, **kw)

    def status(self):
        with open(os.path.join(self.state, "state.json")) as f:
            return json.load(f)

    def tasks(self, service):
        return [t for t in self.status()["tasks"] if t["service"] == f"{STACK}-{service}"]

    def query(self, q):
        st, _, body = self.get("/prometheus/api/v1/query?" + urllib.parse.urlencode({"query": q}))
        self.assertEqual(st, 200, body)
        return json.loads(body)["data"]["result"]

    def up(self):
        return {(r["metric"]["job"], r["metric"]["instance"]): r["value"][1]
                for r in self.query("up")}

    def wait_for(self, what, predicate, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = predicate()
            if got:
                return got
            time.sleep(0.5)
        self.fail(f"timed out waiting for {what}")

    def expected_up(self):
        want = {("prometheus", t["address"] + ":9090") for t in self.tasks("prometheus")}
        for job, port in (("backend", 3001), ("frontend", 3000)):
            want |= {(job, f"{t['address']}:{port}") for t in self.tasks(job)}
        return want

    # ------------------------------------------------------------------------------------------
    def test_a_main_command_ends_with_the_urls(self):
        out = self.started.stdout
        self.assertIn("Apply complete: 65 created", out)
        self.assertIn("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete", out)
        tail = out[out.index("The stack runs at"):]
        self.assertIn(f"{self.base}/prometheus/ -> {STACK}-prometheus", tail)
        self.assertIn(f"{self.base}/grafana/ -> {STACK}-grafana", tail)
        self.assertIn("tools/local-up --down", out.splitlines()[-1])
        # cairn status, run by local-up: every target group's targets healthy.
        health = out[out.index("== cairn status"):out.index("The stack runs at")]
        for tg in ("prometheus", "grafana"):  # the seed's load-balanced services
            self.assertRegex(health, r"\n  ok %s\S*: (\d) of \1 healthy\n" % tg)
        self.assertNotIn("!!", health)
        self.assertNotIn(self.password, out + self.started.stderr)
        st = self.status()
        self.assertEqual({n: (s["running"], s["desired"]) for n, s in st["services"].items()},
                         {f"{STACK}-backend": (2, 2), f"{STACK}-frontend": (2, 2),
                          f"{STACK}-prometheus": (1, 1), f"{STACK}-grafana": (1, 1)})
        print(f"\nlocal-up: {self.up_seconds:.1f}s to a running stack", file=sys.stderr)

    def test_b_grafana_health_through_the_load_balancer(self):
        st, headers, body = self.get("/grafana/api/health")
        self.assertEqual(st, 200, body)
        self.assertEqual(json.loads(body)["database"], "ok")
        # Prometheus under its route prefix, as the target group's health check asks it.
        self.assertEqual(self.get("/prometheus/-/healthy")[0], 200)
        self.assertEqual(self.get("/nothing")[0], 404)  # the listener's default action

    def test_c_admin_password_from_secrets_manager_logs_in(self):
        self.assertGreaterEqual(len(self.password), 32)
        st, headers, body = request(self.base, "POST", "/grafana/login", json.dumps(
            {"user": "admin", "password": self.password}),
            {"Content-Type": "application/json"})
        self.assertEqual(st, 200, body)
        cookie = [v.split(";")[0] for k, v in headers if k.lower() == "set-cookie"
                  and v.startswith("grafana_session=")]
        self.assertTrue(cookie, headers)
        st, _, body = self.get("/grafana/api/user", headers={"Cookie": cookie[0]})
        self.assertEqual((st, json.loads(body)["login"]), (200, "admin"), body)
        basic = "Basic " + base64.b64encode(f"admin:{self.password}".encode()).decode()
        st, _, body = self.get("/grafana/api/user", headers={"Authorization": basic})
        self.assertEqual((st, json.loads(body)["isGrafanaAdmin"]), (200, True), body)
        wrong = "Basic " + base64.b64encode(b"admin:admin").decode()
        self.assertEqual(self.get("/grafana/api/user", headers={"Authorization": wrong})[0], 401)

    def test_d_every_target_up_through_cloud_map(self):
        want = self.expected_up()
        self.assertEqual(len(want), 5, want)
        # dns_sd_configs re-resolve every 30 s (refresh_interval's default): the first lookup
        # may come before the apps' tasks are healthy and registered.
        got = self.wait_for("up = 1 for backend x2, frontend x2 and prometheus", lambda: (
            lambda u: u if {k for k, v in u.items() if v == "1"} == want else None)(self.up()),
            timeout=60)
        self.assertEqual(set(got), want)
        by_job = {}
        for job, _ in got:
            by_job[job] = by_job.get(job, 0) + 1
        self.assertEqual(by_job, {"backend": 2, "frontend": 2, "prometheus": 1})

    def test_e_application_overview_renders_with_data(self):
        # Rates need a few scrapes: wait until every backend and frontend has 10 samples.
        self.wait_for("10 scrapes of every app", lambda: len(
            [r for r in self.query('count_over_time(up{job=~"backend|frontend"}[1m]) >= 10')])
            == 4, timeout=60)
        st, _, body = self.get("/grafana/api/search?query=Application%20Overview",
                               headers={"Authorization": "Basic " + base64.b64encode(
                                   f"admin:{self.password}".encode()).decode()})
        self.assertEqual(st, 200, body)
        dash = [d for d in json.loads(body) if d["title"] == "Application Overview"]
        self.assertEqual(len(dash), 1, body)
        proxy = AuthProxy("admin", self.password)
        self.addCleanup(proxy.stop)
        os.makedirs(SHOTS, exist_ok=True)
        shot = os.path.join(SHOTS, "application-overview.png")
        prof = tempfile.mkdtemp(prefix="local-chromium-")
        self.addCleanup(shutil.rmtree, prof, True)
        url = f"{self.base}/grafana/d/{dash[0]['uid']}/x?from=now-2m&to=now"
        r = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--user-data-dir=" + prof, "--window-size=1600,2400",
             "--proxy-server=" + proxy.url, "--proxy-bypass-list=<-loopback>",
             "--virtual-time-budget=20000", "--dump-dom", "--screenshot=" + shot, url],
            capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr[-2000:])
        self.assertGreater(proxy.hits, 0, "Chromium did not go through the auth proxy")
        if proxy.refused:
            print(f"\nnot loopback, refused: {sorted(proxy.refused)}", file=sys.stderr)
        attrs, panels = panels_of(r.stdout)
        self.assertIn("render-ms", attrs, "the page did not finish rendering: " +
                      r.stdout[:2000])
        self.assertNotIn("console-errors", attrs)
        self.assertEqual(int(attrs["done"]), int(attrs["panels"]))
        self.assertEqual(len(panels), 11)
        for p in panels:
            self.assertEqual(p["state"], "drawn", "panel %s (%s)" % (p["id"], p["type"]))
            if p["type"] not in ("text", "table"):
                self.assertGreater(int(p["pixels"]), 50,
                                   "panel %s (%s) drew no series" % (p["id"], p["type"]))
        self.assertGreater(os.path.getsize(shot), 10000)

    def test_f_killed_backend_task_goes_down_and_comes_back(self):
        want = self.expected_up()
        self.wait_for("every target up", lambda: {k for k, v in self.up().items()
                                                  if v == "1"} == want)
        victim = self.tasks("backend")[0]
        instance = f"{victim['address']}:3001"
        restarts = self.status()["restarts"]
        killed = time.time()
        os.kill(victim["pid"], signal.SIGKILL)
        # Within one scrape interval (plus the time a query takes), the instance's up is 0.
        deadline = time.monotonic() + INTERVAL + 1.5
        zero_at = None
        while time.monotonic() < deadline and zero_at is None:
            if self.up().get(("backend", instance)) == "0":
                zero_at = time.time() - killed
            time.sleep(0.1)
        self.assertIsNotNone(zero_at, f"up{{instance={instance!r}}} still 1 "
                             f"{INTERVAL + 1.5}s after the kill")
        # Replaced (ECS-like, after local-run's restart delay), registered in Cloud Map again.
        st = self.wait_for("a replacement backend task", lambda: (
            lambda s: s if s["restarts"] > restarts and len(
                [t for t in s["tasks"] if t["service"] == f"{STACK}-backend" and t["healthy"]
                 and t["cloud_map"]]) == 2 else None)(self.status()), timeout=30)
        backend = [t for t in st["tasks"] if t["service"] == f"{STACK}-backend"]
        self.assertNotIn(victim["id"], [t["id"] for t in backend])
        back = {f"{t['address']}:3001" for t in backend}
        self.wait_for("up = 1 for both backend tasks again", lambda: all(
            self.up().get(("backend", i)) == "1" for i in back), timeout=45)
        print(f"\nkilled backend task: up 0 after {zero_at:.1f}s, 1 again after "
              f"{time.time() - killed:.1f}s (scrape interval {INTERVAL}s)", file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
