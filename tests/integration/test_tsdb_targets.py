"""The scrape side of the HTTP API, cairn-tsdb against Prometheus 2.42 on the
same fixture exporters (those of test_tsdb_scrape) and the same configuration:
/api/v1/targets (state, scrapePool), /api/v1/targets/metadata and
/api/v1/metadata (metric, limit, match_target), /api/v1/scrape_pools, and the
lifecycle endpoints /-/reload and /-/quit with and without
--web.enable-lifecycle. Answers are compared as JSON with Go's key order kept;
Prometheus lists targets and metadata in Go map order (random), so lists are
compared sorted, and lastScrape / lastScrapeDuration by shape.
"""
import json
import os
import re
import signal
import time
import unittest
import urllib.parse
import urllib.request

import scrapefixtures as sf
import tsdbtest

CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 500ms
scrape_configs:
  - job_name: fixtures
    static_configs:
      - targets: %(targets)s
        labels:
          env: test
      - targets: ["localhost:1"]
    relabel_configs:
      - source_labels: [__address__]
        regex: "localhost:1"
        action: drop
  - job_name: second
    scrape_interval: 2s
    params:
      x: ["1"]
    static_configs:
      - targets: ["localhost:%(local_port)s"]
"""

EXPOSITIONS = ("node", "promclient", "escapes", "openmetrics", "comments", "badsyntax",
               "error500", "timeout", "untyped")

RFC3339NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")


def request(url, method="GET"):
    req = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def ordered(text):
    """JSON with every object as a list of pairs: Go's field order is compared too."""
    return json.loads(text, object_pairs_hook=list)


def canon(x):
    return json.dumps(x, sort_keys=False)


class TargetsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not tsdbtest.TSDB:
            raise AssertionError("CAIRN_TSDB_BIN not set (run through ctest)")
        exps = [e for e in sf.standard_expositions() if e.name in EXPOSITIONS]
        refused = "127.0.0.1:%d" % tsdbtest.free_port()  # nothing listens there
        cls.pair = tsdbtest.ScrapePair(exps, lambda ex: CONFIG % {
            "targets": json.dumps(ex.addresses() + [refused]),
            "local_port": ex.by_name["promclient"].address.split(":")[1]},
            "cairn-tsdb-targets-")
        cls.ex, cls.config, cls.prom, cls.cairn, cls.tmp = (
            cls.pair.ex, cls.pair.config, cls.pair.prom, cls.pair.cairn, cls.pair.tmp)
        cls.ntargets = len(exps) + 2
        cls.parse_error_url = "http://%s/metrics" % cls.ex.by_name["badsyntax"].address
        # Every target scraped at least twice in both (the timeout one fails after 500 ms).
        deadline = time.time() + 30
        while time.time() < deadline:
            if all(cls.scraped(s) for s in (cls.prom, cls.cairn)):
                break
            time.sleep(0.3)
        time.sleep(2.2)

    @classmethod
    def tearDownClass(cls):
        cls.pair.close()

    @classmethod
    def scraped(cls, srv):
        status, _, body = request(srv.url + "/api/v1/targets?state=active")
        active = json.loads(body)["data"]["activeTargets"] if status == 200 else []
        return len(active) == cls.ntargets and all(t["health"] != "unknown" for t in active)

    def both(self, path, **params):
        q = urllib.parse.urlencode(params, doseq=True)
        out = []
        for srv in (self.prom, self.cairn):
            out.append(request(srv.url + path + ("?" + q if q else "")))
        return out

    def targets(self, srv, **params):
        q = urllib.parse.urlencode(params)
        status, ctype, body = request(srv.url + "/api/v1/targets" + ("?" + q if q else ""))
        self.assertEqual(status, 200, body)
        self.assertEqual(ctype, "application/json")
        return ordered(body)

    def normalized(self, doc):
        """The targets answer with the times checked and blanked, target lists sorted."""
        (k1, status), (k2, data) = doc
        self.assertEqual((k1, status, k2), ("status", "success", "data"))
        out = []
        for key, items in data:
            rows = []
            for t in items:
                t = [list(p) for p in t]
                fields = dict(t)
                if "lastScrape" in fields:
                    self.assertRegex(fields["lastScrape"], RFC3339NANO)
                    self.assertIsInstance(fields["lastScrapeDuration"], float)
                    self.assertGreaterEqual(fields["lastScrapeDuration"], 0)
                    self.assertLess(fields["lastScrapeDuration"], 1)
                    for p in t:
                        if p[0] in ("lastScrape", "lastScrapeDuration"):
                            p[1] = "-"
                        if p[0] == "lastError" and self.parse_error_url in canon(t) and p[1]:
                            p[1] = "(parse error)"  # each parser words it its own way
                rows.append(canon(t))
            out.append((key, sorted(rows)))
        return out

    def test_targets_same_as_prometheus(self):
        ref = self.targets(self.prom)
        got = self.targets(self.cairn)
        self.maxDiff = None
        self.assertEqual(self.normalized(got), self.normalized(ref))
        active = dict(ref[1][1])["activeTargets"]
        self.assertEqual(len(active), self.ntargets)
        health = sorted(dict(t)["health"] for t in active)
        self.assertEqual(health.count("down"), 4)  # error500, timeout, badsyntax, refused
        self.assertEqual(len(dict(ref[1][1])["droppedTargets"]), 1)

    def test_targets_parameters(self):
        for params in ({"state": "active"}, {"state": "dropped"}, {"state": "any"},
                       {"state": "Dropped"}, {"state": "bogus"}, {"scrapePool": "second"},
                       {"scrapePool": "fixtures", "state": "dropped"}, {"scrapePool": "none"}):
            with self.subTest(params=params):
                self.assertEqual(self.normalized(self.targets(self.cairn, **params)),
                                 self.normalized(self.targets(self.prom, **params)))

    def test_scrape_pools(self):
        (s1, _, ref), (s2, _, got) = self.both("/api/v1/scrape_pools")
        self.assertEqual((s2, got), (s1, ref))
        self.assertEqual(json.loads(got)["data"]["scrapePools"], ["fixtures", "second"])

    def metadata_rows(self, body):
        doc = ordered(body)
        self.assertEqual(tuple(doc[0]), ("status", "success"))
        return sorted(canon(x) for x in doc[1][1])

    def test_targets_metadata(self):
        for params in ({}, {"metric": "escaped_things"}, {"metric": "om_temp_celsius"},
                       {"match_target": '{job="second"}'}, {"metric": "nope"},
                       {"match_target": '{instance=~".+", env="test"}', "metric": "broken"},
                       {"limit": "0"}, {"limit": "-1"}):
            with self.subTest(params=params):
                (s1, _, ref), (s2, _, got) = self.both("/api/v1/targets/metadata", **params)
                self.assertEqual((s1, s2), (200, 200), got)
                self.assertEqual(self.metadata_rows(got), self.metadata_rows(ref))
        rows = self.metadata_rows(self.both("/api/v1/targets/metadata")[1][2])
        self.assertGreater(len(rows), 20)
        # limit is checked before each target: one whole target's entries.
        for srv in (self.prom, self.cairn):
            status, _, body = request(srv.url + "/api/v1/targets/metadata?limit=1")
            data = json.loads(body)["data"]
            self.assertEqual(len({canon(x["target"]) for x in data}), 1)
            full = json.loads(request(srv.url + "/api/v1/targets/metadata?" + urllib.parse.urlencode(
                {"match_target": "{instance=%s,job=%s}" % (
                    json.dumps(data[0]["target"]["instance"]),
                    json.dumps(data[0]["target"]["job"]))}))[2])["data"]
            self.assertEqual(len(data), len(full))

    def test_metadata(self):
        for params in ({}, {"metric": "om_requests"}, {"metric": "commented_metric"},
                       {"metric": "nope"}, {"limit": "0"}):
            with self.subTest(params=params):
                (s1, _, ref), (s2, _, got) = self.both("/api/v1/metadata", **params)
                self.assertEqual((s1, s2), (200, 200), got)
                r, g = json.loads(ref)["data"], json.loads(got)["data"]
                self.assertEqual({k: sorted(map(canon, v)) for k, v in g.items()},
                                 {k: sorted(map(canon, v)) for k, v in r.items()})
        (_, _, ref), (_, _, got) = self.both("/api/v1/metadata", limit="3")
        r, g = json.loads(ref)["data"], json.loads(got)["data"]
        full = json.loads(self.both("/api/v1/metadata")[1][2])["data"]
        self.assertEqual((len(g), len(r)), (3, 3))
        self.assertTrue(set(g) <= set(full))

    def test_bad_parameters(self):
        for path, params in (("/api/v1/metadata", {"limit": "abc"}),
                             ("/api/v1/targets/metadata", {"limit": "1.5"}),
                             ("/api/v1/targets/metadata", {"match_target": '{job=~"a"'}),
                             ("/api/v1/targets/metadata", {"match_target": "{job=}"})):
            with self.subTest(path=path, params=params):
                (s1, c1, ref), (s2, c2, got) = self.both(path, **params)
                self.assertEqual((s2, c2, got), (s1, c1, ref))
                self.assertEqual(s2, 400)

    def test_lifecycle_disabled(self):
        for path in ("/-/reload", "/-/quit"):
            for method in ("GET", "POST", "PUT", "DELETE"):
                with self.subTest(path=path, method=method):
                    ref = request(self.prom.url + path, method)
                    got = request(self.cairn.url + path, method)
                    self.assertEqual(got, ref)
                    self.assertIn(got[0], (403, 405))
        self.assertEqual(self.cairn.proc.poll(), None)


class LifecycleTest(tsdbtest.TsdbCase):
    def test_reload_and_quit(self):
        ex = sf.Exporters([sf.Exposition("a", "# HELP from_a A.\nfrom_a 1\n"),
                           sf.Exposition("b", "# TYPE from_b gauge\nfrom_b 2\n")])
        self.addCleanup(ex.close)
        cfg_a = CONFIG.split("  - job_name: second")[0] % {
            "targets": json.dumps([ex.by_name["a"].address]), "local_port": ""}
        cfg_b = cfg_a.replace(ex.by_name["a"].address, ex.by_name["b"].address)
        prom = sf.Prometheus(cfg_a, extra=["--web.enable-lifecycle"])
        self.addCleanup(prom.close)
        path = os.path.join(self.tmp, "prometheus.yml")
        with open(path, "w") as f:
            f.write(cfg_a)
        cairn = self.server(os.path.join(self.tmp, "d"), "--config.file=" + path,
                            "--web.enable-lifecycle")
        files = {prom.url: os.path.join(prom.dir, "prometheus.yml"), cairn.url: path}

        def write_all(text):
            for f in files.values():
                with open(f, "w") as fh:
                    fh.write(text)

        def urls(url):
            body = request(url + "/api/v1/targets?state=active")[2]
            return sorted(t["scrapeUrl"] for t in json.loads(body)["data"]["activeTargets"])

        write_all(cfg_b)
        for url in files:
            self.assertEqual(request(url + "/-/reload", "POST")[0::2], (200, ""))
        deadline = time.time() + 10
        while time.time() < deadline and urls(cairn.url) != urls(prom.url):
            time.sleep(0.2)
        self.assertEqual(urls(cairn.url), ["http://%s/metrics" % ex.by_name["b"].address])
        self.assertEqual(urls(cairn.url), urls(prom.url))
        # A broken file: 500 with the reason (cairn's carries file:line:col), old one kept.
        write_all(cfg_b.replace("scrape_interval: 1s", "scrape_interval: soon"))
        for url in files:
            status, ctype, body = request(url + "/-/reload", "PUT")
            self.assertEqual((status, ctype), (500, "text/plain; charset=utf-8"), body)
            self.assertTrue(body.startswith("failed to reload config: "), body)
            self.assertIn('not a valid duration string: "soon"', body)
        self.assertIn(path + ":2:20:", request(cairn.url + "/-/reload", "POST")[2])
        self.assertEqual(urls(cairn.url), urls(prom.url))
        # Quit: the same answer, then both exit cleanly.
        got = request(cairn.url + "/-/quit", "POST")
        ref = request(prom.url + "/-/quit", "POST")
        self.assertEqual(got, ref)
        self.assertEqual(got[0::2], (200, "Requesting termination... Goodbye!"))
        self.assertEqual(cairn.proc.wait(timeout=30), 0)
        self.assertEqual(prom.proc.wait(timeout=30), 0)
        log = cairn.logtext()
        self.assertIn("Received termination request via web service", log)
        self.assertNotIn("Sanitizer", log)

    def test_reload_without_configuration(self):
        srv = self.server(os.path.join(self.tmp, "d"), "--web.enable-lifecycle")
        status, _, body = request(srv.url + "/-/reload", "POST")
        self.assertEqual(status, 500)
        self.assertEqual(body, "failed to reload config: no scrape configuration at start\n")
        status, _, body = request(srv.url + "/api/v1/targets")
        self.assertEqual(json.loads(body)["data"], {"activeTargets": [], "droppedTargets": []})
        self.assertEqual(srv.stop(signal.SIGTERM), 0)


if __name__ == "__main__":
    unittest.main()
