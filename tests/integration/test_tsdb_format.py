"""cairn-tsdb's on-disk format against Prometheus 2.42 itself: blocks written by
cairn pass promtool tsdb list/analyze/dump with exactly the samples written,
a real Prometheus serves them, and cairn reads blocks promtool wrote."""
import os
import shutil
import subprocess
import time

from tsdbtest import TsdbCase, parse_dump, promtool, tool, TSDB


def now_ms():
    return int(time.time()) * 1000


class BlockFormat(TsdbCase):
    def synth(self, path, nseries=24, nsamples=1500, start=None, step=15000):
        start = start if start is not None else now_ms() - 8 * 3600 * 1000
        os.makedirs(path, exist_ok=True)
        p = subprocess.run([tool("tsdb_synth"), path, str(nseries), str(nsamples), str(start),
                            str(step)], capture_output=True, text=True, check=True)
        return parse_dump(p.stdout)

    def test_promtool_lists_analyzes_and_dumps_cairn_blocks(self):
        d = os.path.join(self.tmp, "data")
        want = self.synth(d)
        os.makedirs(os.path.join(d, "wal"), exist_ok=True)
        listed = promtool("tsdb", "list", d).stdout.splitlines()
        self.assertEqual(listed[0].split()[:3], ["BLOCK", "ULID", "MIN"])
        self.assertGreaterEqual(len(listed) - 1, 4)
        ours = subprocess.run([TSDB, "tsdb", "list", d], capture_output=True, text=True,
                              check=True).stdout
        self.assertEqual(ours.splitlines(), listed)
        promtool("tsdb", "analyze", d)
        dump = promtool("tsdb", "dump", d).stdout
        self.assertSamplesEqual(parse_dump(dump), want)
        # Our dump prints exactly what promtool prints (Go's %g, label quoting).
        ours = subprocess.run([TSDB, "tsdb", "dump", d], capture_output=True, text=True,
                              check=True).stdout
        self.assertEqual(ours, dump)

    def test_prometheus_serves_cairn_blocks(self):
        d = os.path.join(self.tmp, "data")
        want = self.synth(d, nseries=8, nsamples=600)
        prom = self.server(d, prometheus=True)
        status, body = prom.api("/api/v1/series", **{"match[]": "synth_temp"})
        self.assertEqual(status, 200, body)
        got = sorted(tuple(sorted(s.items())) for s in body["data"])
        names = {w[0] for w in want if 'synth_temp' in w[0]}
        self.assertEqual(len(got), len(names))
        # Raw samples of one series through query_range at its own timestamps.
        series = sorted(names)[0]
        pts = [w for w in want if w[0] == series]
        lo, hi = pts[0][1], pts[-1][1]
        status, body = prom.api("/api/v1/query", query=series + "[1d]",
                                time="%.3f" % (hi / 1000))
        self.assertEqual(status, 200, body)
        vals = body["data"]["result"][0]["values"]
        self.assertEqual(len(vals), len([p for p in pts if hi - 86400000 < p[1] <= hi]))
        for (ts, v), p in zip(vals, [p for p in pts if p[1] > hi - 86400000]):
            self.assertEqual(round(float(ts) * 1000), p[1])
            if p[2] != "NaN":
                self.assertEqual(float(v), p[2])
        self.assertGreaterEqual(lo, 0)

    def test_cairn_reads_promtool_backfilled_blocks(self):
        src = os.path.join(self.tmp, "in.om")
        base = now_ms() // 1000 - 10 * 3600
        with open(src, "w") as f:
            f.write("# TYPE om_requests counter\n")
            for i in range(0, 2000):
                for code in ("200", "500"):
                    f.write('om_requests_total{code="%s",path="/a\\"b"} %d %d\n'
                            % (code, i * (3 if code == "200" else 1), base + i * 15))
            f.write("# TYPE om_temp gauge\n")
            for i in range(0, 2000):
                f.write("om_temp %s %d\n" % (["1.5", "-0.25", "1e+300", "NaN"][i % 4],
                                             base + i * 15))
            f.write("# EOF\n")
        prom_dir = os.path.join(self.tmp, "prom")
        os.makedirs(prom_dir)
        promtool("tsdb", "create-blocks-from", "openmetrics", src, prom_dir)
        os.makedirs(os.path.join(prom_dir, "wal"), exist_ok=True)
        want = promtool("tsdb", "dump", prom_dir).stdout
        ours = subprocess.run([TSDB, "tsdb", "dump", prom_dir], capture_output=True, text=True,
                              check=True).stdout
        self.assertEqual(ours, want)
        subprocess.run([TSDB, "tsdb", "analyze", prom_dir], capture_output=True, check=True)
        # And the other way: cairn's backfill, read by promtool.
        our_dir = os.path.join(self.tmp, "ours")
        os.makedirs(os.path.join(our_dir, "wal"))
        subprocess.run([TSDB, "tsdb", "create-blocks-from", "openmetrics", src, our_dir],
                       capture_output=True, check=True)
        promtool("tsdb", "analyze", our_dir)
        self.assertEqual(promtool("tsdb", "dump", our_dir).stdout, want)

    def test_corrupt_block_is_a_clear_error(self):
        d = os.path.join(self.tmp, "data")
        self.synth(d, nseries=4, nsamples=100)
        block = [b for b in os.listdir(d) if len(b) == 26][0]
        idx = os.path.join(d, block, "index")
        with open(idx, "r+b") as f:
            f.seek(40)
            b = f.read(1)
            f.seek(40)
            f.write(bytes([b[0] ^ 0xFF]))
        p = subprocess.run([TSDB, "tsdb", "dump", d], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(block, p.stderr)
        self.assertIn("checksum mismatch", p.stderr)
        # Truncated chunks segment.
        shutil.rmtree(d)
        self.synth(d, nseries=4, nsamples=100)
        block = [b for b in os.listdir(d) if len(b) == 26][0]
        seg = os.path.join(d, block, "chunks", "000001")
        os.truncate(seg, os.path.getsize(seg) // 2)
        p = subprocess.run([TSDB, "tsdb", "dump", d], capture_output=True, text=True)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("chunks", p.stderr)
