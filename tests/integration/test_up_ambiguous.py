"""The seed stack under AWS's ambiguous failures: nothing made twice, nothing replaced.

The strict proxy's faults (cairnharness.Faults) answer HTTP 500 after moto has done the work,
as AWS can under load or on a time-out. cairn must find out what happened before it writes
again: by idempotency token where the API has one, else by reading the stack's objects back
(docs/idempotency.md). The AWS CLI's tagging API and each service's own listing then check
that no object exists twice.
"""
import collections
import json
import os
import socket
import subprocess
import tempfile
import time
import unittest

import cairnharness
from cairnharness import Faults

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
SEED = os.path.join(SOURCE, "stacks", "dev-davidshaevel.yaml")
STACK = "dev-davidshaevel"
TEMPLATES = os.path.join(SOURCE, "templates")
NETWORK = os.path.join(SOURCE, "tests/stacks/good/network.yaml")
NET_STACK = "net-test"


class UpAmbiguous(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.emu.faults(None)
        self.addCleanup(self.emu.faults, None)
        self.workdir = tempfile.mkdtemp(prefix="cairn-faults-")

    def run_cairn(self, *args, timeout=600):
        return self.cairn(*args, timeout=timeout, cwd=self.workdir)

    def aws(self, *args):
        r = subprocess.run(["aws", "--output", "json", *args], env=self.emu.env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    # --- what exists ---------------------------------------------------------------------

    def tagged(self):
        """cairn:id -> ARNs, from the tagging API (every service at once)."""
        got = collections.defaultdict(list)
        token = ""
        while True:
            args = ["resourcegroupstaggingapi", "get-resources", "--tag-filters",
                    f"Key=cairn:stack,Values={STACK}"]
            if token:
                args += ["--pagination-token", token]
            page = self.aws(*args)
            for r in page.get("ResourceTagMappingList", []):
                tags = {t["Key"]: t["Value"] for t in r.get("Tags", [])}
                got[tags.get("cairn:id")].append(r["ResourceARN"])
            token = page.get("PaginationToken")
            if not token:
                return got

    def listed(self):
        """(kind, cairn:id) -> ids, from each service's own listing of the stack's objects."""
        got = collections.defaultdict(list)
        f = ["--filters", f"Name=tag:cairn:stack,Values={STACK}"]

        def tag(obj, key="Tags", k="Key", v="Value"):
            return {t[k]: t[v] for t in obj.get(key) or []}.get("cairn:id")
        for cmd, key, ident in (("describe-vpcs", "Vpcs", "VpcId"),
                                ("describe-subnets", "Subnets", "SubnetId"),
                                ("describe-security-groups", "SecurityGroups", "GroupId"),
                                ("describe-route-tables", "RouteTables", "RouteTableId"),
                                ("describe-internet-gateways", "InternetGateways",
                                 "InternetGatewayId"),
                                ("describe-addresses", "Addresses", "AllocationId")):
            for o in self.aws("ec2", cmd, *f)[key]:
                got[(key, tag(o))].append(o[ident])
        for n in self.aws("ec2", "describe-nat-gateways")["NatGateways"]:
            if n["State"] not in ("deleted", "deleting") and tag(n):
                got[("NatGateways", tag(n))].append(n["NatGatewayId"])
        for lb in self.aws("elbv2", "describe-load-balancers")["LoadBalancers"]:
            got[("LoadBalancers", lb["LoadBalancerName"])].append(lb["LoadBalancerArn"])
        for tg in self.aws("elbv2", "describe-target-groups")["TargetGroups"]:
            got[("TargetGroups", tg["TargetGroupName"])].append(tg["TargetGroupArn"])
        for fs in self.aws("efs", "describe-file-systems")["FileSystems"]:
            got[("FileSystems", tag(fs))].append(fs["FileSystemId"])
            for mt in self.aws("efs", "describe-mount-targets", "--file-system-id",
                               fs["FileSystemId"])["MountTargets"]:
                got[("MountTargets", fs["FileSystemId"], mt["SubnetId"])].append(mt["MountTargetId"])
        for arn in self.aws("ecs", "list-clusters")["clusterArns"]:
            got[("Clusters", arn)].append(arn)
            for s in self.aws("ecs", "list-services", "--cluster", arn)["serviceArns"]:
                got[("Services", s)].append(s)
        for r in self.aws("iam", "list-roles")["Roles"]:
            got[("Roles", r["RoleName"])].append(r["Arn"])
        for g in self.aws("logs", "describe-log-groups")["logGroups"]:
            got[("LogGroups", g["logGroupName"])].append(g["arn"])
        for s in self.aws("secretsmanager", "list-secrets")["SecretList"]:
            got[("Secrets", tag(s))].append(s["ARN"])
        return got

    def assert_no_duplicates(self):
        tagged = self.tagged()
        twice = {k: v for k, v in tagged.items() if len(v) > 1}
        self.assertEqual(twice, {}, "objects tagged with the same cairn:id")
        listed = self.listed()
        twice = {k: v for k, v in listed.items() if len(v) > 1}
        self.assertEqual(twice, {}, "the same object listed twice by its service")
        return tagged, listed

    def assert_nothing_removed(self, out):
        """No line of cairn's output says something was deleted or replaced, and no delete of
        any kind reached the emulator."""
        bad = [line for line in out.splitlines()
               if ": deleted" in line or ": replaced" in line or "deleted for replacement" in line]
        self.assertEqual(bad, [], out)
        removals = [c.operation for c in self.emu.calls if c.is_write and c.operation.startswith(
            ("Delete", "Release", "Deregister", "Detach", "Disassociate"))]
        self.assertEqual(removals, [], out)

    def assert_plan_empty(self):
        r = self.run_cairn("plan", SEED, "--detailed-exitcode")
        self.assertEqual(r.returncode, 0, f"plan is not empty:\n{r.stdout}\n{r.stderr}")

    # --- the cases -----------------------------------------------------------------------

    def test_500_after_the_first_call_of_every_write(self):
        faults = self.emu.faults(Faults.first_write_fails_after())
        t0 = time.monotonic()
        r = self.run_cairn("up", SEED, "--yes")
        took = time.monotonic() - t0
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        self.assertGreater(faults.count("after"), 20, faults.injected)
        self.assert_nothing_removed(out)
        self.emu.faults(None)
        tagged, listed = self.assert_no_duplicates()
        self.assert_plan_empty()
        print(f"\n  up under {faults.count('after')} lost answers: {took:.1f}s, "
              f"{len(tagged)} tagged ids, {len(listed)} listed objects")

    def test_30_percent_random_faults_converge_and_destroy(self):
        """Throttles, 500s before and 500s after the work on 30 % of all calls (fixed seed): up
        converges within a few runs, no run deletes or replaces anything, nothing is made
        twice; destroy under the same faults leaves nothing tagged."""
        faults = self.emu.faults(Faults.random(seed=11, rate=0.3))
        runs = []
        for _ in range(4):
            r = self.run_cairn("up", SEED, "--yes")
            runs.append(r)
            self.assert_nothing_removed(r.stdout)
            if r.returncode == 0:
                break
        out = "\n".join(r.stdout + r.stderr for r in runs)
        self.assertEqual(runs[-1].returncode, 0, f"no convergence in {len(runs)} runs:\n{out}")
        self.assertGreater(faults.count("after"), 10, faults.injected)
        self.emu.faults(None)
        self.assert_no_duplicates()
        self.assert_plan_empty()
        print(f"\n  up converged in {len(runs)} run(s) under {faults.count()} faults")

        faults = self.emu.faults(Faults.random(seed=12, rate=0.3))
        for n in range(4):
            r = self.run_cairn("destroy", SEED, "--yes", "--force-delete-secrets")
            if r.returncode == 0:
                break
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.emu.faults(None)
        left = [arn for arns in self.tagged().values() for arn in arns if not self.gone(arn)]
        self.assertEqual(left, [], "still tagged after destroy")
        print(f"  destroy finished in {n + 1} run(s) under {faults.count()} faults")

    def gone(self, arn):
        """Deleted ECS objects stay listed a while (INACTIVE), deleted NAT gateways for an hour
        (state deleted), as in AWS."""
        if ":natgateway/" in arn:
            return self.aws("ec2", "describe-nat-gateways", "--nat-gateway-ids", arn.split("/")[-1])[
                "NatGateways"][0]["State"] in ("deleted", "deleting")
        if ":ecs:" not in arn:
            return False
        if ":task-definition/" in arn:
            return self.aws("ecs", "describe-task-definition", "--task-definition",
                            arn)["taskDefinition"]["status"] == "INACTIVE"
        if ":cluster/" in arn:
            return self.aws("ecs", "describe-clusters", "--clusters",
                            arn)["clusters"][0]["status"] == "INACTIVE"
        cluster = arn.split("/")[-2]
        return self.aws("ecs", "describe-services", "--cluster", cluster, "--services",
                        arn)["services"][0]["status"] in ("INACTIVE", "DELETE_IN_PROGRESS")


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
