"""The agent under faults, on the small network stack and on its own: a duplicate under one
cairn:id, a read that keeps failing, progress through a pipe, a hostile value from AWS, a
black-holed endpoint (docs/idempotency.md). The seed stack under injected faults is
test_up_ambiguous.
"""
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest

import cairnharness

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
TEMPLATES = os.path.join(SOURCE, "templates")
NETWORK = os.path.join(SOURCE, "tests/stacks/good/network.yaml")
NET_STACK = "net-test"


class NetworkFaults(cairnharness.CairnTestCase):
    """The network stack: a duplicate under one cairn:id, a read that keeps failing."""

    def setUp(self):
        super().setUp()
        self.emu.reset()

    def run_cairn(self, *args):
        return self.cairn(*args, "--template-dir", TEMPLATES, timeout=300)

    def test_a_failed_read_leaves_only_what_needs_it(self):
        """Every DescribeSecurityGroups fails: up makes the rest of the network, leaves the
        security groups alone (never creates them blind), says so, and exits 1; once the read
        works again, up finishes."""
        def fail(call):
            return 500, [("Content-Type", "text/xml")], (
                b"<Response><Errors><Error><Code>InternalError</Code><Message>down</Message>"
                b"</Error></Errors><RequestID>x</RequestID></Response>")
        self.emu.intercept("ec2", "DescribeSecurityGroups", fail)
        self.addCleanup(self.emu.intercept, "ec2", "DescribeSecurityGroups", None)
        r = self.cairn("up", NETWORK, "--yes", "--template-dir", TEMPLATES,
                       env_extra={"AWS_MAX_ATTEMPTS": "2"}, timeout=300)
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertIn("  ? web_sg (ec2.security_group)  # left alone: its read, or a "
                      "dependency's, failed\n", r.stdout)
        self.assertIn("web_sg (ec2.security_group): skipped: its read, or a dependency's, failed",
                      r.stdout)
        self.assertIn("cairn: error: ec2 DescribeSecurityGroups: InternalError: down", r.stderr)
        ops = [c.operation for c in self.emu.calls if c.is_write]
        self.assertNotIn("CreateSecurityGroup", ops)
        self.assertIn("CreateVpc", ops)
        self.assertIn("CreateNatGateway", ops)
        self.emu.intercept("ec2", "DescribeSecurityGroups", None)
        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Apply complete: 2 created, 0 updated, 0 replaced, 0 deleted.", r.stdout)

    def test_progress_lines_arrive_as_they_happen(self):
        """stdout is a pipe here, as in CI: each progress line must arrive when it is printed,
        not when cairn exits. The NAT gateway stays pending for 4 s, so "waiting until it is
        ready" comes seconds before the end."""
        made = []

        def create(call):
            answer = call.forward()
            made.append(time.monotonic())
            return answer

        def describe(call):
            status, headers, body = call.forward()
            if made and time.monotonic() - made[0] < 4.0:
                body = body.replace(b"<state>available</state>", b"<state>pending</state>")
                headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            return status, headers, body
        for op, handler in (("CreateNatGateway", create), ("DescribeNatGateways", describe)):
            self.emu.intercept("ec2", op, handler)
            self.addCleanup(self.emu.intercept, "ec2", op, None)
        p = subprocess.Popen([os.environ["CAIRN_BIN"], "up", NETWORK, "--yes", "--template-dir",
                              TEMPLATES], env=self.emu.env(), stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
        with p.stdout:
            arrived = [(time.monotonic(), line) for line in p.stdout]
        p.wait(timeout=120)
        end = time.monotonic()
        self.assertEqual(p.returncode, 0, arrived)
        waiting = [t for t, line in arrived if line.startswith("network.nat ") and
                   "waiting until it is ready" in line]
        self.assertTrue(waiting, arrived)
        self.assertGreater(end - waiting[0], 2.0, "the waiting line came only at the end")

    def test_hand_made_duplicate_vpc_and_gateway(self):
        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        ec2 = self.emu.boto3_client("ec2")

        def tagged(kind, logical):
            return [{"ResourceType": kind, "Tags": [
                {"Key": "cairn:stack", "Value": NET_STACK},
                {"Key": "cairn:id", "Value": logical}, {"Key": "Project", "Value": "cairn-tests"}]}]

        def owned(call, key, ident, logical):
            got = call(Filters=[{"Name": "tag:cairn:id", "Values": [logical]}])[key]
            return sorted(o[ident] for o in got)

        vpcs = owned(ec2.describe_vpcs, "Vpcs", "VpcId", "network.vpc")
        igws = owned(ec2.describe_internet_gateways, "InternetGateways", "InternetGatewayId",
                     "network.igw")
        self.assertEqual((len(vpcs), len(igws)), (1, 1))
        extra_vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tagged(
            "vpc", "network.vpc"))["Vpc"]["VpcId"]
        extra_igw = ec2.create_internet_gateway(TagSpecifications=tagged(
            "internet-gateway", "network.igw"))["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=extra_igw, VpcId=extra_vpc)

        r = self.run_cairn("plan", NETWORK, "--json")
        self.assertEqual(r.returncode, 0, r.stderr)
        plan = json.loads(r.stdout)
        changes = sorted((a["action"], a["resource"], a["id"], a.get("duplicate_of"))
                         for a in plan["actions"] if a["action"] != "no-op")
        self.assertEqual(changes, sorted([("delete", "network.vpc", extra_vpc, vpcs[0]),
                                          ("delete", "network.igw", extra_igw, igws[0])]))
        r = self.run_cairn("plan", NETWORK)
        self.assertIn(f"# a second object under cairn:id network.vpc: {vpcs[0]} is the one kept",
                      r.stdout)

        self.emu.clear()
        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        writes = sorted(c.operation for c in self.emu.calls if c.is_write)
        self.assertEqual(writes, ["DeleteInternetGateway", "DeleteVpc", "DetachInternetGateway"])
        self.assertEqual(owned(ec2.describe_vpcs, "Vpcs", "VpcId", "network.vpc"), vpcs)
        self.assertEqual(owned(ec2.describe_internet_gateways, "InternetGateways",
                               "InternetGatewayId", "network.igw"), igws)
        igw = ec2.describe_internet_gateways(InternetGatewayIds=igws)["InternetGateways"][0]
        self.assertEqual([a["VpcId"] for a in igw["Attachments"]], vpcs)
        r = self.run_cairn("plan", NETWORK, "--detailed-exitcode")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


HOSTILE_STACK = """stack: hostile
region: us-east-1
resources:
  task_role:
    type: iam.role
    properties:
      description: Task role
      assume_role_policy:
        Version: "2012-10-17"
        Statement:
          - {Effect: Allow, Principal: {Service: ecs-tasks.amazonaws.com}, Action: "sts:AssumeRole"}
"""
# What IAM allows in a description: tab, line feed, printable Latin-1 (a carriage return does not
# survive XML). Terminal controls are tested on strbuf_add_printable() itself (unit/test_core).
HOSTILE = "ok\n::error::owned\n::warning file=x::forged\tdone"


class HostileValues(cairnharness.CairnTestCase):
    """A role description changed out of band to one with line breaks and GitHub workflow
    commands: every text output shows it escaped, on the line it belongs to."""

    def test_hostile_role_description(self):
        self.emu.reset()
        stack = os.path.join(tempfile.mkdtemp(prefix="cairn-hostile-"), "hostile.yaml")
        with open(stack, "w", encoding="utf-8") as f:
            f.write(HOSTILE_STACK)
        r = self.cairn("up", stack, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        iam = self.emu.boto3_client("iam")
        name = next(x["RoleName"] for x in iam.list_roles()["Roles"]
                    if x["RoleName"].startswith("hostile-"))
        iam.update_role(RoleName=name, Description=HOSTILE)
        escaped = "ok\\n::error::owned\\n::warning file=x::forged\\tdone"
        outs = {
            "plan": self.cairn("plan", stack),
            "drift": self.cairn("drift", stack),
            "drift github": self.cairn("drift", stack, "--format", "github"),
        }
        for what, r in outs.items():
            with self.subTest(what):
                text = r.stdout + r.stderr
                self.assertIn(escaped, text)
                self.assertNotIn("\r", text)
                self.assertNotIn("\t", text)
                self.assertEqual([line for line in text.split("\n")
                                  if line.startswith(("::error::", "::warning"))], [])
        self.assertIn(f'description: "{escaped}" -> "Task role"', outs["plan"].stdout)


class BlackHole(unittest.TestCase):
    """An endpoint that takes connections and never answers: plan gives up within --timeout and
    says which service and operation it was waiting for."""

    def test_plan_fails_within_timeout(self):
        hole = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(hole.close)
        hole.bind(("127.0.0.1", 0))
        hole.listen(128)  # never accepted: the kernel completes the handshakes, nobody answers
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(AWS_ENDPOINT_URL="http://127.0.0.1:%d" % hole.getsockname()[1],
                   AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                   AWS_REGION="us-east-1", AWS_EC2_METADATA_DISABLED="true",
                   AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent")
        t0 = time.monotonic()
        r = subprocess.run([os.environ["CAIRN_BIN"], "--timeout", "4s", "plan", NETWORK,
                            "--template-dir", TEMPLATES], env=env, capture_output=True,
                           text=True, timeout=120)
        took = time.monotonic() - t0
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertLess(took, 4 + 6, r.stderr)  # the limit, and start-up and exit under ASan
        self.assertIn("cairn: error: ec2 DescribeVpcs: RequestError: the run's time limit "
                      "(--timeout 4s) was reached", r.stderr)
        print(f"\n  plan against a black hole with --timeout 4s: {took:.1f}s")

    def test_bad_timeout_is_refused(self):
        r = subprocess.run([os.environ["CAIRN_BIN"], "--timeout", "soon", "plan", NETWORK],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "cairn: error: --timeout 'soon': expected a duration such as "
                                   "90s, 10m or 1h\n")


if __name__ == "__main__":
    unittest.main()
