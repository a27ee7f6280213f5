"""Helpers for the cairn-tsdb integration tests: start/stop the daemon and a
real Prometheus 2.42 on loopback, run promtool, parse dump output."""
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

import scrapefixtures as sf

TSDB = os.environ.get("CAIRN_TSDB_BIN", "")
TOOLS = os.environ.get("CAIRN_TEST_TOOLS", "")
PROMTOOL = "/usr/bin/promtool"
PROMETHEUS = "/usr/bin/prometheus"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tool(name):
    return os.path.join(TOOLS, name)


def parse_dump(text):
    """{labels} value ts lines -> sorted list of (labels, ts, value-as-key)."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        lab, rest = line.rsplit("}", 1)
        v, t = rest.split()
        f = float(v)
        out.append((lab + "}", int(t), "NaN" if math.isnan(f) else f))
    out.sort(key=lambda x: (x[0], x[1]))
    return out


def promtool(*args, check=True):
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, check=check,
                          timeout=300)


def http_get(url, timeout=30):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_http(url, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise AssertionError("server exited with %s" % proc.returncode)
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except Exception:
            time.sleep(0.1)
    raise AssertionError("server at %s never became ready" % url)


class Server:
    """cairn-tsdb (or Prometheus with prometheus=True) on a loopback port."""

    def __init__(self, path, extra=(), prometheus=False):
        self.port = free_port()
        self.path = path
        self.url = "http://127.0.0.1:%d" % self.port
        if prometheus:
            cfg = os.path.join(os.path.dirname(path.rstrip("/")), "prom-%d.yml" % self.port)
            with open(cfg, "w") as f:
                f.write("global:\n  scrape_interval: 1h\n")
            argv = [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + path,
                    "--web.listen-address=127.0.0.1:%d" % self.port,
                    "--storage.tsdb.retention.time=100y",
                    "--web.enable-remote-write-receiver", *extra]
        else:
            argv = [TSDB, "--storage.tsdb.path=" + path,
                    "--web.listen-address=127.0.0.1:%d" % self.port, *extra]
        self.log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=self.log)
        wait_http(self.url + "/-/ready", self.proc)

    def logtext(self):
        self.log.seek(0)
        return self.log.read().decode(errors="replace")

    def get(self, path, **params):
        q = urllib.parse.urlencode(params, doseq=True)
        return http_get(self.url + path + ("?" + q if q else ""))

    def api(self, path, **params):
        status, body = self.get(path, **params)
        return status, json.loads(body) if body else None

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode


class ScrapePair:
    """Prometheus 2.42 and cairn-tsdb scraping the same fixture exporters with one
    configuration (make_config(exporters) gives its text), each in its own directory."""

    def __init__(self, expositions, make_config, prefix):
        self.ex = sf.Exporters(expositions)
        self.config = make_config(self.ex)
        self.prom = sf.Prometheus(self.config)
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(self.config)
        self.cairn = Server(os.path.join(self.tmp, "data"), ["--config.file=" + cfg])

    def close(self):
        """Stop all three; cairn-tsdb's unclean exit or sanitizer report fails the test."""
        rc = self.cairn.stop()
        self.prom.close()
        self.ex.close()
        log = self.cairn.logtext()
        shutil.rmtree(self.tmp, True)
        if rc != 0 or "Sanitizer" in log or "runtime error" in log:
            raise AssertionError("cairn-tsdb exited %s:\n%s" % (rc, log[-4000:]))


def send(url, nseries, nsamples, start_ms, step_ms, per=10, retry=30, check=True):
    """tsdb_rw: returns (exit status, acknowledged samples as parse_dump tuples, stderr)."""
    p = subprocess.run([tool("tsdb_rw"), url + "/api/v1/write", str(nseries), str(nsamples),
                        str(start_ms), str(step_ms), str(per), str(retry)],
                       capture_output=True, text=True, timeout=600)
    if check and p.returncode != 0:
        raise AssertionError("tsdb_rw failed (%d): %s" % (p.returncode, p.stderr))
    return p.returncode, parse_dump(p.stdout), p.stderr


class TsdbCase(unittest.TestCase):
    def setUp(self):
        if not TSDB or not os.path.exists(TSDB):
            self.fail("CAIRN_TSDB_BIN not set (run through ctest)")
        self.tmp = tempfile.mkdtemp(prefix="cairn-tsdb-test-")
        self.servers = []

    def tearDown(self):
        for s in self.servers:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def server(self, path, *extra, prometheus=False):
        s = Server(path, extra, prometheus=prometheus)
        self.servers.append(s)
        return s

    def assertSamplesEqual(self, got, want):
        self.assertEqual(len(got), len(want))
        for g, w in zip(got, want):
            self.assertEqual(g, w)
