"""The local target (tools/local-run) against the emulator: tests/stacks/good/local.yaml is
applied with cairn, then run for real: backend x2 and frontend x2 fixture exporters on their own
loopback addresses, Cloud Map instances and DNS answers, the load balancer's rules, health and
routing, a killed task restarted, a rolling update, EFS directories with the access points'
owners, the secret in the environment and nowhere on disk, and stop.

The tests share one run of the stack and go in name order (test_a_... to test_z_...).
"""
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import cairnharness
from cairnharness import efsdata

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
STACK = os.path.join(SOURCE, "tests", "stacks", "good", "local.yaml")
LOCAL_RUN = os.path.join(SOURCE, "tools", "local-run")
sys.path.insert(0, os.path.join(SOURCE, "tools"))
from localrun import dns  # noqa: E402


def http_get(addr, path, timeout=5):
    host, port = addr
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, dict(r.getheaders()), r.read().decode()
    finally:
        c.close()


class LocalRun(cairnharness.CairnTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.state = tempfile.mkdtemp(prefix="cairn-local-")
        cls.addClassCleanup(shutil.rmtree, cls.state, True)
        efsdata.set_data_dir(cls.emu, cls.state)  # as tools/local-up: one directory for both
        cls.addClassCleanup(efsdata.set_data_dir, cls.emu, None)
        # Loopback addresses of our own, so that parallel runs do not meet.
        cls.prefix = f"127.{random.randint(100, 250)}.{os.getpid() % 250}"
        cls.env = cls.emu.env()
        cls.missing = os.path.join(cls.state, "no-cairn-tsdb")
        cls.env["CAIRN_TSDB_BIN"] = cls.missing
        up = subprocess.run([os.environ["CAIRN_BIN"], "up", "--yes", STACK, "--template-dir",
                             os.path.join(SOURCE, "templates")], env=cls.env,
                            capture_output=True, text=True, timeout=300)
        assert up.returncode == 0, up.stdout + up.stderr
        cls.addClassCleanup(cls.local_run, "stop")
        cls.started = cls.local_run("start", STACK, "--prefix", cls.prefix, "--refresh", "2",
                                    "--timeout", "60")
        # 4: every service runs but one, whose daemon is missing.
        assert cls.started.returncode == 4, cls.started.stdout + cls.started.stderr

    @classmethod
    def local_run(cls, *args, timeout=120):
        return subprocess.run([LOCAL_RUN, "--state-dir", cls.state, *args], env=cls.env,
                              capture_output=True, text=True, timeout=timeout)

    def status(self):
        with open(os.path.join(self.state, "state.json")) as f:
            return json.load(f)

    def tasks(self, service):
        return [t for t in self.status()["tasks"] if t["service"] == f"local-test-{service}"]

    def proxy(self):
        with open(os.path.join(self.state, "proxy")) as f:
            host, port = f.read().split()[0].removeprefix("http://").split(":")
        return host, int(port)

    def dns_server(self):
        with open(os.path.join(self.state, "dns")) as f:
            host, port = f.read().strip().split(":")
        return host, int(port)

    def wait_for(self, what, predicate, timeout=20):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = predicate()
            if got:
                return got
            time.sleep(0.2)
        self.fail(f"timed out waiting for {what}")

    def secret_value(self):
        sm = self.emu.boto3_client("secretsmanager")
        arn = [s["ARN"] for s in sm.list_secrets()["SecretList"]
               if "local-test" in s.get("Description", "")][0]
        return sm.get_secret_value(SecretId=arn)["SecretString"]

    # ------------------------------------------------------------------------------------------
    def test_a_tasks_run_on_their_own_addresses(self):
        backend, frontend = self.tasks("backend"), self.tasks("frontend")
        self.assertEqual(len(backend), 2)
        self.assertEqual(len(frontend), 2)
        addrs = [t["address"] for t in backend + frontend]
        self.assertEqual(len(set(addrs)), 4, addrs)
        for t in backend + frontend:
            self.assertTrue(t["address"].startswith(self.prefix + "."), t)
            self.assertTrue(t["alive"] and t["healthy"] and t["cloud_map"], t)
            os.kill(t["pid"], 0)
        self.assertEqual({t["port"] for t in backend}, {3001})
        self.assertEqual({t["port"] for t in frontend}, {3000})
        # prom-client-shaped metrics at the apps' own paths, accepted by promtool (whose linter
        # objects only to the _total gauges prom-client itself exports), and moving.
        status, headers, body = http_get((backend[0]["address"], 3001), "/api/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/plain; version=0.0.4"))
        for name in ("process_cpu_seconds_total", "nodejs_eventloop_lag_seconds",
                     "nodejs_heap_size_used_bytes", "http_request_duration_seconds_bucket",
                     "nodejs_gc_duration_seconds_bucket"):
            self.assertIn(f"\n{name}", body)
        lint = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                              text=True, timeout=30)
        lines = [x for x in (lint.stdout + lint.stderr).splitlines() if x.strip()]
        self.assertTrue(all('non-counter metrics should not have "_total" suffix' in x
                            for x in lines), lines)
        self.assertEqual(len(lines), 3, lines)

        def requests_total(text):
            return sum(float(x.rsplit(" ", 1)[1]) for x in text.splitlines()
                       if x.startswith("http_requests_total{"))
        before = requests_total(body)
        time.sleep(1.5)
        self.assertGreater(requests_total(http_get((backend[0]["address"], 3001),
                                                   "/api/metrics")[2]), before)
        status, _, body = http_get((frontend[0]["address"], 3000), "/metrics")
        self.assertEqual(status, 200)
        self.assertIn('route="/_next/static/*"', body)

    def test_a_missing_daemon_is_not_faked(self):
        svc = self.status()["services"]["local-test-metrics"]
        self.assertEqual((svc["desired"], svc["running"]), (1, 0))
        self.assertIn(f"{self.missing} not found (image cairn/cairn-tsdb:0.1.0)", svc["problem"])
        self.assertIn("local-test-metrics: 0/1 running", self.started.stdout)
        self.assertIn("NOT RUNNING: " + svc["problem"], self.started.stdout)
        self.assertFalse(self.tasks("metrics"))

    def test_b_cloud_map_and_dns(self):
        server = self.dns_server()
        backend = {t["address"] for t in self.tasks("backend")}
        rcode, got = dns.query(server, "backend.local.test")
        self.assertEqual((rcode, set(got)), (0, backend))
        rcode, got = dns.query(server, "FRONTEND.local.test.", dns.TYPE_SRV)
        self.assertEqual(rcode, 0)
        self.assertEqual({(p, port) for p, _, port, _ in got}, {(1, 3000)})
        self.assertEqual({t.split(".", 1)[0] for *_, t in got},
                         {t["id"] for t in self.tasks("frontend")})
        self.assertEqual(dns.query(server, got[0][3])[1], [
            t["address"] for t in self.tasks("frontend") if t["id"] == got[0][3].split(".")[0]])
        self.assertEqual(dns.query(server, "nothing.local.test"), (3, []))
        # What Cloud Map itself holds, as ECS registers tasks.
        sd = self.emu.boto3_client("servicediscovery")
        sid = [s["Id"] for s in sd.list_services()["Services"] if s["Name"] == "backend"][0]
        insts = sd.list_instances(ServiceId=sid)["Instances"]
        self.assertEqual({i["Attributes"]["AWS_INSTANCE_IPV4"] for i in insts}, backend)
        self.assertEqual({i["Id"] for i in insts}, {t["id"] for t in self.tasks("backend")})
        self.assertEqual({i["Attributes"]["AWS_INSTANCE_PORT"] for i in insts}, {"3001"})

    def test_c_proxy_routes_by_rule(self):
        backend = {f"{t['address']}:3001" for t in self.tasks("backend")}
        frontend = {f"{t['address']}:3000" for t in self.tasks("frontend")}
        served = {"/api/metrics": set(), "/metrics": set(), "/about": set(), "/api/x": set()}
        for path in served:
            for _ in range(4):
                status, headers, _ = http_get(self.proxy(), path)
                served[path].add(headers["X-Served-By"])
                self.assertEqual(status, 404 if path == "/api/x" else 200, path)
        # /api/* (priority 20) wins over /* (priority 100); round robin reaches both tasks.
        self.assertEqual(served["/api/metrics"], backend)
        self.assertEqual(served["/api/x"], backend)
        self.assertEqual(served["/metrics"], frontend)
        self.assertEqual(served["/about"], frontend)
        url = "http://%s:%d" % self.proxy()  # start prints the stack's URLs
        self.assertIn(f"  {url}/api/ -> local-test-backend\n  {url}/ -> local-test-frontend\n",
                      self.started.stdout)
        # The target groups: registered in the emulator, healthy in the local run's view.
        elb = self.emu.boto3_client("elbv2")
        tg = elb.describe_target_groups(Names=["local-test-backend"])["TargetGroups"][0]
        got = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])
        self.assertEqual({f"{d['Target']['Id']}:{d['Target']['Port']}"
                          for d in got["TargetHealthDescriptions"]}, backend)
        health = self.status()["target_health"][tg["TargetGroupArn"]]
        self.assertEqual({d["TargetHealth"]["State"] for d in health}, {"healthy"})
        # The emulator's DescribeTargetHealth answers the local run's view (elbhealth.py).
        self.assertEqual({(d["Target"]["Id"], d["Target"]["Port"]): d["TargetHealth"]
                          for d in got["TargetHealthDescriptions"]},
                         {(d["Target"]["Id"], d["Target"]["Port"]): d["TargetHealth"]
                          for d in health})

    def test_d_start_again_changes_nothing(self):
        pids = sorted(t["pid"] for t in self.status()["tasks"])
        again = self.local_run("start", STACK)
        self.assertEqual(again.returncode, 4, again.stderr)
        self.assertIn("no change", again.stdout)
        self.assertEqual(sorted(t["pid"] for t in self.status()["tasks"]), pids)
        self.assertFalse([c for c in self.emu.calls if c.is_write], self.emu.calls)

    @unittest.skipUnless(os.geteuid() == 0, "chown and running as the access point's user "
                         "need root (CI runs as root)")
    def test_e_efs_directories(self):
        efs = self.emu.boto3_client("efs")
        aps = {ap["RootDirectory"]["Path"]: ap for ap in efs.describe_access_points()
               ["AccessPoints"]}
        for root, uid, mode, service in (("/backend", 65534, 0o750, "backend"),
                                         ("/frontend", 472, 0o755, "frontend")):
            path = os.path.join(self.state, "efs", aps[root]["FileSystemId"], root.strip("/"))
            st = os.stat(path)
            self.assertEqual((st.st_uid, st.st_gid, st.st_mode & 0o7777), (uid, uid, mode), path)
            for t in self.tasks(service):  # the access point's POSIX user runs the task
                with open(f"/proc/{t['pid']}/status") as f:
                    uids = [line.split()[1:] for line in f if line.startswith("Uid:")][0]
                self.assertEqual(set(uids), {str(uid)})
        with open(f"/proc/{self.tasks('backend')[0]['pid']}/environ", "rb") as f:
            env = dict(x.split(b"=", 1) for x in f.read().split(b"\0") if b"=" in x)
        self.assertEqual(env[b"DATA_DIR"].decode(), os.path.join(
            self.state, "efs", aps["/backend"]["FileSystemId"], "backend"))
        # localhost is the task itself, and Cloud Map names resolve through the local DNS.
        self.assertEqual(env[b"SELF_CHECK"].decode(),
                         f"http://{self.tasks('backend')[0]['address']}:3001/api/health")
        self.assertEqual(env[b"CAIRN_DNS_SERVER"].decode(), "%s:%d" % self.dns_server())

    def test_f_secret_in_environment_only(self):
        value = self.secret_value().encode()
        self.assertGreaterEqual(len(value), 32)
        for t in self.tasks("backend"):
            with open(f"/proc/{t['pid']}/environ", "rb") as f:
                self.assertIn(b"API_TOKEN=" + value + b"\0", f.read())
        for t in self.tasks("frontend"):
            with open(f"/proc/{t['pid']}/environ", "rb") as f:
                self.assertNotIn(b"API_TOKEN", f.read())
        for dirpath, _, files in os.walk(self.state):
            for name in files:
                with open(os.path.join(dirpath, name), "rb") as f:
                    self.assertNotIn(value, f.read(), os.path.join(dirpath, name))
        self.assertNotIn(value.decode(), self.started.stdout + self.started.stderr)

    def test_f_secret_json_key(self):
        """valueFrom ARN:json-key:version-stage:version-id, as ECS reads it."""
        sm = self.emu.boto3_client("secretsmanager")
        arn = sm.create_secret(Name="local-test-json",
                               SecretString='{"user": "u", "password": "p4ss"}')["ARN"]
        self.addCleanup(sm.delete_secret, SecretId=arn, ForceDeleteWithoutRecovery=True)
        code = ("import sys; sys.path.insert(0, sys.argv[1]); from localrun import discover; "
                "r = discover.Reader(); print(r.secret(sys.argv[2]), r.secret(sys.argv[3]), "
                "r.secret(sys.argv[4]))")
        got = subprocess.run([sys.executable, "-c", code, os.path.join(SOURCE, "tools"),
                              arn + ":password::", arn + "::AWSCURRENT:", arn], env=self.env,
                             capture_output=True, text=True, timeout=60)
        self.assertEqual(got.stdout.split(" ", 1)[0], "p4ss", got.stderr)
        self.assertEqual(got.stdout.count('"password": "p4ss"'), 2, got.stdout)

    def test_g_killed_task_is_restarted_and_never_routed_to(self):
        victim = self.tasks("backend")[0]
        restarts = self.status()["restarts"]
        self.assertEqual(self.local_run("drift").returncode, 2)  # the missing daemon's service
        os.kill(victim["pid"], signal.SIGKILL)
        self.wait_for("the killed task to be reaped",
                      lambda: not os.path.exists(f"/proc/{victim['pid']}"), 5)
        # Until ECS replaces it (--restart-delay, 5 s), the service runs one of its two tasks.
        drift = self.wait_for("drift to report the backend short", lambda: (
            lambda r: r if "local-test-backend: 1 running" in r.stdout else None)(
                self.local_run("drift")), 4)
        self.assertEqual(drift.returncode, 2, drift.stdout)
        # From now on no request may reach it: every one is answered by a live task.
        statuses = []
        for _ in range(40):
            status, headers, _ = http_get(self.proxy(), "/api/metrics")
            statuses.append((status, headers.get("X-Served-By")))
        self.assertEqual({s for s, _ in statuses}, {200}, statuses)
        st = self.wait_for("a replacement task", lambda: (
            lambda s: s if s["restarts"] > restarts and len(
                [t for t in s["tasks"] if t["service"] == "local-test-backend" and t["healthy"]
                 and t["cloud_map"]]) == 2 else None)(self.status()))
        backend = [t for t in st["tasks"] if t["service"] == "local-test-backend"]
        self.assertNotIn(victim["pid"], [t["pid"] for t in backend])
        self.assertNotIn(victim["id"], [t["id"] for t in backend])
        rcode, got = dns.query(self.dns_server(), "backend.local.test")
        self.assertEqual(set(got), {t["address"] for t in backend})

    def test_g_unhealthy_task_is_replaced(self):
        """A task that hangs (SIGSTOP) fails its target group's health checks (timeout 2 s,
        interval 5 s, threshold 2) and is replaced, as ECS replaces it."""
        victim = self.tasks("frontend")[0]
        os.kill(victim["pid"], signal.SIGSTOP)
        self.wait_for("the hung task to be replaced", lambda: victim["id"] not in
                      [t["id"] for t in self.tasks("frontend")], 30)
        self.wait_for("the process to be gone",
                      lambda: not os.path.exists(f"/proc/{victim['pid']}"), 10)
        with open(os.path.join(self.state, "supervisor.log")) as f:
            log = f.read()
        self.assertIn(f"stopped local-test-frontend task {victim['id'][:12]} on "
                      f"{victim['address']}:3000: unhealthy in target group local-test-frontend",
                      log)
        self.wait_for("two healthy frontend tasks", lambda: len(
            [t for t in self.tasks("frontend") if t["healthy"]]) == 2)
        for _ in range(4):
            self.assertEqual(http_get(self.proxy(), "/metrics")[0], 200)

    def test_h_changed_task_definition_rolls(self):
        old_tasks = self.tasks("backend")
        old = {t["pid"] for t in old_tasks}
        front = {t["pid"] for t in self.tasks("frontend")}
        up = self.cairn("up", "--yes", STACK, "--template-dir",
                        os.path.join(SOURCE, "templates"), "--param",
                        "backend_image=davidshaevel/backend:v2")
        self.assertEqual(up.returncode, 0, up.stdout + up.stderr)
        failures = []
        stop = threading.Event()

        def hammer():  # the service keeps answering through the roll
            while not stop.is_set():
                try:
                    status, _, _ = http_get(self.proxy(), "/api/health")
                    if status != 200:
                        failures.append(status)
                except OSError as e:
                    failures.append(str(e))
                time.sleep(0.02)
        th = threading.Thread(target=hammer)
        th.start()
        try:
            rolled = self.local_run("start", STACK)
        finally:
            stop.set()
            th.join()
        self.assertEqual(rolled.returncode, 4, rolled.stdout + rolled.stderr)
        # (moto numbers the new revision 1 again, since cairn deleted the old one.) The
        # supervisor's own refresh (--refresh 2) may begin the roll before `start` asks: the
        # log, not start's report, has every replacement.
        with open(os.path.join(self.state, "supervisor.log")) as f:
            log = f.read()
        for t in old_tasks:
            self.assertIn(f"stopped local-test-backend task {t['id'][:12]} on {t['address']}:3001:"
                          " replaced by task definition local-test-backend:", log)
        backend = self.tasks("backend")
        self.assertEqual(len(backend), 2)
        self.assertEqual({t["image"] for t in backend}, {"davidshaevel/backend:v2"})
        self.assertFalse(old & {t["pid"] for t in backend})
        self.assertEqual({t["pid"] for t in self.tasks("frontend")}, front)
        self.assertEqual(failures, [])

    def test_z_stop_deregisters_everything(self):
        pids = [t["pid"] for t in self.status()["tasks"]]
        done = self.local_run("stop")
        self.assertEqual(done.returncode, 0, done.stderr)
        for pid in pids:
            self.assertFalse(os.path.exists(f"/proc/{pid}"), pid)
        sd = self.emu.boto3_client("servicediscovery")
        for s in sd.list_services()["Services"]:
            self.assertEqual(sd.list_instances(ServiceId=s["Id"])["Instances"], [], s["Name"])
        elb = self.emu.boto3_client("elbv2")
        for tg in elb.describe_target_groups()["TargetGroups"]:
            self.assertEqual(elb.describe_target_health(
                TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"], [])
        self.assertEqual(self.local_run("status").returncode, 3)
        self.assertEqual(self.local_run("drift").returncode, 3)


if __name__ == "__main__":
    unittest.main()
