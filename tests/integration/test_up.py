"""up, plan and destroy of the network layer against moto behind the strict validator.

The AWS CLI is the out-of-band hand: it checks what cairn made and makes drift.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

import cairnharness

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
TEMPLATES = os.path.join(SOURCE, "templates")
NETWORK = os.path.join(SOURCE, "tests/stacks/good/network.yaml")
STACK = "net-test"


class Up(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        self.emu.reset()

    def run_cairn(self, *args):
        return self.cairn(*args, "--template-dir", TEMPLATES)

    def aws(self, *args):
        r = subprocess.run(["aws", "--output", "json", *args], env=self.emu.env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def owned(self):
        """Every EC2 object tagged with the stack, by kind, as the AWS CLI sees them."""
        f = ["--filters", f"Name=tag:cairn:stack,Values={STACK}"]
        return {
            "vpcs": self.aws("ec2", "describe-vpcs", *f)["Vpcs"],
            "subnets": self.aws("ec2", "describe-subnets", *f)["Subnets"],
            "igws": self.aws("ec2", "describe-internet-gateways", *f)["InternetGateways"],
            "rtbs": self.aws("ec2", "describe-route-tables", *f)["RouteTables"],
            "sgs": self.aws("ec2", "describe-security-groups", *f)["SecurityGroups"],
            "nats": [n for n in self.aws("ec2", "describe-nat-gateways", "--filter",
                                         f"Name=tag:cairn:stack,Values={STACK}")["NatGateways"]
                     if n["State"] not in ("deleted", "deleting")],
            "eips": self.aws("ec2", "describe-addresses", *f)["Addresses"],
        }

    def plan(self, path=NETWORK):
        r = self.run_cairn("plan", path, "--json", "--detailed-exitcode")
        self.assertIn(r.returncode, (0, 2), r.stderr)
        return r.returncode, json.loads(r.stdout)

    def test_up_plan_change_drift_destroy(self):
        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Apply complete: 18 created", r.stdout)
        got = self.owned()
        counts = {k: len(v) for k, v in got.items()}
        self.assertEqual(counts, {"vpcs": 1, "subnets": 4, "igws": 1, "rtbs": 2, "sgs": 2,
                                  "nats": 1, "eips": 1})
        for vpc in got["vpcs"]:
            tags = {t["Key"]: t["Value"] for t in vpc["Tags"]}
            self.assertEqual(tags["cairn:id"], "network.vpc")
            self.assertEqual(tags["Project"], "cairn-tests")

        # Right after up, nothing to do.
        code, plan = self.plan()
        self.assertEqual(code, 0, json.dumps(plan, indent=1))
        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0)
        self.assertIn("No changes", r.stdout)

        # A rule opened by hand is a difference, and up removes it.
        web = next(g for g in got["sgs"] if any(t["Value"] == "web_sg" for t in g["Tags"]))
        self.aws("ec2", "authorize-security-group-ingress", "--group-id", web["GroupId"],
                 "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
        code, plan = self.plan()
        self.assertEqual(code, 2)
        changed = [a for a in plan["actions"] if a["action"] != "no-op"]
        self.assertEqual([(a["resource"], a["action"]) for a in changed], [("web_sg", "update")])
        self.assertEqual([c["attribute"] for c in changed[0]["changes"]], ["ingress"])
        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        perms = self.aws("ec2", "describe-security-groups", "--group-ids",
                         web["GroupId"])["SecurityGroups"][0]["IpPermissions"]
        self.assertNotIn(22, [p.get("FromPort") for p in perms])
        self.assertEqual(self.plan()[0], 0)

        # A rule changed in the file is planned as exactly that update, and applied.
        r = self.run_cairn("plan", NETWORK, "--json", "--param", "https_port=8443")
        plan = json.loads(r.stdout)
        changed = [a for a in plan["actions"] if a["action"] != "no-op"]
        self.assertEqual([(a["resource"], a["action"]) for a in changed], [("web_sg", "update")])
        r = self.run_cairn("up", NETWORK, "--yes", "--param", "https_port=8443")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        perms = self.aws("ec2", "describe-security-groups", "--group-ids",
                         web["GroupId"])["SecurityGroups"][0]["IpPermissions"]
        self.assertIn(8443, [p.get("FromPort") for p in perms])
        self.assertNotIn(443, [p.get("FromPort") for p in perms])
        r = self.run_cairn("up", NETWORK, "--yes")  # and back
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

        # A changed CIDR is planned as exactly that replacement, and applied.
        with tempfile.TemporaryDirectory() as d:
            changed_stack = os.path.join(d, "network.yaml")
            shutil.copy(NETWORK, changed_stack)
            code, plan = self.plan(changed_stack)
            self.assertEqual(code, 0)
            r = self.run_cairn("plan", changed_stack, "--json", "--param",
                               "public_a_cidr=10.0.5.0/24")
            plan = json.loads(r.stdout)
            replaced = [a["resource"] for a in plan["actions"] if a["action"] == "replace"]
            self.assertIn("network.public_a", replaced)
            subnet = next(a for a in plan["actions"] if a["resource"] == "network.public_a")
            self.assertEqual([c["attribute"] for c in subnet["changes"]], ["cidr_block"])
            r = self.run_cairn("up", changed_stack, "--yes", "--param", "public_a_cidr=10.0.5.0/24")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            cidrs = sorted(s["CidrBlock"] for s in self.owned()["subnets"])
            self.assertEqual(cidrs, ["10.0.11.0/24", "10.0.12.0/24", "10.0.2.0/24",
                                     "10.0.5.0/24"])
            r = self.run_cairn("plan", changed_stack, "--detailed-exitcode", "--param",
                               "public_a_cidr=10.0.5.0/24")
            self.assertEqual(r.returncode, 0, r.stdout)

        # destroy leaves nothing tagged with the stack.
        r = self.run_cairn("destroy", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual({k: len(v) for k, v in self.owned().items()},
                         {"vpcs": 0, "subnets": 0, "igws": 0, "rtbs": 0, "sgs": 0, "nats": 0,
                          "eips": 0})

    def test_up_refuses_without_a_terminal_or_yes(self):
        r = self.run_cairn("up", NETWORK)
        self.assertEqual(r.returncode, 1)
        self.assertIn("pass --yes", r.stderr)
        self.assertEqual([c for c in self.emu.calls if c.is_write], [])

    def test_bad_parallel_is_refused_before_any_call(self):
        for bad in ("0", "65", "x", ""):
            r = self.run_cairn("up", NETWORK, "--yes", "--parallel", bad)
            self.assertEqual(r.returncode, 1, bad)
            self.assertIn("--parallel wants a number from 1 to 64", r.stderr)
        self.assertEqual(self.emu.calls, [])

    def test_one_at_a_time_gives_the_same_result(self):
        r = self.run_cairn("up", NETWORK, "--yes", "--parallel", "1")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual({k: len(v) for k, v in self.owned().items()},
                         {"vpcs": 1, "subnets": 4, "igws": 1, "rtbs": 2, "sgs": 2, "nats": 1,
                          "eips": 1})
        self.assertEqual(self.plan()[0], 0)

    def test_a_name_known_only_at_apply_is_resolved_before_the_create(self):
        # A backup vault and a log group named after another resource's name: the create must
        # send the resolved name (it once sent the text "${first.name}-copy"), and plan then
        # agrees.
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "names.yaml")
            with open(path, "w") as f:
                f.write("stack: names-test\nregion: us-east-1\nresources:\n"
                        "  first:\n    type: backup.vault\n    properties:\n"
                        "      name: names-first\n"
                        "  second:\n    type: backup.vault\n    properties:\n"
                        "      name: ${first.name}-copy\n"
                        "  logs:\n    type: logs.log_group\n    properties:\n"
                        "      name: /names-test/${first.name}\n")
            r = self.run_cairn("up", path, "--yes")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            vaults = {v["BackupVaultName"]
                      for v in self.aws("backup", "list-backup-vaults")["BackupVaultList"]}
            self.assertIn("names-first-copy", vaults)
            self.assertFalse([v for v in vaults if "$" in v], vaults)
            groups = [g["logGroupName"] for g in self.aws("logs", "describe-log-groups")[
                "logGroups"]]
            self.assertIn("/names-test/names-first", groups)
            r = self.run_cairn("plan", path, "--detailed-exitcode")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            r = self.run_cairn("destroy", path, "--yes")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
