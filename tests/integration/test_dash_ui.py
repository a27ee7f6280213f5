"""cairn-dash's web UI in headless Chromium (Debian's chromium) against a loopback
Prometheus 2.42 scraping a fixture exporter: the two shipped dashboards and the imported
Node Exporter Full render every panel, each chart has drawn series (its canvas pixels, as
counted by the page into data-pixels), no console error; screenshots are kept in
$CAIRN_DASH_SCREENSHOTS (default: a temporary directory) for people to look at."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest

import dashlib
from dashlib import Dash

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = os.environ.get("CAIRN_DASH_SCREENSHOTS") or tempfile.mkdtemp(prefix="dash-shots-")


def chromium(url, *extra):
    prof = tempfile.mkdtemp(prefix="dash-chromium-")
    try:
        r = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--no-first-run", "--user-data-dir=" + prof, "--window-size=1600,2400",
             "--virtual-time-budget=20000"] + list(extra) + [url],
            capture_output=True, text=True, timeout=120)
        return r
    finally:
        shutil.rmtree(prof, ignore_errors=True)


def panels_of(dom):
    body = re.search(r"<body([^>]*)>", dom).group(1)
    attrs = dict(re.findall(r'data-([\w-]+)="([^"]*)"', body))
    panels = []
    for m in re.finditer(r'<div class="panel[^"]*"([^>]*)>', dom):
        a = dict(re.findall(r'data-([\w-]+)="([^"]*)"', m.group(1)))
        panels.append(a)
    return attrs, panels


def setUpModule():
    global EXPORTER, PROM, DASH, DIR
    EXPORTER = dashlib.Exporter()
    PROM = dashlib.Prometheus([("backend", EXPORTER.port), ("node", EXPORTER.port)])
    DIR = tempfile.mkdtemp()
    for f in ("application-overview.json", "monitoring-the-monitors.json"):
        shutil.copy(os.path.join(dashlib.SHIPPED, f), DIR)
    DASH = Dash(env={
        "CAIRN_DASH_DATASOURCES": dashlib.datasources_yaml(PROM.url),
        "CAIRN_DASH_DASHBOARDS": "apiVersion: 1\nproviders:\n  - name: shipped\n"
                                 "    options:\n      path: %s\n" % DIR,
        "GF_AUTH_ANONYMOUS_ENABLED": "true",
        "GF_SERVER_SERVE_FROM_SUB_PATH": "true",
        "GF_SERVER_ROOT_URL": "http://localhost/grafana/"})
    with open(os.path.join(dashlib.DATA, "node-exporter-full.json")) as f:
        nef = json.load(f)
    st, r, _ = DASH.call("POST", "/api/dashboards/import", {"dashboard": nef, "overwrite": True})
    assert st == 200, r
    # a minute's window with 15 s of 1 s samples: every chart has a visible stretch
    PROM.wait_samples('node_load1{job="node"}', 15)
    os.makedirs(SHOTS, exist_ok=True)


def tearDownModule():
    DASH.cleanup()
    PROM.stop()
    EXPORTER.stop()
    shutil.rmtree(DIR, ignore_errors=True)


class Render(unittest.TestCase):
    def render(self, uid, name, min_pixels=50, allow_nodata=(), query=""):
        url = DASH.base + "/d/%s/x?from=now-1m&to=now%s" % (uid, query)
        shot = os.path.join(SHOTS, name + ".png")
        # One start for both. On a loaded machine the virtual-time budget can run out before
        # every panel's query has come back: that page is loaded once more (at most twice),
        # and a page that never finishes still fails.
        for attempt in range(3):
            r = chromium(url, "--dump-dom", "--screenshot=" + shot)
            self.assertEqual(r.returncode, 0, r.stderr[-2000:])
            attrs, panels = panels_of(r.stdout)
            if "render-ms" in attrs:
                break
            print("%s: not finished within the budget (%s), again" % (name, attrs))
        self.assertIn("render-ms", attrs, "the page did not finish rendering")
        self.assertNotIn("console-errors", attrs)
        self.assertEqual(int(attrs["done"]), int(attrs["panels"]))
        self.assertEqual(len(panels), int(attrs["panels"]))
        for p in panels:
            if p["id"] in allow_nodata and p["state"] == "nodata":
                continue
            self.assertEqual(p["state"], "drawn", "panel %s (%s)" % (p["id"], p["type"]))
            if p["type"] != "text" and p["type"] != "table":
                self.assertGreater(int(p["pixels"]), min_pixels,
                                   "panel %s (%s) drew no series" % (p["id"], p["type"]))
        self.assertTrue(os.path.getsize(shot) > 10000)
        self.dom = r.stdout
        return attrs, panels

    def test_application_overview(self):
        attrs, panels = self.render("app-overview", "application-overview")
        self.assertEqual(len(panels), 11)

    def test_monitoring_the_monitors(self):
        # cairn-dash itself is not scraped here, so its own API panel may be empty;
        # storage blocks appear only after the first compaction (2h): no data yet.
        attrs, panels = self.render("monitoring-the-monitors", "monitoring-the-monitors",
                                    allow_nodata=("11",))
        self.assertEqual(len(panels), 11)

    def test_node_exporter_full(self):
        attrs, panels = self.render("rYdddlPWk", "node-exporter-full")
        self.assertEqual(len(panels), 15)  # the panels of its two open rows
        self.assertLess(int(attrs["render-ms"]), 5000)

    def test_other_panel_types_rows_and_variables(self):
        ds = {"type": "prometheus", "uid": "${ds}"}
        m = {"uid": "panel-types", "title": "Panel types", "schemaVersion": 36,
             "templating": {"list": [
                 {"name": "ds", "type": "datasource", "query": "prometheus"},
                 {"name": "route", "type": "query", "datasource": ds, "multi": True,
                  "includeAll": True, "query": "label_values(http_requests_total, route)"},
                 {"name": "q", "type": "custom", "query": "0.5,0.9,0.99", "current": {"value": "0.9"}},
                 {"name": "iv", "type": "interval", "query": "1m,5m"}]},
             "panels": [
                 {"id": 1, "type": "graph", "title": "graph $q", "gridPos": {"x": 0, "y": 0, "w": 12, "h": 7},
                  "datasource": ds, "yaxes": [{"format": "reqps"}, {}],
                  "targets": [{"refId": "A", "expr": 'sum by (route) (rate(http_requests_total{route=~"$route"}[$__rate_interval]))',
                               "legendFormat": "{{route}}"}]},
                 {"id": 2, "type": "heatmap", "title": "heatmap", "gridPos": {"x": 12, "y": 0, "w": 12, "h": 7},
                  "datasource": ds, "targets": [{"refId": "A", "expr": "sum by (le) (rate(http_request_duration_seconds_bucket[$__rate_interval]))",
                                                 "legendFormat": "{{le}}"}]},
                 {"id": 3, "type": "table", "title": "table", "gridPos": {"x": 0, "y": 7, "w": 12, "h": 6},
                  "datasource": ds, "targets": [{"refId": "A", "expr": "up", "instant": True}]},
                 {"id": 4, "type": "text", "title": "text", "gridPos": {"x": 12, "y": 7, "w": 12, "h": 6},
                  "options": {"mode": "markdown", "content": "# Notes\n**bold** <script>x</script>"}},
                 {"id": 5, "type": "row", "title": "collapsed", "collapsed": True, "gridPos": {"x": 0, "y": 13, "w": 24, "h": 1},
                  "panels": [{"id": 6, "type": "stat", "title": "hidden", "gridPos": {"x": 0, "y": 14, "w": 6, "h": 4},
                              "targets": [{"refId": "A", "expr": "up"}]}]}]}
        st, r, _ = DASH.call("POST", "/api/dashboards/db", {"dashboard": m, "overwrite": True})
        self.assertEqual(st, 200, r)
        attrs, panels = self.render("panel-types", "panel-types", query="&var-route=/api/health")
        self.assertEqual(sorted(p["type"] for p in panels), ["graph", "heatmap", "table", "text"])
        self.assertIn("graph 0.9", self.dom)  # custom variable, current value
        self.assertIn('<option value="/api/health" selected="">', self.dom)
        self.assertIn('<div class="u-label">/api/health</div>', self.dom)
        self.assertNotIn('<div class="u-label">/api/projects</div>', self.dom)
        self.assertIn("<h1>Notes</h1>", self.dom)
        self.assertNotIn("<script>x</script>", self.dom)

    def test_json_editor_page(self):
        r = chromium(DASH.base + "/d/app-overview/x/json", "--dump-dom")
        self.assertIn('id="json"', r.stdout)
        self.assertIn('"uid": "app-overview"', r.stdout)
        # provisioned without allowUiUpdates: the editor will not save
        self.assertIn("Provisioned dashboard: saving is disabled.", r.stdout)

    def test_dashboard_list_under_sub_path(self):
        r = chromium(DASH.base + "/", "--dump-dom")
        self.assertIn('data-listed="3"', r.stdout)
        self.assertIn("Node Exporter Full", r.stdout)
        self.assertIn('href="/grafana/d/', r.stdout)


if __name__ == "__main__":
    unittest.main()
