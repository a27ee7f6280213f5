"""validate, render, graph and types on the seed stack: outputs agree, no network, docs current."""
import json
import os
import subprocess
import tempfile
import unittest

import yaml

CAIRN = os.environ["CAIRN_BIN"]
SOURCE = os.environ["CAIRN_SOURCE_DIR"]
STACK = "stacks/dev-davidshaevel.yaml"


def cairn(*args, **kw):
    return subprocess.run([CAIRN, *args], cwd=SOURCE, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120, **kw)


class StackCommands(unittest.TestCase):
    def test_reference_doc_is_generated_from_the_tables(self):
        r = cairn("types", "--markdown", "--template-dir", "templates")
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(os.path.join(SOURCE, "docs/stack-reference.md")) as f:
            self.assertEqual(f.read(), r.stdout,
                             "docs/stack-reference.md is stale: regenerate it with "
                             "`build/cairn types --markdown > docs/stack-reference.md`")
        for t in cairn("types").stdout.split("\n"):
            if t:
                self.assertIn("### `%s`" % t.split()[0], r.stdout)

    def test_render_yaml_and_json_say_the_same(self):
        y = cairn("render", STACK)
        j = cairn("render", "--json", STACK)
        self.assertEqual(y.returncode, 0, y.stderr)
        self.assertEqual(j.returncode, 0, j.stderr)
        self.assertEqual(yaml.safe_load(y.stdout), json.loads(j.stdout))

    def test_render_leaves_only_values_known_after_apply(self):
        doc = json.loads(cairn("render", "--json", STACK).stdout)
        # The vault's name is fixed by the file, so the backup rule gets it, not a reference.
        plan = doc["resources"]["backup.plan"]["properties"]
        self.assertEqual(plan["rules"][0]["target_vault"], "dev-davidshaevel-backup")
        # A subnet's VPC id is only known after apply.
        self.assertEqual(doc["resources"]["network.public_a"]["properties"]["vpc_id"],
                         "${network.vpc.id}")

    def test_sensitive_values_are_never_rendered(self):
        with tempfile.NamedTemporaryFile("w", suffix=".yaml", dir=os.path.join(SOURCE, "stacks"),
                                         delete=False) as f:
            f.write("stack: demo\nregion: us-east-1\nresources:\n"
                    "  pw:\n    type: secretsmanager.secret\n"
                    "    properties: {value: hunter2-do-not-print}\n")
        try:
            for fmt in ([], ["--json"]):
                r = cairn("render", *fmt, f.name)
                self.assertEqual(r.returncode, 0, r.stderr)
                self.assertNotIn("hunter2", r.stdout + r.stderr)
                self.assertIn("(sensitive)", r.stdout)
        finally:
            os.unlink(f.name)

    def test_graph_is_dot_with_every_edge(self):
        r = cairn("graph", STACK)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.startswith('digraph "dev-davidshaevel" {'))
        doc = json.loads(cairn("render", "--json", STACK).stdout)
        for name, res in doc["resources"].items():
            for dep in res["depends_on"]:
                self.assertIn(f'"{name}" -> "{dep}";', r.stdout)
        self.assertIn('subgraph "cluster_prometheus"', r.stdout)

    def test_params_override_and_are_checked(self):
        r = cairn("render", "--json", STACK, "--param", "backend_image=registry.local/b:2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("registry.local/b:2", r.stdout)
        r = cairn("validate", STACK, "--param", "nope=1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("the stack has no parameter 'nope'", r.stderr)
        r = cairn("validate", STACK, "--param", "service_domain=bad_domain!")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a valid dns_name", r.stderr)

    def test_validate_makes_no_network_call(self):
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "trace")
            r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=socket,connect", "-o", log,
                                CAIRN, "validate", STACK], cwd=SOURCE, capture_output=True,
                               text=True, env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"))
            self.assertEqual(r.returncode, 0, r.stderr)
            with open(log) as f:
                calls = [l for l in f if "socket(" in l or "connect(" in l]
            self.assertEqual(calls, [])

    def test_types_lists_and_describes(self):
        r = cairn("types")
        self.assertEqual(r.returncode, 0)
        self.assertIn("ec2.vpc", r.stdout)
        r = cairn("types", "efs.access_point")
        self.assertEqual(r.returncode, 0)
        self.assertIn("posix_user", r.stdout)
        r = cairn("types", "efs.acces_point")
        self.assertEqual(r.returncode, 1)
        self.assertIn("did you mean 'efs.access_point'?", r.stderr)

    def test_missing_file_and_arguments(self):
        r = cairn("validate", "stacks/nope.yaml")
        self.assertEqual(r.returncode, 1)
        self.assertIn("stacks/nope.yaml", r.stderr)
        self.assertIn("No such file or directory", r.stderr)
        r = cairn("validate")
        self.assertEqual(r.returncode, 1)
        self.assertIn("which stack file?", r.stderr)
        r = cairn("render", STACK, "--frob")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown option '--frob'", r.stderr)


if __name__ == "__main__":
    unittest.main()
