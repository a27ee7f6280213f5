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
import unittest

import cairnharness
from cairnharness import Faults

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
SEED = os.path.join(SOURCE, "stacks", "dev-davidshaevel.yaml")
STACK = "dev-davidshaevel"


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


if __name__ == "__main__":
    unittest.main()
