"""Prometheus 2.42's text-format parser cases (tests/data/expo-text/cases.json).

Every input must be accepted or rejected as Prometheus 2.42's promparse does;
for accepted inputs with a sample list, the samples cairn's parser yields
(labels, value, timestamp, dumped by $CAIRN_TEST_TOOLS/expo_check --dump) must
be Prometheus's, in order; `cairn-scrape --check-metrics` gives the same verdict.

One listed difference: label values are C strings in cairn, so a NUL byte
inside a label value ends the value (Prometheus keeps the bytes after it).
Expected values are cut at the NUL before comparing; the cases involved are
the null-byte ones only.
"""

import json
import os
import re
import subprocess
import unittest

DATA = os.path.join(os.environ["CAIRN_TEST_DATA"], "expo-text", "cases.json")
TOOL = os.path.join(os.environ["CAIRN_TEST_TOOLS"], "expo_check")
SCRAPE = [os.environ["CAIRN_SCRAPE_BIN"], "--check-metrics"]


def cut_at_nul(line):
    # Go quotes a NUL as \x00; cut the quoted value there and close the quote.
    return re.sub(r'\\x00[^"]*"', '"', line)


class TextFormatCases(unittest.TestCase):
    def test_cases(self):
        with open(DATA) as f:
            cases = json.load(f)["cases"]
        self.assertEqual(len(cases), 25)
        for c in cases:
            with self.subTest(c["name"]):
                data = c["input"].encode("latin-1")
                strict = subprocess.run([TOOL], input=data, capture_output=True, timeout=30)
                dump = subprocess.run([TOOL, "--dump"], input=data, capture_output=True,
                                      timeout=30)
                self.assertEqual(strict.returncode, 0 if c["accept"] else 1, strict.stderr)
                # The daemon's own check gives the same verdict.
                daemon = subprocess.run(SCRAPE, input=data, capture_output=True, timeout=30)
                self.assertEqual(daemon.returncode, strict.returncode, daemon.stderr)
                self.assertEqual(dump.returncode, 0 if c["accept"] else 1, dump.stderr)
                if not c["accept"]:
                    self.assertRegex(strict.stderr.decode(), r"<stdin>:\d+:\d+: error: ")
                if "samples" in c:
                    want = [cut_at_nul(s) for s in c["samples"]]
                    self.assertEqual(dump.stdout.decode().splitlines(), want)


if __name__ == "__main__":
    unittest.main()
