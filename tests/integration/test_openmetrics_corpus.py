"""The OpenMetrics 1.0 conformance cases, every one, through the strict parser.

tests/data/openmetrics-parsers holds 211 folders, each with `metrics` and a
`test.json` saying whether a conforming parser accepts it (shouldParse). Each
exposition goes to `cairn-scrape --check-metrics --openmetrics` on standard
input: exit 0 for accepted, 1 with "<stdin>:line:col: error: ..." for rejected.
"""

import json
import os
import subprocess
import unittest

DATA = os.path.join(os.environ["CAIRN_TEST_DATA"], "openmetrics-parsers")
TEXT_CHECKER = [os.environ["CAIRN_SCRAPE_BIN"], "--check-metrics"]
CHECKER = TEXT_CHECKER + ["--openmetrics"]
EXPECTED_CASES = 211


def cases():
    for name in sorted(os.listdir(DATA)):
        spec = os.path.join(DATA, name, "test.json")
        if os.path.isfile(spec):
            with open(spec) as f:
                yield name, json.load(f)


class OpenMetricsCorpus(unittest.TestCase):
    def test_every_case_gets_the_expected_answer(self):
        total = passed = 0
        wrong = []
        for name, spec in cases():
            total += 1
            path = os.path.join(DATA, name, spec["file"])
            with open(path, "rb") as f:
                r = subprocess.run(CHECKER, stdin=f, capture_output=True, timeout=30)
            r.stderr = r.stderr.decode(errors="replace")
            self.assertIn(r.returncode, (0, 1), f"{name}: crashed: {r.stderr}")
            accepted = r.returncode == 0
            if accepted == spec["shouldParse"]:
                passed += 1
            else:
                wrong.append(f"{name}: expected shouldParse={spec['shouldParse']}, got "
                             f"{'accepted' if accepted else r.stderr.strip()}")
            if not accepted:
                # Rejections are located: file:line:col: error: ...
                self.assertRegex(r.stderr, r"<stdin>:\d+:\d+: error: \S", name)
        print(f"\nOpenMetrics corpus: {passed}/{total} cases give the expected answer")
        self.assertEqual(total, EXPECTED_CASES)
        self.assertEqual(wrong, [])

    def test_stdin_and_text_mode(self):
        # The same bytes are valid OpenMetrics only with # EOF; text format does not care.
        good = b"# TYPE a counter\na_total 1\n# EOF\n"
        r = subprocess.run(CHECKER, input=good, capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run(CHECKER, input=b"a_total 1\n", capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"<stdin>:2:1: error: data does not end with # EOF", r.stderr)
        r = subprocess.run(TEXT_CHECKER, input=b"a_total 1\n", capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)


if __name__ == "__main__":
    unittest.main()
