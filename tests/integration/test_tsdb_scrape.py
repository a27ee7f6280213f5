"""cairn-tsdb with a scrape configuration runs the scrape engine in-process,
as Prometheus does: Prometheus 2.42 and cairn-tsdb scrape the same fixture
exporters with the same configuration, and the series, their values and the
answers to dashboard-shaped PromQL queries must be the same in both. Also:
the configuration from CAIRN_SCRAPE_CONFIG (as the stack passes it), SIGHUP
reloads, and a bad configuration refused with its location.
"""
import json
import os
import signal
import subprocess
import time
import unittest
import urllib.parse

import scrapefixtures as sf
import tsdbtest

CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
  - job_name: fixtures
    static_configs:
      - targets: %s
"""

# Expositions whose values do not change between scrapes, so that two scrapers
# at different phases read the same values.
STABLE = ("node", "promclient", "histogram", "summary", "escapes", "special", "untyped",
          "lenient", "manylabels", "bigvalues", "openmetrics", "gzip", "badsyntax", "error500")

QUERIES = [
    'up',
    'count by (__name__) ({job="fixtures"})',
    'sum by (mode) (rate(node_cpu_seconds_total[5s]))',
    'sum by (mode) (node_cpu_seconds_total)',
    'histogram_quantile(0.9, sum by (le) (http_request_duration_seconds_bucket))',
    'topk(3, node_filesystem_size_bytes)',
    'scrape_samples_scraped',
    'count(scrape_series_added)',
]


def key(metric):
    return tuple(sorted(metric.items()))


class TsdbScrapeTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not tsdbtest.TSDB:
            raise AssertionError("CAIRN_TSDB_BIN not set (run through ctest)")
        exps = [e for e in sf.standard_expositions() if e.name in STABLE]
        cls.pair = tsdbtest.ScrapePair(exps, lambda ex: CONFIG % json.dumps(ex.addresses()),
                                       "cairn-tsdb-scrape-")
        cls.config, cls.prom, cls.cairn, cls.tmp = (cls.pair.config, cls.pair.prom,
                                                    cls.pair.cairn, cls.pair.tmp)
        deadline = time.time() + 40
        n = len(exps)
        while time.time() < deadline:
            if [cls.count(s, "count(up)") for s in (cls.prom, cls.cairn)] == [n, n]:
                break
            time.sleep(0.5)
        time.sleep(6)  # a few scrapes in both, enough for rate() over 5s
        cls.at = "%.3f" % time.time()

    @classmethod
    def tearDownClass(cls):
        cls.pair.close()

    @staticmethod
    def query(srv, q, **params):
        # Both servers, Prometheus's wrapper has no get(): the URL by hand.
        url = srv.url + "/api/v1/query?" + urllib.parse.urlencode(dict(query=q, **params))
        status, body = tsdbtest.http_get(url)
        data = json.loads(body)
        if status != 200 or data.get("status") != "success":
            raise AssertionError("%s: %s %s" % (q, status, body))
        return data["data"]

    @classmethod
    def count(cls, srv, q):
        r = cls.query(srv, q)["result"]
        return int(float(r[0]["value"][1])) if r else 0

    def vector(self, srv, q):
        r = self.query(srv, q, time=self.at)["result"]
        return {key(x["metric"]): x["value"][1] for x in r}

    def test_same_series_and_values(self):
        q = '{job="fixtures",__name__!="scrape_duration_seconds"}'
        ref, got = self.vector(self.prom, q), self.vector(self.cairn, q)
        self.assertGreater(len(ref), 1000)
        self.assertEqual(sorted(set(ref) - set(got)), [], "only in Prometheus")
        self.assertEqual(sorted(set(got) - set(ref)), [], "only in cairn-tsdb")
        self.assertEqual([k for k in ref if ref[k] != got[k]], [])

    def test_same_query_answers(self):
        for q in QUERIES:
            with self.subTest(query=q):
                ref, got = self.vector(self.prom, q), self.vector(self.cairn, q)
                self.assertTrue(ref, q)
                if "rate(" in q:  # phases differ; the counters do not move: both 0
                    self.assertEqual(set(ref), set(got))
                    self.assertEqual(set(got.values()), {"0"})
                else:
                    self.assertEqual(ref, got)

    def test_status_config_and_metrics(self):
        data = self.query(self.cairn, "up")
        self.assertEqual(data["resultType"], "vector")
        status, body = self.cairn.get("/api/v1/status/config")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["data"]["yaml"], self.config)


class TsdbScrapeConfigTest(tsdbtest.TsdbCase):
    def test_config_from_environment_and_sighup_reload(self):
        exps = [sf.Exposition("a", "from_a 1\n"), sf.Exposition("b", "from_b 2\n")]
        ex = sf.Exporters(exps)
        self.addCleanup(ex.close)
        one = CONFIG % json.dumps([ex.by_name["a"].address])
        os.environ["CAIRN_SCRAPE_CONFIG"] = one
        try:
            # --config.file names a file that does not exist: the environment wins.
            srv = self.server(os.path.join(self.tmp, "d"), "--config.file=/nonexistent.yml")
        finally:
            del os.environ["CAIRN_SCRAPE_CONFIG"]
        self.wait_for(srv, "from_a", "1")
        # A reload re-reads CAIRN_SCRAPE_CONFIG: the same configuration, no change.
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        self.wait_for(srv, "from_a", "1")
        self.assertIn("Completed loading of configuration file", srv.logtext())
        self.assertEqual(srv.stop(), 0)

    def test_sighup_reload_from_file(self):
        exps = [sf.Exposition("a", "from_a 1\n"), sf.Exposition("b", "from_b 2\n")]
        ex = sf.Exporters(exps)
        self.addCleanup(ex.close)
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(CONFIG % json.dumps([ex.by_name["a"].address]))
        srv = self.server(os.path.join(self.tmp, "d"), "--config.file=" + cfg)
        self.wait_for(srv, "from_a", "1")
        with open(cfg, "w") as f:
            f.write(CONFIG % json.dumps([ex.by_name["b"].address]))
        srv.proc.send_signal(signal.SIGHUP)
        self.wait_for(srv, "from_b", "2")
        # A broken file keeps the running configuration.
        with open(cfg, "w") as f:
            f.write("scrape_configs:\n  - job_name: x\n    scrape_interval: soon\n")
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(1)
        self.assertIn("Error reloading config", srv.logtext())
        self.wait_for(srv, "from_b", "2")
        self.assertEqual(srv.stop(), 0)

    def test_bad_config_refused_with_location(self):
        cfg = os.path.join(self.tmp, "bad.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: x\n"
                    "    scrape_interval: soon\n")
        p = subprocess.run([tsdbtest.TSDB, "--storage.tsdb.path=" + os.path.join(self.tmp, "d"),
                            "--web.listen-address=127.0.0.1:%d" % tsdbtest.free_port(),
                            "--config.file=" + cfg], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(cfg + ":5:", p.stderr)

    def wait_for(self, srv, name, value, timeout=20):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            status, body = srv.get("/api/v1/query", query=name)
            last = body
            r = json.loads(body)["data"]["result"] if status == 200 else []
            if r and r[0]["value"][1] == value:
                return
            time.sleep(0.3)
        raise AssertionError("%s never became %s: %s\n%s" % (name, value, last, srv.logtext()))


if __name__ == "__main__":
    unittest.main()
