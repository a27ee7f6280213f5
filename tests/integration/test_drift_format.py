"""cairn drift's output formats on the network layer: the JSON report validates against
docs/drift.schema.json in sync and with drift of every status, the GitHub annotations and JUnit
report are well formed, exit codes are 0/2/1, and a drift run makes no write call.
"""
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import jsonschema

import cairnharness

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
TEMPLATES = os.path.join(SOURCE, "templates")
NETWORK = os.path.join(SOURCE, "tests/stacks/good/network.yaml")
STACK = "net-test"

with open(os.path.join(SOURCE, "docs", "drift.schema.json"), encoding="utf-8") as f:
    SCHEMA = json.load(f)


class DriftFormats(cairnharness.CairnTestCase):
    maxDiff = None

    def setUp(self):
        super().setUp()
        self.emu.reset()
        r = self.cairn("up", NETWORK, "--yes", "--template-dir", TEMPLATES)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def aws(self, *args):
        r = subprocess.run(["aws", "--output", "json", *args], env=self.emu.env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def drift(self, *args, code):
        self.emu.clear()
        r = self.cairn("drift", NETWORK, "--template-dir", TEMPLATES, *args)
        self.assertEqual(r.returncode, code, r.stdout + r.stderr)
        self.assertEqual([c for c in self.emu.calls if c.is_write], [], "drift wrote")
        return r

    def report(self, code):
        out = json.loads(self.drift("--format", "json", code=code).stdout)
        jsonschema.validate(out, SCHEMA, cls=jsonschema.Draft202012Validator)
        return out

    def test_in_sync(self):
        out = self.report(0)
        self.assertFalse(out["drift"])
        self.assertEqual(out["summary"]["resources"], 18)
        self.assertEqual(out["summary"]["in_sync"], 18)
        self.assertEqual({r["status"] for r in out["resources"]}, {"in_sync"})
        r = self.drift(code=0)
        self.assertIn("No drift: 18 resources checked", r.stdout)

    def drift_everything(self):
        """One change of each status: modified (a rule, a tag), missing, extra, orphan."""
        f = ["--filters", f"Name=tag:cairn:stack,Values={STACK}"]
        lb = self.aws("ec2", "describe-security-groups", "--filters",
                      "Name=tag:cairn:id,Values=lb_sg")["SecurityGroups"][0]
        self.aws("ec2", "authorize-security-group-ingress", "--group-id", lb["GroupId"],
                 "--protocol", "tcp", "--port", "22", "--cidr", "0.0.0.0/0")
        vpc = self.aws("ec2", "describe-vpcs", *f)["Vpcs"][0]
        self.aws("ec2", "create-tags", "--resources", vpc["VpcId"], "--tags",
                 "Key=Owner,Value=bob")
        # Missing: a subnet deleted (its association goes with it).
        subnets = self.aws("ec2", "describe-subnets", *f)["Subnets"]
        private_b = next(s for s in subnets if s["CidrBlock"] == "10.0.12.0/24")
        for t in self.aws("ec2", "describe-route-tables", *f)["RouteTables"]:
            for a in t.get("Associations", []):
                if a.get("SubnetId") == private_b["SubnetId"]:
                    self.aws("ec2", "disassociate-route-table", "--association-id",
                             a["RouteTableAssociationId"])
        self.aws("ec2", "delete-subnet", "--subnet-id", private_b["SubnetId"])
        # Extra: a route added by hand to the stack's private route table.
        private = next(t for t in self.aws("ec2", "describe-route-tables", *f)["RouteTables"]
                       if any(r.get("NatGatewayId") for r in t["Routes"]))
        self.aws("ec2", "create-route", "--route-table-id", private["RouteTableId"],
                 "--destination-cidr-block", "192.168.0.0/16", "--gateway-id",
                 self.aws("ec2", "describe-internet-gateways", *f)["InternetGateways"][0]
                 ["InternetGatewayId"])
        # Orphan: a subnet tagged with the stack by hand.
        self.aws("ec2", "create-subnet", "--vpc-id", vpc["VpcId"], "--cidr-block",
                 "10.0.99.0/24", "--tag-specifications",
                 f"ResourceType=subnet,Tags=[{{Key=cairn:stack,Value={STACK}}},"
                 f"{{Key=cairn:id,Value=ghost}}]")

    def test_every_status_in_json(self):
        self.drift_everything()
        out = self.report(2)
        self.assertTrue(out["drift"])
        by = {r["resource"]: r for r in out["resources"]}
        self.assertEqual(by["lb_sg"]["status"], "modified")
        self.assertIn({"attribute": "ingress", "kind": "extra", "sensitive": False,
                       "expected": None,
                       "actual": {"protocol": "tcp", "port": 22, "cidr_blocks": ["0.0.0.0/0"]}},
                      by["lb_sg"]["differences"])
        self.assertIn({"attribute": "tags.Owner", "kind": "extra", "sensitive": False,
                       "expected": None, "actual": "bob"}, by["network.vpc"]["differences"])
        self.assertEqual(by["network.private_b"]["status"], "missing")
        self.assertIsNone(by["network.private_b"]["id"])
        self.assertEqual(by["ghost"]["status"], "orphan")
        self.assertNotIn("location", by["ghost"])
        extras = [r for r in out["resources"] if r["status"] == "extra"]
        self.assertEqual([r["type"] for r in extras], ["ec2.route"])
        self.assertEqual(by["network.vpc"]["location"]["file"], NETWORK)  # the instance's place
        s = out["summary"]
        self.assertEqual((s["missing"], s["extra"], s["orphan"]), (2, 1, 1))  # subnet + assoc.
        self.assertEqual(s["resources"], len(out["resources"]))

        # Ignored: the rule and the tag; the rest still drifts.
        out = json.loads(self.drift("--format", "json", "--ignore", "lb_sg.ingress",
                                    "--ignore", "*.tags.Owner", code=2).stdout)
        jsonschema.validate(out, SCHEMA, cls=jsonschema.Draft202012Validator)
        self.assertEqual(out["summary"]["ignored"], 2)
        self.assertEqual(out["summary"]["modified"], 0)

        # And up brings it all back.
        r = self.cairn("up", NETWORK, "--yes", "--template-dir", TEMPLATES)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.report(0)

    def test_github_and_junit(self):
        self.drift_everything()
        lines = self.drift("--format", "github", code=2).stdout.splitlines()
        notes = [ln for ln in lines if ln.startswith("::")]
        self.assertTrue(all(ln.startswith("::error file=") for ln in notes), notes)
        lb = [ln for ln in notes if "title=drift%3A lb_sg::" in ln]
        self.assertEqual(len(lb), 1, notes)
        self.assertIn(f"file={NETWORK},line=", lb[0])
        self.assertIn("%0Aingress: in AWS, not in the file", lb[0])

        xml = self.drift("--format", "junit", code=2).stdout
        suite = ET.fromstring(xml).find("testsuite")
        cases = suite.findall("testcase")
        failed = [c for c in cases if c.find("failure") is not None]
        self.assertEqual(int(suite.get("tests")), len(cases))
        self.assertEqual(int(suite.get("failures")), len(failed))
        self.assertEqual(len(failed), 6)
        lb = next(c for c in cases if c.get("name") == "lb_sg")
        self.assertEqual(lb.get("classname"), "ec2.security_group")
        self.assertEqual(lb.find("failure").get("type"), "modified")

    def test_errors_exit_1(self):
        r = self.cairn("drift", NETWORK, "--template-dir", TEMPLATES, "--format", "yaml")
        self.assertEqual(r.returncode, 1)
        self.assertIn("use text, json, github or junit", r.stderr)
        r = self.cairn("drift", os.path.join(SOURCE, "tests/stacks/bad/02-yaml-tab-indentation.yaml"))
        self.assertEqual(r.returncode, 1)
        r = self.cairn("drift", NETWORK, "--template-dir", TEMPLATES,
                       env_extra={"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
