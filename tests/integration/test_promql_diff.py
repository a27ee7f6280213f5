"""Differential test of cairn's PromQL engine against Prometheus 2.42 on loopback.

Prometheus 2.42 scrapes two fixture exporters (instances a:9100 and b:9100) every second for a
minute: counters with resets, gauges, a classic histogram, a summary, a series that appears late
and goes away (a staleness marker), and exporter b stops before the end (every one of its series
goes stale, up becomes 0). Prometheus remote-writes everything it ingests, its own `up` and
`scrape_*` series included, to cairn-tsdb. Once cairn-tsdb holds the same samples, every query
below runs against both over HTTP as an instant query at several times and as a range query
over three ranges and steps, plus malformed queries, bad parameters, query_exemplars and
format_query. Results must agree within 1e-9 relative (NaN equal to NaN); error responses must
have the same status and errorType, and parse errors the same text.

Needs /usr/bin/prometheus (Debian's prometheus package, 2.42). Run through ctest (it sets
CAIRN_TSDB_BIN): ctest --test-dir build -R test_promql_diff
"""

import http.server
import json
import math
import os
import random
import shutil
import socket
import socketserver
import subprocess
import tempfile
import threading
import time
import unittest
import urllib.error

import scrapefixtures as sf
import urllib.parse
import urllib.request

TSDB = os.environ.get("CAIRN_TSDB_BIN", "")
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"

SCRAPE = 1.0  # seconds between scrapes
SPAN = 62  # seconds of scraping (the Done-when asks for at least a minute)


class Exporter:
    """One fixture target; its page changes at every scrape."""

    def __init__(self, name, seed):
        self.name = name
        self.rnd = random.Random(seed)
        self.n = 0
        self.req = {"get": 0.0, "post": 0.0}
        self.bounds = ("0.05", "0.1", "0.25", "0.5", "1", "+Inf")
        self.counts = [0.0] * len(self.bounds)
        self.total = 0.0
        self.lock = threading.Lock()
        self.started = time.time()

    def page(self):
        with self.lock:
            return self._page()

    def _page(self):
        rnd, i = self.rnd, self.n
        self.n += 1
        age = time.time() - self.started
        out = ["# TYPE http_requests_total counter"]
        for m in ("get", "post"):
            self.req[m] += rnd.randint(0, 20)
            if m == "get" and i % 23 == 22:
                self.req[m] = rnd.randint(0, 5)  # counter reset
            out.append('http_requests_total{method="%s"} %s' % (m, repr(self.req[m])))
        out.append("# TYPE node_load1 gauge")
        out.append("node_load1 %s" % repr(round(1 + math.sin(i / 7) + rnd.random(), 3)))
        out.append("# TYPE node_memory_MemFree_bytes gauge")
        out.append("node_memory_MemFree_bytes %s" % repr(float(2**30 + rnd.randint(-2**20, 2**20))))
        out.append("# TYPE temp_celsius gauge")
        out.append('temp_celsius{room="office"} %s' % repr(18 + (i % 11) * 0.25))
        if self.name == "a" and 15 <= age < 40:  # appears late, then goes stale
            out.append('temp_celsius{room="lab"} %s' % repr(20 + (i % 7) * 0.5))
        for _ in range(rnd.randint(0, 10)):
            x = rnd.expovariate(4)
            self.total += x
            for k, b in enumerate(self.bounds):
                if b == "+Inf" or x <= float(b):
                    self.counts[k] += 1
        out.append("# TYPE req_duration_seconds histogram")
        for k, b in enumerate(self.bounds):
            out.append('req_duration_seconds_bucket{le="%s"} %s' % (b, repr(self.counts[k])))
        out.append("req_duration_seconds_sum %s" % repr(round(self.total, 6)))
        out.append("req_duration_seconds_count %s" % repr(self.counts[-1]))
        out.append("# TYPE rpc_seconds summary")
        for q in ("0.5", "0.9", "0.99"):
            out.append('rpc_seconds{quantile="%s"} %s' % (q, repr(round(float(q) * (1 + (i % 5) / 10), 4))))
        out.append("rpc_seconds_sum %s" % repr(float(i * 3)))
        out.append("rpc_seconds_count %s" % repr(float(i * 4)))
        return "\n".join(out) + "\n"


class NodeExporter:
    """A node_exporter page (the fixture of the scrape tests, two of each device) whose counters
    grow by a different step at every scrape, for the Node Exporter Full dashboard's queries."""

    def __init__(self):
        self.lines = sf.node_exporter_page(cpus=4, disks=2, ifaces=2, filesystems=2).splitlines()
        self.n = 0
        self.lock = threading.Lock()

    def page(self):
        with self.lock:
            self.n += 1
            n = self.n
        out = []
        for k, line in enumerate(self.lines):
            if not line.startswith("#") and "_total" in line.split(" ")[0].split("{")[0]:
                name, v = line.rsplit(" ", 1)
                line = "%s %s" % (name, repr(float(v) + n * (k % 7 + 1) * 0.25 + (n * k) % 3))
            out.append(line)
        out.append("node_time_seconds %s" % repr(round(time.time(), 3)))
        return "\n".join(out) + "\n"


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_GET(self):
        body = self.server.exporter.page().encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; version=0.0.4")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def serve(exporter):
    srv = _Server(("127.0.0.1", 0), _Handler)
    srv.exporter = exporter
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def start_process(argv, url, logpath):
    log = open(logpath, "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(url + "/-/ready", timeout=2)
            return proc, log
        except Exception:
            if time.time() > deadline or proc.poll() is not None:
                raise RuntimeError("%s did not become ready: %s" % (argv[0], open(logpath).read()[-2000:]))
            time.sleep(0.2)


QUERIES = [
    # selectors and modifiers
    'http_requests_total', 'http_requests_total{method="get"}', 'http_requests_total{method!="get"}',
    'http_requests_total{instance=~"a.*"}', 'http_requests_total{instance!~"a.*"}',
    '{__name__=~"node_.*"}', 'http_requests_total offset 5m', 'http_requests_total[5m]',
    'temp_celsius', 'http_requests_total @ %(mid)d', 'rate(http_requests_total[5m] @ %(mid)d)',
    'http_requests_total offset -5m', 'http_requests_total offset -20s',  # past tend: stale
    # functions of range vectors
    'rate(http_requests_total[5m])', 'rate(http_requests_total[1m])', 'irate(http_requests_total[5m])',
    'increase(http_requests_total[10m])', 'delta(node_load1[5m])', 'idelta(node_load1[5m])',
    'deriv(node_load1[10m])', 'predict_linear(node_load1[10m], 3600)', 'resets(http_requests_total[30m])',
    'changes(node_load1[10m])', 'avg_over_time(node_load1[5m])', 'sum_over_time(node_load1[5m])',
    'min_over_time(node_load1[5m])', 'max_over_time(node_load1[5m])', 'count_over_time(temp_celsius[5m])',
    'last_over_time(temp_celsius[5m])', 'present_over_time(temp_celsius[5m])',
    'absent_over_time(temp_celsius{room="lab"}[5m])', 'absent_over_time(nonexistent[5m])',
    'stddev_over_time(node_load1[10m])', 'stdvar_over_time(node_load1[10m])',
    'quantile_over_time(0.9, node_load1[10m])', 'quantile_over_time(0.5, node_load1[10m])',
    'holt_winters(node_load1[10m], 0.5, 0.5)', 'rate(http_requests_total[5m:1m])',
    'max_over_time(rate(http_requests_total[2m])[10m:30s])', 'avg_over_time(node_load1[10m:])',
    # functions of instant vectors
    'abs(node_load1 - 2)', 'ceil(node_load1)', 'floor(node_load1)', 'round(node_load1)',
    'round(node_load1, 0.1)', 'exp(node_load1)', 'ln(node_load1)', 'log2(node_load1)',
    'log10(node_load1)', 'sqrt(node_load1)', 'sgn(node_load1 - 1.5)', 'clamp(node_load1, 1, 2)',
    'clamp_min(node_load1, 1.5)', 'clamp_max(node_load1, 1.5)', 'sin(node_load1)', 'cos(node_load1)',
    'tan(node_load1)', 'asin(node_load1 / 4)', 'acos(node_load1 / 4)', 'atan(node_load1)',
    'sinh(node_load1)', 'cosh(node_load1)', 'tanh(node_load1)', 'asinh(node_load1)',
    'acosh(node_load1 + 1)', 'atanh(node_load1 / 4)', 'deg(node_load1)', 'rad(node_load1)',
    'pi()', 'time()', 'timestamp(node_load1)', 'timestamp(temp_celsius)', 'vector(1)',
    'scalar(node_load1{instance="a:9100"})', 'scalar(node_load1)', 'absent(nonexistent{job="x"})',
    'absent(node_load1)', 'sort(node_load1)', 'sort_desc(node_load1)', 'year()', 'month()',
    'day_of_month()', 'day_of_week()', 'day_of_year()', 'days_in_month()', 'hour()', 'minute()',
    'hour(timestamp(node_load1))', 'minute(vector(%(mid)d))',
    'label_replace(node_load1, "host", "$1", "instance", "(.*):.*")',
    'label_replace(node_load1, "host", "${1}-x", "instance", "([a-z]+).*")',
    'label_join(node_load1, "combo", "/", "instance", "__name__")',
    'histogram_quantile(0.9, rate(req_duration_seconds_bucket[5m]))',
    'histogram_quantile(0.5, sum by (le) (rate(req_duration_seconds_bucket[5m])))',
    'histogram_quantile(0.99, sum by (le, job) (rate(req_duration_seconds_bucket[10m])))',
    # aggregations
    'sum(http_requests_total)', 'sum by (method) (http_requests_total)',
    'sum without (instance) (http_requests_total)', 'avg(node_load1)', 'min(node_load1)',
    'max(node_load1)', 'count(http_requests_total)', 'group(http_requests_total)',
    'stddev(node_load1)', 'stdvar(node_load1)', 'topk(2, http_requests_total)',
    'bottomk(1, http_requests_total)', 'topk by (method) (1, http_requests_total)',
    'quantile(0.5, node_load1)', 'quantile by (method) (0.9, rate(http_requests_total[5m]))',
    'count_values("v", round(node_load1))', 'count_values without (instance) ("v", round(node_load1))',
    'sum by (job) (rate(http_requests_total[5m]))', 'avg by (instance) (rate(http_requests_total[5m]))',
    # operators
    'node_load1 + 1', '1 - node_load1', 'node_load1 * 2', 'node_load1 / 0', 'node_load1 % 0.7',
    'node_load1 ^ 2', '2 ^ 3 ^ 2', '-node_load1', 'node_load1 > 1.5', 'node_load1 > bool 1.5',
    '1.5 < node_load1', 'node_load1 == bool node_load1', 'node_load1 != 1', 'node_load1 >= 1.7',
    'node_load1 <= 1.7', 'node_load1 atan2 node_load1', 'http_requests_total and http_requests_total{method="get"}',
    'http_requests_total or node_load1', 'http_requests_total unless http_requests_total{method="get"}',
    'http_requests_total / on (instance) group_left node_load1',
    'http_requests_total / ignoring (method, job) group_left node_load1',
    'node_load1 * on (instance) group_right sum by (instance, method) (http_requests_total)',
    'rate(http_requests_total[5m]) / ignoring (method) group_left sum without (method) (rate(http_requests_total[5m]))',
    'sum(rate(http_requests_total[5m])) by (instance) / on (instance) node_load1',
    '1 + 2 * 3', '(1 + 2) * 3', '2 > bool 1', 'node_memory_MemFree_bytes / 1024 / 1024',
    'req_duration_seconds_sum / req_duration_seconds_count',
    'rate(req_duration_seconds_sum[5m]) / rate(req_duration_seconds_count[5m])',
    # dashboard-shaped (Node Exporter Full style, variables filled in)
    'avg(node_load1{instance="a:9100"}) by (instance)',
    '100 - (avg by (instance) (node_memory_MemFree_bytes{instance="a:9100"}) / 2^30 * 100)',
    'sum by (method) (increase(http_requests_total{job="api"}[1h]))',
    # Prometheus orders a range query's inner series by map iteration, so a tie in topk
    # picks a random winner there: the dashboard's topk runs on tie-free values.
    'topk(1, sum by (instance) (node_memory_MemFree_bytes))',
    'count(count by (instance) (node_load1))',
    'sum(rate(http_requests_total{instance=~"a:9100|b:9100"}[2m])) by (method)',
    'max without (quantile) (rpc_seconds)', 'rpc_seconds{quantile="0.99"}',
    'time() - timestamp(temp_celsius)', 'temp_celsius offset 10m @ %(mid)d',
    # Grafana's Node Exporter Full (1860): job="node", instance="node:9100", $__rate_interval=1m
    '(sum by(instance) (irate(node_cpu_seconds_total{instance="node:9100",job="node", mode!="idle"}[1m])) '
    '/ on(instance) group_left sum by (instance)((irate(node_cpu_seconds_total{instance="node:9100",job="node"}[1m])))) * 100',
    'scalar(node_load1{instance="node:9100",job="node"}) * 100 / '
    'count(count(node_cpu_seconds_total{instance="node:9100",job="node"}) by (cpu))',
    '(1 - (node_memory_MemAvailable_bytes{instance="node:9100", job="node"} / '
    'node_memory_MemTotal_bytes{instance="node:9100", job="node"})) * 100',
    '100 - ((node_filesystem_avail_bytes{instance="node:9100",job="node",mountpoint="/mnt/m0",fstype!="rootfs"} * 100) '
    '/ node_filesystem_size_bytes{instance="node:9100",job="node",mountpoint="/mnt/m0",fstype!="rootfs"})',
    'count(count(node_cpu_seconds_total{instance="node:9100",job="node"}) by (cpu))',
    'node_time_seconds{instance="node:9100",job="node"} - node_boot_time_seconds{instance="node:9100",job="node"}',
    'sum by(instance) (irate(node_cpu_seconds_total{instance="node:9100",job="node", mode="system"}[1m])) '
    '/ on(instance) group_left sum by (instance)((irate(node_cpu_seconds_total{instance="node:9100",job="node"}[1m])))',
    'irate(node_network_receive_bytes_total{instance="node:9100",job="node"}[1m])*8',
    'irate(node_disk_read_bytes_total{instance="node:9100",job="node",'
    'device=~"(/dev/)?(mmcblk.p.+|nvme.+|rbd.+|sd.+|vd.+|xvd.+|dm-.+|md.+|dasd.+)"}[1m])',
    'node_memory_MemTotal_bytes{instance="node:9100",job="node"} - node_memory_MemFree_bytes{instance="node:9100",job="node"} '
    '- (node_memory_Cached_bytes{instance="node:9100",job="node"} + node_memory_Buffers_bytes{instance="node:9100",job="node"} '
    '+ node_memory_SReclaimable_bytes{instance="node:9100",job="node"})',
    '((node_memory_SwapTotal_bytes{instance="node:9100",job="node"} - node_memory_SwapFree_bytes{instance="node:9100",job="node"}) '
    '/ (node_memory_SwapTotal_bytes{instance="node:9100",job="node"})) * 100',
    'irate(node_disk_io_time_seconds_total{instance="node:9100",job="node",device=~"(/dev/)?(sd.+|nvme.+)"}[1m])',
    'topk(5, irate(node_interrupts_total{instance="node:9100",job="node"}[1m]))',
    'node_filesystem_readonly{instance="node:9100",job="node",device!~"rootfs"}',
    'sum(irate(node_cpu_seconds_total{instance="node:9100",job="node", mode="idle"}[1m])) by (instance)',
    'irate(node_network_transmit_bytes_total{instance="node:9100",job="node"}[1m])*8',
    'irate(node_disk_writes_completed_total{instance="node:9100",job="node",device=~"(/dev/)?(sd.+)"}[1m])',
    'node_load1{instance="node:9100",job="node"}', 'node_load5{instance="node:9100",job="node"}',
    'node_memory_MemTotal_bytes{instance="node:9100",job="node"}',
]

# Evaluations that must fail the same way (status, errorType; parse errors: same text).
ERRORS = [
    'sum(', 'foo{', 'foo{a="b"', 'rate(foo[5m])[1m]', 'topk(foo, bar)', '1 +', 'a == b c',
    'rate(node_load1)', 'sum(node_load1[5m])', 'foo[5m] offset', 'foo @', '{}', '{a=""}',
    '{a=~".*"}', 'unknown_fn(foo)', 'rate(foo[5m], 1)', 'label_replace(foo)', '1 == 1',
    'foo and 1', 'foo + on(a) group_left(a) bar', 'foo[5m] + 1', '"a" + 1', '-"a"',
    'foo offset 5m offset 1m', 'foo @ 1 @ 2', 'sum(foo) offset 5m', 'foo[5m:1m:1m]',
    'foo[0m]', 'foo[5x]', 'foo{a=~"("}', 'count_values(1, foo)', 'quantile("a", foo)',
    'histogram_quantile(foo, bar)', 'foo bool 1', 'foo > bool', '1 and 2', 'sort(1)',
    'abs()', 'round(foo, 1, 2)', 'foo[1m][1m]', '(foo)[5m]', 'foo[5m]]', ')', 'foo)',
    'foo}', '`unterminated', '"unterminated', 'foo{a="\\q"}', '0x', '1e', 'foo !', 'foo =~ "x"',
    'sum by (a (foo)', 'sum by foo', 'foo @ start(', 'vector(foo)', 'time(1)',
    # execution errors
    'http_requests_total + on (instance) node_load1',
    'node_load1 + on (instance) group_left http_requests_total',
    'label_replace(node_load1, "a-b", "x", "instance", ".*")',
    'label_replace(node_load1, "x", "x", "instance", "(")',
    'holt_winters(node_load1[10m], 2, 0.5)', 'count_values("a-b", node_load1)',
    'topk(scalar(nonexistent), node_load1)', 'label_replace(node_load1, "instance", "x", "", "")',
    'abs({__name__=~"node_load1|node_memory_MemFree_bytes"})',
]

FORMAT = [
    'sum by(job)(rate(x[5m]))', 'a+b*c', '-1', '- foo', 'foo{b="2",a="1"}', 'foo offset 1h30m',
    'foo @ 1609746000', 'foo @ start()', 'foo[5m:] @ end()', 'rate(foo[5m:1m] offset 2d)',
    'topk(3, foo) by (a)', 'count_values without (a) ("v", x)', 'a / on(b) group_left(c) d',
    'a and ignoring(b) c', '1e-7', '1e21', '0x1F', 'Inf', '-Inf', 'NaN', '"a\\tb"', "'x'",
    'foo{__name__="bar"}', '{__name__="bar",a="b"}', 'x > bool 1', '((a))', 'a ^ b ^ c',
    'foo[1w1d]', 'foo[90s]', 'foo offset -5m', 'sum without () (x)', 'sum by () (x)',
    'histogram_quantile(0.9, sum by (le) (rate(x_bucket[5m])))', 'label_join(a, "b", ",", "c", "d")',
    'a unless on () b', 'vector(1) or on() vector(2)', 'foo{a=~"x|y",b!~"z"}', '123456789012',
    '0.1', '1.5e300', 'sum(x) by (a) + 1',
]


# Queries whose stats (sample counts) are compared with Prometheus's.
STATS_QUERIES = [
    'http_requests_total', 'http_requests_total[5m]', 'rate(http_requests_total[5m])',
    'sum by (method) (rate(http_requests_total[5m]))', 'node_load1 + 1', 'node_load1 * node_load1',
    'topk(2, http_requests_total)', 'avg_over_time(node_load1[1m])', 'time()',
    'histogram_quantile(0.9, sum by (le) (rate(req_duration_seconds_bucket[5m])))',
    'max_over_time(rate(http_requests_total[2m])[10m:30s])', 'http_requests_total @ %(mid)d',
]


# Expressions longer than 100 characters, for Pretty's line splitting.
PRETTY = [
    'sum by (instance, job, method, code) (rate(http_requests_total{job="api", method=~"get|post", code!="500"}[5m]))',
    'topk(5, sum without (cpu, mode) (irate(node_cpu_seconds_total{instance="node:9100",job="node",mode!="idle"}[1m])))',
    '-(sum(rate(http_requests_total{job="api", method=~"get|post", code!="500", instance="a:9100"}[5m])) * 100)',
    'max_over_time((sum(rate(http_requests_total{job="api", method=~"get|post", code!="500"}[5m])) by (job))[30m:1m] offset 5m)',
    'label_replace(sum by (instance) (rate(http_requests_total{job="api", method=~"get|post"}[5m])), "host", "$1", "instance", "(.*):.*")',
    '(avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m])) > bool 0.5) and on (instance) group_left (job) up{job="node", instance=~"node.*"}',
    'quantile(0.9, (node_memory_MemAvailable_bytes{instance="node:9100"} / node_memory_MemTotal_bytes{instance="node:9100"}) * 100)',
    '((((((node_memory_MemTotal_bytes - node_memory_MemFree_bytes) - node_memory_Cached_bytes) - node_memory_Buffers_bytes))))',
    'rate(http_requests_total{job="api", method=~"get|post", code!="500", instance="a:9100", extra="aaaaaaaaaaaaaaaa"}[5m:30s])',
    '1 + 2 * 3 - 4 / 5 % 6 ^ 7 + node_load1{instance="a:9100", job="api"} * node_load5{instance="a:9100", job="api"} - 100',
]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(base, path, params):
    url = base + path + "?" + urllib.parse.urlencode(params)
    try:
        with urllib.request.urlopen(url, timeout=60) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def values_close(a, b):
    fa, fb = float(a), float(b)
    if math.isnan(fa) and math.isnan(fb):
        return True
    if fa == fb:
        return True
    return abs(fa - fb) <= 1e-9 * max(abs(fa), abs(fb))


def result_key(r):
    return tuple(sorted(r["metric"].items()))


def same_result(a, b, ordered):
    """None when equal, else why not."""
    if a.get("status") != b.get("status"):
        return "status %s vs %s" % (a.get("status"), b.get("status"))
    if a["status"] == "error":
        if a.get("errorType") != b.get("errorType"):
            return "errorType %s vs %s (%s | %s)" % (a.get("errorType"), b.get("errorType"),
                                                     a.get("error"), b.get("error"))
        return None
    da, db = a["data"], b["data"]
    if da["resultType"] != db["resultType"]:
        return "resultType %s vs %s" % (da["resultType"], db["resultType"])
    if da["resultType"] in ("scalar", "string"):
        ra, rb = da["result"], db["result"]
        if ra[0] != rb[0] or not (ra[1] == rb[1] or values_close(ra[1], rb[1])):
            return "%s vs %s" % (ra, rb)
        return None
    ra, rb = da["result"], db["result"]
    ka = [result_key(r) for r in ra]
    kb = [result_key(r) for r in rb]
    if sorted(ka) != sorted(kb):
        return "series differ: %s vs %s" % (sorted(ka)[:4], sorted(kb)[:4])
    if ordered and ka != kb:
        return "order differs"
    ma = {result_key(r): r for r in ra}
    for r in rb:
        x = ma[result_key(r)]
        pa = x.get("values") or [x.get("value")]
        pb = r.get("values") or [r.get("value")]
        if [p[0] for p in pa] != [p[0] for p in pb]:
            return "timestamps differ for %s" % (result_key(r),)
        for p, q in zip(pa, pb):
            if not values_close(p[1], q[1]):
                return "value %s vs %s at %s for %s" % (p[1], q[1], p[0], result_key(r))
    return None


@unittest.skipUnless(os.path.exists(PROMETHEUS), "needs prometheus (Debian package prometheus)")
class PromQLDiff(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not TSDB or not os.path.exists(TSDB):
            raise AssertionError("CAIRN_TSDB_BIN not set (run through ctest)")
        cls.tmp = tempfile.mkdtemp(prefix="cairn-promql-diff-")
        cls.procs = []
        cport, pport = free_port(), free_port()
        cls.curl = "http://127.0.0.1:%d" % cport
        cls.purl = "http://127.0.0.1:%d" % pport
        cls.cairn, cls.clog = start_process(
            [TSDB, "--storage.tsdb.path=" + os.path.join(cls.tmp, "cairn"),
             "--web.listen-address=127.0.0.1:%d" % cport], cls.curl, os.path.join(cls.tmp, "cairn.log"))
        cls.servers = {n: serve(Exporter(n, seed)) for n, seed in (("a", 42), ("b", 43))}
        cls.node = serve(NodeExporter())
        cfg = os.path.join(cls.tmp, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\n"
                    "scrape_configs:\n  - job_name: api\n    static_configs:\n")
            for n, srv in cls.servers.items():
                f.write("      - targets: ['127.0.0.1:%d']\n        labels: {instance: '%s:9100'}\n"
                        % (srv.server_address[1], n))
            f.write("  - job_name: node\n    static_configs:\n      - targets: ['127.0.0.1:%d']\n"
                    "        labels: {instance: 'node:9100'}\n" % cls.node.server_address[1])
            f.write("remote_write:\n  - url: %s/api/v1/write\n    queue_config:\n"
                    "      batch_send_deadline: 500ms\n      min_backoff: 50ms\n"
                    "      max_backoff: 1s\n" % cls.curl)
        cls.prom, cls.plog = start_process(
            [PROMETHEUS, "--config.file=" + cfg, "--storage.tsdb.path=" + os.path.join(cls.tmp, "prom"),
             "--enable-feature=promql-per-step-stats",  # stats=all's per-step counts, as cairn
             "--web.listen-address=127.0.0.1:%d" % pport], cls.purl, os.path.join(cls.tmp, "prom.log"))
        cls.t0 = time.time()
        time.sleep(SPAN - 12)
        cls.servers.pop("b").shutdown()  # b goes away: its series go stale, up{instance="b:9100"} 0
        time.sleep(12)
        cls.tend = round(time.time(), 3)
        # Freeze what lies past tend: 'offset -5m' reads up to five minutes after its evaluation
        # time, where Prometheus goes on scraping. With every exporter gone, each series ends in
        # a staleness marker, the same in both once remote write has delivered it.
        for srv in list(cls.servers.values()) + [cls.node]:
            srv.shutdown()
        cls.servers, cls.node = {}, None
        cls.wait_same()

    @classmethod
    def wait_same(cls):
        """Remote write lags by a batch: wait until cairn-tsdb holds what Prometheus holds."""
        q = '{__name__=~".+"}[10m]'  # every sample of every series
        after = 'http_requests_total offset -5m'  # past tend: the staleness markers
        deadline = time.time() + 30
        while True:
            p = json.loads(get(cls.purl, "/api/v1/query", {"query": q, "time": cls.tend})[1])
            c = json.loads(get(cls.curl, "/api/v1/query", {"query": q, "time": cls.tend})[1])
            why = same_result(p, c, False)
            for t in (cls.tend - 1.5, cls.tend):
                pa = json.loads(get(cls.purl, "/api/v1/query", {"query": after, "time": t})[1])
                ca = json.loads(get(cls.curl, "/api/v1/query", {"query": after, "time": t})[1])
                why = why or same_result(pa, ca, False)
            if why is None:
                cls.nseries = len(p["data"]["result"])
                cls.nsamples = sum(len(r["values"]) for r in p["data"]["result"])
                return
            if time.time() > deadline:
                raise AssertionError("cairn-tsdb never caught up with remote write: %s\n%s\n%s"
                                     % (why, json.dumps(p)[:1000], json.dumps(c)[:1000]))
            time.sleep(0.5)

    @classmethod
    def tearDownClass(cls):
        for srv in list(cls.servers.values()) + ([cls.node] if cls.node else []):
            srv.shutdown()
        cls.prom.terminate()
        try:
            cls.prom.wait(timeout=10)
        except subprocess.TimeoutExpired:
            cls.prom.kill()  # still flushing its remote-write queue
            cls.prom.wait()
        cls.cairn.terminate()
        rc = cls.cairn.wait(timeout=60)
        cls.plog.close()
        cls.clog.close()
        log = open(os.path.join(cls.tmp, "cairn.log")).read()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        if rc != 0 or "Sanitizer" in log or "runtime error" in log:
            raise AssertionError("cairn-tsdb exited %s:\n%s" % (rc, log[-4000:]))

    def prom_get(self, path, params):
        return get(self.purl, path, params)

    def cairn_get(self, path, params):
        return get(self.curl, path, params)

    def both_query(self, q, t):
        p = {"query": q, "time": t}
        return self.prom_get("/api/v1/query", p), self.cairn_get("/api/v1/query", p)

    def both_range(self, q, start, end, step):
        p = {"query": q, "start": start, "end": end, "step": step}
        return self.prom_get("/api/v1/query_range", p), self.cairn_get("/api/v1/query_range", p)

    def test_ingested(self):
        print("\npromql diff: %d series, %d samples scraped over %.0f s and remote-written"
              % (self.nseries, self.nsamples, self.tend - self.t0))
        self.assertGreaterEqual(self.tend - self.t0, 60)
        self.assertGreater(self.nsamples, 1500)
        for q, want in (('up{instance="b:9100"}', "0"), ('up{instance="a:9100"}', "1")):
            (ps, pb), (cs, cb) = self.both_query(q, str(self.tend))
            self.assertEqual(json.loads(pb)["data"]["result"][0]["value"][1], want)
            self.assertIsNone(same_result(json.loads(pb), json.loads(cb), False))
        for q in ('temp_celsius{room="lab"}', 'node_load1{instance="b:9100"}'):  # stale: gone
            (ps, pb), (cs, cb) = self.both_query(q, str(self.tend))
            self.assertEqual(json.loads(pb)["data"]["result"], [], q)
            self.assertEqual(json.loads(cb)["data"]["result"], [], q)

    def test_queries(self):
        t0 = int(self.t0)
        mid = t0 + SPAN // 2
        bad = []
        n = 0
        for tmpl in QUERIES:
            q = tmpl.replace("%(mid)d", str(mid))
            ordered = q.startswith("sort")
            for t in (t0 + 10, mid, mid + 7.5, self.tend - 1.5):
                (ps, pb), (cs, cb) = self.both_query(q, str(t))
                n += 1
                why = None if ps == cs else "HTTP %d vs %d" % (ps, cs)
                why = why or same_result(json.loads(pb), json.loads(cb), ordered)
                if why:
                    bad.append("instant %s @%s: %s" % (q, t, why))
            if q.endswith("]") and "[" in q and ":" not in q.split("[")[-1]:
                continue  # a range vector is not a range query's result
            for start, end, step in ((t0 + 5, t0 + SPAN - 5, "1"),
                                     (t0 - 30, self.tend, "2s"),
                                     (mid - 20, mid + 20, "3.7")):
                (ps, pb), (cs, cb) = self.both_range(q, str(start), str(end), step)
                n += 1
                why = None if ps == cs else "HTTP %d vs %d" % (ps, cs)
                why = why or same_result(json.loads(pb), json.loads(cb), False)
                if why:
                    bad.append("range %s [%s,%s,%s]: %s" % (q, start, end, step, why))
        print("\npromql diff: %d queries, %d requests, %d differ" % (len(QUERIES), n, len(bad)))
        self.assertGreaterEqual(len(QUERIES), 150)
        self.assertEqual(bad, [], "\n".join(bad))

    def test_errors(self):
        mid = int(self.t0) + SPAN // 2
        bad = []
        for q in ERRORS:
            (ps, pb), (cs, cb) = self.both_query(q, str(mid))
            pj, cj = json.loads(pb), json.loads(cb)
            if ps != cs or pj.get("errorType") != cj.get("errorType"):
                bad.append("%r: %d %s vs %d %s" % (q, ps, pb, cs, cb))
            elif pj.get("errorType") == "bad_data" and pb != cb:
                bad.append("%r:\n   prometheus %s\n   cairn      %s" % (q, pb, cb))
            self.assertEqual(pj["status"], "error", q)
        print("\npromql diff: %d error cases, %d differ" % (len(ERRORS), len(bad)))
        self.assertEqual(bad, [], "\n".join(bad))

    def test_parameters(self):
        mid = int(self.t0) + SPAN // 2
        cases = [
            ("query", {"query": "1", "time": "abc"}),
            ("query", {"query": "1", "time": "2021-01-01T00:00:00Z"}),
            ("query", {"query": "1", "time": "2021-01-01T00:00:00.123+01:00"}),
            ("query", {"query": "1", "time": "1609459200.5"}),
            ("query", {"query": "1", "time": str(mid), "timeout": "x"}),
            ("query_range", {"query": "1", "start": "a", "end": "1", "step": "1"}),
            ("query_range", {"query": "1", "start": "10", "end": "1", "step": "1"}),
            ("query_range", {"query": "1", "start": "1", "end": "10", "step": "0"}),
            ("query_range", {"query": "1", "start": "1", "end": "10", "step": "x"}),
            ("query_range", {"query": "1", "start": "0", "end": "11001", "step": "1"}),
            ("query_range", {"query": "1", "start": "0", "end": "11000", "step": "1"}),
            ("query_range", {"query": "sum(", "start": "1", "end": "10", "step": "1"}),
            ("query_range", {"query": "foo[5m]", "start": "1", "end": "10", "step": "1"}),
            ("query_range", {"query": '"x"', "start": "1", "end": "10", "step": "1"}),
            ("query_range", {"query": "time()", "start": "1.5", "end": "10", "step": "1m"}),
        ]
        bad = []
        for kind, p in cases:
            ps, pb = self.prom_get("/api/v1/" + kind, p)
            cs, cb = self.cairn_get("/api/v1/" + kind, p)
            if (ps, pb) != (cs, cb):
                bad.append("%s %s:\n   prometheus %d %s\n   cairn      %d %s" % (kind, p, ps, pb, cs, cb))
        self.assertEqual(bad, [], "\n".join(bad))

    def test_query_exemplars(self):
        cases = [("up", "", ""), ("1 + 1", "", ""), ("sum(", "", ""), ("up", "10", "5"),
                 ("up", "abc", ""), ("up", "", "abc"), ("rate(x[5m])", "100", "200")]
        bad = []
        for q, s, e in cases:
            params = {"query": q}
            if s:
                params["start"] = s
            if e:
                params["end"] = e
            ps, pb = self.prom_get("/api/v1/query_exemplars", params)
            cs, cb = self.cairn_get("/api/v1/query_exemplars", params)
            if (ps, pb) != (cs, cb):
                bad.append("%r %r %r:\n   prometheus %d %s\n   cairn      %d %s" % (q, s, e, ps, pb, cs, cb))
        self.assertEqual(bad, [], "\n".join(bad))

    def test_stats(self):
        """stats=1 and stats=all: the same keys in the same order as 2.42, and the same sample
        counts (totalQueryableSamples, per step, peakSamples) for the same data."""
        t0, mid = int(self.t0), int(self.t0) + SPAN // 2
        bad = []
        n = 0
        for q in STATS_QUERIES:
            q = q.replace("%(mid)d", str(mid))
            reqs = [("/api/v1/query", {"query": q, "time": str(mid + 7.5)})]
            if not q.endswith("]"):
                reqs.append(("/api/v1/query_range", {"query": q, "start": str(t0 + 5),
                                                     "end": str(t0 + SPAN - 5), "step": "2"}))
            for path, p in reqs:
                for mode in ("1", "all"):
                    p = dict(p, stats=mode)
                    (ps, pb), (cs, cb) = self.prom_get(path, p), self.cairn_get(path, p)
                    n += 1
                    pj = json.loads(pb, object_pairs_hook=list)
                    cj = json.loads(cb, object_pairs_hook=list)
                    pst, cst = dict(dict(pj)["data"]).get("stats"), dict(dict(cj)["data"]).get("stats")
                    where = "%s %s stats=%s" % (path, q, mode)
                    if ps != 200 or cs != 200 or pst is None or cst is None:
                        bad.append("%s: %d %s vs %d %s" % (where, ps, pb[:300], cs, cb[:300]))
                        continue
                    if [k for k, _ in dict(pj)["data"]] != [k for k, _ in dict(cj)["data"]]:
                        bad.append("%s: data keys differ" % where)
                    shape = lambda st: [(k, [x for x, _ in v]) for k, v in st]
                    if shape(pst) != shape(cst):
                        bad.append("%s: keys %s vs %s" % (where, shape(pst), shape(cst)))
                        continue
                    for _, v in dict(cst)["timings"]:
                        if not isinstance(v, (int, float)) or v < 0:
                            bad.append("%s: timing %r" % (where, v))
                    psam, csam = dict(dict(pst)["samples"]), dict(dict(cst)["samples"])
                    for key in ("totalQueryableSamples", "totalQueryableSamplesPerStep", "peakSamples"):
                        if psam.get(key) != csam.get(key):
                            bad.append("%s: %s %s vs %s" % (where, key, str(psam.get(key))[:200],
                                                            str(csam.get(key))[:200]))
        # No stats parameter: no stats object.
        (ps, pb), (cs, cb) = self.both_query("up", str(mid))
        self.assertNotIn('"stats"', pb)
        self.assertNotIn('"stats"', cb)
        print("\npromql diff: %d stats requests, %d differ" % (n, len(bad)))
        self.assertEqual(bad, [], "\n".join(bad))

    def test_format_query(self):
        """Byte-equal format_query (Pretty(0): long expressions split over lines) for every query
        of this file and the FORMAT cases."""
        mid = int(self.t0) + SPAN // 2
        cases = FORMAT + PRETTY + ERRORS[:20] + [q.replace("%(mid)d", str(mid)) for q in QUERIES]
        bad = []
        split = 0
        for q in cases:
            ps, pb = self.prom_get("/api/v1/format_query", {"query": q})
            cs, cb = self.cairn_get("/api/v1/format_query", {"query": q})
            split += "\\n" in pb
            if (ps, pb) != (cs, cb):
                bad.append("%r:\n   prometheus %d %s\n   cairn      %d %s" % (q, ps, pb, cs, cb))
        print("\nformat_query: %d cases (%d split over lines), %d differ" % (len(cases), split, len(bad)))
        self.assertGreaterEqual(split, len(PRETTY))
        self.assertEqual(bad, [], "\n".join(bad))


if __name__ == "__main__":
    unittest.main()
