"""tools/dr-drill end to end (issue #16, item 4): the seed stack on the local target with a 1 s
scrape interval, an on-demand AWS Backup of Prometheus's file system (the emulator copies its
files: efsdata.py), the Prometheus task killed and its files deleted, `cairn restore`, the
service rolled onto the restored file system. Checked from the drill's JSON line and, again,
independently: the restored TSDB answers count_over_time(up[1h]) at the backup's time with the
samples it had before the disaster, the restore directory is aws-backup-restore_<time> in the
new file system, the data gap is at least the time between the backup and the disaster, and
the recovery time is measured.
"""
import glob
import json
import os
import random
import shutil
import subprocess
import tempfile
import unittest

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
BUILD = os.path.dirname(os.environ["CAIRN_BIN"])


class DrDrill(unittest.TestCase):
    def test_drill(self):
        state = tempfile.mkdtemp(prefix="cairn-dr-drill-")
        self.addCleanup(shutil.rmtree, state, True)
        env = dict(os.environ, CAIRN=os.environ["CAIRN_BIN"], CAIRN_LOCAL_DIR=state,
                   CAIRN_TSDB_BIN=os.path.join(BUILD, "cairn-tsdb"),
                   CAIRN_DASH_BIN=os.path.join(BUILD, "cairn-dash"))
        for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
            env.pop(k, None)
        self.addCleanup(subprocess.run, [os.path.join(SOURCE, "tools", "local-up"), "--down"],
                        env=env, capture_output=True, timeout=120)
        prefix = f"127.{random.randint(100, 250)}.{os.getpid() % 250}"
        r = subprocess.run([os.path.join(SOURCE, "tools", "dr-drill"), "--scrape-for", "5",
                            "--after-backup", "3", "--prefix", prefix, "--param",
                            "scrape_interval=1s"], env=env, capture_output=True, text=True,
                           timeout=540, stdin=subprocess.DEVNULL)
        lines = [x for x in r.stdout.splitlines() if x.startswith('{"drill"')]
        self.assertTrue(lines, r.stdout[-3000:] + r.stderr[-3000:])
        out = json.loads(lines[-1])
        self.assertEqual(out["drill"], "ok", out)
        self.assertEqual(r.returncode, 0, r.stdout[-3000:])
        self.assertIn("Data gap:", r.stdout)
        self.assertIn("Recovery time:", r.stdout)
        # Samples from more than the first few seconds, all back.
        self.assertGreater(out["samples_before_backup"], 20, out)
        self.assertEqual(out["samples_restored"], out["samples_before_backup"], out)
        # What was scraped between the backup and the disaster is lost, and more.
        self.assertGreaterEqual(out["data_gap_seconds"], out["backup_to_disaster_seconds"], out)
        self.assertGreater(out["recovery_seconds"], 0, out)
        self.assertLess(out["recovery_seconds"], 300, out)
        # The restored files live in the new file system's restore directory, as AWS puts them.
        restored = glob.glob(os.path.join(state, "efs", "fs-*", "aws-backup-restore_*",
                                          "prometheus", "wal"))
        self.assertEqual(len(restored), 1, restored)
        points = glob.glob(os.path.join(state, "backup", "*", "*", "prometheus", "wal"))
        self.assertEqual(len(points), 1, points)


if __name__ == "__main__":
    unittest.main()
