"""Retries in the SDKs' standard mode, end to end through `cairn whoami`.

A loopback fault server (faultserver.py) stands in for STS and answers each
attempt from a script; the tests count the attempts it saw and measure the
gaps between them against the backoff bound min(2^(i-1), 20) s.
"""
import os
import re
import subprocess
import unittest

from faultserver import ACCOUNT, ARN, FaultServer

CAIRN = os.environ.get("CAIRN_BIN", "cairn")
ACCESS_KEY = "AKIDCAIRNRETRYTEST"
SECRET_KEY = "cairnRetrySecretKey0123456789abcdefXYZ"
GCI_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
# Process start-up, ASan and a slow machine on top of the backoff itself.
SLACK = 1.5


def run_whoami(url, global_args=(), **env_extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not k.lower().endswith("_proxy")}
    env.update({
        "AWS_ENDPOINT_URL": url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    })
    env.update(env_extra)
    return subprocess.run([CAIRN] + list(global_args) + ["whoami"], capture_output=True,
                          text=True, env=env, timeout=180)


class RetryTest(unittest.TestCase):
    def whoami(self, script, global_args=(), **env):
        server = FaultServer(script)
        self.addCleanup(server.close)
        return server, run_whoami(server.url, global_args, **env)

    def assert_attempts(self, server, n, proc):
        self.assertEqual(len(server.attempts), n,
                         "expected %d attempts, server saw %d; stderr:\n%s"
                         % (n, len(server.attempts), proc.stderr))
        for a in server.attempts:
            self.assertEqual((a.method, a.path), ("POST", "/"))
            self.assertEqual(a.body, GCI_BODY)
            self.assertIn("Credential=" + ACCESS_KEY + "/", a.headers.get("authorization", ""))

    def assert_backoff(self, server):
        for i, gap in enumerate(server.gaps(), start=1):
            bound = min(2 ** (i - 1), 20) + SLACK
            self.assertGreaterEqual(gap, 0)
            self.assertLessEqual(gap, bound, "gap before retry %d is %.2f s" % (i, gap))

    def assert_ok(self, proc):
        self.assertEqual(proc.returncode, 0, proc.stderr)
        self.assertIn(ACCOUNT, proc.stdout)
        self.assertIn(ARN, proc.stdout)

    def test_throttling_then_success(self):
        server, proc = self.whoami(["throttle", "throttle", "ok"])
        self.assert_attempts(server, 3, proc)
        self.assert_ok(proc)
        self.assert_backoff(server)

    def test_server_error_and_dropped_connection_then_success(self):
        server, proc = self.whoami(["internal", "drop", "ok"])
        self.assert_attempts(server, 3, proc)
        self.assert_ok(proc)
        self.assert_backoff(server)

    def test_bare_503_is_retried(self):
        # A load balancer's 503 carries no AWS error document: the status decides.
        server, proc = self.whoami(["unavailable", "ok"])
        self.assert_attempts(server, 2, proc)
        self.assert_ok(proc)

    def test_default_is_three_attempts(self):
        server, proc = self.whoami(["throttle", "internal", "throttle", "ok"])
        self.assert_attempts(server, 3, proc)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("Throttling", proc.stderr)
        self.assertNotIn(ARN, proc.stdout)
        self.assert_backoff(server)

    def test_default_gives_up_on_server_errors(self):
        server, proc = self.whoami(["internal", "drop", "internal", "ok"])
        self.assert_attempts(server, 3, proc)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("InternalFailure", proc.stderr)

    def test_max_attempts_from_environment(self):
        server, proc = self.whoami(["throttle", "internal", "unavailable", "drop", "ok"],
                                   AWS_MAX_ATTEMPTS="5")
        self.assert_attempts(server, 5, proc)
        self.assert_ok(proc)
        self.assert_backoff(server)
        # Full jitter may draw 0, but four draws all under 0.1 s of ranges
        # 1, 2, 4 and 8 s has a chance of about 1 in 600,000: there is a backoff.
        self.assertGreater(sum(server.gaps()), 0.1, server.gaps())

    def test_max_attempts_exhausted(self):
        server, proc = self.whoami(["internal"] * 6, AWS_MAX_ATTEMPTS="5")
        self.assert_attempts(server, 5, proc)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("InternalFailure", proc.stderr)

    def test_one_attempt_means_no_retry(self):
        server, proc = self.whoami(["throttle", "ok"], AWS_MAX_ATTEMPTS="1")
        self.assert_attempts(server, 1, proc)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("Throttling", proc.stderr)

    def test_bad_max_attempts_is_an_error(self):
        for value in ("0", "-2", "three"):
            with self.subTest(value=value):
                server, proc = self.whoami(["ok"], AWS_MAX_ATTEMPTS=value)
                self.assertNotEqual(proc.returncode, 0)
                self.assertIn("AWS_MAX_ATTEMPTS", proc.stderr)
                self.assertEqual(server.attempts, [])

    def test_access_denied_is_not_retried(self):
        server, proc = self.whoami(["denied", "ok"])
        self.assert_attempts(server, 1, proc)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn("AccessDenied", proc.stderr)
        self.assertNotIn(ARN, proc.stdout)

    def test_debug_output_is_redacted(self):
        token = "CAIRNSESSIONTOKEN" + "Zm9vYmFyYmF6" * 8
        server, proc = self.whoami(["throttle", "ok"], ["--debug"], AWS_SESSION_TOKEN=token)
        self.assert_attempts(server, 2, proc)
        self.assert_ok(proc)
        # The token did go out (so its absence from the log means something)...
        for a in server.attempts:
            self.assertEqual(a.headers.get("x-amz-security-token"), token)
        # ...but neither it nor the secret key reached the log, nor the signature.
        log = proc.stderr
        self.assertNotIn(SECRET_KEY, log)
        self.assertNotIn(token, log)
        self.assertNotIn("CAIRNSESSIONTOKEN", log)
        signature = re.search(r"Signature=([0-9a-f]{64})",
                              server.attempts[0].headers["authorization"]).group(1)
        self.assertNotIn(signature, log)
        self.assertRegex(log, re.compile(r"authorization: \(redacted\)", re.I))
        self.assertRegex(log, re.compile(r"x-amz-security-token: \(redacted\)", re.I))
        # --debug shows each attempt.
        self.assertGreaterEqual(log.count("POST %s/" % server.url), 2, log)


if __name__ == "__main__":
    unittest.main()
