"""The differential test of issue 12: Prometheus 2.42 scrapes the fixture
exporters as job "ref" while cairn-scrape scrapes the same targets as job
"cairn" and remote-writes into that Prometheus. Queried back through
Prometheus's HTTP API, both jobs must hold the same series with the same
values, up and the synthetic series included, and the same stale markers
once a series disappears and once a target goes away.
"""
import json
import math
import time
import unittest

import scrapefixtures as sf

INTERVAL = "1s"
TIMEOUT = "500ms"


def config(job, targets, extra=""):
    return """global:
  scrape_interval: %s
  scrape_timeout: %s
scrape_configs:
  - job_name: %s
    static_configs:
      - targets: %s
%s""" % (INTERVAL, TIMEOUT, job, json.dumps(targets), extra)


def key(metric):
    return tuple(sorted((k, v) for k, v in metric.items() if k != "job"))


class DifferentialTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.exps = sf.standard_expositions()
        cls.ex = sf.Exporters(cls.exps)
        targets = cls.ex.addresses()
        cls.prom = sf.Prometheus(config("ref", targets))
        rw = ("remote_write:\n  - url: %s/api/v1/write\n"
              "    queue_config: {batch_send_deadline: 100ms, max_samples_per_send: 2000}\n" % cls.prom.url)
        cls.cairn = sf.CairnScrape(config("cairn", targets, rw))
        cls.start = time.time()
        # Both jobs up on every target (Prometheus applies discovered targets every 5s).
        deadline = time.time() + 40
        while time.time() < deadline:
            counts = [cls.count('count(up{job="%s"})' % j) for j in ("ref", "cairn")]
            if counts == [len(targets)] * 2:
                break
            time.sleep(0.5)
        time.sleep(2.5)  # a few more scrapes each
        # Now a series disappears and a target goes away.
        cls.ex.by_name["flappy"].changed = True
        cls.ex.stop("goaway")
        time.sleep(3.5)  # three intervals: both have scraped the change
        cls.at = time.time()
        time.sleep(0.6)  # let the last remote-write batch land

    @classmethod
    def tearDownClass(cls):
        cls.cairn.stop()
        cls.prom.close()
        cls.ex.close()

    @classmethod
    def count(cls, q):
        r = cls.prom.api("/api/v1/query", query=q)["result"]
        return int(float(r[0]["value"][1])) if r else 0

    def instant(self, job):
        r = self.prom.api("/api/v1/query", query='{job="%s"}' % job, time="%.3f" % self.at)["result"]
        return {key(x["metric"]): x["value"][1] for x in r}

    def series(self, job):
        r = self.prom.api("/api/v1/series", **{"match[]": '{job="%s"}' % job, "start": "%.3f" % (self.start - 60)})
        return {key(m) for m in r}

    def test_same_series(self):
        ref, cairn = self.series("ref"), self.series("cairn")
        self.assertGreater(len(ref), 1000)
        self.assertEqual(sorted(ref - cairn), [], "series only in ref")
        self.assertEqual(sorted(cairn - ref), [], "series only in cairn")

    def test_same_values_and_staleness(self):
        ref, cairn = self.instant("ref"), self.instant("cairn")
        self.assertEqual(sorted(set(ref) - set(cairn)), [], "live only in ref")
        self.assertEqual(sorted(set(cairn) - set(ref)), [], "live only in cairn (missing stale marker?)")
        diffs = []
        for k, v in ref.items():
            name = dict(k)["__name__"]
            if name == "scrape_duration_seconds":
                continue  # timing
            if v != cairn[k] and not (v == "NaN" and cairn[k] == "NaN"):
                diffs.append((k, v, cairn[k]))
        self.assertEqual(diffs, [])

    def test_up_and_synthetic_series(self):
        ref, cairn = self.instant("ref"), self.instant("cairn")
        for name in ("up", "scrape_duration_seconds", "scrape_samples_scraped",
                     "scrape_samples_post_metric_relabeling", "scrape_series_added"):
            r = {k for k in ref if dict(k)["__name__"] == name}
            c = {k for k in cairn if dict(k)["__name__"] == name}
            self.assertEqual(r, c, name)
            self.assertEqual(len(r), len(self.exps), name)
        ups = {dict(k)["instance"]: v for k, v in cairn.items() if dict(k)["__name__"] == "up"}
        by = self.ex.by_name
        for down in ("timeout", "error500", "goaway", "badsyntax", "notfound"):
            self.assertEqual(ups[by[down].address], "0", down)
        for good in ("node", "openmetrics", "gzip", "empty", "flappy"):
            self.assertEqual(ups[good and by[good].address], "1", good)

    def test_stale_markers(self):
        # Series that existed but are stale now: present in /series, absent at "at".
        for job in ("ref", "cairn"):
            live = self.instant(job)
            names = {dict(k)["__name__"] for k in live}
            self.assertNotIn("flappy_a", names, job)
            self.assertIn("flappy_b", names, job)
            self.assertNotIn("goaway_metric", names, job)
            all_names = {dict(k)["__name__"] for k in self.series(job)}
            self.assertIn("flappy_a", all_names, job)
            self.assertIn("goaway_metric", all_names, job)

    def test_scrape_request_headers(self):
        h = self.ex.by_name["node"].headers
        cairn = [x for x in h if x.get("User-Agent", "").startswith("cairn-scrape/")]
        prom = [x for x in h if x.get("User-Agent", "").startswith("Prometheus/")]
        self.assertTrue(cairn and prom)
        for name in ("Accept", "Accept-Encoding", "X-Prometheus-Scrape-Timeout-Seconds"):
            self.assertEqual(cairn[-1].get(name), prom[-1].get(name), name)


if __name__ == "__main__":
    unittest.main()
