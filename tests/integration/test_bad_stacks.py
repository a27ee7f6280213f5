"""The bad-input corpus: every file in tests/stacks/bad/ gets exactly its expected diagnostics.

Each file in tests/stacks/bad/ starts with comment lines that say what `cairn validate` must
print for it (see tests/stacks/README.md):

    # expect: 7:13: error: 'cidr_blok' is not an attribute of ec2.vpc; did you mean 'cidr_block'?
    # expect: templates/broken.yaml:5:9: error: ...
    # expect-note: 7:7: note: ...
    # expect-note: cairn: note: 3 more errors not shown

An expectation that starts with LINE:COL: is about the file itself and must appear in stderr as
`bad/NN-name.yaml:LINE:COL: ...`; any other expectation must appear as written. cairn runs with
its working directory tests/stacks and `--template-dir templates`, so diagnostics name files
relative to tests/stacks. Run from tests/integration:

    CAIRN_BIN=/path/to/cairn CAIRN_SOURCE_DIR=/path/to/source python3 -m unittest -v test_bad_stacks
"""

import collections
import glob
import os
import re
import subprocess
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.environ.get("CAIRN_SOURCE_DIR", os.path.join(HERE, "..", "..")))
CAIRN = os.environ.get("CAIRN_BIN", os.path.join(SOURCE_DIR, "build", "cairn"))
STACKS = os.path.join(SOURCE_DIR, "tests", "stacks")
MIN_FILES = 45
TIMEOUT = 60

EXPECT_RE = re.compile(r"^#\s*expect(-note)?:\s*(.*?)\s*$")
LOCAL_RE = re.compile(r"^(\d+):(\d+): (error|warning|note): ")
OTHER_RE = re.compile(r"^([^\s:][^:]*):(\d+):(\d+): (error|warning|note): ")
# What a sanitizer prints when it finds something (ASan, LSan, UBSan, MSan, TSan).
SANITIZER_RE = re.compile(
    r"ERROR: (Address|Leak|Memory|Thread|UndefinedBehavior)Sanitizer|"
    r"SUMMARY: \w+Sanitizer|runtime error: |WARNING: \w+Sanitizer")


def corpus():
    return sorted(glob.glob(os.path.join(STACKS, "bad", "*.yaml")))


def rel(path):
    return os.path.relpath(path, STACKS)


def expectations(path):
    """[(kind, line number in path, full expected stderr line)] for kind 'error' or 'note'."""
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = EXPECT_RE.match(line)
            if not m:
                continue
            text = m.group(2)
            full = "%s:%s" % (rel(path), text) if LOCAL_RE.match(text) else text
            out.append(("note" if m.group(1) else "error", n, full))
    return out


def error_lines(stderr):
    """The diagnostic lines that are errors; the echoed source lines start with a space."""
    return [l for l in stderr.splitlines() if l and not l[0].isspace() and ": error: " in l]


def clean_env():
    env = dict(os.environ)
    # Nothing about the machine running the tests may change what cairn says.
    for k in list(env):
        if k.startswith("AWS_") or k.startswith("CAIRN_"):
            del env[k]
    env["AWS_CONFIG_FILE"] = os.devnull
    env["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull
    env["NO_COLOR"] = "1"
    env["LC_ALL"] = "C"
    return env


def run_cairn(path):
    return subprocess.run(
        [CAIRN, "validate", rel(path), "--template-dir", "templates"],
        cwd=STACKS, env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True,
        text=True, errors="replace", timeout=TIMEOUT)


class CorpusShape(unittest.TestCase):
    def test_enough_files(self):
        files = corpus()
        self.assertGreaterEqual(len(files), MIN_FILES,
                                "tests/stacks/bad/ holds %d files; the corpus needs at least %d"
                                % (len(files), MIN_FILES))

    def test_every_file_expects_an_error(self):
        for path in corpus():
            with self.subTest(file=rel(path)):
                self.assertTrue([e for e in expectations(path) if e[0] == "error"],
                                "%s has no '# expect:' line" % rel(path))

    def test_expectations_name_existing_lines(self):
        """Each LINE:COL of an expectation is a line of its file and a column on it (or one past
        its end); a mistyped expectation would otherwise only show up as a mismatch."""
        for path in corpus():
            for kind, n, full in expectations(path):
                with self.subTest(file=rel(path), line=n):
                    m = OTHER_RE.match(full)
                    if not m:
                        # Diagnostics without a place, such as "cairn: note: ... not shown".
                        self.assertRegex(full, r"^cairn: (error|note): ",
                                         "%s:%d: an expectation is LINE:COL: error: MESSAGE"
                                         % (rel(path), n))
                        continue
                    target = os.path.join(STACKS, m.group(1))
                    self.assertTrue(os.path.isfile(target),
                                    "%s:%d: no file %s" % (rel(path), n, m.group(1)))
                    with open(target, encoding="utf-8", errors="replace") as f:
                        lines = f.read().split("\n")
                    if lines and lines[-1] == "":
                        lines.pop()
                    line, col = int(m.group(2)), int(m.group(3))
                    self.assertTrue(1 <= line <= len(lines),
                                    "%s:%d: %s has no line %d (it has %d)"
                                    % (rel(path), n, m.group(1), line, len(lines)))
                    self.assertTrue(1 <= col <= len(lines[line - 1]) + 1,
                                    "%s:%d: line %d of %s has no column %d"
                                    % (rel(path), n, line, m.group(1), col))


class BadStacks(unittest.TestCase):
    maxDiff = None

    def test_each_file_gets_its_diagnostics(self):
        self.assertTrue(os.access(CAIRN, os.X_OK), "no cairn binary at %s (set CAIRN_BIN)" % CAIRN)
        files = corpus()
        self.assertGreaterEqual(len(files), MIN_FILES)
        for path in files:
            with self.subTest(file=rel(path)):
                self.check(path)

    def check(self, path):
        exp = expectations(path)
        r = run_cairn(path)
        where = "\n--- stderr of cairn validate %s ---\n%s" % (rel(path), r.stderr)
        self.assertIsNone(SANITIZER_RE.search(r.stderr), "sanitizer report" + where)
        self.assertEqual(r.returncode, 1, "exit code" + where)
        self.assertEqual(r.stdout, "", "stdout must be empty" + where)
        lines = r.stderr.splitlines()
        want_errors = [full for kind, _, full in exp if kind == "error"]
        got_errors = error_lines(r.stderr)
        missing = list((collections.Counter(want_errors) - collections.Counter(got_errors))
                       .elements())
        extra = list((collections.Counter(got_errors) - collections.Counter(want_errors))
                     .elements())
        self.assertEqual((missing, extra), ([], []),
                         "(expected errors not printed, errors printed but not expected)" + where)
        for kind, n, full in exp:
            if kind == "note":
                self.assertIn(full, lines, "expected note (line %d) not printed" % n + where)


if __name__ == "__main__":
    unittest.main()
