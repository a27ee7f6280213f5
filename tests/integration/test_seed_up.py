"""The whole seed stack against moto behind the strict validator: up, check with the AWS CLI,
no-change plan, a second up that writes nothing, one image change, destroy, and up again.

tests/seed_check.py is the AWS CLI's independent view of every point of the seed.
"""
import json
import os
import subprocess
import sys
import tempfile

import cairnharness

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
SEED = os.path.join(SOURCE, "stacks", "dev-davidshaevel.yaml")
CHECK = os.path.join(SOURCE, "tests", "seed_check.py")
STACK = "dev-davidshaevel"


class SeedUp(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.outputs = []  # everything cairn printed, for the password grep
        self.workdir = tempfile.mkdtemp(prefix="cairn-seed-")

    def run_cairn(self, *args, ok=(0,)):
        r = self.cairn(*args, timeout=900, cwd=self.workdir)
        self.outputs.append(r.stdout + r.stderr)
        self.assertIn(r.returncode, ok, f"cairn {' '.join(args)}:\n{r.stdout}\n{r.stderr}")
        return r

    def aws(self, *args):
        r = subprocess.run(["aws", "--output", "json", *args], env=self.emu.env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def seed_check(self):
        r = subprocess.run([sys.executable, CHECK, "--stack", STACK], env=self.emu.env(),
                           capture_output=True, text=True, timeout=600)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def writes(self):
        return [c for c in self.emu.calls if c.is_write]

    def ecs_gone(self, arn):
        """Deleted ECS objects stay listed a while (INACTIVE, DELETE_IN_PROGRESS), as in AWS."""
        if ":ecs:" not in arn:
            return False
        if ":task-definition/" in arn:
            status = self.aws("ecs", "describe-task-definition", "--task-definition",
                              arn)["taskDefinition"]["status"]
        elif ":cluster/" in arn:
            status = self.aws("ecs", "describe-clusters", "--clusters", arn)["clusters"][0]["status"]
        else:
            cluster = arn.split("/")[-2]
            status = self.aws("ecs", "describe-services", "--cluster", cluster, "--services",
                              arn)["services"][0]["status"]
        return status in ("INACTIVE", "DELETE_IN_PROGRESS")

    def secret_scheduled(self, arn):
        """A secret scheduled for deletion stays until its recovery window ends (destroy's
        default); list-secrets no longer shows it, the tagging API still does."""
        return ":secretsmanager:" in arn and "DeletedDate" in self.aws(
            "secretsmanager", "describe-secret", "--secret-id", arn)

    def leftovers(self):
        """What the AWS CLI still finds tagged cairn:stack=STACK, service by service."""
        f = ["--filters", f"Name=tag:cairn:stack,Values={STACK}"]
        left = []
        for cmd, key in (("describe-vpcs", "Vpcs"), ("describe-subnets", "Subnets"),
                         ("describe-security-groups", "SecurityGroups"),
                         ("describe-route-tables", "RouteTables"),
                         ("describe-internet-gateways", "InternetGateways"),
                         ("describe-addresses", "Addresses")):
            left += [f"ec2 {key}"] * len(self.aws("ec2", cmd, *f)[key])
        left += ["nat"] * len([n for n in self.aws("ec2", "describe-nat-gateways", "--filter",
                                                   f"Name=tag:cairn:stack,Values={STACK}")
                               ["NatGateways"] if n["State"] not in ("deleted", "deleting")])
        tagged = self.aws("resourcegroupstaggingapi", "get-resources", "--tag-filters",
                          f"Key=cairn:stack,Values={STACK}")["ResourceTagMappingList"]
        left += [t["ResourceARN"] for t in tagged
                 if ":ec2:" not in t["ResourceARN"] and not self.ecs_gone(t["ResourceARN"])
                 and not self.secret_scheduled(t["ResourceARN"])]
        left += [r["RoleName"] for r in self.aws("iam", "list-roles")["Roles"]
                 if r["RoleName"].startswith(f"{STACK}-")]
        left += [n["Name"] for n in self.aws("servicediscovery", "list-namespaces")["Namespaces"]]
        left += [s["Name"] for s in self.aws("secretsmanager", "list-secrets")["SecretList"]]
        left += [g["logGroupName"] for g in self.aws("logs", "describe-log-groups")["logGroups"]]
        left += [v["BackupVaultName"] for v in
                 self.aws("backup", "list-backup-vaults")["BackupVaultList"]]
        left += [c for c in self.aws("ecs", "list-clusters")["clusterArns"]
                 if self.aws("ecs", "describe-clusters", "--clusters", c)["clusters"][0]["status"]
                 == "ACTIVE"]
        return left

    maxDiff = None

    def test_seed_stack_lifecycle(self):
        # Bring-up: everything, the ways in, the phases.
        r = self.run_cairn("up", SEED, "--yes")
        self.assertIn("Apply complete", r.stdout)
        self.assertRegex(r.stdout, r"http://[^\s]+/prometheus/")
        self.assertRegex(r.stdout, r"http://[^\s]+/grafana/")
        for svc in ("backend", "frontend", "prometheus", "grafana"):
            self.assertIn(f"{STACK}-{svc}.davidshaevel.local", r.stdout)
        self.assertRegex(r.stdout, r"Took [0-9.]+s: load .*read .*plan .*apply ")
        self.assertEqual(self.emu.violations, [])
        self.seed_check()

        # Right after: nothing to change, and a second up writes nothing.
        self.run_cairn("plan", SEED, "--detailed-exitcode")
        # The tagging API is eventually consistent: right after an up it may not list yet what
        # the up made. With an index that lists nothing, the plan still finds every object (its
        # tags from its own service's call) and has nothing to change.
        def lagging(call):
            body = json.dumps({"ResourceTagMappingList": [], "PaginationToken": ""}).encode()
            return 200, [("Content-Type", "application/x-amz-json-1.1"),
                         ("Content-Length", str(len(body)))], body
        self.emu.intercept("resourcegroupstaggingapi", "GetResources", lagging)
        try:
            self.emu.clear()
            self.run_cairn("plan", SEED, "--detailed-exitcode")
            ops = {(c.service, c.operation) for c in self.emu.calls}
            for fallback in (("logs", "ListTagsForResource"), ("elbv2",
                             "DescribeTags"), ("backup", "ListTags"),
                             ("ecs", "DescribeTaskDefinition")):
                self.assertIn(fallback, ops)
        finally:
            self.emu.intercept("resourcegroupstaggingapi", "GetResources", None)
        self.emu.clear()
        r = self.run_cairn("--stats", "up", SEED, "--yes")
        self.assertIn("No changes", r.stdout)
        self.assertEqual(self.writes(), [])

        # One image: one new task definition revision and one service update, nothing else.
        image = ["--param", "grafana_image=cairn/cairn-dash:0.2.0"]
        r = self.run_cairn("plan", SEED, *image, "--json", "--detailed-exitcode", ok=(2,))
        plan = json.loads(r.stdout)
        changed = sorted((a["resource"], a["action"]) for a in plan["actions"]
                         if a["action"] != "no-op")
        self.assertEqual(changed, [("grafana.service", "update"), ("grafana.task", "replace")])
        self.run_cairn("up", SEED, *image, "--yes")
        self.run_cairn("plan", SEED, *image, "--detailed-exitcode")
        td = self.aws("ecs", "describe-services", "--cluster", f"{STACK}-cluster", "--services",
                      f"{STACK}-grafana")["services"][0]["taskDefinition"]
        self.assertEqual(self.aws("ecs", "describe-task-definition", "--task-definition", td)
                         ["taskDefinition"]["containerDefinitions"][0]["image"],
                         "cairn/cairn-dash:0.2.0")

        # With --debug too: the password never shows.
        self.run_cairn("--debug", "plan", SEED, *image)
        secret = [s for s in self.aws("secretsmanager", "list-secrets")["SecretList"]
                  if s["Name"].startswith(STACK)][0]
        password = self.aws("secretsmanager", "get-secret-value", "--secret-id",
                            secret["ARN"])["SecretString"]
        self.assertGreaterEqual(len(password), 32)
        for out in self.outputs:
            self.assertNotIn(password, out)
        for dirpath, _, files in os.walk(self.workdir):
            for name in files:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    self.assertNotIn(password.encode(), fh.read())

        # A load balancer protected by hand is not deleted unless asked: nothing is.
        lb = [x for x in self.aws("elbv2", "describe-load-balancers")["LoadBalancers"]
              if x["LoadBalancerName"] == f"{STACK}-alb"][0]
        self.aws("elbv2", "modify-load-balancer-attributes", "--load-balancer-arn",
                 lb["LoadBalancerArn"], "--attributes",
                 "Key=deletion_protection.enabled,Value=true")
        self.emu.clear()
        r = self.run_cairn("destroy", SEED, "--yes", ok=(1,))
        self.assertIn("alb.load_balancer (elbv2.load_balancer)", r.stderr)
        self.assertIn("--allow-protected", r.stderr)
        self.assertEqual(self.writes(), [])

        # Destroy leaves nothing tagged; up after it works (the secret comes back).
        r = self.run_cairn("destroy", SEED, "--yes", "--allow-protected")
        self.assertIn("Destroy complete", r.stdout)
        self.assertEqual(self.leftovers(), [])
        self.run_cairn("up", SEED, "--yes")
        self.seed_check()
        self.assertEqual(self.emu.violations, [])
