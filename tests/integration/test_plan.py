"""cairn plan against moto behind the strict validator: reads by tag, plans, changes nothing."""
import json
import os
import unittest

import cairnharness

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
STACK = os.path.join(SOURCE, "stacks/dev-davidshaevel.yaml")


class Plan(cairnharness.CairnTestCase):
    def test_a_new_stack_plans_every_resource_as_a_create(self):
        r = self.cairn("plan", STACK, "--json", "--detailed-exitcode")
        self.assertEqual(r.returncode, 2, r.stderr)
        plan = json.loads(r.stdout)
        self.assertEqual(plan["format_version"], 1)
        render = json.loads(self.cairn("render", "--json", STACK).stdout)
        self.assertEqual(plan["summary"]["create"], len(render["resources"]))
        self.assertEqual({a["resource"] for a in plan["actions"]}, set(render["resources"]))
        # Read-only: no write call of any kind reached AWS.
        self.assertEqual([c for c in self.emu.calls if c.is_write], [])

    def test_exit_codes_and_text(self):
        r = self.cairn("plan", STACK)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("  + network.vpc (ec2.vpc)\n", r.stdout)
        self.assertRegex(r.stdout, r"Plan: \d+ to create, 0 to update, 0 to replace, 0 to delete")
        self.assertNotIn("\033[", r.stdout)  # not a terminal: no colour
        r = self.cairn("plan", STACK, "--detailed-exitcode")
        self.assertEqual(r.returncode, 2)

    def test_secrets_are_never_shown(self):
        r = self.cairn("plan", STACK, "--json")
        plan = json.loads(r.stdout)
        secret = [a for a in plan["actions"] if a["type"] == "secretsmanager.secret"]
        self.assertTrue(secret)
        text = self.cairn("plan", STACK).stdout
        self.assertNotRegex(text, r"value: \"[^(]")

    def test_errors_exit_1(self):
        r = self.cairn("plan", STACK, "--detailed-exitcode",
                       env_extra={"AWS_ENDPOINT_URL": "http://127.0.0.1:1"})
        self.assertEqual(r.returncode, 1)
        self.assertIn("RequestError", r.stderr)
        r = self.cairn("plan", "stacks/nope.yaml", "--detailed-exitcode")
        self.assertEqual(r.returncode, 1)


if __name__ == "__main__":
    unittest.main()
