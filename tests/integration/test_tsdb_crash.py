"""Crash safety: cairn-tsdb is SIGKILLed at random moments while a sender
remote-writes and while blocks are written and compacted (a 2h block range
over hours of data sent in minutes). After every restart all acknowledged
samples are there, nothing is duplicated, and promtool analyze passes."""
import os
import random
import signal
import subprocess
import threading
import time

from tsdbtest import TsdbCase, parse_dump, promtool, tool, Server, TSDB

KILLS = 22


class Crash(TsdbCase):
    def test_sigkill_during_ingest_and_compaction(self):
        d = os.path.join(self.tmp, "d")
        rnd = random.Random(1234)
        acked = []
        nseries, per_round, step = 20, 240, 15000
        start = (int(time.time()) - 14 * 3600) * 1000
        for rnd_i in range(KILLS):
            srv = Server(d)
            self.servers.append(srv)
            t0 = start + rnd_i * per_round * step
            out = {}

            def run():
                p = subprocess.run([tool("tsdb_rw"), srv.url + "/api/v1/write", str(nseries),
                                    str(per_round), str(t0), str(step), "8", "1"],
                                   capture_output=True, text=True, timeout=300)
                out["p"] = p

            th = threading.Thread(target=run)
            th.start()
            time.sleep(rnd.uniform(0.05, 1.5))
            srv.proc.send_signal(signal.SIGKILL)
            srv.proc.wait()
            th.join()
            p = out["p"]
            self.assertIn(p.returncode, (0, 4), p.stderr)  # 4: gave up after the kill
            acked += parse_dump(p.stdout)
        # Restart once more: compaction runs, then check everything.
        srv = Server(d)
        self.servers.append(srv)
        time.sleep(3)
        self.assertEqual(srv.stop(), 0)
        for b in os.listdir(d):
            self.assertFalse(b.endswith(".tmp-for-creation"), b)
        os.makedirs(os.path.join(d, "wal"), exist_ok=True)
        promtool("tsdb", "analyze", d)
        dump = promtool("tsdb", "dump", d).stdout
        got = parse_dump(dump)
        keys = [(g[0], g[1]) for g in got]
        self.assertEqual(len(keys), len(set(keys)), "duplicated samples")
        have = set(got)
        missing = [a for a in acked if a not in have]
        self.assertEqual(missing[:5], [], "%d acknowledged samples lost" % len(missing))
        self.assertGreater(len(acked), 0)
        ours = subprocess.run([TSDB, "tsdb", "dump", d], capture_output=True, text=True,
                              check=True).stdout
        self.assertEqual(parse_dump(ours), got)
        blocks = [b for b in os.listdir(d) if len(b) == 26]
        self.assertGreater(len(blocks), 0, "no block was ever written")
