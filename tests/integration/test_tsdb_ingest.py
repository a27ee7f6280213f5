"""Remote-write ingestion compared with Prometheus 2.42 on the same stream:
the same directory contents (promtool dump of both), the same API answers,
the same rejections (out of order, duplicates, bad bodies), and a Prometheus
started on cairn-tsdb's directory (WAL and all) serves the same series."""
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request

from tsdbtest import TsdbCase, http_get, parse_dump, promtool, send, TSDB


def post(url, body, headers=None):
    req = urllib.request.Request(url, data=body, method="POST", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


class Ingest(TsdbCase):
    def setUp(self):
        super().setUp()
        self.start = (int(time.time()) - 3600) * 1000

    def both(self):
        c = self.server(os.path.join(self.tmp, "cairn"))
        p = self.server(os.path.join(self.tmp, "prom"), prometheus=True)
        return c, p

    def test_same_stream_same_data_and_answers(self):
        c, p = self.both()
        _, acked_c, _ = send(c.url, 30, 240, self.start, 15000, per=40)
        _, acked_p, _ = send(p.url, 30, 240, self.start, 15000, per=40)
        self.assertEqual(acked_c, acked_p)
        for path, params in [("/api/v1/series", {"match[]": ["rw_temp", '{job="rw",code=~"2.."}']}),
                             ("/api/v1/series", {"match[]": "rw_requests_total",
                                                 "start": str(self.start / 1000),
                                                 "end": str(self.start / 1000 + 600)}),
                             ("/api/v1/labels", {}),
                             ("/api/v1/label/instance/values", {}),
                             ("/api/v1/label/code/values", {"match[]": "rw_temp"}),
                             ("/api/v1/series", {}),
                             ("/api/v1/series", {"match[]": '{job=~".*"}'}),
                             ("/api/v1/series", {"match[]": "rw_temp{"}),
                             ("/api/v1/series", {"match[]": "up", "start": "yesterday"}),
                             ("/api/v1/label/bad-name/values", {}),
                             ("/api/v1/rules", {}),
                             ("/api/v1/alerts", {})]:
            sc, bc = c.get(path, **params)
            sp, bp = p.get(path, **params)
            self.assertEqual(sc, sp, (path, params, bc, bp))
            if sc == 200:
                self.assertEqual(bc, bp, (path, params))
            else:
                jc, jp = json.loads(bc), json.loads(bp)
                self.assertEqual(jc["status"], jp["status"])
                self.assertEqual(jc["errorType"], jp["errorType"], (path, params, bc, bp))
        self.assertEqual(c.stop(), 0)
        self.assertEqual(p.stop(), 0)
        dc = promtool("tsdb", "dump", c.path).stdout
        dp = promtool("tsdb", "dump", p.path).stdout
        self.assertEqual(sorted(dc.splitlines()), sorted(dp.splitlines()))
        self.assertEqual(parse_dump(dc), acked_c)
        # Prometheus opens cairn-tsdb's directory (a copy): WAL replay gives the same series.
        copy = os.path.join(self.tmp, "copy")
        shutil.copytree(c.path, copy)
        os.unlink(os.path.join(copy, "lock"))
        self.assertTrue(os.listdir(os.path.join(copy, "chunks_head")))
        p2 = self.server(copy, prometheus=True)
        c2 = self.server(c.path)
        # It loads cairn-tsdb's m-mapped head chunks (chunks_head/ in its format) as its own:
        # no corruption, and the query below reads them (replay skips the samples they hold).
        s, m = p2.get("/metrics")
        self.assertIn("\nprometheus_tsdb_mmap_chunk_corruptions_total 0\n", m)
        self.assertNotIn("Loading on-disk chunks failed", p2.logtext())
        for q in ("rw_temp", "rw_requests_total"):
            s1, b1 = p2.get("/api/v1/series", **{"match[]": q})
            s2, b2 = c2.get("/api/v1/series", **{"match[]": q})
            self.assertEqual((s1, b1), (s2, b2))
        s, body = p2.api("/api/v1/query", query='rw_temp{instance="host-0:9100"}[2h]',
                         time=str(self.start / 1000 + 240 * 15))
        self.assertEqual(s, 200)
        vals = body["data"]["result"][0]["values"]
        want = [a for a in acked_c if a[0].startswith('{__name__="rw_temp", code="200", instance="host-0:9100"')]
        self.assertEqual([round(float(t) * 1000) for t, _ in vals], [w[1] for w in want])
        # And cairn-tsdb opens what Prometheus wrote (WAL only, no blocks yet).
        pcopy = os.path.join(self.tmp, "pcopy")
        shutil.copytree(p.path, pcopy)
        c3 = self.server(pcopy)
        s1, b1 = c3.get("/api/v1/series", **{"match[]": "rw_temp"})
        s2, b2 = c2.get("/api/v1/series", **{"match[]": "rw_temp"})
        self.assertEqual((s1, b1), (s2, b2))

    def test_rejections_match_prometheus(self):
        c, p = self.both()
        for srv in (c, p):
            send(srv.url, 5, 20, self.start, 15000, per=20)
        # The last timestamp again with another value: a duplicate, refused in both.
        results = [send(srv.url, 5, 1, self.start + 19 * 15000, 15000, per=1, check=False)
                   for srv in (c, p)]
        self.assertEqual(results[0], results[1])
        self.assertEqual(results[0][0], 3)
        self.assertIn("400: duplicate sample for timestamp", results[0][2])
        # The whole stream again: its first samples are out of order, in both.
        results = [send(srv.url, 5, 20, self.start, 15000, per=20, check=False)
                   for srv in (c, p)]
        self.assertEqual(results[0], results[1])
        self.assertEqual(results[0][0], 3)
        # Older samples: out of order, the whole request refused with 400.
        results = []
        for srv in (c, p):
            rc, acked, err = send(srv.url, 5, 3, self.start - 60000, 15000, per=3, check=False)
            results.append((rc, acked, err))
        self.assertEqual(results[0], results[1])
        self.assertEqual(results[0][0], 3)
        self.assertIn("400: out of order sample", results[0][2])
        # Bad bodies.
        url_hdr = {"Content-Encoding": "snappy", "Content-Type": "application/x-protobuf"}
        for body in (b"", b"\xff\xff\xff\xff\xff", b"not snappy at all"):
            sc, _ = post(c.url + "/api/v1/write", body, url_hdr)
            sp, _ = post(p.url + "/api/v1/write", body, url_hdr)
            self.assertEqual(sc, 400, body)
            self.assertEqual(sp, 400, body)
        _, m = c.get("/metrics")
        self.assertIn('prometheus_tsdb_out_of_order_samples_total{type="float"} 2', m)
        self.assertIn("prometheus_tsdb_head_series 5", m)
        # Nothing of the refused request was stored.
        c.stop()
        p.stop()
        self.assertEqual(promtool("tsdb", "dump", c.path).stdout.count("\n"), 100)

    def test_restart_replays_wal(self):
        d = os.path.join(self.tmp, "d")
        c = self.server(d)
        _, acked, _ = send(c.url, 10, 100, self.start, 15000, per=10)
        c.stop(signal.SIGKILL)
        c2 = self.server(d)
        s, body = c2.api("/api/v1/series", **{"match[]": '{job="rw"}'})
        self.assertEqual(len(body["data"]), 10)
        _, more, _ = send(c2.url, 10, 10, self.start + 100 * 15000, 15000, per=10)
        c2.stop()
        got = parse_dump(subprocess.run([TSDB, "tsdb", "dump", d], capture_output=True,
                                        text=True, check=True).stdout)
        self.assertEqual(got, sorted(acked + more, key=lambda x: (x[0], x[1])))

    def test_status_endpoints(self):
        c = self.server(os.path.join(self.tmp, "d"), "--web.enable-admin-api")
        send(c.url, 4, 10, self.start, 15000)
        s, b = c.api("/api/v1/status/tsdb")
        self.assertEqual(b["data"]["headStats"]["numSeries"], 4)
        self.assertEqual(b["data"]["seriesCountByMetricName"][0],
                         {"name": "rw_requests_total", "value": 2})
        s, b = c.api("/api/v1/status/flags")
        self.assertEqual(b["data"]["storage.tsdb.retention.time"], "15d")
        s, b = c.api("/api/v1/status/buildinfo")
        self.assertEqual(b["status"], "success")
        s, b = c.api("/api/v1/targets")
        self.assertEqual(b["data"], {"activeTargets": [], "droppedTargets": []})
        self.assertEqual(c.get("/-/healthy"), (200, "Prometheus Server is Healthy.\n"))
        s, b = post(c.url + "/api/v1/admin/tsdb/snapshot", b"")
        self.assertEqual(s, 200, b)
        name = json.loads(b)["data"]["name"]
        snap = os.path.join(c.path, "snapshots", name)
        os.makedirs(os.path.join(snap, "wal"), exist_ok=True)
        promtool("tsdb", "analyze", snap)
        self.assertEqual(promtool("tsdb", "dump", snap).stdout.count("\n"), 40)
        # Without --web.enable-admin-api: Prometheus's 503 "admin APIs disabled".
        c2 = self.server(os.path.join(self.tmp, "e"))
        s, b = post(c2.url + "/api/v1/admin/tsdb/snapshot", b"")
        self.assertEqual(s, 503)
        self.assertEqual(json.loads(b)["error"], "admin APIs disabled")


class PromQL(TsdbCase):
    def test_queries_match_prometheus(self):
        start = (int(time.time()) - 3600) * 1000
        c = self.server(os.path.join(self.tmp, "cairn"))
        p = self.server(os.path.join(self.tmp, "prom"), prometheus=True)
        for srv in (c, p):
            send(srv.url, 12, 200, start, 15000, per=50)
        s0, s1 = start / 1000, start / 1000 + 200 * 15
        cases = [
            ("/api/v1/query_range", {"query": "rw_temp", "start": s0, "end": s1, "step": "60"}),
            ("/api/v1/query_range", {"query": 'rw_requests_total{code="300"}', "start": s0 + 7,
                                     "end": s1, "step": "15"}),
            ("/api/v1/query_range", {"query": "rate(rw_requests_total[5m])", "start": s0,
                                     "end": s1, "step": "120"}),
            ("/api/v1/query_range", {"query": "sum by (code) (rw_temp)", "start": s0, "end": s1,
                                     "step": "300"}),
            ("/api/v1/query", {"query": "rw_temp[3m]", "time": s0 + 1500}),
            ("/api/v1/query", {"query": "count(rw_requests_total)", "time": s1}),
            ("/api/v1/query", {"query": "rw_temp{", "time": s1}),
        ]
        for path, params in cases:
            sc, bc = c.get(path, **params)
            sp, bp = p.get(path, **params)
            self.assertEqual(sc, sp, (path, params, bc, bp))
            self.assertEqual(bc, bp, (path, params))


class DeleteSeries(TsdbCase):
    def test_delete_series_as_prometheus(self):
        start = (int(time.time()) - 3600) * 1000
        c = self.server(os.path.join(self.tmp, "cairn"), "--web.enable-admin-api")
        p = self.server(os.path.join(self.tmp, "prom"), "--web.enable-admin-api", prometheus=True)
        q = urllib.parse.urlencode({"match[]": 'rw_temp{code="200"}',
                                    "start": str(start / 1000 + 300),
                                    "end": str(start / 1000 + 900)})
        for srv in (c, p):
            send(srv.url, 12, 200, start, 15000, per=50)
            s, b = post(srv.url + "/api/v1/admin/tsdb/delete_series?" + q, b"")
            self.assertEqual(s, 204, b)
            s, b = post(srv.url + "/api/v1/admin/tsdb/delete_series", b"")
            self.assertEqual(s, 400, b)
            self.assertEqual(json.loads(b)["error"], "no match[] parameter provided")
        # A selector every series matches, or one that does not parse, is refused as
        # Prometheus 2.42 refuses it: the same status, type and text, which differ by endpoint
        # (/series and delete_series name the parameter; delete_series takes a selector that
        # every series matches, checked last, as it deletes everything).
        for bad in ('{job=~".*"}', '{job="a"'):
            for path in ("/api/v1/series", "/api/v1/labels", "/api/v1/label/job/values",
                         "/api/v1/admin/tsdb/delete_series"):
                if bad.endswith("}") and path.endswith("delete_series"):
                    continue
                answers = []
                for srv in (c, p):
                    url = srv.url + path + "?" + urllib.parse.urlencode({"match[]": bad})
                    s, b = http_get(url) if "/label/" in path else post(url, b"")
                    answers.append((s, json.loads(b)["errorType"], json.loads(b)["error"]))
                self.assertEqual(answers[0][:2], (400, "bad_data"), (path, bad))
                self.assertEqual(answers[0], answers[1], (path, bad))
        rng = {"query": "rw_temp", "start": start / 1000, "end": start / 1000 + 3000,
               "step": "15"}
        self.assertEqual(c.get("/api/v1/query_range", **rng), p.get("/api/v1/query_range", **rng))
        c.stop()
        p.stop()
        dc = promtool("tsdb", "dump", c.path).stdout
        self.assertEqual(sorted(dc.splitlines()),
                         sorted(promtool("tsdb", "dump", p.path).stdout.splitlines()))
        self.assertEqual(len(dc.splitlines()), 12 * 200 - 41)  # one series, t in [300 s, 900 s]
        # The deletion survives a restart (the WAL's tombstones record).
        c2 = self.server(c.path, "--web.enable-admin-api")
        c2.stop()
        self.assertEqual(promtool("tsdb", "dump", c.path).stdout, dc)
        # A selector every series matches deletes every series, as in Prometheus.
        c3 = self.server(c.path, "--web.enable-admin-api")
        q = urllib.parse.urlencode({"match[]": '{job=~".*"}'})
        s, b = post(c3.url + "/api/v1/admin/tsdb/delete_series?" + q, b"")
        self.assertEqual(s, 204, b)
        self.assertEqual(c3.api("/api/v1/series", **{"match[]": '{__name__=~".+"}'}),
                         (200, {"status": "success", "data": []}))
        c3.stop()
