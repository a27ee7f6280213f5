"""cairn policy against what cairn calls: the seed stack brought up, planned, changed, planned
again and destroyed against the emulator; every call of plan is an action of the read-only
policy, every call of up and destroy one of the write policy. The documents have the shape IAM
takes; the read-only one only reads; a stack of the network alone writes only EC2.
"""
import glob
import json
import os
import re

import botocore.session

import cairnharness

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
SEED = os.path.join(SOURCE, "stacks", "dev-davidshaevel.yaml")
NETWORK = os.path.join(SOURCE, "tests", "stacks", "good", "network.yaml")
TEMPLATES = os.path.join(SOURCE, "templates")
RESOURCES = os.path.join(SOURCE, "src", "agent", "resources")

# botocore's service names where IAM's action prefix differs.
IAM_PREFIX = {"elbv2": "elasticloadbalancing", "efs": "elasticfilesystem",
              "resourcegroupstaggingapi": "tagging"}
SERVICES = ("ec2", "iam", "elbv2", "ecs", "servicediscovery", "secretsmanager", "logs", "efs",
            "backup", "sts", "resourcegroupstaggingapi")
ACTION = re.compile(r"^[a-z0-9-]+:[A-Z][A-Za-z0-9]+$")
READ = re.compile(r"^[a-z0-9-]+:(Describe|List|Get)[A-Z]")
SID = re.compile(r"^[A-Za-z0-9]+$")
# Reads the policy holds that a plan of the seed does not make against the emulator: the
# fallback for a mount target whose interface EC2 does not list, and what EFS checks behind it;
# the target health that cairn status asks for.
READS_NOT_SEEN = {
    "elasticloadbalancing:DescribeTargetHealth",
    "elasticfilesystem:DescribeMountTargetSecurityGroups",
    "ec2:DescribeNetworkInterfaceAttribute",
    "sts:GetCallerIdentity",
}


def action(call):
    return f"{IAM_PREFIX.get(call.service, call.service)}:{call.operation}"


class Policy(cairnharness.CairnTestCase):
    maxDiff = None

    def policy(self, *args):
        """cairn policy ARGS, checked the way IAM's validator would: the document."""
        r = self.cairn("policy", *args)
        self.assertEqual(r.returncode, 0, r.stderr)
        doc = json.loads(r.stdout)
        self.assertEqual(set(doc), {"Version", "Statement"})
        self.assertEqual(doc["Version"], "2012-10-17")
        self.assertIsInstance(doc["Statement"], list)
        self.assertTrue(doc["Statement"])
        sids = [st["Sid"] for st in doc["Statement"]]
        self.assertEqual(len(sids), len(set(sids)), sids)
        for st in doc["Statement"]:
            self.assertLessEqual(set(st), {"Sid", "Effect", "Action", "Resource", "Condition"})
            self.assertRegex(st["Sid"], SID)
            self.assertEqual(st["Effect"], "Allow")
            self.assertEqual(st["Resource"], "*")
            self.assertIsInstance(st["Action"], list)
            self.assertTrue(st["Action"])
            for a in st["Action"]:
                self.assertRegex(a, ACTION)
            self.assertEqual(st["Action"], sorted(set(st["Action"])))
            self.assertEqual(len({a.split(":")[0] for a in st["Action"]}), 1, st["Sid"])
            if "Condition" in st:
                self.assertEqual(st["Action"], ["iam:PassRole"])
                for op, keys in st["Condition"].items():
                    self.assertIn(op, ("StringEquals", "StringLike"))
                    self.assertEqual(set(keys), {"iam:PassedToService"})
        self.assertNotIn("iam:PassRole",
                         [a for st in doc["Statement"] if "Condition" not in st
                          for a in st["Action"]])
        return doc

    @staticmethod
    def actions(doc):
        return {a for st in doc["Statement"] for a in st["Action"]}

    def run_cairn(self, *args, ok=(0,)):
        """Run cairn with the journal cleared: the IAM actions of the calls it made."""
        self.emu.clear()
        r = self.cairn(*args, timeout=900)
        self.assertIn(r.returncode, ok, f"cairn {' '.join(args)}:\n{r.stdout}\n{r.stderr}")
        return {action(c) for c in self.emu.calls}

    def test_seed_calls_are_in_the_policies(self):
        self.emu.reset()
        read = self.actions(self.policy(SEED, "--read-only"))
        write_doc = self.policy(SEED)
        write = self.actions(write_doc)
        self.assertEqual(sorted(a for a in read if not READ.match(a)), [])
        self.assertLessEqual(read, write)
        self.assertIn("sts:GetCallerIdentity", read)
        passed = [st for st in write_doc["Statement"] if "Condition" in st]
        self.assertEqual(len(passed), 1)
        self.assertEqual(passed[0]["Condition"], {"StringEquals": {"iam:PassedToService": [
            "backup.amazonaws.com", "ecs-tasks.amazonaws.com"]}})

        planned, applied = set(), set()
        applied |= self.run_cairn("up", SEED, "--yes")
        planned |= self.run_cairn("plan", SEED)
        image = ("--param", "grafana_image=cairn/cairn-dash:0.2.0")
        # A change to a task definition: the plan reads the revision it replaces in full
        # (DescribeTaskDefinition; a no-change plan leaves it out, its digest standing for it).
        planned |= self.run_cairn("plan", SEED, *image)
        applied |= self.run_cairn("up", SEED, *image, "--yes")
        planned |= self.run_cairn("plan", SEED, *image, "--detailed-exitcode")
        applied |= self.run_cairn("destroy", SEED, "--yes", "--allow-protected")
        planned |= self.run_cairn("plan", SEED, "--detailed-exitcode", ok=(2,))
        whoami = self.run_cairn("whoami")
        self.assertEqual(self.emu.violations, [])

        self.assertEqual(sorted(planned - read), [])
        self.assertEqual(sorted(applied - write), [])
        self.assertEqual(sorted(whoami - read), [])
        # The read-only policy is what plan makes: nothing more, but for what the emulator
        # never makes it do.
        self.assertEqual(sorted(read - planned), sorted(READS_NOT_SEEN))

    def test_network_stack_writes_only_ec2(self):
        args = (NETWORK, "--template-dir", TEMPLATES)
        read = self.actions(self.policy(*args, "--read-only"))
        doc = self.policy(*args)
        write = self.actions(doc)
        # Reads do not depend on the stack: plan reads every type.
        self.assertEqual(read, self.actions(self.policy(SEED, "--read-only")))
        self.assertLessEqual(read, write)
        self.assertEqual(sorted(a for a in write - read if not a.startswith("ec2:")), [])
        self.assertIn("ec2:CreateVpc", write)
        self.assertIn("ec2:CreateNatGateway", write)
        self.assertNotIn("ecs:CreateCluster", write)
        self.assertEqual([st for st in doc["Statement"] if "Condition" in st], [])
        self.assertEqual(self.emu.calls, [])

    def test_every_operation_in_the_code_is_in_a_policy(self):
        """Each AWS operation named in src/agent/resources is an action of some type."""
        session = botocore.session.get_session()
        ops = {s: set(session.get_service_model(s).operation_names) for s in SERVICES}
        write = self.actions(self.policy(SEED))  # the seed uses every type
        own = {"ec2": "ec2", "iam": "iam", "elbv2": "elbv2", "ecs": "ecs", "efs": "efs",
               "servicediscovery": "servicediscovery", "sd": "servicediscovery",
               "secretsmanager": "secretsmanager", "secrets": "secretsmanager", "logs": "logs",
               "backup": "backup", "tagindex": "resourcegroupstaggingapi"}
        missing = []
        agent = os.path.dirname(RESOURCES)
        restore = [os.path.join(agent, "restore.c"), os.path.join(agent, "cmd_restore.c")]
        for path in sorted(glob.glob(os.path.join(RESOURCES, "*.c"))) + restore:
            name = os.path.basename(path)
            # cairn restore calls Backup first of all, and others by their unique names.
            service = "backup" if path in restore else own.get(re.split(r"[_.]|util", name)[0])
            if not service:
                continue
            with open(path, encoding="utf-8") as f:
                literals = set(re.findall(r'"([A-Z][A-Za-z0-9]+)"', f.read()))
            for lit in sorted(literals):
                if lit in ops[service]:
                    svc = service
                else:
                    others = [s for s in SERVICES if lit in ops[s]]
                    if len(others) != 1:
                        continue
                    svc = others[0]
                a = f"{IAM_PREFIX.get(svc, svc)}:{lit}"
                if a not in write:
                    missing.append(f"{name}: {a}")
        self.assertEqual(missing, [])

    def test_usage_and_errors(self):
        r = self.cairn("policy", "--help")
        self.assertEqual(r.returncode, 0)
        self.assertIn("usage: cairn [global options] policy FILE [--read-only]", r.stdout)
        r = self.cairn("policy")
        self.assertEqual(r.returncode, 1)
        self.assertIn("which stack file?", r.stderr)
        r = self.cairn("policy", SEED, "--write-only")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown option '--write-only'", r.stderr)
        r = self.cairn("policy", os.path.join(SOURCE, "nope.yaml"))
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(self.emu.calls, [])


if __name__ == "__main__":
    import unittest

    unittest.main()
