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
import subprocess
import tempfile
import time

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
        """No line of cairn's output says something was deleted or replaced."""
        bad = [line for line in out.splitlines()
               if ": deleted" in line or ": replaced" in line or "deleted for replacement" in line]
        self.assertEqual(bad, [], out)

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


class Duplicates(cairnharness.CairnTestCase):
    """Two objects under one cairn:id: plan keeps the one in use and deletes only the extra."""

    def setUp(self):
        super().setUp()
        self.emu.reset()

    def run_cairn(self, *args):
        return self.cairn(*args, "--template-dir", TEMPLATES, timeout=300)

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


if __name__ == "__main__":
    import unittest
    unittest.main()
