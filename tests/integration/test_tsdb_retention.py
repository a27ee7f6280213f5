"""Compaction and retention over 20 simulated days sent through remote-write:
2h blocks from the head, merged into 6h and 18h levels as Prometheus does for
a 15-day retention, nothing older than the retention left, queries across
block boundaries exact; size retention deletes whole oldest blocks."""
import json
import os
import subprocess
import time

from tsdbtest import TsdbCase, parse_dump, promtool, send, TSDB

H = 3600 * 1000
DAY = 24 * H


def blocks(d):
    out = []
    for b in os.listdir(d):
        if len(b) == 26 and os.path.isdir(os.path.join(d, b)):
            with open(os.path.join(d, b, "meta.json")) as f:
                out.append(json.load(f))
    return sorted(out, key=lambda m: m["minTime"])


class Retention(TsdbCase):
    def wait_compacted(self, srv, timeout=240):
        """Until the block set stops changing and the head spans at most 3h."""
        last, stable = None, 0
        deadline = time.time() + timeout
        while time.time() < deadline:
            _, m = srv.get("/metrics")
            vals = {l.split()[0]: float(l.split()[1]) for l in m.splitlines()
                    if l and not l.startswith("#") and len(l.split()) == 2}
            state = (vals.get("prometheus_tsdb_blocks_loaded"),
                     vals.get("prometheus_tsdb_compactions_total"))
            span = vals["prometheus_tsdb_head_max_time"] - vals["prometheus_tsdb_head_min_time"]
            stable = stable + 1 if state == last and span <= 3 * H else 0
            if stable >= 3:
                return
            last = state
            time.sleep(1)
        self.fail("compaction did not settle")

    def test_twenty_days(self):
        d = os.path.join(self.tmp, "d")
        srv = self.server(d)
        end = (int(time.time()) // 3600) * 3600 * 1000
        start = end - 20 * DAY
        step = 10 * 60 * 1000
        n = 20 * 24 * 6
        _, acked, _ = send(srv.url, 6, n, start, step, per=6 * 24)
        self.wait_compacted(srv)
        self.assertEqual(srv.stop(), 0)
        bl = blocks(d)
        self.assertGreater(len(bl), 3)
        newest = max(b["maxTime"] for b in bl)
        for b in bl:
            span = b["maxTime"] - b["minTime"]
            self.assertLessEqual(span, 18 * H, b)
            # Nothing older than the retention (15d) behind the newest block.
            self.assertLessEqual(newest - b["maxTime"], 15 * DAY, b)
            if b["compaction"]["level"] >= 2:
                self.assertIn(span, (6 * H, 18 * H), b)
                self.assertIn("parents", b["compaction"])
        levels = {b["compaction"]["level"] for b in bl}
        self.assertIn(3, levels, levels)  # 18h blocks from 6h blocks from 2h blocks
        # Blocks do not overlap.
        for a, b in zip(bl, bl[1:]):
            self.assertLessEqual(a["maxTime"], b["minTime"])
        os.makedirs(os.path.join(d, "wal"), exist_ok=True)
        promtool("tsdb", "analyze", d)
        got = parse_dump(promtool("tsdb", "dump", d).stdout)
        oldest = bl[0]["minTime"]
        want = [a for a in acked if a[1] >= oldest]
        self.assertEqual(got, want)
        ours = parse_dump(subprocess.run([TSDB, "tsdb", "dump", d], capture_output=True,
                                         text=True, check=True).stdout)
        self.assertEqual(ours, want)
        # A query window across block boundaries returns exactly the samples inside it.
        lo, hi = bl[1]["minTime"] - 3 * H, bl[1]["maxTime"] + 5 * H
        win = parse_dump(subprocess.run([TSDB, "tsdb", "dump", "--min-time=%d" % lo,
                                         "--max-time=%d" % hi, "--match=rw_temp", d],
                                        capture_output=True, text=True, check=True).stdout)
        self.assertEqual(win, [a for a in want if lo <= a[1] <= hi and "rw_temp" in a[0]])

    def test_size_retention_deletes_oldest_blocks(self):
        d = os.path.join(self.tmp, "d")
        srv = self.server(d)
        end = (int(time.time()) // 3600) * 3600 * 1000
        start = end - 3 * DAY
        _, acked, _ = send(srv.url, 20, 3 * 24 * 60, start, 60000, per=240)
        self.wait_compacted(srv)
        srv.stop()

        def du(p):
            return sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(p)
                       for f in fs)

        before = blocks(d)
        wal, total = du(os.path.join(d, "wal")), sum(du(os.path.join(d, b["ulid"]))
                                                      for b in before)
        limit = wal + total // 2
        srv = self.server(d, "--storage.tsdb.retention.size=%dB" % limit)
        self.wait_compacted(srv)
        _, m = srv.get("/metrics")
        self.assertIn("prometheus_tsdb_size_retentions_total 1\n", m)
        srv.stop()
        after = blocks(d)
        self.assertLess(len(after), len(before))
        # Whole blocks went, oldest first: what is left is the newest ones, unchanged.
        self.assertEqual([b["ulid"] for b in after],
                         [b["ulid"] for b in before][len(before) - len(after):])
        self.assertLessEqual(sum(du(os.path.join(d, b["ulid"])) for b in after) + wal, limit)
        os.makedirs(os.path.join(d, "wal"), exist_ok=True)
        got = parse_dump(promtool("tsdb", "dump", d).stdout)
        oldest = after[0]["minTime"]
        self.assertEqual(got, [a for a in acked if a[1] >= oldest])
