"""cairn-scrape as a daemon and a command: --check-config, --check-metrics,
DNS-SD against a DNS server on loopback, file_sd, reload (SIGHUP and
/-/reload), the body size limit, and remote write against Prometheus 2.42
through a fault proxy: an endpoint that is briefly down loses nothing, 4xx
is not retried, SIGTERM flushes the queue."""
import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

import scrapefixtures as sf

BIN = os.environ.get("CAIRN_SCRAPE_BIN", "")


def run(args, stdin=None):
    p = subprocess.run([BIN] + args, input=stdin, capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def wait_for(fn, timeout=20, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(step)
    return fn()


class CommandTest(unittest.TestCase):
    def test_help_and_version(self):
        rc, out, _ = run(["--help"])
        self.assertEqual(rc, 0)
        for flag in ("--config.file", "--web.listen-address", "--check-config", "--check-metrics",
                     "--discovery.dns-server"):
            self.assertIn(flag, out)
        rc, out, _ = run(["--version"])
        self.assertEqual(rc, 0)
        self.assertTrue(out.startswith("cairn-scrape, version "))

    def test_unknown_flag(self):
        rc, _, err = run(["--config.fil=x"])
        self.assertEqual(rc, 2)
        self.assertIn("unknown long flag '--config.fil'", err)

    def test_check_config_seed_template(self):
        src = os.path.join(os.environ["CAIRN_SOURCE_DIR"], "templates", "files", "prometheus.yml")
        with open(src) as f:
            text = f.read()
        for k, v in (("${param.scrape_interval}", "15s"), ("${stack.name}", "demo"),
                     ("${param.service_domain}", "demo.local")):
            text = text.replace(k, v)
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            f.write(text)
        rc, out, err = run(["--check-config", f.name])
        self.assertEqual(rc, 0, err)
        self.assertIn("SUCCESS: 3 scrape configs", out)

    def test_check_config_errors_are_located(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            f.write("global:\n  scrape_interval: 1m\nscrape_configs:\n  - job_name: a\n"
                    "    scrape_interval: 10s\n    scrape_timeout: 20s\n  - job_name: b\n    metric_path: /m\n")
        rc, _, err = run(["--check-config", f.name])
        self.assertEqual(rc, 1)
        self.assertIn("%s:6:21: error: scrape timeout greater than scrape interval for scrape config "
                      "with job name \"a\"" % f.name, err)
        self.assertIn("%s:8:5: error: unknown key 'metric_path' in a scrape config; did you mean "
                      "'metrics_path'?" % f.name, err)

    def test_check_metrics(self):
        rc, _, err = run(["--check-metrics"], stdin=sf.node_exporter_page())
        self.assertEqual(rc, 0, err)
        rc, _, err = run(["--check-metrics"], stdin=sf.BAD_SYNTAX)
        self.assertEqual(rc, 1)
        self.assertIn("<stdin>:3:", err)
        rc, _, err = run(["--check-metrics", "--openmetrics"], stdin=sf.OPENMETRICS_BODY)
        self.assertEqual(rc, 0, err)
        rc, _, err = run(["--check-metrics", "--openmetrics"], stdin=sf.HISTOGRAM)  # no # EOF
        self.assertEqual(rc, 1)


class DaemonTest(unittest.TestCase):
    """Each test runs its own Prometheus (the remote-write receiver) and cairn-scrape."""

    def setUp(self):
        self.prom = sf.Prometheus("global:\n  scrape_interval: 1h\n")
        self.cleanup = [self.prom.close]

    def tearDown(self):
        for fn in reversed(self.cleanup):
            fn()

    def start(self, config, rw_url=None, queue="batch_send_deadline: 100ms", env=None, extra=()):
        rw = "remote_write:\n  - url: %s/api/v1/write\n    queue_config: {%s}\n" % (rw_url or self.prom.url, queue)
        c = sf.CairnScrape(config + rw, env=env, extra=extra)
        self.cleanup.append(lambda: c.proc.poll() is None and c.stop())
        return c

    def query(self, q):
        return self.prom.api("/api/v1/query", query=q)["result"]

    def instances(self, job):
        return sorted(x["metric"]["instance"] for x in self.query('up{job="%s"} == 1' % job))

    def test_dns_sd_targets_follow_records(self):
        dns = sf.DNSServer()
        self.cleanup.append(dns.close)
        port = sf.free_port()
        servers = [sf.serve_on(sf.Exposition("n%d" % i, "dns_target %d\n" % i), "127.0.0.%d" % i, port)
                   for i in (2, 3, 4)]
        for s in servers:
            self.cleanup.append(s.close)
        dns.records[("svc.test.", "A")] = ["127.0.0.2", "127.0.0.3"]
        dns.records[("_m._tcp.test.", "SRV")] = [(0, 0, port, "127.0.0.4.")]
        cfg = ("global: {scrape_interval: 1s}\nscrape_configs:\n"
               "  - job_name: dns\n    dns_sd_configs:\n"
               "      - {names: [svc.test], type: A, port: %d, refresh_interval: 1s}\n"
               "  - job_name: srv\n    dns_sd_configs:\n      - {names: [_m._tcp.test], refresh_interval: 1s}\n"
               "    relabel_configs:\n      - {source_labels: [__meta_dns_srv_record_target], target_label: srv}\n"
               % port)
        self.start(cfg, extra=["--discovery.dns-server=" + dns.address])
        a, b, c = ("127.0.0.%d:%d" % (i, port) for i in (2, 3, 4))
        self.assertEqual(wait_for(lambda: self.instances("dns") == [a, b]), True)
        srv = wait_for(lambda: self.query('up{job="srv"}'))
        self.assertEqual(srv[0]["metric"]["instance"], c)
        self.assertEqual(srv[0]["metric"]["srv"], "127.0.0.4.")
        # A record goes away: its target goes, its series turn stale.
        dns.records[("svc.test.", "A")] = ["127.0.0.3"]
        self.assertTrue(wait_for(lambda: [x["metric"]["instance"] for x in self.query('dns_target{job="dns"}')] == [b]))
        # Appears again.
        dns.records[("svc.test.", "A")] = ["127.0.0.2", "127.0.0.3"]
        self.assertTrue(wait_for(lambda: self.instances("dns") == [a, b]))
        # NXDOMAIN: no targets at all.
        del dns.records[("svc.test.", "A")]
        self.assertTrue(wait_for(lambda: not self.query('dns_target{job="dns"}')))
        self.assertIn(("svc.test.", "A"), dns.queries)

    def test_file_sd_rereads_on_change(self):
        ex = sf.Exporters([sf.Exposition("f1", "file_target 1\n"), sf.Exposition("f2", "file_target 2\n")])
        self.cleanup.append(ex.close)
        d = tempfile.mkdtemp()
        path = os.path.join(d, "targets.json")
        with open(path, "w") as f:
            json.dump([{"targets": [ex.by_name["f1"].address], "labels": {"team": "a"}}], f)
        cfg = ("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: file\n"
               "    file_sd_configs: [{files: ['%s/*.json']}]\n" % d)
        self.start(cfg)
        self.assertTrue(wait_for(lambda: self.query('file_target{job="file",team="a"}')))
        with open(path + ".tmp", "w") as f:
            json.dump([{"targets": [ex.by_name["f2"].address], "labels": {"team": "b"}}], f)
        os.rename(path + ".tmp", path)
        self.assertTrue(wait_for(lambda: [x["metric"]["team"] for x in self.query('file_target{job="file"}')] == ["b"]))

    def test_reload_keeps_scraping_and_refuses_bad_config(self):
        ex = sf.Exporters([sf.Exposition("r1", "reload_metric 1\n"), sf.Exposition("r2", "reload_metric 2\n")])
        self.cleanup.append(ex.close)
        base = "global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: one\n    static_configs: [{targets: ['%s']}]\n" % ex.by_name["r1"].address
        c = self.start(base)
        self.assertTrue(wait_for(lambda: self.instances("one")))
        with open(c.config) as f:
            text = f.read()
        with open(c.config, "w") as f:
            f.write(text.replace("scrape_configs:\n", "scrape_configs:\n  - job_name: two\n    static_configs: [{targets: ['%s']}]\n" % ex.by_name["r2"].address))
        c.proc.send_signal(signal.SIGHUP)
        self.assertTrue(wait_for(lambda: self.instances("two")))
        before = ex.by_name["r1"].requests
        # A broken file: /-/reload answers 500 and the old configuration keeps running.
        with open(c.config, "w") as f:
            f.write("scrape_configs:\n  - job_nme: x\n")
        req = urllib.request.Request(c.url + "/-/reload", method="POST")
        with self.assertRaises(urllib.error.HTTPError) as cm:
            urllib.request.urlopen(req, timeout=10)
        self.assertEqual(cm.exception.code, 500)
        self.assertIn("unknown key 'job_nme'", cm.exception.read().decode())
        self.assertTrue(wait_for(lambda: ex.by_name["r1"].requests > before + 1))
        # up of job one has no gap: one sample per scrape across the reload.
        n = float(self.query('count_over_time(up{job="one"}[1m])')[0]["value"][1])
        self.assertGreaterEqual(n, ex.by_name["r1"].requests - 2)

    def test_body_size_limit(self):
        ex = sf.Exporters([sf.Exposition("big", sf.node_exporter_page())])
        self.cleanup.append(ex.close)
        cfg = ("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: big\n    body_size_limit: 10KB\n"
               "    static_configs: [{targets: ['%s']}]\n" % ex.by_name["big"].address)
        c = self.start(cfg)
        self.assertTrue(wait_for(lambda: self.query('up{job="big"} == 0')))
        self.assertGreater(c.metrics()["prometheus_target_scrapes_exceeded_body_size_limit_total"], 0)
        self.assertFalse(self.query('node_load1{job="big"}'))

    def rw_stats(self, c, name):
        return sum(v for k, v in c.metrics().items() if k.startswith(name + "{"))

    def test_remote_write_outage_loses_nothing(self):
        ex = sf.Exporters([sf.Exposition("o", sf.HISTOGRAM)])
        self.cleanup.append(ex.close)
        proxy = sf.FaultProxy(self.prom.url)
        self.cleanup.append(proxy.close)
        proxy.status = 503
        cfg = ("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: o\n"
               "    static_configs: [{targets: ['%s']}]\n" % ex.by_name["o"].address)
        c = self.start(cfg, rw_url=proxy.url,
                       queue="batch_send_deadline: 100ms, min_backoff: 50ms, max_backoff: 400ms")
        time.sleep(2.5)
        proxy.status, proxy.headers = 429, {"Retry-After": "1"}
        time.sleep(1.5)
        self.assertGreater(self.rw_stats(c, "prometheus_remote_storage_samples_retried_total"), 0)
        proxy.status = None
        self.assertTrue(wait_for(lambda: self.rw_stats(c, "prometheus_remote_storage_samples_pending") == 0))
        scrapes = ex.by_name["o"].requests
        time.sleep(0.3)
        got = float(self.query('count_over_time(up{job="o"}[5m])')[0]["value"][1])
        self.assertGreaterEqual(got, scrapes - 1)  # the scrape in flight may not be sent yet
        self.assertEqual(self.rw_stats(c, "prometheus_remote_storage_samples_failed_total"), 0)
        self.assertEqual(self.rw_stats(c, "prometheus_remote_storage_samples_dropped_total"), 0)
        self.assertIn(503, proxy.seen)
        self.assertIn(429, proxy.seen)

    def test_remote_write_4xx_is_not_retried(self):
        ex = sf.Exporters([sf.Exposition("x", "four 1\n")])
        self.cleanup.append(ex.close)
        proxy = sf.FaultProxy(self.prom.url)
        self.cleanup.append(proxy.close)
        proxy.status = 400
        cfg = ("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: x\n"
               "    static_configs: [{targets: ['%s']}]\n" % ex.by_name["x"].address)
        c = self.start(cfg, rw_url=proxy.url)
        self.assertTrue(wait_for(lambda: self.rw_stats(c, "prometheus_remote_storage_samples_failed_total") > 0))
        self.assertEqual(self.rw_stats(c, "prometheus_remote_storage_samples_retried_total"), 0)
        self.assertEqual(len(proxy.seen), len([s for s in proxy.seen if s == 400]))

    def test_sigterm_flushes_the_queue(self):
        ex = sf.Exporters([sf.Exposition("t", "flushed_metric 1\n")])
        self.cleanup.append(ex.close)
        cfg = ("global: {scrape_interval: 1s}\nscrape_configs:\n  - job_name: t\n"
               "    static_configs: [{targets: ['%s']}]\n" % ex.by_name["t"].address)
        c = self.start(cfg, queue="batch_send_deadline: 1m, max_samples_per_send: 100000")
        self.assertTrue(wait_for(lambda: ex.by_name["t"].requests >= 2))
        self.assertFalse(self.query('flushed_metric{job="t"}'))  # nothing sent yet
        self.assertEqual(c.stop(signal.SIGTERM), 0)
        self.assertTrue(self.query('flushed_metric{job="t"}'))


if __name__ == "__main__":
    unittest.main()
