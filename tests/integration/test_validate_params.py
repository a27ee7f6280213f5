"""--param values are used as written: one holding ${...} is refused with the exact diagnostic,
before anything reaches AWS."""
import os
import subprocess
import unittest

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
NETWORK = os.path.join(SOURCE, "tests/stacks/good/network.yaml")
TEMPLATES = os.path.join(SOURCE, "templates")


class ParamValues(unittest.TestCase):
    def validate(self, *args):
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(NO_COLOR="1", AWS_CONFIG_FILE=os.devnull,
                   AWS_SHARED_CREDENTIALS_FILE=os.devnull)
        return subprocess.run([os.environ["CAIRN_BIN"], "validate", NETWORK, "--template-dir",
                               TEMPLATES, *args], env=env, capture_output=True, text=True,
                              timeout=60)

    def test_reference_in_param_value(self):
        r = self.validate("--param", "public_a_cidr=${network.vpc.cidr_block}")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(r.stdout, "")
        errors = [line for line in r.stderr.splitlines() if "error:" in line]
        self.assertEqual(errors, [
            "cairn: error: --param public_a_cidr=${network.vpc.cidr_block}: a value is used as "
            "written; ${...} is not resolved in it"])

    def test_plain_param_value_is_fine(self):
        r = self.validate("--param", "public_a_cidr=10.0.3.0/24")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
