"""cairn's remote-write codec against a real Prometheus 2.42, both directions.

Encoder: rw_tool encode turns samples (with unusual values and label values)
into a snappy-compressed WriteRequest; it is POSTed with the protocol 1.0
headers to Prometheus started with --web.enable-remote-write-receiver, and the
samples are read back through /api/v1/query with a range selector: every
timestamp and value must be what was sent.

Decoder: the same Prometheus scrapes a fixture exposition served on loopback
and remote-writes to a capture server; rw_tool decode must accept every body
Prometheus sends and find the fixture's samples in them, with the job and
instance labels Prometheus adds.

Everything listens on 127.0.0.1; /usr/bin/prometheus is the Debian package.
"""

import http.server
import json
import math
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

PROMETHEUS = "/usr/bin/prometheus"
RW_TOOL = os.path.join(os.environ["CAIRN_TEST_TOOLS"], "rw_tool")

FIXTURE = (b"# TYPE fixture_requests_total counter\n"
           b"fixture_requests_total{code=\"200\",path=\"/\xc3\xa9\"} 1027\n"
           b"fixture_requests_total{code=\"500\",path=\"/\"} 3\n"
           b"# TYPE fixture_temperature gauge\n"
           b"fixture_temperature -12.5\n")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Handler(http.server.BaseHTTPRequestHandler):
    bodies = []

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.end_headers()
        self.wfile.write(FIXTURE)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        Handler.bodies.append((dict(self.headers), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


class RemoteWriteInterop(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.path.exists(PROMETHEUS):
            raise unittest.SkipTest("needs /usr/bin/prometheus (Debian package prometheus)")
        cls.tmp = tempfile.mkdtemp(prefix="cairn-rw-")
        cls.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=cls.server.serve_forever, daemon=True).start()
        fport = cls.server.server_address[1]
        cls.port = free_port()
        cfg = os.path.join(cls.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: fixture
    static_configs:
      - targets: ['127.0.0.1:{fport}']
remote_write:
  - url: http://127.0.0.1:{fport}/receive
    queue_config:
      batch_send_deadline: 1s
""")
        cls.log = open(os.path.join(cls.tmp, "prometheus.log"), "w")
        cls.proc = subprocess.Popen(
            [PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={cls.tmp}/data",
             f"--web.listen-address=127.0.0.1:{cls.port}", "--web.enable-remote-write-receiver"],
            stdout=cls.log, stderr=subprocess.STDOUT)
        cls.base = f"http://127.0.0.1:{cls.port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(cls.base + "/-/ready", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.3)
        cls.tearDownClass()
        raise RuntimeError("Prometheus did not become ready")

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        cls.proc.wait(timeout=30)
        cls.log.close()
        cls.server.shutdown()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def query(self, q, t):
        url = self.base + "/api/v1/query?" + urllib.parse.urlencode({"query": q, "time": t})
        with urllib.request.urlopen(url, timeout=10) as r:
            doc = json.load(r)
        self.assertEqual(doc["status"], "success", doc)
        return doc["data"]["result"]

    def test_encoder_samples_read_back_through_prometheus(self):
        now = int(time.time()) * 1000
        values = ["1", "0.5", "-2", "1e+300", "+Inf", "-Inf", "NaN", "5e-324"]
        lines = []
        for i, v in enumerate(values):
            for series in ('rwtest_value{kind="a"}',
                           'rwtest_value{kind="\\"quoted\\" \\\\ ü\\n"}'):
                lines.append(f"{series} {v} {now - 60000 + i * 1000}")
        lines.append(f'rwtest_other{{job="x",instance="y"}} 42 {now - 1000}')
        body = subprocess.run([RW_TOOL, "encode"], input="\n".join(lines).encode(),
                              capture_output=True, check=True).stdout
        req = urllib.request.Request(self.base + "/api/v1/write", data=body, method="POST",
                                     headers={"Content-Encoding": "snappy",
                                              "Content-Type": "application/x-protobuf",
                                              "X-Prometheus-Remote-Write-Version": "0.1.0"})
        with urllib.request.urlopen(req, timeout=10) as r:
            self.assertIn(r.status, (200, 204))

        result = self.query("rwtest_value[5m]", now / 1000)
        self.assertEqual(len(result), 2)
        kinds = sorted(r["metric"]["kind"] for r in result)
        self.assertEqual(kinds, ["\"quoted\" \\ ü\n", "a"])
        for r in result:
            self.assertEqual(r["metric"]["__name__"], "rwtest_value")
            got = [(int(round(float(t) * 1000)), v) for t, v in r["values"]]
            self.assertEqual([t for t, _ in got], [now - 60000 + i * 1000 for i in range(8)])
            for (_, v), want in zip(got, values):
                if want == "NaN":
                    self.assertTrue(math.isnan(float(v)))
                else:
                    self.assertEqual(float(v), float(want), (v, want))
        other = self.query("rwtest_other", now / 1000)
        self.assertEqual(other[0]["metric"], {"__name__": "rwtest_other", "job": "x",
                                              "instance": "y"})
        self.assertEqual(other[0]["value"][1], "42")

    def test_decoder_reads_what_prometheus_sends(self):
        deadline = time.time() + 60
        seen = set()
        while time.time() < deadline:
            for headers, body in list(Handler.bodies):
                self.assertEqual(headers.get("Content-Encoding"), "snappy")
                self.assertEqual(headers.get("X-Prometheus-Remote-Write-Version"), "0.1.0")
                r = subprocess.run([RW_TOOL, "decode"], input=body, capture_output=True)
                self.assertEqual(r.returncode, 0, r.stdout)
                for line in r.stdout.decode().splitlines():
                    seen.add(line.rsplit(" ", 1)[0])
            if {f'{{__name__="fixture_temperature", instance="127.0.0.1:{self.server.server_address[1]}", job="fixture"}} -12.5',
                f'{{__name__="fixture_requests_total", code="200", instance="127.0.0.1:{self.server.server_address[1]}", job="fixture", path="/é"}} 1027'} <= seen:
                return
            time.sleep(1)
        self.fail("fixture samples not found in what Prometheus remote-wrote: "
                  + "\n".join(sorted(seen)[:20]))


if __name__ == "__main__":
    unittest.main()
