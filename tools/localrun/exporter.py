#!/usr/bin/env python3
"""A fixture web app that exposes metrics the way a Node.js app instrumented with prom-client
does, standing in for the seed's NestJS backend and Next.js frontend in local runs.

  exporter.py --flavor nestjs     # metrics at /api/metrics, health at /api/health (port 3001)
  exporter.py --flavor nextjs     # metrics at /metrics, a page at / (port 3000)

It listens on $HOSTNAME:$PORT (what Next.js's standalone server reads; NestJS apps read PORT),
or --listen HOST:PORT. The metrics are prom-client 15's default metrics (process_*, nodejs_*,
with real values of this process where Linux has them) plus the usual HTTP instrumentation:
http_requests_total and http_request_duration_seconds (prom-client's default buckets), counted
for the requests it really serves and for simulated traffic that moves every second, so a
scraper sees counters grow and histograms fill. Exposition: Prometheus text format 0.0.4
("Exposition formats", prometheus.io/docs/instrumenting/exposition_formats), in prom-client's
layout (HELP, TYPE, then samples; `le` first among a bucket's labels).

Every response carries `X-Served-By: HOST:PORT` so tests can tell which task answered.
"""
import argparse
import json
import os
import random
import resource
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)  # prom-client defaults
GC_BUCKETS = (0.001, 0.01, 0.1, 1, 2, 5)
FLAVORS = {
    # metrics path, health path, routes the simulated traffic hits (route, weight, mean s)
    "nestjs": ("/api/metrics", "/api/health",
               (("/api/health", 5, 0.002), ("/api/users", 3, 0.030), ("/api/users/:id", 4, 0.012),
                ("/api/auth/login", 1, 0.180))),
    "nextjs": ("/metrics", "/",
               (("/", 6, 0.045), ("/about", 2, 0.030), ("/_next/static/*", 8, 0.003),
                ("/blog/[slug]", 3, 0.090))),
}
NODE_VERSION = ("v20.11.1", 20, 11, 1)
HEAP_SPACES = ("read_only", "new", "old", "code", "shared", "trusted", "new_large_object",
               "large_object", "code_large_object", "shared_large_object")


def fmt(v):
    if isinstance(v, int):
        return str(v)
    if v == float("inf"):
        return "+Inf"
    r = repr(float(v))
    return r[:-2] if r.endswith(".0") else r


def esc(v):
    return str(v).replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def labelstr(pairs):
    return "{" + ",".join(f'{k}="{esc(v)}"' for k, v in pairs) + "}" if pairs else ""


class Histogram:
    def __init__(self, buckets):
        self.buckets = buckets
        self.series = {}  # label tuple -> [counts per bucket..., sum, count]

    def observe(self, labels, value):
        s = self.series.setdefault(labels, [0] * len(self.buckets) + [0.0, 0])
        for i, b in enumerate(self.buckets):
            if value <= b:
                s[i] += 1
        s[-2] += value
        s[-1] += 1

    def lines(self, name):
        out = []
        for labels, s in self.series.items():
            for i, b in enumerate(self.buckets):
                out.append(f"{name}_bucket{labelstr((('le', fmt(b)),) + labels)} {s[i]}")
            out.append(f"{name}_bucket{labelstr((('le', '+Inf'),) + labels)} {s[-1]}")
            out.append(f"{name}_sum{labelstr(labels)} {fmt(s[-2])}")
            out.append(f"{name}_count{labelstr(labels)} {s[-1]}")
        return out


class App:
    def __init__(self, flavor, seed):
        self.flavor = flavor
        self.metrics_path, self.health_path, self.routes = FLAVORS[flavor]
        self.lock = threading.Lock()
        self.rng = random.Random(seed)
        self.start = time.time()
        self.requests = {}  # (method, route, status) -> count
        self.duration = Histogram(BUCKETS)
        self.gc = Histogram(GC_BUCKETS)
        self.lag = 0.01

    def record(self, method, route, status, seconds):
        key = (("method", method), ("route", route), ("status_code", str(status)))
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            self.duration.observe(key, seconds)

    def simulate(self):
        """One second of traffic: a few requests per route, some errors, some GC."""
        weights = [w for _, w, _ in self.routes]
        for _ in range(self.rng.randint(2, 12)):
            route, _, mean = self.rng.choices(self.routes, weights)[0]
            status = 200 if self.rng.random() > 0.03 else self.rng.choice((404, 500))
            method = "POST" if route.endswith("login") else "GET"
            self.record(method, route, status, self.rng.expovariate(1 / mean))
        with self.lock:
            for kind in ("minor", "incremental", "major"):
                if self.rng.random() < {"minor": 0.9, "incremental": 0.3, "major": 0.05}[kind]:
                    self.gc.observe((("kind", kind),), self.rng.expovariate(1 / 0.004))
            self.lag = max(0.0005, self.lag + self.rng.uniform(-0.002, 0.002))

    def exposition(self):
        t = os.times()
        rss = vsz = 0
        try:
            with open("/proc/self/statm") as f:
                pages = [int(x) for x in f.read().split()[:2]]
            vsz, rss = pages[0] * resource.getpagesize(), pages[1] * resource.getpagesize()
        except OSError:
            pass
        try:
            fds = len(os.listdir("/proc/self/fd"))
        except OSError:
            fds = 0
        heap_used = int(rss * 0.6)
        out = []

        def metric(name, typ, help_, samples):
            out.append(f"# HELP {name} {help_}")
            out.append(f"# TYPE {name} {typ}")
            for labels, v in samples:
                out.append(f"{name}{labelstr(labels)} {fmt(v)}")

        metric("process_cpu_user_seconds_total", "counter",
               "Total user CPU time spent in seconds.", [((), t.user)])
        metric("process_cpu_system_seconds_total", "counter",
               "Total system CPU time spent in seconds.", [((), t.system)])
        metric("process_cpu_seconds_total", "counter",
               "Total user and system CPU time spent in seconds.", [((), t.user + t.system)])
        metric("process_start_time_seconds", "gauge",
               "Start time of the process since unix epoch in seconds.", [((), int(self.start))])
        metric("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
               [((), rss)])
        metric("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
               [((), vsz)])
        metric("process_heap_bytes", "gauge", "Process heap size in bytes.", [((), heap_used)])
        metric("process_open_fds", "gauge", "Number of open file descriptors.", [((), fds)])
        metric("process_max_fds", "gauge", "Maximum number of open file descriptors.",
               [((), resource.getrlimit(resource.RLIMIT_NOFILE)[0])])
        with self.lock:
            lag = self.lag
            reqs = dict(self.requests)
            dur = self.duration.lines("http_request_duration_seconds")
            gc = self.gc.lines("nodejs_gc_duration_seconds")
        metric("nodejs_eventloop_lag_seconds", "gauge", "Lag of event loop in seconds.",
               [((), lag)])
        for stat, f in (("min", 0.5), ("max", 3.0), ("mean", 1.0), ("stddev", 0.2),
                        ("p50", 0.95), ("p90", 1.6), ("p99", 2.4)):
            metric(f"nodejs_eventloop_lag_{stat}_seconds", "gauge",
                   f"The {stat} of the recorded event loop delays.", [((), lag * f)])
        metric("nodejs_active_resources", "gauge",
               "Number of active resources that are currently keeping the event loop alive, "
               "grouped by async resource type.",
               [((("type", "TCPServerWrap"),), 1), ((("type", "Timeout"),), 2)])
        metric("nodejs_active_resources_total", "gauge",
               "Total number of active resources.", [((), 3)])
        metric("nodejs_active_handles", "gauge",
               "Number of active libuv handles grouped by handle type. Every handle type is C++ "
               "class name.", [((("type", "Server"),), 1)])
        metric("nodejs_active_handles_total", "gauge", "Total number of active handles.",
               [((), 1)])
        metric("nodejs_active_requests", "gauge",
               "Number of active libuv requests grouped by request type. Every request type is "
               "C++ class name.", [])
        metric("nodejs_active_requests_total", "gauge", "Total number of active requests.",
               [((), 0)])
        metric("nodejs_heap_size_total_bytes", "gauge", "Process heap size from Node.js in bytes.",
               [((), int(rss * 0.8))])
        metric("nodejs_heap_size_used_bytes", "gauge",
               "Process heap size used from Node.js in bytes.", [((), heap_used)])
        metric("nodejs_external_memory_bytes", "gauge",
               "Node.js external memory size in bytes.", [((), int(rss * 0.05))])
        for what in ("total", "used", "available"):
            metric(f"nodejs_heap_space_size_{what}_bytes", "gauge",
                   f"Process heap space size {what} from Node.js in bytes.",
                   [((("space", s),), int(rss * 0.8 / len(HEAP_SPACES) *
                                          {"total": 1, "used": 0.6, "available": 0.4}[what]))
                    for s in HEAP_SPACES])
        v, major, minor, patch = NODE_VERSION
        metric("nodejs_version_info", "gauge", "Node.js version info.",
               [((("version", v), ("major", major), ("minor", minor), ("patch", patch)), 1)])
        out.append("# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of "
                   "major, minor, incremental or weakcb.")
        out.append("# TYPE nodejs_gc_duration_seconds histogram")
        out += gc
        metric("http_requests_total", "counter", "Total number of HTTP requests",
               sorted(reqs.items()))
        out.append("# HELP http_request_duration_seconds Duration of HTTP requests in seconds")
        out.append("# TYPE http_request_duration_seconds histogram")
        out += dur
        return "\n".join(out) + "\n"


def make_handler(app, served_by):
    class Handler(BaseHTTPRequestHandler):
        server_version = "Express" if app.flavor == "nestjs" else "Next.js"
        sys_version = ""

        def log_message(self, fmt_, *args):  # quiet: the task log would only fill up
            pass

        def send(self, status, ctype, body):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("X-Served-By", served_by)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def do_GET(self):
            t0 = time.monotonic()
            path = self.path.split("?", 1)[0]
            if path == app.metrics_path:
                status, route = 200, app.metrics_path
                self.send(200, "text/plain; version=0.0.4; charset=utf-8", app.exposition())
            elif path == app.health_path and app.flavor == "nestjs":
                status, route = 200, path
                self.send(200, "application/json; charset=utf-8",
                          json.dumps({"status": "ok", "info": {}, "error": {}, "details": {}}))
            elif app.flavor == "nextjs" and path in ("/", "/about"):
                status, route = 200, path
                self.send(200, "text/html; charset=utf-8",
                          "<!DOCTYPE html><html><body><h1>DavidShaevel.com</h1></body></html>")
            else:
                status, route = 404, "*"
                if app.flavor == "nestjs":
                    self.send(404, "application/json; charset=utf-8", json.dumps(
                        {"message": f"Cannot GET {path}", "error": "Not Found",
                         "statusCode": 404}))
                else:
                    self.send(404, "text/html; charset=utf-8", "<h1>404</h1>")
            app.record(self.command, route, status, time.monotonic() - t0)

        do_HEAD = do_GET

    return Handler


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--flavor", choices=sorted(FLAVORS), required=True)
    p.add_argument("--listen", help="HOST:PORT (default: $HOSTNAME:$PORT, port 3001 for "
                   "nestjs and 3000 for nextjs, host 127.0.0.1)")
    a = p.parse_args(argv)
    if a.listen:
        host, _, port = a.listen.rpartition(":")
    else:
        host = os.environ.get("HOSTNAME", "")
        if not host or not host[0].isdigit():  # a shell's own HOSTNAME is a name, not an address
            host = "127.0.0.1"
        port = os.environ.get("PORT", "3001" if a.flavor == "nestjs" else "3000")
    app = App(a.flavor, f"{host}:{port}")
    server = ThreadingHTTPServer((host, int(port)), make_handler(app, f"{host}:{port}"))
    server.daemon_threads = True

    def tick():
        while True:
            app.simulate()
            time.sleep(1)

    threading.Thread(target=tick, daemon=True).start()
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"exporter ({a.flavor}) listening on http://{host}:{port}{app.metrics_path}",
          file=sys.stderr, flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
