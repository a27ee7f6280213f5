"""Fixture exporters on loopback for the scrape tests: one HTTP server per
exposition (so each target has its own address, as real exporters do), a
loopback DNS server answering A and SRV from a dict the test changes, and
helpers to run Prometheus 2.42 and cairn-scrape.

Every exposition is a real-world shape; the text is written here, not copied
from any exporter.
"""
import gzip
import http.server
import json
import os
import socket
import socketserver
import struct
import subprocess
import tempfile
import threading
import time
import urllib.parse
import urllib.error
import urllib.request

TEXT = "text/plain; version=0.0.4; charset=utf-8"
OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"


def node_exporter_page(cpus=8, disks=6, ifaces=6, filesystems=8):
    """A node_exporter-sized page (about 1,500 series), values fixed."""
    out = []
    fam = out.append
    fam("# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.")
    fam("# TYPE go_gc_duration_seconds summary")
    for q, v in (("0", 2.3e-05), ("0.25", 3.1e-05), ("0.5", 4.4e-05), ("0.75", 6.2e-05), ("1", 0.00123)):
        fam('go_gc_duration_seconds{quantile="%s"} %s' % (q, v))
    fam("go_gc_duration_seconds_sum 0.0923")
    fam("go_gc_duration_seconds_count 1532")
    fam("# HELP go_goroutines Number of goroutines that currently exist.")
    fam("# TYPE go_goroutines gauge")
    fam("go_goroutines 9")
    fam("# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.")
    fam("# TYPE node_cpu_seconds_total counter")
    modes = ["guest", "guest_nice", "idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]
    for c in range(cpus):
        for i, m in enumerate(modes):
            fam('node_cpu_seconds_total{cpu="%d",mode="%s"} %.2f' % (c, m, 1000.5 * (c + 1) + i * 17.25))
    for name, help_ in (("node_disk_read_bytes_total", "The total number of bytes read successfully."),
                        ("node_disk_written_bytes_total", "The total number of bytes written successfully."),
                        ("node_disk_reads_completed_total", "The total number of reads completed successfully."),
                        ("node_disk_writes_completed_total", "The total number of writes completed successfully."),
                        ("node_disk_io_time_seconds_total", "Total seconds spent doing I/Os."),
                        ("node_disk_read_time_seconds_total", "The total number of seconds spent by all reads."),
                        ("node_disk_write_time_seconds_total", "This is the total number of seconds spent by all writes."),
                        ("node_disk_io_now", "The number of I/Os currently in progress.")):
        fam("# HELP %s %s" % (name, help_))
        fam("# TYPE %s %s" % (name, "gauge" if name.endswith("_now") else "counter"))
        for d in range(disks):
            fam('%s{device="sd%s"} %d' % (name, chr(97 + d), 123456789 * (d + 1) + len(name)))
    for name in ("receive_bytes", "transmit_bytes", "receive_packets", "transmit_packets",
                 "receive_errs", "transmit_errs", "receive_drop", "transmit_drop",
                 "receive_multicast", "transmit_colls", "receive_fifo", "transmit_fifo",
                 "receive_frame", "receive_compressed", "transmit_compressed", "transmit_carrier"):
        full = "node_network_%s_total" % name
        fam("# HELP %s Network device statistic %s." % (full, name))
        fam("# TYPE %s counter" % full)
        for i in range(ifaces):
            fam('%s{device="eth%d"} %d' % (full, i, 987654 * (i + 3) + len(name)))
    for name in ("avail_bytes", "free_bytes", "size_bytes", "files", "files_free", "readonly", "device_error"):
        full = "node_filesystem_%s" % name
        fam("# HELP %s Filesystem %s." % (full, name))
        fam("# TYPE %s gauge" % full)
        for f in range(filesystems):
            fam('%s{device="/dev/nvme0n1p%d",fstype="ext4",mountpoint="/mnt/m%d"} %d'
                % (full, f, f, 10 ** 9 * (f + 1) + len(name)))
    meminfo = ["Active", "Active_anon", "Active_file", "AnonHugePages", "AnonPages", "Bounce", "Buffers",
               "Cached", "CommitLimit", "Committed_AS", "DirectMap1G", "DirectMap2M", "DirectMap4k", "Dirty",
               "HardwareCorrupted", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp", "HugePages_Total",
               "Hugepagesize", "Inactive", "Inactive_anon", "Inactive_file", "KernelStack", "Mapped",
               "MemAvailable", "MemFree", "MemTotal", "Mlocked", "NFS_Unstable", "PageTables", "SReclaimable",
               "SUnreclaim", "Shmem", "ShmemHugePages", "ShmemPmdMapped", "Slab", "SwapCached", "SwapFree",
               "SwapTotal", "Unevictable", "VmallocChunk", "VmallocTotal", "VmallocUsed", "Writeback",
               "WritebackTmp"]
    for i, m in enumerate(meminfo):
        full = "node_memory_%s_bytes" % m
        fam("# HELP %s Memory information field %s_bytes." % (full, m))
        fam("# TYPE %s gauge" % full)
        fam("%s %d" % (full, 4096 * (i + 1) * 1000))
    fam("# HELP node_vmstat_pgfault /proc/vmstat information field pgfault.")
    fam("# TYPE node_vmstat_pgfault untyped")
    fam("node_vmstat_pgfault 1.23456789e+08")
    for i in range(cpus):
        for kind in ("core_throttles_total", "package_throttles_total"):
            fam('node_cpu_%s{core="%d",package="0"} %d' % (kind, i, i * 3))
    fam("# HELP node_softnet_processed_total Number of processed packets")
    fam("# TYPE node_softnet_processed_total counter")
    for i in range(cpus):
        for k in ("processed", "dropped", "times_squeezed"):
            fam('node_softnet_%s_total{cpu="%d"} %d' % (k, i, 1000 * i + len(k)))
    fam("# HELP node_interrupts_total Interrupt details.")
    fam("# TYPE node_interrupts_total counter")
    for irq in range(60):
        for c in range(cpus):
            fam('node_interrupts_total{cpu="%d",devices="dev%d",info="IR-PCI-MSI %d-edge",type="%d"} %d'
                % (c, irq, irq * 512, irq, irq * 1000 + c))
    fam("# HELP node_scrape_collector_success node_exporter: Whether a collector succeeded.")
    fam("# TYPE node_scrape_collector_success gauge")
    for col in ("arp", "bcache", "bonding", "btrfs", "conntrack", "cpu", "cpufreq", "diskstats", "dmi",
                "edac", "entropy", "fibrechannel", "filefd", "filesystem", "hwmon", "infiniband", "ipvs",
                "loadavg", "mdadm", "meminfo", "netclass", "netdev", "netstat", "nfs", "nfsd", "nvme",
                "os", "powersupplyclass", "pressure", "rapl", "schedstat", "selinux", "sockstat",
                "softnet", "stat", "tapestats", "textfile", "thermal_zone", "time", "timex", "udp_queues",
                "uname", "vmstat", "xfs", "zfs"):
        fam('node_scrape_collector_success{collector="%s"} 1' % col)
        fam('node_scrape_collector_duration_seconds{collector="%s"} 0.000%d' % (col, len(col) + 100))
    fam('node_uname_info{domainname="(none)",machine="x86_64",nodename="host-1",release="6.1.0-13-amd64",'
        'sysname="Linux",version="#1 SMP PREEMPT_DYNAMIC Debian 6.1.55-1 (2023-09-29)"} 1')
    fam("node_load1 0.42")
    fam("node_load5 0.35")
    fam("node_load15 0.3")
    fam("node_boot_time_seconds 1.701388877e+09")
    return "\n".join(out) + "\n"


PROM_CLIENT = """# HELP process_cpu_user_seconds_total Total user CPU time spent in seconds.
# TYPE process_cpu_user_seconds_total counter
process_cpu_user_seconds_total 0.912

# HELP process_cpu_system_seconds_total Total system CPU time spent in seconds.
# TYPE process_cpu_system_seconds_total counter
process_cpu_system_seconds_total 0.186

# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.
# TYPE process_start_time_seconds gauge
process_start_time_seconds 1701700000

# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 61652992

# HELP nodejs_eventloop_lag_seconds Lag of event loop in seconds.
# TYPE nodejs_eventloop_lag_seconds gauge
nodejs_eventloop_lag_seconds 0.004211459

# HELP nodejs_eventloop_lag_p99_seconds The 99th percentile of the recorded event loop delays.
# TYPE nodejs_eventloop_lag_p99_seconds gauge
nodejs_eventloop_lag_p99_seconds 0.012476415

# HELP nodejs_active_handles Number of active libuv handles grouped by handle type. Every handle type is C++ class name.
# TYPE nodejs_active_handles gauge
nodejs_active_handles{type="WriteStream"} 2
nodejs_active_handles{type="Server"} 1
nodejs_active_handles{type="Socket"} 3

# HELP nodejs_heap_space_size_total_bytes Process heap space size total from Node.js in bytes.
# TYPE nodejs_heap_space_size_total_bytes gauge
nodejs_heap_space_size_total_bytes{space="read_only"} 0
nodejs_heap_space_size_total_bytes{space="old"} 40673280
nodejs_heap_space_size_total_bytes{space="code"} 2359296
nodejs_heap_space_size_total_bytes{space="map"} 1581056
nodejs_heap_space_size_total_bytes{space="large_object"} 6369280
nodejs_heap_space_size_total_bytes{space="new"} 1048576

# HELP nodejs_version_info Node.js version info.
# TYPE nodejs_version_info gauge
nodejs_version_info{version="v18.19.0",major="18",minor="19",patch="0"} 1

# HELP nodejs_gc_duration_seconds Garbage collection duration by kind, one of major, minor, incremental or weakcb.
# TYPE nodejs_gc_duration_seconds histogram
nodejs_gc_duration_seconds_bucket{le="0.001",kind="minor"} 21
nodejs_gc_duration_seconds_bucket{le="0.01",kind="minor"} 36
nodejs_gc_duration_seconds_bucket{le="0.1",kind="minor"} 37
nodejs_gc_duration_seconds_bucket{le="1",kind="minor"} 37
nodejs_gc_duration_seconds_bucket{le="2",kind="minor"} 37
nodejs_gc_duration_seconds_bucket{le="5",kind="minor"} 37
nodejs_gc_duration_seconds_bucket{le="+Inf",kind="minor"} 37
nodejs_gc_duration_seconds_sum{kind="minor"} 0.0391
nodejs_gc_duration_seconds_count{kind="minor"} 37
"""

HISTOGRAM = """# HELP http_request_duration_seconds Request latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{handler="/api",le="0.005"} 24054
http_request_duration_seconds_bucket{handler="/api",le="0.01"} 33444
http_request_duration_seconds_bucket{handler="/api",le="0.025"} 100392
http_request_duration_seconds_bucket{handler="/api",le="0.05"} 129389
http_request_duration_seconds_bucket{handler="/api",le="0.1"} 133988
http_request_duration_seconds_bucket{handler="/api",le="0.25"} 134023
http_request_duration_seconds_bucket{handler="/api",le="+Inf"} 144320
http_request_duration_seconds_sum{handler="/api"} 53423
http_request_duration_seconds_count{handler="/api"} 144320
"""

SUMMARY = """# HELP rpc_duration_seconds A summary of the RPC duration in seconds.
# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile="0.01"} 3102
rpc_duration_seconds{quantile="0.05"} 3272
rpc_duration_seconds{quantile="0.5"} 4773
rpc_duration_seconds{quantile="0.9"} 9001
rpc_duration_seconds{quantile="0.99"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
"""

ESCAPES = r"""# HELP escaped_things Help with a backslash \\ and a newline \n inside.
# TYPE escaped_things gauge
escaped_things{path="C:\\DIR\\FILE.TXT",quote="say \"hi\"",nl="line1\nline2"} 1
escaped_things{path="/ok",quote="",nl="unicode: héllo ✓"} 2
"""

SPECIAL = """# TYPE special_values gauge
special_values{kind="nan"} NaN
special_values{kind="pinf"} +Inf
special_values{kind="ninf"} -Inf
special_values{kind="neg_zero"} -0
special_values{kind="tiny"} 1.5e-300
special_values{kind="huge"} 1.7976931348623157e+308
special_values{kind="hex_like"} 0x1p3
"""

DUPLICATES = """# TYPE dup_series gauge
dup_series{a="1"} 1
dup_series{a="1"} 2
dup_series{a="2"} 3
"""

UNTYPED = """plain_metric 42
plain_metric{x="y"} 43
another_one{a="b",c="d"} -1.5
"""

CONFLICT = """# TYPE conflicting gauge
conflicting{job="exporter_job",instance="exporter_instance",exported_job="taken"} 7
conflicting{env="prod"} 8
"""

LENIENT = """# TYPE lenient gauge
lenient{a="1",} 1
lenient { b = "2" } 2
lenient{c="3"}    3   
lenient_no_newline 4"""

MANY_LABELS = "".join('wide_series{%s} %d\n' % (",".join('l%02d="v%d_%d"' % (k, i, k) for k in range(30)), i)
                      for i in range(20))

BIG_VALUES = """big_values{k="a"} 123456789012345678901234567890
big_values{k="b"} -9.87654321e-200
big_values{k="c"} 1e+06
big_values{k="d"} 0.1
"""

COMMENTS = """# a free comment
# another one: TYPE is not a keyword here
 
# HELP commented_metric With comments around.
commented_metric 5

# trailing comment
"""

OPENMETRICS_BODY = """# TYPE om_requests counter
# HELP om_requests Requests handled.
om_requests_total{path="/"} 17.0
om_requests_created{path="/"} 1.7017e+09
# TYPE om_temp_celsius gauge
# UNIT om_temp_celsius celsius
om_temp_celsius 21.5
# TYPE om_info info
om_info_info{version="1.2.3"} 1
# EOF
"""

BAD_SYNTAX = """# TYPE broken gauge
broken{a="1"} 1
broken{a="2" 2
"""


class Exposition:
    """One fixture target: what it serves and how."""

    def __init__(self, name, body=None, ctype=TEXT, status=200, delay=0.0, gzip_body=False, fn=None):
        self.name = name
        self.body = body
        self.ctype = ctype
        self.status = status
        self.delay = delay
        self.gzip_body = gzip_body
        self.fn = fn  # fn(exposition) -> body, for pages that change over time
        self.started = time.time()
        self.requests = 0
        self.headers = []  # request headers of every scrape
        self.server = None
        self.gone = False  # the exporter went away: connections are dropped

    def render(self):
        return self.fn(self) if self.fn else self.body


def _flappy(e):
    # flappy_a exists until the test sets e.changed, then only flappy_b (a series disappears).
    if not getattr(e, "changed", False):
        return "flappy_a 1\nflappy_b 2\n"
    return "flappy_b 2\n"


def _timestamps(e):
    # An explicit timestamp (ms) a little in the past, fixed per second so both scrapers agree.
    ts = int(time.time()) * 1000 - 2000
    return "with_ts{a=\"1\"} 10 %d\nwithout_ts{a=\"1\"} 11\n" % ts


def standard_expositions():
    """The 23 expositions of the differential test."""
    return [
        Exposition("node", node_exporter_page()),
        Exposition("promclient", PROM_CLIENT),
        Exposition("histogram", HISTOGRAM),
        Exposition("summary", SUMMARY),
        Exposition("escapes", ESCAPES),
        Exposition("special", SPECIAL),
        Exposition("duplicates", DUPLICATES),
        Exposition("untyped", UNTYPED),
        Exposition("conflict", CONFLICT),
        Exposition("lenient", LENIENT),
        Exposition("manylabels", MANY_LABELS),
        Exposition("bigvalues", BIG_VALUES),
        Exposition("comments", COMMENTS),
        Exposition("openmetrics", OPENMETRICS_BODY, ctype=OPENMETRICS),
        Exposition("gzip", HISTOGRAM.replace("http_request", "gz_request"), gzip_body=True),
        Exposition("empty", ""),
        Exposition("badsyntax", BAD_SYNTAX),
        Exposition("timeout", "never_seen 1\n", delay=3.0),
        Exposition("error500", "oops\n", status=500),
        Exposition("flappy", fn=_flappy),
        Exposition("timestamps", fn=_timestamps),
        Exposition("goaway", "goaway_metric{x=\"1\"} 1\ngoaway_other 2\n"),
        Exposition("notfound", "nope\n", status=404),
    ]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        e = self.server.exposition
        if e.gone:
            self.close_connection = True
            return
        e.requests += 1
        e.headers.append(dict(self.headers))
        if e.delay:
            time.sleep(e.delay)
        body = e.render().encode()
        headers = [("Content-Type", e.ctype)]
        if e.gzip_body and "gzip" in self.headers.get("Accept-Encoding", ""):
            body = gzip.compress(body)
            headers.append(("Content-Encoding", "gzip"))
        try:
            self.send_response(e.status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # scrapers hang up on slow targets; that is the point of those fixtures

    def close(self):
        self.shutdown()
        self.server_close()


class Exporters:
    """Start one loopback server per exposition."""

    def __init__(self, expositions):
        self.by_name = {}
        for e in expositions:
            srv = _Server(("127.0.0.1", 0), _Handler)
            srv.exposition = e
            e.server = srv
            e.address = "127.0.0.1:%d" % srv.server_address[1]
            threading.Thread(target=srv.serve_forever, daemon=True).start()
            self.by_name[e.name] = e

    def addresses(self):
        return [e.address for e in self.by_name.values()]

    def stop(self, name):
        e = self.by_name[name]
        e.gone = True
        if e.server:
            e.server.shutdown()
            e.server.server_close()
            e.server = None

    def close(self):
        for name in list(self.by_name):
            self.stop(name)


# ---- a DNS server on loopback (RFC 1035 messages over UDP) ----

class DNSServer:
    """Answers A and SRV questions from self.records, a dict the test changes:
    records[("name.", "A")] = ["10.0.0.1", ...];
    records[("_svc._tcp.name.", "SRV")] = [(priority, weight, port, "target."), ...].
    Unknown names get NXDOMAIN."""

    def __init__(self):
        self.records = {}
        self.queries = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.address = "127.0.0.1:%d" % self.port
        self.running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self):
        self.running = False
        self.sock.close()

    @staticmethod
    def _read_name(msg, off):
        labels = []
        while True:
            n = msg[off]
            if n == 0:
                return ".".join(labels) + ".", off + 1
            labels.append(msg[off + 1:off + 1 + n].decode())
            off += 1 + n

    @staticmethod
    def _name(name):
        out = b""
        for part in name.rstrip(".").split("."):
            out += bytes([len(part)]) + part.encode()
        return out + b"\0"

    def _serve(self):
        while self.running:
            try:
                msg, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            qid, flags, qd = struct.unpack(">HHH", msg[:6])
            name, off = self._read_name(msg, 12)
            qtype, qclass = struct.unpack(">HH", msg[off:off + 4])
            question = msg[12:off + 4]
            kind = {1: "A", 33: "SRV", 28: "AAAA"}.get(qtype, str(qtype))
            self.queries.append((name.lower(), kind))
            answers = []
            known = any(k[0] == name.lower() for k in self.records)
            for rec in self.records.get((name.lower(), kind), []):
                if kind == "A":
                    rdata = socket.inet_aton(rec)
                    answers.append(b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 5, 4) + rdata)
                elif kind == "SRV":
                    prio, weight, port, target = rec
                    rdata = struct.pack(">HHH", prio, weight, port) + self._name(target)
                    answers.append(b"\xc0\x0c" + struct.pack(">HHIH", 33, 1, 5, len(rdata)) + rdata)
            rcode = 0 if known else 3
            head = struct.pack(">HHHHHH", qid, 0x8180 | rcode, 1, len(answers), 0, 0)
            try:
                self.sock.sendto(head + question + b"".join(answers), peer)
            except OSError:
                return


# ---- processes ----

def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_http(url, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return True
        except Exception:
            time.sleep(0.1)
    return False


class Prometheus:
    """Prometheus 2.42 from Debian on a loopback port with the remote-write receiver."""

    BIN = "/usr/bin/prometheus"

    def __init__(self, config_text, extra=()):
        self.dir = tempfile.mkdtemp(prefix="prom-")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        cfg = os.path.join(self.dir, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write(config_text)
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen(
            [self.BIN, "--web.enable-remote-write-receiver", "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--config.file=" + cfg] + list(extra),
            stdout=self.log, stderr=subprocess.STDOUT)
        if not wait_http(self.url + "/-/ready", 30):
            raise RuntimeError("prometheus did not start: " + open(os.path.join(self.dir, "log")).read()[-2000:])

    def api(self, path, **params):
        q = urllib.parse.urlencode(params, doseq=True)
        with urllib.request.urlopen(self.url + path + ("?" + q if q else ""), timeout=10) as r:
            data = json.load(r)
        if data.get("status") != "success":
            raise RuntimeError(data)
        return data["data"]

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class CairnScrape:
    def __init__(self, config_text, extra=(), env=None):
        self.bin = os.environ["CAIRN_SCRAPE_BIN"]
        self.dir = tempfile.mkdtemp(prefix="cairn-scrape-")
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.config = os.path.join(self.dir, "cairn.yml")
        with open(self.config, "w") as f:
            f.write(config_text)
        self.logpath = os.path.join(self.dir, "log")
        self.log = open(self.logpath, "w")
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen(
            [self.bin, "--config.file=" + self.config, "--web.listen-address=127.0.0.1:%d" % self.port] + list(extra),
            stdout=self.log, stderr=subprocess.STDOUT, env=e)
        if not wait_http(self.url + "/-/ready", 20):
            raise RuntimeError("cairn-scrape did not start: " + self.logtext())

    def logtext(self):
        with open(self.logpath) as f:
            return f.read()

    def metrics(self):
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = float(v)
        return out

    def stop(self, sig=None):
        import signal
        self.proc.send_signal(sig or signal.SIGTERM)
        try:
            rc = self.proc.wait(90)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.log.close()
        text = self.logtext()
        for bad in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:"):
            if bad in text:
                raise AssertionError("cairn-scrape: sanitizer report:\n" + text[-4000:])
        return rc


class FaultProxy:
    """A remote-write endpoint in front of a real receiver (Prometheus) that
    answers with self.status (and self.headers) instead of forwarding while
    self.status is set. Counts what it saw."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.status = None
        self.headers = {}
        self.seen = []  # statuses answered
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if outer.status is not None:
                    status, extra, payload = outer.status, dict(outer.headers), b"refused\n"
                else:
                    req = urllib.request.Request(outer.upstream + self.path, data=body, method="POST")
                    for k in ("Content-Encoding", "Content-Type", "X-Prometheus-Remote-Write-Version"):
                        if self.headers.get(k):
                            req.add_header(k, self.headers[k])
                    try:
                        with urllib.request.urlopen(req, timeout=10) as r:
                            status, payload = r.status, r.read()
                    except urllib.error.HTTPError as e:
                        status, payload = e.code, e.read()
                    extra = {}
                outer.seen.append(status)
                self.send_response(status)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self.srv = _Server(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d" % self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()


def serve_on(exposition, host, port):
    """Serve one exposition on host:port (for DNS-SD: several loopback addresses, one port)."""
    srv = _Server((host, port), _Handler)
    srv.exposition = exposition
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv
