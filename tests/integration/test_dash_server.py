"""cairn-dash as a process: configuration (environment, ini, cfg:), provisioning
(directories and the stack's CAIRN_DASH_* variables, located errors), sub-path,
restarts, SIGKILL during saves, a read-only data directory, --help."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unittest

import dashlib
from dashlib import Dash

SHIPPED_PROVIDER = """apiVersion: 1
providers:
  - name: default
    orgId: 1
    folder: ""
    type: file
    disableDeletion: true
    allowUiUpdates: false
    updateIntervalSeconds: 1
    options:
      path: $DASH_DIR
      foldersFromFilesStructure: true
"""


class Provisioning(unittest.TestCase):
    def test_stack_variables_provision_datasource_and_shipped_dashboards(self):
        tmp = tempfile.mkdtemp()
        try:
            os.makedirs(tmp + "/team")
            shutil.copy(os.path.join(dashlib.SHIPPED, "application-overview.json"), tmp)
            shutil.copy(os.path.join(dashlib.SHIPPED, "monitoring-the-monitors.json"),
                        tmp + "/team")
            d = Dash(env={"CAIRN_DASH_DATASOURCES": dashlib.datasources_yaml("http://127.0.0.1:1"),
                          "CAIRN_DASH_DASHBOARDS": SHIPPED_PROVIDER, "DASH_DIR": tmp})
            try:
                st, res, _ = d.call("GET", "/api/search?type=dash-db")
                by = {x["title"]: x for x in res}
                self.assertEqual(sorted(by), ["Application Overview", "Monitoring the monitors"])
                self.assertEqual(by["Monitoring the monitors"]["folderTitle"], "team")
                self.assertNotIn("folderUid", by["Application Overview"])
                st, got, _ = d.call("GET", "/api/dashboards/uid/app-overview")
                self.assertTrue(got["meta"]["provisioned"])
                self.assertFalse(got["meta"]["canSave"])
                # allowUiUpdates: false refuses UI saves; disableDeletion refuses deletes
                st, body, _ = d.call("POST", "/api/dashboards/db",
                                     {"dashboard": got["dashboard"], "overwrite": True})
                self.assertEqual((st, body), (400, {"message": "Cannot save provisioned dashboard"}))
                st, _, _ = d.call("DELETE", "/api/dashboards/uid/app-overview")
                self.assertEqual(st, 400)
                # a restart re-provisions without a new version
                d.stop()
                d.start()
                st, vers, _ = d.call("GET", "/api/dashboards/uid/app-overview/versions")
                self.assertEqual([v["version"] for v in vers], [1])
                # an edit on disk lands within updateIntervalSeconds (1 s here)
                path = os.path.join(tmp, "application-overview.json")
                with open(path) as f:
                    m = json.load(f)
                m["description"] = "edited on disk"
                with open(path, "w") as f:
                    json.dump(m, f)
                deadline = time.time() + 10
                while time.time() < deadline:
                    st, got, _ = d.call("GET", "/api/dashboards/uid/app-overview")
                    if got["dashboard"].get("description") == "edited on disk":
                        break
                    time.sleep(0.2)
                self.assertEqual(got["dashboard"]["description"], "edited on disk")
                self.assertEqual(got["dashboard"]["version"], 2)
                st, ds, _ = d.call("GET", "/api/datasources/name/Prometheus")
                self.assertEqual((st, ds["uid"], ds["jsonData"]["httpMethod"]),
                                 (200, "prometheus", "POST"))
            finally:
                d.cleanup()
        finally:
            shutil.rmtree(tmp)

    def test_provisioning_directory_and_env_interpolation(self):
        d = Dash(check=False)
        d.stop()
        os.makedirs(d.dir + "/provisioning/datasources")
        with open(d.dir + "/provisioning/datasources/p.yaml", "w") as f:
            f.write("apiVersion: 1\ndatasources:\n  - name: FromDir\n    type: prometheus\n"
                    "    url: http://$PROM_HOST:${PROM_PORT}\n    uid: fromdir\n"
                    "    editable: true\n    jsonData:\n      price: $$5\n")
        d.env.update({"PROM_HOST": "127.0.0.9", "PROM_PORT": "9099"})
        d.start()
        try:
            st, ds, _ = d.call("GET", "/api/datasources/uid/fromdir")
            self.assertEqual(ds["url"], "http://127.0.0.9:9099")
            self.assertEqual(ds["jsonData"]["price"], "$5")
            self.assertFalse(ds["readOnly"])
        finally:
            d.cleanup()

    def test_errors_are_located(self):
        cases = [
            ("apiVersion: 1\ndatasources:\n  - name: X\n    type: prometheus\n"
             "    isDefault: maybe\n", "CAIRN_DASH_DATASOURCES:5:16: error: isDefault must be "
             "true or false"),
            ("apiVersion: 1\ndatasources:\n  - name: [x\n", "CAIRN_DASH_DATASOURCES:3:"),
            ("apiVersion: 1\ndatasources:\n  - url: http://x\n",
             "CAIRN_DASH_DATASOURCES:3:5: error: a datasource needs a name and a type"),
        ]
        for text, want in cases:
            d = Dash(env={"CAIRN_DASH_DATASOURCES": text}, check=False)
            rc = d.proc.wait(10)
            err = d.stderr()
            d.cleanup()
            self.assertEqual(rc, 1, err)
            self.assertIn(want, err)
        d = Dash(env={"CAIRN_DASH_DASHBOARDS": "apiVersion: 1\nproviders:\n  - name: p\n"
                                               "    options: {}\n"}, check=False)
        rc = d.proc.wait(10)
        err = d.stderr()
        d.cleanup()
        self.assertEqual(rc, 1)
        self.assertIn("CAIRN_DASH_DASHBOARDS:4:14: error: a file provider needs options.path", err)


class Config(unittest.TestCase):
    def test_sub_path_and_ini_file(self):
        tmp = tempfile.mkdtemp()
        ini = os.path.join(tmp, "grafana.ini")
        with open(ini, "w") as f:
            f.write("; comment\n[server]\nserve_from_sub_path = true\n"
                    "root_url = http://example.test/grafana/\n[auth.anonymous]\nenabled = true\n"
                    "[security]\nadmin_user = root\n")  # the environment's admin wins
        d = Dash(env={"GF_SERVER_SERVE_FROM_SUB_PATH": "true",
                      "GF_SERVER_ROOT_URL": "http://example.test/grafana/"},
                 args=["--config=" + ini])
        try:
            st, body, _ = d.call("GET", "/api/health", auth=False)
            self.assertEqual((st, body["database"]), (200, "ok"))
            st, s, _ = d.call("GET", "/api/frontend/settings", auth=False)  # anonymous on
            self.assertEqual((st, s["appSubUrl"]), (200, "/grafana"))
            st, _, _ = d.call("GET", "/api/user", auth=d.basic("root"))
            self.assertEqual(st, 401)
            st, _, _ = d.call("GET", "/api/user", auth=d.basic("admin"))
            self.assertEqual(st, 200)
            st, body, _ = d.call("POST", "/api/dashboards/db",
                                 {"dashboard": {"title": "under sub path"}},
                                 auth=d.basic("admin"))
            self.assertEqual(body["url"], "/grafana/d/%s/under-sub-path" % body["uid"])
            st, _, _ = d.call("POST", "/api/dashboards/db",
                              {"dashboard": {"title": "anon write"}}, auth=False)
            self.assertEqual(st, 403)  # anonymous users are Viewers
            # As Grafana (macaron trims the sub-path only when present): the load balancer's
            # health check of /api/health is answered beside /grafana/api/health.
            import json
            import urllib.request
            with urllib.request.urlopen("http://127.0.0.1:%d/api/health" % d.port,
                                        timeout=5) as r:
                self.assertEqual((r.status, json.load(r)["database"]), (200, "ok"))
        finally:
            d.cleanup()
            shutil.rmtree(tmp)

    def test_bad_settings_are_reported(self):
        tmp = tempfile.mkdtemp()
        ini = os.path.join(tmp, "bad.ini")
        with open(ini, "w") as f:
            f.write("[server]\nhttp_port = eighty\n")
        d = Dash(args=["--config=" + ini], check=False)
        rc = d.proc.wait(10)
        self.assertEqual(rc, 1)
        self.assertIn("bad.ini:2:13: error: server.http_port: expected a number", d.stderr())
        d.cleanup()
        d = Dash(env={"GF_AUTH_ANONYMOUS_ENABLED": "sometimes"}, check=False)
        self.assertEqual(d.proc.wait(10), 1)
        self.assertIn("GF_AUTH_ANONYMOUS_ENABLED: error: auth.anonymous.enabled: expected true "
                      "or false", d.stderr())
        d.cleanup()
        shutil.rmtree(tmp)

    def test_help(self):
        r = subprocess.run([dashlib.DASH_BIN, "--help"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 0)
        self.assertIn("GF_SECURITY_ADMIN_PASSWORD", r.stdout)
        r = subprocess.run([dashlib.DASH_BIN, "--bogus"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)


class Durability(unittest.TestCase):
    def test_restart_keeps_dashboards(self):
        d = Dash()
        try:
            uids = []
            for i in range(5):
                st, r, _ = d.call("POST", "/api/dashboards/db",
                                  {"dashboard": {"title": "keep %d" % i, "tags": ["k"]}})
                uids.append(r["uid"])
            self.assertEqual(d.stop(), 0)
            d.start()
            for i, uid in enumerate(uids):
                st, got, _ = d.call("GET", "/api/dashboards/uid/" + uid)
                self.assertEqual((st, got["dashboard"]["title"]), (200, "keep %d" % i))
        finally:
            d.cleanup()

    def test_sigkill_during_saves_loses_nothing_acknowledged(self):
        d = Dash()
        acked = {}
        stop = threading.Event()

        def writer(n):
            i = 0
            while not stop.is_set():
                try:
                    st, r, _ = d.call("POST", "/api/dashboards/db",
                                      {"dashboard": {"title": "w%d-%d" % (n, i),
                                                     "panels": [{"id": 1, "type": "text"}]}})
                except OSError:
                    return
                if st == 200:
                    acked[r["uid"]] = "w%d-%d" % (n, i)
                i += 1

        threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
        for t in threads:
            t.start()
        while len(acked) < 30:
            threading.Event().wait(0.01)
        d.proc.send_signal(signal.SIGKILL)
        d.proc.wait(10)
        stop.set()
        for t in threads:
            t.join()
        d.errfile.close()
        d.start()
        try:
            st, res, _ = d.call("GET", "/api/search?limit=100000")
            have = {x["uid"]: x["title"] for x in res}
            for uid, title in acked.items():
                self.assertEqual(have.get(uid), title)
        finally:
            d.cleanup()

    def test_health_says_failing_when_the_database_is_unusable(self):
        d = Dash()
        try:
            self.assertEqual(d.call("GET", "/api/health", auth=False)[0], 200)
            # the database files vanish, as with a volume that went away
            for suffix in ("", "-wal", "-shm"):
                os.unlink(os.path.join(d.data, "grafana.db" + suffix))
            st, body, _ = d.call("GET", "/api/health", auth=False)
            self.assertEqual(st, 503)
            self.assertEqual(body["database"], "failing")
        finally:
            d.cleanup()

    def test_read_only_data_directory(self):
        tmp = tempfile.mkdtemp()
        ro = os.path.join(tmp, "ro")
        os.mkdir(ro, 0o555)
        # root ignores permission bits; sysfs refuses new files even to root
        data = ro if os.geteuid() != 0 else "/sys/fs"
        d = Dash(data=data, check=False)
        rc = d.proc.wait(10)
        err = d.stderr()
        d.cleanup()
        shutil.rmtree(tmp)
        self.assertEqual(rc, 1)
        self.assertIn("data directory %s is not writable" % data, err)


if __name__ == "__main__":
    unittest.main()
