"""`cairn whoami` against moto (through cairnharness's strict proxy) with
credentials from each link of the chain.

Each test gives cairn exactly one source of credentials and checks both where
cairn says they came from and who moto says the caller is: moto answers
GetCallerIdentity from the access key it sees, so an identity made for the test
(an IAM user's key, an assumed role's session) proves that cairn signed with
the credentials from that source. Container credentials and IMDSv2 are served
by loopback servers made here; web identity goes through moto's STS.
"""
import http.server
import json
import os
import shutil
import subprocess
import tempfile
import threading
import time
import unittest
from datetime import datetime, timedelta, timezone

import cairnharness

CAIRN = os.environ.get("CAIRN_BIN", "cairn")
ACCOUNT = "123456789012"


class LoopbackServer:
    """http.server on 127.0.0.1 with a handler function(handler, method) -> (status, body)."""

    def __init__(self, respond):
        outer = self
        self.requests = []  # (method, path, headers as a lowercase-keyed dict)

        class Handler(http.server.BaseHTTPRequestHandler):
            def _any(self, method):
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                outer.requests.append((method, self.path, headers))
                status, body = respond(method, self.path, headers)
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self):
                self._any("GET")

            def do_PUT(self):
                self._any("PUT")

            def do_POST(self):
                self._any("POST")

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = "http://127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


class CredentialChainTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.emu = cairnharness.Emulator().start()
        cls.endpoint = cls.emu.endpoint
        # Out-of-band setup goes to moto directly.
        cls.sts = cls.emu.boto3_client("sts")
        cls.iam = cls.emu.boto3_client("iam")

    @classmethod
    def tearDownClass(cls):
        cls.emu.stop()

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="cairn-creds-")
        self.secrets = []  # values that must never show up in cairn's output
        self.emu.clear()

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        # Every STS call cairn made matched botocore's model.
        self.emu.assert_clean(self)

    # ---- helpers ----

    def base_env(self, **extra):
        """The emulator's endpoint and region with every credential source off."""
        env = self.emu.env(base={k: v for k, v in os.environ.items()
                                 if not k.lower().endswith("_proxy")})
        del env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], env["AWS_DEFAULT_REGION"]
        env.update({
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
            "AWS_EC2_METADATA_DISABLED": "true",
            "HOME": self.tmp,  # no ~/.aws of whoever runs the tests
            "NO_PROXY": "127.0.0.1,localhost",
        })
        env.update(extra)
        return env

    def write(self, name, text):
        path = os.path.join(self.tmp, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def cairn(self, env, *args):
        p = subprocess.run([CAIRN, *args], env=env, capture_output=True, text=True, timeout=60)
        for secret in self.secrets:
            self.assertNotIn(secret, p.stdout, "a secret was printed")
            self.assertNotIn(secret, p.stderr, "a secret was printed")
        return p

    def whoami(self, env, *global_args):
        p = self.cairn(env, *global_args, "whoami", "--json")
        self.assertEqual(p.returncode, 0, "cairn whoami failed:\n" + p.stderr)
        return json.loads(p.stdout)

    def user_keys(self, name):
        """An IAM user in moto and an access key of it."""
        self.iam.create_user(UserName=name)
        key = self.iam.create_access_key(UserName=name)["AccessKey"]
        self.secrets.append(key["SecretAccessKey"])
        return key["AccessKeyId"], key["SecretAccessKey"]

    def role_session(self, role, session):
        """Temporary credentials from moto's STS, as an AWS credential endpoint serves them."""
        c = self.sts.assume_role(RoleArn="arn:aws:iam::%s:role/%s" % (ACCOUNT, role),
                                 RoleSessionName=session)["Credentials"]
        self.secrets += [c["SecretAccessKey"], c["SessionToken"]]
        return {
            "AccessKeyId": c["AccessKeyId"],
            "SecretAccessKey": c["SecretAccessKey"],
            "Token": c["SessionToken"],
            "Expiration": iso(datetime.now(timezone.utc) + timedelta(hours=1)),
        }

    # ---- one test per link ----

    def test_environment(self):
        akid, secret = self.user_keys("env-user")
        env = self.base_env(AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret)
        out = self.whoami(env)
        self.assertEqual(out["credentials_source"], "environment (AWS_ACCESS_KEY_ID)")
        self.assertEqual(out["arn"], "arn:aws:iam::%s:user/env-user" % ACCOUNT)
        self.assertEqual(out["account"], ACCOUNT)
        self.assertEqual(out["region"], "us-east-1")
        self.assertEqual(out["region_source"], "AWS_REGION")
        # The human form says the same, and --debug logs no secret either.
        p = self.cairn(env, "--debug", "whoami")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("credentials: environment (AWS_ACCESS_KEY_ID)\n", p.stdout)

    def test_environment_beats_profile(self):
        akid, secret = self.user_keys("env-first")
        pakid, psecret = self.user_keys("profile-second")
        cred = self.write("credentials", "[default]\naws_access_key_id = %s\n"
                          "aws_secret_access_key = %s\n" % (pakid, psecret))
        env = self.base_env(AWS_ACCESS_KEY_ID=akid, AWS_SECRET_ACCESS_KEY=secret,
                            AWS_SHARED_CREDENTIALS_FILE=cred)
        self.assertEqual(self.whoami(env)["arn"], "arn:aws:iam::%s:user/env-first" % ACCOUNT)

    def test_environment_half_set(self):
        env = self.base_env(AWS_ACCESS_KEY_ID="AKIAHALFSETEXAMPLE")
        p = self.cairn(env, "whoami")
        self.assertEqual(p.returncode, 1)
        self.assertIn("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", p.stderr)

    def test_profile_files(self):
        akid, secret = self.user_keys("profile-user")
        cfg = self.write("config", "[default]\nregion = us-east-1\n\n"
                         "[profile ci]\nregion = eu-west-1\noutput = json\n")
        cred = self.write("credentials", "# written by the test\n[default]\n"
                          "aws_access_key_id = AKIANOTTHISONE\n"
                          "aws_secret_access_key = notthisone\n\n"
                          "[ci]\naws_access_key_id = %s\n"
                          "aws_secret_access_key = %s\n" % (akid, secret))
        env = self.base_env(AWS_CONFIG_FILE=cfg, AWS_SHARED_CREDENTIALS_FILE=cred,
                            AWS_PROFILE="ci")
        del env["AWS_REGION"]
        out = self.whoami(env)
        self.assertEqual(out["credentials_source"],
                         "shared credentials file %s (profile ci)" % cred)
        self.assertEqual(out["arn"], "arn:aws:iam::%s:user/profile-user" % ACCOUNT)
        self.assertEqual(out["region"], "eu-west-1")
        self.assertEqual(out["region_source"], "profile 'ci' in %s" % cfg)
        # --profile beats AWS_PROFILE.
        env["AWS_PROFILE"] = "nosuchprofile"
        out = self.whoami(env, "--profile", "ci")
        self.assertEqual(out["credentials_source"],
                         "shared credentials file %s (profile ci)" % cred)

    def test_profile_with_assume_role_is_refused(self):
        cfg = self.write("config", "[profile deploy]\n"
                         "role_arn = arn:aws:iam::%s:role/deploy\n"
                         "source_profile = default\n" % ACCOUNT)
        env = self.base_env(AWS_CONFIG_FILE=cfg, AWS_PROFILE="deploy")
        p = self.cairn(env, "whoami")
        self.assertEqual(p.returncode, 1)
        self.assertIn("%s:3:" % cfg, p.stderr)
        self.assertIn("AssumeRole", p.stderr)
        self.assertIn("does not support", p.stderr)

    def test_web_identity(self):
        token = self.write("token", "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl\n")
        role = "arn:aws:iam::%s:role/ci-deployer" % ACCOUNT
        env = self.base_env(AWS_WEB_IDENTITY_TOKEN_FILE=token, AWS_ROLE_ARN=role,
                            AWS_ROLE_SESSION_NAME="gha-run-42")
        out = self.whoami(env)
        self.assertEqual(out["credentials_source"],
                         "web identity (role %s via STS AssumeRoleWithWebIdentity)" % role)
        self.assertEqual(out["arn"],
                         "arn:aws:sts::%s:assumed-role/ci-deployer/gha-run-42" % ACCOUNT)
        self.assertEqual(out["account"], ACCOUNT)
        self.assertEqual([(c.service, c.operation) for c in self.emu.calls],
                         [("sts", "AssumeRoleWithWebIdentity"), ("sts", "GetCallerIdentity")])

    def test_web_identity_from_profile(self):
        token = self.write("token", "eyJhbGciOiJSUzI1NiJ9.e30.c2lnbmF0dXJl")
        cfg = self.write("config", "[profile ci]\n"
                         "role_arn = arn:aws:iam::%s:role/from-profile\n"
                         "web_identity_token_file = %s\n"
                         "role_session_name = profile-session\n" % (ACCOUNT, token))
        env = self.base_env(AWS_CONFIG_FILE=cfg, AWS_PROFILE="ci")
        out = self.whoami(env)
        self.assertEqual(out["arn"],
                         "arn:aws:sts::%s:assumed-role/from-profile/profile-session" % ACCOUNT)
        self.assertTrue(out["credentials_source"].startswith(
            "web identity (role arn:aws:iam::%s:role/from-profile" % ACCOUNT))

    def test_web_identity_unreadable_token(self):
        env = self.base_env(AWS_WEB_IDENTITY_TOKEN_FILE=os.path.join(self.tmp, "missing"),
                            AWS_ROLE_ARN="arn:aws:iam::%s:role/ci" % ACCOUNT)
        p = self.cairn(env, "whoami")
        self.assertEqual(p.returncode, 1)
        self.assertIn("cannot read web identity token file", p.stderr)

    def test_container_endpoint(self):
        creds = self.role_session("ecs-task-role", "ecs-task")
        auth = "container-auth-token-1"
        self.secrets.append(auth)
        auth_file = self.write("auth", auth + "\n")

        def respond(method, path, headers):
            if method != "GET" or path != "/v2/credentials/task":
                return 404, "{}"
            if headers.get("authorization") != auth:
                return 401, '{"message": "bad token"}'
            return 200, json.dumps(creds)

        with LoopbackServer(respond) as srv:
            url = srv.url + "/v2/credentials/task"
            env = self.base_env(AWS_CONTAINER_CREDENTIALS_FULL_URI=url,
                                AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=auth_file)
            out = self.whoami(env)
            self.assertEqual(out["credentials_source"],
                             "container credentials endpoint " + url)
            self.assertEqual(out["arn"],
                             "arn:aws:sts::%s:assumed-role/ecs-task-role/ecs-task" % ACCOUNT)
            self.assertEqual([r[0] for r in srv.requests], ["GET"])

            # The token straight from the environment, and a wrong one.
            del env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = auth
            self.assertEqual(self.whoami(env)["credentials_source"],
                             "container credentials endpoint " + url)
            env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "wrong"
            p = self.cairn(env, "whoami")
            self.assertEqual(p.returncode, 1)
            self.assertIn("container credentials endpoint %s: HTTP 401" % url, p.stderr)

    def test_container_full_uri_must_be_loopback_for_http(self):
        env = self.base_env(AWS_CONTAINER_CREDENTIALS_FULL_URI="http://192.0.2.10/creds")
        p = self.cairn(env, "whoami")
        self.assertEqual(p.returncode, 1)
        self.assertIn("'http://192.0.2.10/creds' is not allowed", p.stderr)

    def test_imds_v2(self):
        creds = self.role_session("instance-role", "i-0123456789abcdef0")
        creds.update({"Code": "Success", "Type": "AWS-HMAC",
                      "LastUpdated": iso(datetime.now(timezone.utc))})
        token = "imds-session-token-" + str(time.time_ns())
        self.secrets.append(token)

        def respond(method, path, headers):
            if method == "PUT" and path == "/latest/api/token":
                if headers.get("x-aws-ec2-metadata-token-ttl-seconds") != "21600":
                    return 400, ""
                return 200, token
            # IMDSv2 only: every read needs the session token.
            if method != "GET" or headers.get("x-aws-ec2-metadata-token") != token:
                return 401, ""
            if path == "/latest/meta-data/iam/security-credentials/":
                return 200, "instance-role"
            if path == "/latest/meta-data/iam/security-credentials/instance-role":
                return 200, json.dumps(creds)
            return 404, ""

        with LoopbackServer(respond) as srv:
            env = self.base_env(AWS_EC2_METADATA_SERVICE_ENDPOINT=srv.url + "/")
            del env["AWS_EC2_METADATA_DISABLED"]
            out = self.whoami(env)
            self.assertEqual(out["credentials_source"], "EC2 instance metadata (IMDSv2)")
            self.assertEqual(
                out["arn"], "arn:aws:sts::%s:assumed-role/instance-role/i-0123456789abcdef0"
                % ACCOUNT)
            self.assertEqual(
                [(m, p) for m, p, _ in srv.requests],
                [("PUT", "/latest/api/token"),
                 ("GET", "/latest/meta-data/iam/security-credentials/"),
                 ("GET", "/latest/meta-data/iam/security-credentials/instance-role")])

            # AWS_EC2_METADATA_DISABLED=false is not disabled.
            env["AWS_EC2_METADATA_DISABLED"] = "false"
            self.assertEqual(self.whoami(env)["credentials_source"],
                             "EC2 instance metadata (IMDSv2)")

    # ---- nothing anywhere ----

    def test_nothing_configured(self):
        p = self.cairn(self.base_env(), "whoami")
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stdout, "")
        for place in ["no AWS credentials found; looked at: ",
                      "environment (AWS_ACCESS_KEY_ID not set)",
                      "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set)",
                      "shared credentials file /nonexistent (not found)",
                      "shared config file /nonexistent (not found)",
                      "container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI/FULL_URI "
                      "not set)",
                      "EC2 instance metadata (disabled by AWS_EC2_METADATA_DISABLED)"]:
            self.assertIn(place, p.stderr)
        # One error, not one per place.
        self.assertEqual(p.stderr.count("error:"), 1, p.stderr)

    def test_no_region(self):
        env = self.base_env(AWS_ACCESS_KEY_ID="AKIAEXAMPLE", AWS_SECRET_ACCESS_KEY="x")
        del env["AWS_REGION"]
        p = self.cairn(env, "whoami")
        self.assertEqual(p.returncode, 1)
        self.assertIn("no AWS region configured; looked at: --region (not given); AWS_REGION "
                      "(not set); AWS_DEFAULT_REGION (not set); profile 'default' in "
                      "/nonexistent (file not found)", p.stderr)


if __name__ == "__main__":
    unittest.main()
