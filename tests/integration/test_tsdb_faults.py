"""Storage faults: a full disk and a read-only directory.

The data directory lives on a small tmpfs (a real ENOSPC, not a simulation),
so these tests need root to mount it; without root they are skipped with
that reason. A full disk while a sender remote-writes hours of data (head
compaction writes blocks meanwhile) must give HTTP 500 with the reason and a
logged error; once the file system is grown the sender's retries succeed,
every acknowledged sample is there exactly once, no block is half written
and promtool tsdb analyze passes. A read-only directory must stop the start
with a clear error and leave the data untouched."""
import os
import re
import subprocess
import threading
import time

from tsdbtest import TsdbCase, parse_dump, promtool, tool, Server, TSDB


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path],
                       capture_output=True, text=True)
    return p.returncode == 0, p.stderr


def remount(path, opts):
    subprocess.run(["mount", "-o", "remount," + opts, path], check=True, capture_output=True)


def metric(srv, name):
    status, body = srv.get("/metrics")
    m = re.search(r"^%s (\S+)$" % re.escape(name), body, re.M)
    return float(m.group(1)) if m else None


class Faults(TsdbCase):
    def setUp(self):
        super().setUp()
        self.mnt = os.path.join(self.tmp, "mnt")
        if os.geteuid() != 0:
            self.skipTest("mounting the small tmpfs that gives a real ENOSPC needs root")
        ok, err = mount_tmpfs(self.mnt, "1m")
        if not ok:
            self.skipTest("cannot mount a tmpfs here: " + err.strip())
        self.addCleanup(subprocess.run, ["umount", "-l", self.mnt], capture_output=True)

    def test_full_disk_refuses_then_recovers(self):
        d = os.path.join(self.mnt, "d")
        srv = self.server(d)
        # 6 hours of 60 s samples for 400 series: more than 1 MiB of WAL, and
        # head compaction writes blocks while the disk is full.
        nseries, nsamples, step = 400, 360, 60000
        start = (int(time.time()) - 8 * 3600) * 1000
        out = {}

        def run():
            out["p"] = subprocess.run([tool("tsdb_rw"), srv.url + "/api/v1/write", str(nseries),
                                       str(nsamples), str(start), str(step), "4", "300"],
                                      capture_output=True, text=True, timeout=600)

        th = threading.Thread(target=run)
        th.start()
        deadline = time.time() + 120
        while time.time() < deadline:
            failed = metric(srv, "prometheus_tsdb_wal_writes_failed_total")
            if failed:
                break
            self.assertTrue(th.is_alive(), "the sender finished before the disk was full")
            time.sleep(0.2)
        self.assertGreater(failed or 0, 0, "no write failed on the full disk")
        time.sleep(1)  # a few more refused requests and retries
        self.assertIsNone(srv.proc.poll(), "cairn-tsdb exited on a full disk")
        log = srv.logtext()
        self.assertIn("Error appending remote write", log)
        self.assertIn("No space left on device", log)
        remount(self.mnt, "size=256m")
        th.join()
        p = out["p"]
        self.assertEqual(p.returncode, 0, p.stderr)
        m = re.search(r"(\d+) answers 5xx", p.stderr)
        self.assertTrue(m and int(m.group(1)) > 0, p.stderr)
        self.assertIn("No space left on device", p.stderr)  # the 500's body says why
        acked = parse_dump(p.stdout)
        self.assertEqual(len(acked), nseries * nsamples)
        # The head answers everything at once, before and after a restart.
        for attempt in ("running", "restarted"):
            status, body = srv.api("/api/v1/query", query="count(count_over_time("
                                   "{job=\"rw\"}[12h]))", time=str(time.time()))
            self.assertEqual(status, 200, body)
            self.assertEqual(body["data"]["result"][0]["value"][1], str(nseries), attempt)
            if attempt == "running":
                self.assertEqual(srv.stop(), 0)
                srv = self.server(d)
        time.sleep(2)
        self.assertEqual(srv.stop(), 0)
        for b in os.listdir(d):
            self.assertFalse(b.endswith(".tmp-for-creation"), b)
        blocks = [b for b in os.listdir(d) if len(b) == 26]
        self.assertGreater(len(blocks), 0, "no block was written")
        promtool("tsdb", "analyze", d)
        got = parse_dump(promtool("tsdb", "dump", d).stdout)
        keys = [(g[0], g[1]) for g in got]
        self.assertEqual(len(keys), len(set(keys)), "duplicated samples")
        have = set(got)
        missing = [a for a in acked if a not in have]
        self.assertEqual(missing[:5], [], "%d acknowledged samples lost" % len(missing))

    def test_read_only_directory(self):
        d = os.path.join(self.mnt, "d")
        srv = self.server(d)
        start = (int(time.time()) - 3600) * 1000
        p = subprocess.run([tool("tsdb_rw"), srv.url + "/api/v1/write", "20", "100",
                            str(start), "15000", "10", "10"],
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        acked = parse_dump(p.stdout)
        self.assertEqual(srv.stop(), 0)
        before = sorted(os.listdir(d))
        remount(self.mnt, "ro")
        r = subprocess.run([TSDB, "--storage.tsdb.path=" + d,
                            "--web.listen-address=127.0.0.1:0"],
                           capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0, "cairn-tsdb started on a read-only directory")
        self.assertIn(d, r.stderr)
        self.assertIn("Read-only file system", r.stderr)
        self.assertEqual(sorted(os.listdir(d)), before)
        # The tools read it as it is, with every acknowledged sample.
        ours = subprocess.run([TSDB, "tsdb", "dump", d], capture_output=True, text=True,
                              check=True).stdout
        self.assertEqual(parse_dump(ours), sorted(acked, key=lambda x: (x[0], x[1])))
