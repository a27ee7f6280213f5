"""The command line itself: help, version, errors, exit codes, and the README's main job."""
import os
import re
import subprocess
import unittest

CAIRN = os.environ["CAIRN_BIN"]
SOURCE = os.environ["CAIRN_SOURCE_DIR"]


def run(*args, env=None):
    return subprocess.run([CAIRN, *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)


class CommandLine(unittest.TestCase):
    def test_help_lists_every_command(self):
        r = run("--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: cairn", r.stdout)
        self.assertRegex(r.stdout, r"\n  whoami ")

    def test_each_command_has_help(self):
        commands = re.findall(r"^  (\w+) ", run("--help").stdout.split("Commands:")[1], re.M)
        self.assertTrue(commands)
        for cmd in commands:
            r = run(cmd, "--help")
            self.assertEqual(r.returncode, 0, cmd)
            self.assertIn(f"cairn [global options] {cmd}", r.stdout)

    def test_version(self):
        r = run("--version")
        self.assertEqual(r.returncode, 0)
        self.assertRegex(r.stdout, r"^cairn \d+\.\d+\.\d+\n$")

    def test_errors_exit_1_with_a_message(self):
        for args, msg in [(("frob",), "unknown command 'frob'"),
                          (("--frob", "whoami"), "unknown option '--frob'"),
                          (("--region",), "--region needs a value"),
                          (("whoami", "--frob"), "unknown argument '--frob'"),
                          ((), "usage: cairn")]:
            r = run(*args)
            self.assertEqual(r.returncode, 1, args)
            self.assertIn(msg, r.stderr, args)
            self.assertEqual(r.stdout, "", args)

    def test_no_region_names_every_place(self):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
                   AWS_ACCESS_KEY_ID="AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY="x")
        r = run("whoami", env=env)
        self.assertEqual(r.returncode, 1)
        for place in ("--region", "AWS_REGION", "AWS_DEFAULT_REGION", "/nonexistent"):
            self.assertIn(place, r.stderr)

    def test_bad_endpoint_override_is_refused(self):
        env = dict(os.environ, AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                   AWS_SECRET_ACCESS_KEY="x", AWS_ENDPOINT_URL="localhost:1")
        r = run("whoami", env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("AWS_ENDPOINT_URL='localhost:1' is not an http:// or https:// URL", r.stderr)

    def test_readme_main_job(self):
        """The README's first command ends in `tools/local-up`: the seed stack brought up
        against a private emulator, then a plan that finds nothing to do (--apply-only: the
        services running for real are test_local_stack's)."""
        with open(os.path.join(SOURCE, "README.md")) as f:
            first = re.search(r"```sh\n(.*?)\n", f.read()).group(1)
        self.assertIn("tools/build && tools/local-up", first)
        r = subprocess.run([os.path.join(SOURCE, "tools/local-up"), "--apply-only"],
                           env=dict(os.environ, CAIRN=CAIRN), capture_output=True, text=True,
                           timeout=600, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Apply complete: 65 created", r.stdout)
        self.assertIn("/grafana/", r.stdout)
        self.assertIn("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete", r.stdout)

    def test_whoami_against_the_emulator(self):
        r = subprocess.run([os.path.join(SOURCE, "tools/emulator"), "run", "--strict", "--",
                            CAIRN, "--stats", "whoami", "--json"],
                           capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn('"account": "123456789012"', r.stdout)
        self.assertIn("cairn: 1 AWS call, 1 HTTP attempt, 0 retries", r.stderr)

if __name__ == "__main__":
    unittest.main()
