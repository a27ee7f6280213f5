#!/usr/bin/env python3
"""Generate the node_exporter-sized page used to measure parse throughput.

Writes tests/data/expo-bench/node_exporter.prom (text 0.0.4) and
node_exporter.om (OpenMetrics 1.0, same samples): about 1000 families and 5000
samples in node_exporter 1.x's shapes (per-CPU and per-mode counters, per-device
disk and network counters, filesystems with three labels, collector durations,
Go runtime summaries and histograms, long HELP texts, values from 0 to 1e12
spelled as client_golang spells them). Deterministic: seeded.
"""

import os
import random

rng = random.Random(20230201)
OUT = os.path.join(os.path.dirname(__file__), "..", "data", "expo-bench")


def gofloat(v):
    if v == int(v) and abs(v) < 1e21:
        s = "%d" % v
        return s if len(s) <= 6 else ("%.*e" % (len(s.rstrip("0")) - 1, v)).replace("e+0", "e+0")
    return repr(v) if 1e-4 <= abs(v) < 1e6 else "%e" % v


families = []  # (name, type, help, [(labels, value)])


def fam(name, typ, helptext, samples):
    families.append((name, typ, helptext, samples))


cpus = [str(i) for i in range(8)]
modes = ["idle", "iowait", "irq", "nice", "softirq", "steal", "system", "user"]
fam("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.",
    [({"cpu": c, "mode": m}, round(rng.uniform(10, 9e5), 2)) for c in cpus for m in modes])
for g in ["guest", "guest_nice"]:
    pass
disks = ["nvme0n1", "nvme1n1", "sda", "sdb", "dm-0", "dm-1"]
disk_metrics = ["reads_completed", "reads_merged", "read_bytes", "read_time_seconds",
                "writes_completed", "writes_merged", "written_bytes", "write_time_seconds",
                "io_now", "io_time_seconds", "io_time_weighted_seconds", "discards_completed",
                "discards_merged", "discarded_sectors", "discard_time_seconds",
                "flush_requests", "flush_requests_time_seconds"]
for m in disk_metrics:
    fam(f"node_disk_{m}_total", "counter", f"The total number of {m.replace('_', ' ')}.",
        [({"device": d}, float(rng.randrange(0, 10**12))) for d in disks])
nics = ["eth0", "eth1", "lo", "docker0", "veth1a2b3c", "veth4d5e6f", "br-0a1b2c3d"]
for direction in ["receive", "transmit"]:
    for m in ["bytes", "packets", "errs", "drop", "fifo", "frame", "compressed", "multicast",
              "carrier", "colls"]:
        fam(f"node_network_{direction}_{m}_total", "counter",
            f"Network device statistic {direction}_{m}.",
            [({"device": n}, float(rng.randrange(0, 10**11))) for n in nics])
fss = [("/dev/nvme0n1p2", "ext4", "/"), ("/dev/nvme0n1p1", "vfat", "/boot/efi"),
       ("tmpfs", "tmpfs", "/run"), ("tmpfs", "tmpfs", "/dev/shm"),
       ("/dev/sda1", "xfs", "/var/lib/docker")]
for m in ["avail_bytes", "files", "files_free", "free_bytes", "size_bytes", "device_error",
          "readonly"]:
    fam(f"node_filesystem_{m}", "gauge", f"Filesystem {m.replace('_', ' ')}.",
        [({"device": d, "fstype": t, "mountpoint": mp}, float(rng.randrange(0, 10**12)))
         for d, t, mp in fss])
collectors = ["arp", "bcache", "bonding", "btrfs", "conntrack", "cpu", "cpufreq", "diskstats",
              "dmi", "edac", "entropy", "fibrechannel", "filefd", "filesystem", "hwmon",
              "infiniband", "ipvs", "loadavg", "mdadm", "meminfo", "netclass", "netdev",
              "netstat", "nfs", "nfsd", "nvme", "os", "powersupplyclass", "pressure", "rapl",
              "schedstat", "selinux", "sockstat", "softnet", "stat", "tapestats", "textfile",
              "thermal_zone", "time", "timex", "udp_queues", "uname", "vmstat", "xfs", "zfs"]
fam("node_scrape_collector_duration_seconds", "gauge",
    "node_exporter: Duration of a collector scrape.",
    [({"collector": c}, rng.uniform(1e-5, 0.05)) for c in collectors])
fam("node_scrape_collector_success", "gauge", "node_exporter: Whether a collector succeeded.",
    [({"collector": c}, 1.0) for c in collectors])
# The long tail: one- and few-sample gauges and counters (meminfo, vmstat, netstat, ...).
prefixes = ["node_memory_%s_bytes", "node_vmstat_%s", "node_netstat_%s", "node_sockstat_%s",
            "node_nfs_%s_total", "node_schedstat_%s_seconds_total", "node_hwmon_%s_celsius",
            "node_pressure_%s_seconds_total", "node_xfs_%s_total", "node_zfs_arc_%s"]
words = ["active", "inactive", "anon", "file", "dirty", "writeback", "mapped", "shmem", "slab",
         "sreclaimable", "sunreclaim", "kernel_stack", "page_tables", "commit_limit",
         "committed_as", "vmalloc_used", "hugepages_total", "hugepages_free", "direct_map_4k",
         "direct_map_2m", "pgfault", "pgmajfault", "pgpgin", "pgpgout", "pswpin", "pswpout",
         "oom_kill", "tcp_active_opens", "tcp_passive_opens", "tcp_retrans_segs", "udp_in_datagrams",
         "udp_out_datagrams", "icmp_in_msgs", "ip_forwarding", "sockets_used", "tcp_inuse",
         "tcp_orphan", "tcp_tw", "tcp_alloc", "tcp_mem", "udp_inuse", "requests", "connections",
         "rpc_retransmissions", "packets", "reads", "writes", "hits", "misses", "size"]
while len(families) < 960:
    p = rng.choice(prefixes)
    w = rng.choice(words) + "_" + rng.choice(words)
    name = p % w
    if any(f[0] == name for f in families):
        continue
    typ = "counter" if name.endswith("_total") else "gauge"
    n = rng.choice([1, 1, 2, 3, 4, 6, 8, 9])
    samples = [({"chip": f"platform_coretemp_{i}", "sensor": f"temp{i + 1}"} if n > 1 else {},
                float(rng.randrange(0, 10**10)) if rng.random() < 0.7 else rng.uniform(0, 1e4))
               for i in range(n)]
    fam(name, typ, f"Metric {name.replace('_', ' ')} from /proc.", samples)
# Go runtime and process families of every client_golang binary.
fam("go_gc_duration_seconds", "summary", "A summary of the pause duration of garbage collection cycles.",
    [({"quantile": q}, rng.uniform(1e-5, 1e-3)) for q in ["0", "0.25", "0.5", "0.75", "1"]]
    + [("_sum", rng.uniform(1, 100)), ("_count", float(rng.randrange(1000, 100000)))])
for i in range(30):
    buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
    c = 0.0
    samples = []
    for b in buckets:
        c += rng.randrange(0, 500)
        samples.append(({"handler": f"/api/v{i % 3}/h{i}", "le": repr(float(b)).rstrip("0").rstrip(".") if b != int(b) else str(int(b))}, c))
    samples.append(({"handler": f"/api/v{i % 3}/h{i}", "le": "+Inf"}, c))
    samples.append(("_sum", rng.uniform(0, 1000)))
    samples.append(("_count", c))
    fam(f"http_request_duration_seconds_{i}", "histogram", "Latency of HTTP requests.", samples)
fam("process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
    [({}, 1.70123456789e9)])


def esc(v):
    return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n")


def fmt(v, om):
    if v == float("inf"):
        return "+Inf"
    if v == int(v) and abs(v) < 1e6:
        return "%d" % v + (".0" if om else "")
    r = repr(v)
    if "e" in r or abs(v) >= 1e6:
        # Go's shortest %g: exponent from 1e6 up.
        m, e = ("%.17e" % v).split("e")
        digits = repr(v).replace(".", "").lstrip("0").rstrip("0") or "0"
        return "%.*e" % (max(len(digits.replace("e", "").split("e")[0]) - 1, 0), v) if False else "%se%s%02d" % (
            ("%.16g" % (v / 10 ** int(e))).rstrip("0").rstrip("."), "+" if int(e) >= 0 else "-", abs(int(e)))
    return r


def render(om):
    out = []
    nsamples = 0
    for name, typ, helptext, samples in families:
        fname = name[:-6] if om and typ == "counter" else name
        out.append(f"# HELP {fname} {helptext}")
        out.append(f"# TYPE {fname} {typ}")
        for lab, v in samples:
            if isinstance(lab, str):
                n, lab = name + lab, {}
                if typ == "histogram":
                    n = name + (lab and "" or "") if False else n
                lab = dict(samples[0][0]) if typ == "histogram" else {}
                lab.pop("le", None)
            else:
                n = name + ("_bucket" if typ == "histogram" else "")
            ls = ",".join(f'{k}="{esc(val)}"' for k, val in lab.items())
            out.append(f"{n}{{{ls}}} {fmt(v, om)}" if ls else f"{n} {fmt(v, om)}")
            nsamples += 1
    if om:
        out.append("# EOF")
    return "\n".join(out) + "\n", nsamples


os.makedirs(OUT, exist_ok=True)
for om, fn in [(False, "node_exporter.prom"), (True, "node_exporter.om")]:
    text, n = render(om)
    with open(os.path.join(OUT, fn), "w") as f:
        f.write(text)
    print(f"{fn}: {len(families)} families, {n} samples, {len(text)} bytes")
