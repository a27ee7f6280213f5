"""Helpers for the cairn-dash tests: a real Prometheus 2.42 on loopback, a
fixture exporter, and cairn-dash started with Grafana's environment."""
import base64
import http.server
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request

DASH_BIN = os.environ.get("CAIRN_DASH_BIN", "")
PROMETHEUS = "/usr/bin/prometheus"
# The datasource the tests start: Prometheus 2.42, or cairn-tsdb (scraping in-process with the
# same flags) when a test module sets dashlib.DATASOURCE = "cairn-tsdb" before its setUp.
DATASOURCE = "prometheus"
SOURCE = os.environ.get("CAIRN_SOURCE_DIR",
                        os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(SOURCE, "tests", "data", "grafana-dashboards")
SHIPPED = os.path.join(SOURCE, "templates", "files", "dashboards")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=15.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.05)
    raise RuntimeError("not ready: " + url)


# Exposition of a small app, shaped like the seed's backend (prom-client defaults plus
# an HTTP histogram), so the shipped dashboards have every series they chart.
def exposition(t):
    lines = []
    for route, n in (("/api/health", 1), ("/api/projects", 3)):
        for code, share in (("200", 0.95), ("500", 0.05)):
            total = int(t * 10 * n * share)
            lines.append('http_requests_total{method="GET",route="%s",status_code="%s"} %d'
                         % (route, code, total))
            acc = 0
            for le, part in (("0.005", 0.2), ("0.01", 0.2), ("0.05", 0.3), ("0.1", 0.2),
                             ("0.5", 0.08), ("1", 0.02), ("+Inf", 0.0)):
                acc += part
                lines.append('http_request_duration_seconds_bucket{method="GET",route="%s",'
                             'status_code="%s",le="%s"} %d' % (route, code, le,
                                                                int(total * min(acc, 1.0))))
            lines.append('http_request_duration_seconds_sum{method="GET",route="%s",'
                         'status_code="%s"} %f' % (route, code, total * 0.04))
            lines.append('http_request_duration_seconds_count{method="GET",route="%s",'
                         'status_code="%s"} %d' % (route, code, total))
    lines.append("nodejs_eventloop_lag_seconds %f" % (0.002 + 0.001 * (int(t) % 5)))
    lines.append("nodejs_eventloop_lag_p99_seconds %f" % (0.01 + 0.001 * (int(t) % 7)))
    lines.append("nodejs_heap_size_used_bytes %d" % (30e6 + (int(t) % 10) * 1e6))
    lines.append("nodejs_heap_size_total_bytes %d" % 60e6)
    lines.append("process_resident_memory_bytes %d" % (80e6 + (int(t) % 10) * 1e6))
    lines.append("process_cpu_seconds_total %f" % (t * 0.01))
    lines.extend(node_exposition(t))
    return "\n".join(lines) + "\n"


# The node_exporter series that Node Exporter Full's open rows chart, with values that move.
def node_exposition(t):
    k = int(t) % 10
    wobble = t + 0.5 * math.sin(t)  # grows at a varying rate, never backwards
    out = ['node_uname_info{domainname="(none)",machine="x86_64",nodename="fixture",'
           'release="6.1.0",sysname="Linux",version="#1 SMP"} 1',
           "node_load1 %f" % (0.5 + (int(t) % 3) * 0.1),
           "node_boot_time_seconds %f" % (t - 86400),
           "node_time_seconds %f" % t]
    for cpu in range(2):
        for mode, share in (("idle", 0.7), ("user", 0.15), ("system", 0.08), ("iowait", 0.03),
                            ("irq", 0.01), ("softirq", 0.01), ("steal", 0.01), ("nice", 0.01)):
            out.append('node_cpu_seconds_total{cpu="%d",mode="%s"} %f'
                       % (cpu, mode, share * (t + (0.5 + 0.1 * cpu) * math.sin(t))))
    mem = {"MemTotal": 8e9, "MemFree": 2e9 + k * 5e7, "MemAvailable": 5e9 + k * 5e7,
           "Cached": 2e9, "Buffers": 2e8, "SReclaimable": 1e8, "SwapTotal": 2e9,
           "SwapFree": 1.5e9 + k * 1e7}
    for name, v in mem.items():
        out.append("node_memory_%s_bytes %d" % (name, v))
    for res in ("cpu", "memory", "io"):
        out.append("node_pressure_%s_waiting_seconds_total %f" % (res, 0.01 * wobble))
    out.append("node_pressure_irq_stalled_seconds_total %f" % (t * 0.001))
    for dev in ("eth0", "lo"):
        out.append('node_network_receive_bytes_total{device="%s"} %d' % (dev, 125000 * wobble))
        out.append('node_network_transmit_bytes_total{device="%s"} %d' % (dev, 62500 * wobble))
    for mp, dev, size in (("/", "/dev/sda1", 100e9), ("/boot", "/dev/sda2", 1e9)):
        lab = 'device="%s",fstype="ext4",mountpoint="%s"' % (dev, mp)
        out.append("node_filesystem_size_bytes{%s} %d" % (lab, size))
        out.append("node_filesystem_avail_bytes{%s} %d" % (lab, size * (0.4 + 0.01 * k)))
    return out


class Exporter:
    def __init__(self):
        t0 = time.time()

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = exposition(time.time() - t0 + 1000).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        self.thread = threading.Thread(target=self.srv.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class Prometheus:
    """Prometheus 2.42 (or cairn-tsdb, see DATASOURCE) on loopback scraping itself and the
    exporters every second."""

    def __init__(self, targets):
        self.dir = tempfile.mkdtemp(prefix="dash-prom-")
        self.port = free_port()
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n"
                    "  - job_name: prometheus\n    static_configs:\n"
                    "      - targets: ['127.0.0.1:%d']\n" % self.port)
            for job, port in targets:
                f.write("  - job_name: %s\n    static_configs:\n"
                        "      - targets: ['127.0.0.1:%d']\n" % (job, port))
        self.log = open(os.path.join(self.dir, "log"), "w")
        binary = os.environ["CAIRN_TSDB_BIN"] if DATASOURCE == "cairn-tsdb" else PROMETHEUS
        self.proc = subprocess.Popen(
            [binary, "--config.file=" + cfg, "--storage.tsdb.path=" + self.dir + "/data",
             "--web.listen-address=127.0.0.1:%d" % self.port],
            stdout=self.log, stderr=subprocess.STDOUT)
        self.url = "http://127.0.0.1:%d" % self.port
        wait_http(self.url + "/-/ready", 30)

    def wait_samples(self, expr, n=2, timeout=45):
        deadline = time.time() + timeout
        while time.time() < deadline:
            q = urllib.parse.urlencode({"query": "count_over_time(%s[2m])" % expr})
            try:
                with urllib.request.urlopen(self.url + "/api/v1/query?" + q, timeout=2) as r:
                    res = json.load(r)["data"]["result"]
                    if res and float(res[0]["value"][1]) >= n:
                        return
            except (urllib.error.URLError, KeyError, IndexError):
                pass
            time.sleep(0.2)
        raise RuntimeError("no samples of " + expr)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def datasources_yaml(prom_url, name="Prometheus", uid="prometheus"):
    return ("apiVersion: 1\ndatasources:\n  - name: %s\n    type: prometheus\n    uid: %s\n"
            "    access: proxy\n    url: %s\n    isDefault: true\n    editable: false\n"
            "    jsonData:\n      httpMethod: POST\n      timeInterval: 1s\n"
            % (name, uid, prom_url))


class Dash:
    """cairn-dash with a fresh data directory, the admin password from the environment."""

    def __init__(self, env=None, data=None, args=(), password="s3cret-pw", check=True):
        self.dir = tempfile.mkdtemp(prefix="dash-")
        self.data = data or os.path.join(self.dir, "data")
        self.port = free_port()
        self.password = password
        self.env = dict(os.environ)
        self.env.update({
            "GF_PATHS_DATA": self.data,
            "GF_PATHS_PROVISIONING": os.path.join(self.dir, "provisioning"),
            "GF_SERVER_HTTP_ADDR": "127.0.0.1",
            "GF_SERVER_HTTP_PORT": str(self.port),
            "GF_SECURITY_ADMIN_USER": "admin",
            "GF_SECURITY_ADMIN_PASSWORD": password,
        })
        self.env.update(env or {})
        self.args = list(args)
        self.prefix = ""
        if self.env.get("GF_SERVER_SERVE_FROM_SUB_PATH") == "true":
            self.prefix = "/" + self.env["GF_SERVER_ROOT_URL"].split("/", 3)[3].strip("/")
        self.base = "http://127.0.0.1:%d%s" % (self.port, self.prefix)
        self.proc = None
        self.start(check)

    def start(self, check=True):
        self.errfile = open(os.path.join(self.dir, "stderr"), "a+")
        self.proc = subprocess.Popen([DASH_BIN] + self.args, env=self.env,
                                     stdout=self.errfile, stderr=subprocess.STDOUT)
        if check:
            wait_http(self.base + "/api/health")

    def stderr(self):
        if not self.errfile.closed:
            self.errfile.flush()
        with open(os.path.join(self.dir, "stderr")) as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(15)
        rc = self.proc.returncode if self.proc else None
        self.errfile.close()
        return rc

    def cleanup(self):
        """Stop, and fail loudly if a sanitizer reported anything (ASan/UBSan builds)."""
        self.stop()
        err = self.stderr() if os.path.exists(os.path.join(self.dir, "stderr")) else ""
        shutil.rmtree(self.dir, ignore_errors=True)
        for marker in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
            if marker in err:
                raise AssertionError("cairn-dash: " + marker + "\n" + err[-4000:])

    def basic(self, user="admin", password=None):
        raw = "%s:%s" % (user, password or self.password)
        return {"Authorization": "Basic " + base64.b64encode(raw.encode()).decode()}

    def call(self, method, path, body=None, headers=None, auth=True, raw=None):
        """(status, parsed JSON or text, headers)."""
        h = {}
        if auth is True:
            h.update(self.basic())
        elif isinstance(auth, dict):
            h.update(auth)
        h.update(headers or {})
        data = raw
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                status, text, hdrs = r.status, r.read(), r.headers
        except urllib.error.HTTPError as e:
            status, text, hdrs = e.code, e.read(), e.headers
        ctype = hdrs.get("Content-Type", "")
        if ctype.startswith("application/json"):
            return status, json.loads(text), hdrs
        return status, text.decode("utf-8", "replace"), hdrs
