"""cairn-tsdb forwards what it scrapes to the remote_write URLs of its
configuration, as Prometheus does: a real Prometheus 2.42 with
--web.enable-remote-write-receiver receives it, and every series and sample
it holds must be cairn-tsdb's own, with the external labels added and the
series write_relabel_configs drops left out. A reload to a configuration
without targets stops the stream (stale markers and all are sent), so both
sides can be compared sample for sample.
"""
import json
import os
import signal
import time
import urllib.parse

import scrapefixtures as sf
import tsdbtest

CONFIG = """global:
  scrape_interval: 1s
  scrape_timeout: 500ms
  external_labels:
    replica: r1
scrape_configs:
  - job_name: fixtures
    static_configs:
      - targets: %s
remote_write:
  - url: %s/api/v1/write
    name: receiver
    queue_config:
      batch_send_deadline: 200ms
      max_samples_per_send: 300
    write_relabel_configs:
      - source_labels: [__name__]
        regex: "node_network_.*"
        action: drop
"""

STABLE = ("node", "promclient", "histogram", "escapes", "special", "openmetrics", "error500")
SELECT = '{__name__=~".+"}[10m]'


class RemoteWriteTest(tsdbtest.TsdbCase):
    def matrix(self, url, at):
        q = urllib.parse.urlencode({"query": SELECT, "time": at})
        status, body = tsdbtest.http_get(url + "/api/v1/query?" + q)
        self.assertEqual(status, 200, body)
        out = {}
        for r in json.loads(body)["data"]["result"]:
            out[tuple(sorted(r["metric"].items()))] = r["values"]
        return out

    def test_scraped_samples_reach_a_real_prometheus(self):
        ex = sf.Exporters([e for e in sf.standard_expositions() if e.name in STABLE])
        self.addCleanup(ex.close)
        recv = sf.Prometheus("global:\n  scrape_interval: 1h\n")
        self.addCleanup(recv.close)
        cfg = os.path.join(self.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(CONFIG % (json.dumps(ex.addresses()), recv.url))
        srv = self.server(os.path.join(self.tmp, "d"), "--config.file=" + cfg)
        time.sleep(4)  # a few scrapes of every target
        # Stop scraping (the targets go: stale markers, sent too), keep the sender.
        with open(cfg, "w") as f:
            f.write((CONFIG % ("[]", recv.url)).replace(
                "    static_configs:\n      - targets: []\n", ""))
        srv.proc.send_signal(signal.SIGHUP)
        time.sleep(1.5)
        at = "%.3f" % time.time()
        local = self.matrix(srv.url, at)
        want = {}
        for k, v in local.items():
            if not dict(k)["__name__"].startswith("node_network_"):
                want[tuple(sorted(k + (("replica", "r1"),)))] = v
        self.assertGreater(len(want), 300)
        self.assertLess(len(want), len(local))  # the relabel rule dropped some
        deadline = time.time() + 20
        got = None
        while time.time() < deadline:
            got = self.matrix(recv.url, at)
            if got == want:
                break
            time.sleep(0.5)
        self.assertEqual(sorted(set(want) - set(got)), [], "not received")
        self.assertEqual(sorted(set(got) - set(want)), [], "received, not scraped")
        self.assertEqual([k for k in want if want[k] != got[k]], [])
        status, body = srv.get("/metrics")
        self.assertEqual(status, 200)
        sent = [line for line in body.splitlines()
                if line.startswith("prometheus_remote_storage_samples_total{")]
        self.assertEqual(len(sent), 1, body)
        self.assertIn('remote_name="receiver"', sent[0])
        # The reload replaced the sender (counters start again; Prometheus keeps a queue
        # whose configuration did not change): it sent the stale markers at least.
        self.assertGreater(float(sent[0].rsplit(" ", 1)[1]), 0)
        self.assertEqual(srv.stop(), 0)
        log = srv.logtext()
        self.assertNotIn("Sanitizer", log)
        self.assertNotIn("runtime error", log)


if __name__ == "__main__":
    import unittest
    unittest.main()
