"""IAM roles, CloudWatch Logs log groups and Secrets Manager secrets: the AWS calls of each
type (read, create, update, remove of struct restype_ops), driven one at a time by
tests/tools/restype_probe against moto behind the strict validator, checked with boto3 talking
to moto directly; and the three applied together by cairn up, plan and destroy.

The Grafana admin password cairn generates must never show: every byte restype_probe and cairn
(with --debug) print is searched for it, the value taken from moto directly.
"""
import json
import os
import re
import string
import subprocess
import tempfile
import unittest
import xml.etree.ElementTree as ET

# moto attaches AWS managed policies (the backup role's) only when it has loaded them.
os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"

import cairnharness  # noqa: E402

PROBE = os.path.join(os.environ.get("CAIRN_TEST_TOOLS", ""), "restype_probe")
MINE = ("iam.role", "logs.log_group", "secretsmanager.secret")
SERVICES = ("iam", "logs", "secretsmanager")
BACKUP_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def trust(service="ecs-tasks.amazonaws.com"):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]}


def policy(actions, resource="*"):
    return {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": resource}]}


EXECUTION_ACTIONS = ["ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
                     "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage", "logs:CreateLogStream",
                     "logs:PutLogEvents", "elasticfilesystem:ClientMount",
                     "elasticfilesystem:ClientWrite"]
SERVICES_OF_SEED = ("backend", "frontend", "prometheus", "grafana")


def counts(calls, services=SERVICES):
    out = {}
    for c in calls:
        if c.service in services:
            out[c.operation] = out.get(c.operation, 0) + 1
    return out


def mine(objs):
    return [o for o in objs if o["type"] in MINE]


class IamOpsTest(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(PROBE):
            self.fail("restype_probe not found: set CAIRN_TEST_TOOLS to the build's tests/ dir")
        self.iam = self.emu.boto3_client("iam")
        self.logs = self.emu.boto3_client("logs")
        self.sm = self.emu.boto3_client("secretsmanager")
        self.printed = []  # everything restype_probe and cairn printed, for the leak check
        self.emu.reset()  # call counts and pages depend on what else the account holds

    # -- driving the probe

    def probe(self, *args, ok=True):
        r = subprocess.run([PROBE, *map(str, args)], env=self.emu.env(), capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        self.printed += [r.stdout, r.stderr]
        if ok:
            self.assertEqual(r.returncode, 0, "restype_probe %s:\n%s" % (" ".join(map(str, args)),
                                                                       r.stderr))
        self.assertNotIn("Sanitizer", r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()], r

    def create(self, stack, rtype, cairn_id, desired):
        objs, _ = self.probe("create", stack, rtype, cairn_id, json.dumps(desired))
        self.assertEqual(len(objs), 1)
        self.assertEqual(objs[0]["type"], rtype)
        return objs[0]

    def read(self, stack):
        return mine(self.probe("read", stack)[0])

    def update(self, stack, rtype, oid, desired, *attrs):
        return self.probe("update", stack, rtype, oid, json.dumps(desired), *attrs)[0][0]

    def remove(self, stack, rtype, oid):
        self.probe("remove", stack, rtype, oid)

    # -- the seed's roles, log groups and secret

    def build_seed(self, stack):
        o = {}

        def make(rtype, cid, desired):
            o[cid] = self.create(stack, rtype, cid, desired)
            return o[cid]

        secret = make("secretsmanager.secret", "grafana_admin_password", {
            "description": "Admin password of Grafana (%s)" % stack,
            "generate": {"length": 32, "exclude_punctuation": True},
            "recovery_window_in_days": 7, "tags": {"Project": "davidshaevel"}})
        make("iam.role", "execution_role", {
            "name": stack + "-ecs-task-execution",
            "description": "Used by ECS to start the tasks of " + stack,
            "assume_role_policy": trust(),
            "inline_policies": [
                {"name": "ecs-task-execution", "document": policy(EXECUTION_ACTIONS)},
                {"name": "read-grafana-admin-password",
                 "document": policy(["secretsmanager:GetSecretValue"],
                                    secret["attrs"]["arn"])}],
            "tags": {"Project": "davidshaevel"}})
        make("iam.role", "prometheus_role", {
            "name": stack + "-prometheus-task",
            "description": "AWS permissions of the Prometheus tasks",
            "assume_role_policy": trust(),
            "inline_policies": [{"name": "cloudwatch-read", "document": policy(
                ["cloudwatch:GetMetricData", "cloudwatch:ListMetrics"])}]})
        for cid, name in (("grafana_role", "grafana-task"), ("app_role", "app-task")):
            make("iam.role", cid, {
                "name": "%s-%s" % (stack, name), "description": "no AWS API access",
                "assume_role_policy": trust(), "inline_policies": [], "managed_policy_arns": []})
        make("iam.role", "backup.role", {
            "name": stack + "-backup",
            "description": "Assumed by AWS Backup",
            "assume_role_policy": trust("backup.amazonaws.com"),
            "managed_policy_arns": [BACKUP_POLICY]})
        for svc in SERVICES_OF_SEED:
            make("logs.log_group", svc + ".logs", {"name": "/ecs/%s-%s" % (stack, svc),
                                                   "retention_in_days": 30})
        return o

    def secret_value(self, arn):
        return self.sm.get_secret_value(SecretId=arn)["SecretString"]

    def role_tags(self, name):
        return {t["Key"]: t["Value"] for t in self.iam.list_role_tags(RoleName=name)["Tags"]}

    def inline(self, name):
        return {p: self.iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]
                for p in self.iam.list_role_policies(RoleName=name)["PolicyNames"]}

    def attached(self, name):
        return sorted(p["PolicyArn"] for p in
                      self.iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"])

    def group(self, name):
        found = [g for g in self.logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
                 if g["logGroupName"] == name]
        return found[0] if found else None

    def assert_never_printed(self, value):
        self.assertGreater(len(value), 0)
        for text in self.printed:
            self.assertNotIn(value, text)

    # -- create

    def test_create_makes_each_object_as_the_seed_says(self):
        stack = "iam-create"
        o = self.build_seed(stack)
        ex = "%s-ecs-task-execution" % stack
        role = self.iam.get_role(RoleName=ex)["Role"]
        self.assertEqual(role["Path"], "/cairn/%s/" % stack)
        self.assertEqual(role["Arn"], o["execution_role"]["attrs"]["arn"])
        self.assertEqual(role["RoleId"], o["execution_role"]["id"])
        self.assertEqual(role["Description"], "Used by ECS to start the tasks of " + stack)
        self.assertEqual(role["AssumeRolePolicyDocument"], trust())
        self.assertEqual(self.role_tags(ex), {"Project": "davidshaevel", "cairn:stack": stack,
                                              "cairn:id": "execution_role"})
        docs = self.inline(ex)
        self.assertEqual(sorted(docs), ["ecs-task-execution", "read-grafana-admin-password"])
        self.assertEqual(docs["read-grafana-admin-password"]["Statement"][0]["Resource"],
                         o["grafana_admin_password"]["attrs"]["arn"])
        self.assertEqual(docs["ecs-task-execution"]["Statement"][0]["Action"], EXECUTION_ACTIONS)
        self.assertEqual(self.attached(ex), [])
        self.assertEqual(self.inline(stack + "-grafana-task"), {})
        self.assertEqual(self.attached(stack + "-backup"), [BACKUP_POLICY])
        self.assertEqual(self.iam.get_role(RoleName=stack + "-backup")["Role"][
            "AssumeRolePolicyDocument"], trust("backup.amazonaws.com"))

        for svc in SERVICES_OF_SEED:
            g = self.group("/ecs/%s-%s" % (stack, svc))
            self.assertEqual(g["retentionInDays"], 30)
            self.assertEqual(o[svc + ".logs"]["attrs"]["arn"], g["arn"][:-2])
            self.assertEqual(self.logs.list_tags_for_resource(resourceArn=g["arn"][:-2])["tags"],
                             {"cairn:stack": stack, "cairn:id": svc + ".logs"})

        sec = self.sm.describe_secret(SecretId=o["grafana_admin_password"]["attrs"]["arn"])
        self.assertEqual(sec["Name"], "%s-grafana_admin_password" % stack)
        self.assertEqual(sec["Description"], "Admin password of Grafana (%s)" % stack)
        self.assertEqual({t["Key"]: t["Value"] for t in sec["Tags"]}, {
            "Project": "davidshaevel", "cairn:stack": stack, "cairn:id": "grafana_admin_password",
            "cairn:recovery-window-days": "7"})
        # The value: as generate asked, and nowhere in what was printed.
        value = self.secret_value(sec["ARN"])
        self.assertEqual(len(value), 32)
        self.assertTrue(set(value) <= set(string.ascii_letters + string.digits), value)
        for kind in (string.ascii_lowercase, string.ascii_uppercase, string.digits):
            self.assertTrue(set(value) & set(kind), "no character of %s in the value" % kind)
        self.assertNotIn("value", o["grafana_admin_password"]["attrs"])
        self.assert_never_printed(value)

    def test_secret_create_sends_a_stable_uuid_token_and_keeps_the_first_value(self):
        seen = []

        def spy(call):
            seen.append(dict(call.params))
            return None

        self.emu.intercept("secretsmanager", "CreateSecret", spy)
        try:
            first = self.create("iam-token", "secretsmanager.secret", "pw", {"generate": {}})
            # A create sent again (a crash before the answer): the same token, one secret.
            again = self.create("iam-token", "secretsmanager.secret", "pw", {"generate": {}})
        finally:
            self.emu.intercept("secretsmanager", "CreateSecret", None)
        self.assertEqual(first["id"], again["id"])
        self.assertEqual(len(seen), 2)
        self.assertRegex(seen[0]["ClientRequestToken"], UUID)
        self.assertEqual(seen[0]["ClientRequestToken"], seen[1]["ClientRequestToken"])
        # Each attempt drew its own value; the secret kept the first.
        value = self.secret_value(first["id"])
        self.assertEqual(seen[0]["SecretString"], value)
        self.assertNotEqual(seen[1]["SecretString"], value)
        self.assertEqual(len(value), 32)  # GetRandomPassword's default length
        self.assertTrue(set(value) & set(string.punctuation))
        self.assertEqual(len(self.sm.list_secrets(Filters=[
            {"Key": "name", "Values": ["iam-token-pw"]}])["SecretList"]), 1)
        self.assert_never_printed(value)
        for text in seen[1:]:
            self.assert_never_printed(text["SecretString"])
        self.assertNotIn("GetSecretValue", [c.operation for c in self.emu.calls])

    def test_create_again_adopts_and_brings_to_desired(self):
        stack = "iam-adopt"
        o = self.build_seed(stack)
        value = self.secret_value(o["grafana_admin_password"]["id"])
        self.emu.clear()
        # The same resources again, as after a crash; a few attributes changed meanwhile.
        role = self.create(stack, "iam.role", "prometheus_role", {
            "name": stack + "-prometheus-task", "description": "changed",
            "assume_role_policy": trust(),
            "inline_policies": [{"name": "cloudwatch-read",
                                 "document": policy("cloudwatch:ListMetrics")}]})
        group = self.create(stack, "logs.log_group", "grafana.logs",
                            {"name": "/ecs/%s-grafana" % stack, "retention_in_days": 7})
        sec = self.create(stack, "secretsmanager.secret", "grafana_admin_password", {
            "description": "Admin password of Grafana (%s)" % stack,
            "generate": {"length": 32, "exclude_punctuation": True},
            "recovery_window_in_days": 7, "tags": {"Project": "davidshaevel"}})
        self.assertEqual(role["id"], o["prometheus_role"]["id"])
        self.assertEqual(group["id"], o["grafana.logs"]["id"])
        self.assertEqual(sec["id"], o["grafana_admin_password"]["id"])
        self.assertEqual(counts(self.emu.calls), {
            "CreateRole": 1, "GetRole": 1, "ListRolePolicies": 1, "GetRolePolicy": 1,
            "ListAttachedRolePolicies": 1, "UpdateRole": 1, "PutRolePolicy": 1,
            "CreateLogGroup": 1, "DescribeLogGroups": 1, "ListTagsForResource": 1,
            "PutRetentionPolicy": 1, "CreateSecret": 1, "DescribeSecret": 1})
        self.assertEqual(self.iam.get_role(RoleName=stack + "-prometheus-task")["Role"][
            "Description"], "changed")
        self.assertEqual(self.inline(stack + "-prometheus-task")["cloudwatch-read"][
            "Statement"][0]["Action"], "cloudwatch:ListMetrics")
        self.assertEqual(self.group("/ecs/%s-grafana" % stack)["retentionInDays"], 7)
        self.assertEqual(self.secret_value(sec["id"]), value)
        live = {x["id"]: x for x in self.read(stack)}
        for obj in (role, group, sec):
            self.assertEqual(live[obj["id"]]["attrs"], obj["attrs"])
        self.assertEqual(len(self.iam.list_roles(PathPrefix="/cairn/%s/" % stack)["Roles"]), 5)
        self.assert_never_printed(value)

    def test_policies_of_a_role_just_made_wait_until_iam_knows_it(self):
        refused = []

        def not_yet(call):
            # IAM is eventually consistent: right after CreateRole, AWS may not find the role.
            if refused:
                return None
            refused.append(call.params["RoleName"])
            body = ("<ErrorResponse xmlns=\"https://iam.amazonaws.com/doc/2010-05-08/\"><Error>"
                    "<Type>Sender</Type><Code>NoSuchEntity</Code><Message>The role with name %s "
                    "cannot be found.</Message></Error><RequestId>r1</RequestId></ErrorResponse>"
                    % call.params["RoleName"]).encode()
            return 404, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body

        self.emu.intercept("iam", "PutRolePolicy", not_yet)
        try:
            role = self.create("iam-lag", "iam.role", "r", {
                "assume_role_policy": trust(),
                "inline_policies": [{"name": "p", "document": policy("s3:ListBucket")}]})
        finally:
            self.emu.intercept("iam", "PutRolePolicy", None)
        self.assertEqual(refused, ["iam-lag-r"])
        self.assertEqual(counts(self.emu.calls), {"CreateRole": 1, "PutRolePolicy": 2})
        self.assertEqual(sorted(self.inline("iam-lag-r")), ["p"])
        self.assertEqual([p["name"] for p in role["attrs"]["inline_policies"]], ["p"])

    def test_names_taken_by_others_are_refused(self):
        self.iam.create_role(RoleName="iam-taken-r", AssumeRolePolicyDocument=json.dumps(trust()))
        self.logs.create_log_group(logGroupName="/ecs/iam-taken-g", tags={"cairn:stack": "other"})
        self.sm.create_secret(Name="iam-taken-s", SecretString="x",
                              Tags=[{"Key": "cairn:stack", "Value": "iam-taken"},
                                    {"Key": "cairn:id", "Value": "someone-else"}])
        for rtype, cid, desired, what in (
                ("iam.role", "r", {"name": "iam-taken-r", "assume_role_policy": trust()},
                 "a role named iam-taken-r exists and is not this stack's"),
                ("logs.log_group", "g", {"name": "/ecs/iam-taken-g"},
                 "a log group named /ecs/iam-taken-g exists and is not this stack's"),
                ("secretsmanager.secret", "s", {"name": "iam-taken-s", "value": "y"},
                 "a secret named iam-taken-s exists and is not this stack's")):
            _, r = self.probe("create", "iam-taken", rtype, cid, json.dumps(desired), ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn(what, r.stderr)
        self.assertEqual(self.secret_value("iam-taken-s"), "x")
        self.assertEqual(self.role_tags("iam-taken-r"), {})
        self.assertEqual([x["cairn_id"] for x in self.read("iam-taken")], ["someone-else"])

    def test_log_group_name_must_hold_the_stack_name(self):
        self.emu.clear()
        _, r = self.probe("create", "iam-lgname", "logs.log_group", "l",
                          json.dumps({"name": "/ecs/elsewhere"}), ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("does not contain the stack's name iam-lgname", r.stderr)
        self.assertEqual(counts(self.emu.calls), {})

    # -- read

    def test_read_finds_exactly_the_stack_with_per_parent_calls(self):
        stack = "iam-read"
        o = self.build_seed(stack)
        other = self.build_seed("iam-rd2")
        # What the read must not pay for: the account's other roles and log groups. A role
        # under the stack's path that is not the stack's costs nothing more.
        self.iam.create_role(RoleName="iam-read-outsider", AssumeRolePolicyDocument=json.dumps(
            trust()), Tags=[{"Key": "cairn:stack", "Value": stack}])
        self.iam.create_role(RoleName="iam-read-stray", Path="/cairn/%s/" % stack,
                             AssumeRolePolicyDocument=json.dumps(trust()))
        for i in range(5):
            self.logs.create_log_group(logGroupName="/aws/lambda/f%d" % i)
        self.emu.clear()
        live = self.read(stack)
        by_id = {x["id"]: x for x in live}
        self.assertEqual(len(by_id), len(live), "an object was read twice")
        self.assertEqual(sorted(by_id), sorted(x["id"] for x in o.values()))
        for cid, made in o.items():
            got = by_id[made["id"]]
            self.assertEqual(got["cairn_id"], cid)
            # Create fills its object the way read does.
            self.assertEqual(got["attrs"], made["attrs"], cid)
        ex = by_id[o["execution_role"]["id"]]["attrs"]
        self.assertEqual(ex["path"], "/cairn/%s/" % stack)
        self.assertEqual(ex["max_session_duration"], 3600)
        self.assertEqual(ex["assume_role_policy"], trust())
        self.assertEqual(sorted(p["name"] for p in ex["inline_policies"]),
                         ["ecs-task-execution", "read-grafana-admin-password"])
        self.assertEqual(by_id[o["backup.role"]["id"]]["attrs"]["managed_policy_arns"],
                         [BACKUP_POLICY])
        self.assertEqual(by_id[o["grafana.logs"]["id"]]["attrs"], {
            "name": "/ecs/%s-grafana" % stack, "retention_in_days": 30,
            "arn": "arn:aws:logs:us-east-1:123456789012:log-group:/ecs/%s-grafana" % stack,
            "tags": {"cairn:stack": stack, "cairn:id": "grafana.logs"}})
        sec = by_id[o["grafana_admin_password"]["id"]]["attrs"]
        self.assertEqual(sorted(sec), ["arn", "description", "name", "recovery_window_in_days",
                                       "tags"])
        self.assertEqual(sec["recovery_window_in_days"], 7)
        self.assertNotIn("cairn:recovery-window-days", sec["tags"])
        self.assertFalse([c for c in self.emu.calls if c.is_write], "a read wrote")
        # One list per type; the roles' tags and policies in one GetAccountAuthorizationDetails
        # for all of them; the log groups' tags from the stack's one tagging pass; nothing per
        # object, of the stack or of the account.
        self.assertEqual(counts(self.emu.calls), {
            "ListRoles": 1, "GetAccountAuthorizationDetails": 1, "DescribeLogGroups": 1,
            "ListSecrets": 1})
        self.assertEqual(counts(self.emu.calls, ("resourcegroupstaggingapi",)),
                         {"GetResources": 1})
        self.assertEqual(sorted(x["id"] for x in self.read("iam-rd2")),
                         sorted(x["id"] for x in other.values()))
        self.assertNotIn("GetSecretValue", [c.operation for c in self.emu.calls])

    def test_read_follows_every_page(self):
        stack = "iam-pages"
        o = self.build_seed(stack)
        for i in range(55):  # moto's DescribeLogGroups pages hold 50
            self.logs.create_log_group(logGroupName="/aws/lambda/p%02d" % i)
        ns = {"i": "https://iam.amazonaws.com/doc/2010-05-08/"}
        ET.register_namespace("", ns["i"])
        saved, pages = {}, []

        def xml_pages(call):
            # ListRoles: the first page holds one role and a Marker, the second the rest.
            first = call.params.get("Marker") is None
            pages.append(("ListRoles", call.params.get("Marker")))
            if first:
                _, headers, saved["xml"] = call.forward()
                saved["xh"] = [(k, v) for k, v in headers if k.lower() != "content-length"]
            root = ET.fromstring(saved["xml"])
            result = root.find("i:ListRolesResult", ns)
            roles = result.find("i:Roles", ns)
            kids = list(roles)
            for k in kids[1:] if first else kids[:1]:
                roles.remove(k)
            if first:
                result.find("i:IsTruncated", ns).text = "true"
                ET.SubElement(result, "{%s}Marker" % ns["i"]).text = "m2"
            body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
            return 200, saved["xh"] + [("Content-Length", str(len(body)))], body

        def json_pages(call):
            # ListSecrets: the same, with NextToken.
            pages.append(("ListSecrets", call.params.get("NextToken")))
            if call.params.get("NextToken") is None:
                status, headers, body = call.forward()
                out = json.loads(body)
                saved["secrets"] = out["SecretList"][1:]
                out["SecretList"] = out["SecretList"][:1]
                out["NextToken"] = "n2"
                saved["jheaders"] = [(k, v) for k, v in headers if k.lower() != "content-length"]
            else:
                status, out = 200, {"SecretList": saved["secrets"]}
            body = json.dumps(out).encode()
            return status, saved["jheaders"] + [("Content-Length", str(len(body)))], body

        second = self.create(stack, "secretsmanager.secret", "second", {"value": "v2"})
        self.emu.intercept("iam", "ListRoles", xml_pages)
        self.emu.intercept("secretsmanager", "ListSecrets", json_pages)
        try:
            self.emu.clear()
            live = self.read(stack)
        finally:
            self.emu.intercept("iam", "ListRoles", None)
            self.emu.intercept("secretsmanager", "ListSecrets", None)
        self.assertEqual(pages, [("ListRoles", None), ("ListRoles", "m2"),
                                 ("ListSecrets", None), ("ListSecrets", "n2")])
        self.assertEqual(sorted(x["id"] for x in live),
                         sorted([x["id"] for x in o.values()] + [second["id"]]))
        self.assertEqual(counts(self.emu.calls)["DescribeLogGroups"], 2)
        self.assertNotIn("ListTagsForResource", counts(self.emu.calls))
        self.assertEqual(counts(self.emu.calls, ("resourcegroupstaggingapi",)),
                         {"GetResources": 1})

    # -- update

    def test_update_changes_only_what_differs(self):
        stack = "iam-update"
        o = self.build_seed(stack)
        ex = o["execution_role"]
        name = ex["attrs"]["name"]
        value = self.secret_value(o["grafana_admin_password"]["id"])

        # Description and trust policy.
        self.emu.clear()
        want = dict(ex["attrs"], description="new words",
                    assume_role_policy=trust(["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"]))
        got = self.update(stack, "iam.role", ex["id"], want, "description", "assume_role_policy")
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write],
                         ["UpdateRole", "UpdateAssumeRolePolicy"])
        role = self.iam.get_role(RoleName=name)["Role"]
        self.assertEqual(role["Description"], "new words")
        self.assertEqual(role["MaxSessionDuration"], 3600)
        self.assertEqual(role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"],
                         ["ecs-tasks.amazonaws.com", "ecs.amazonaws.com"])
        self.assertEqual(got["attrs"]["description"], "new words")

        # Inline policies: one changed, one gone, one new; a managed policy attached; tags.
        self.emu.clear()
        inline = [{"name": "ecs-task-execution", "document": policy(EXECUTION_ACTIONS[:2])},
                  {"name": "cloudwatch", "document": policy("cloudwatch:ListMetrics")}]
        want = dict(got["attrs"], inline_policies=inline, managed_policy_arns=[BACKUP_POLICY],
                    tags={"Owner": "ops"}, max_session_duration=7200)
        got = self.update(stack, "iam.role", ex["id"], want, "inline_policies",
                          "managed_policy_arns", "tags", "max_session_duration")
        self.assertEqual(sorted(c.operation for c in self.emu.calls if c.is_write),
                         ["AttachRolePolicy", "DeleteRolePolicy", "PutRolePolicy",
                          "PutRolePolicy", "TagRole", "UntagRole", "UpdateRole"])
        docs = self.inline(name)
        self.assertEqual(sorted(docs), ["cloudwatch", "ecs-task-execution"])
        self.assertEqual(docs["ecs-task-execution"]["Statement"][0]["Action"],
                         EXECUTION_ACTIONS[:2])
        self.assertEqual(self.attached(name), [BACKUP_POLICY])
        self.assertEqual(self.role_tags(name), {"Owner": "ops", "cairn:stack": stack,
                                                "cairn:id": "execution_role"})
        self.assertEqual(self.iam.get_role(RoleName=name)["Role"]["MaxSessionDuration"], 7200)
        self.assertEqual(self.iam.get_role(RoleName=name)["Role"]["Description"], "new words")
        live = {x["id"]: x for x in self.read(stack)}
        self.assertEqual(live[ex["id"]]["attrs"], got["attrs"])

        # Back to no managed policy.
        self.emu.clear()
        got = self.update(stack, "iam.role", ex["id"], dict(got["attrs"], managed_policy_arns=[],
                                                            tags={"Owner": "ops"}),
                          "managed_policy_arns")
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write],
                         ["DetachRolePolicy"])
        self.assertEqual(self.attached(name), [])

        # Log group: retention 30 -> 7, then never expire; tags.
        lg = o["grafana.logs"]
        self.emu.clear()
        got = self.update(stack, "logs.log_group", lg["id"],
                          {"name": lg["id"], "retention_in_days": 7, "tags": {"Tier": "obs"}},
                          "retention_in_days", "tags")
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write],
                         ["PutRetentionPolicy", "TagResource"])
        self.assertEqual(self.group(lg["id"])["retentionInDays"], 7)
        self.emu.clear()
        got = self.update(stack, "logs.log_group", lg["id"], {"name": lg["id"]},
                          "retention_in_days", "tags")
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write],
                         ["DeleteRetentionPolicy", "UntagResource"])
        self.assertNotIn("retentionInDays", self.group(lg["id"]))
        self.assertNotIn("retention_in_days", got["attrs"])
        self.assertEqual(self.logs.list_tags_for_resource(resourceArn=lg["attrs"]["arn"])["tags"],
                         {"cairn:stack": stack, "cairn:id": "grafana.logs"})
        live = {x["id"]: x for x in self.read(stack)}
        self.assertEqual(live[lg["id"]]["attrs"], got["attrs"])

        # Secret: description, tags and recovery window; the value stays.
        sec = o["grafana_admin_password"]
        self.emu.clear()
        got = self.update(stack, "secretsmanager.secret", sec["id"], {
            "description": "rotated never", "recovery_window_in_days": 30,
            "generate": {"length": 64}, "tags": {"Owner": "ops"}},
            "description", "recovery_window_in_days", "tags")
        self.assertEqual(sorted(c.operation for c in self.emu.calls if c.is_write),
                         ["TagResource", "TagResource", "UntagResource", "UpdateSecret"])
        d = self.sm.describe_secret(SecretId=sec["id"])
        self.assertEqual(d["Description"], "rotated never")
        self.assertEqual({t["Key"]: t["Value"] for t in d["Tags"]}, {
            "Owner": "ops", "cairn:stack": stack, "cairn:id": "grafana_admin_password",
            "cairn:recovery-window-days": "30"})
        self.assertEqual(self.secret_value(sec["id"]), value)
        live = {x["id"]: x for x in self.read(stack)}
        self.assertEqual(live[sec["id"]]["attrs"], got["attrs"])
        self.assert_never_printed(value)

    def test_update_refuses_what_needs_a_replacement(self):
        stack = "iam-replace"
        role = self.create(stack, "iam.role", "r", {"assume_role_policy": trust()})
        group = self.create(stack, "logs.log_group", "g", {})
        self.emu.clear()
        for rtype, oid, attr in (("iam.role", role["id"], "name"),
                                 ("logs.log_group", group["id"], "log_group_class")):
            _, r = self.probe("update", stack, rtype, oid, json.dumps({attr: "x"}), attr, ok=False)
            self.assertEqual(r.returncode, 1)
            self.assertIn("%s cannot change in place" % attr, r.stderr)
        self.assertFalse([c for c in self.emu.calls if c.is_write])

    # -- remove

    def test_remove_everything(self):
        stack = "iam-remove"
        o = self.build_seed(stack)
        other = self.build_seed("iam-remove-other")
        windows = []

        def spy(call):
            windows.append((call.params.get("RecoveryWindowInDays"),
                            call.params.get("ForceDeleteWithoutRecovery")))
            return None

        self.emu.intercept("secretsmanager", "DeleteSecret", spy)
        self.emu.clear()
        try:
            for obj in reversed(list(o.values())):
                self.remove(stack, obj["type"], obj["id"])
        finally:
            self.emu.intercept("secretsmanager", "DeleteSecret", None)
        writes = [c.operation for c in self.emu.calls if c.is_write]
        self.assertEqual(writes.count("DeleteRole"), 5)
        self.assertEqual(writes.count("DeleteRolePolicy"), 3)
        self.assertEqual(writes.count("DetachRolePolicy"), 1)
        self.assertEqual(writes.count("DeleteLogGroup"), 4)
        self.assertEqual(windows, [(7, None)])
        self.assertEqual(self.iam.list_roles(PathPrefix="/cairn/%s/" % stack)["Roles"], [])
        for svc in SERVICES_OF_SEED:
            self.assertIsNone(self.group("/ecs/%s-%s" % (stack, svc)))
        self.assertIn("DeletedDate", self.sm.describe_secret(
            SecretId=o["grafana_admin_password"]["id"]))
        self.assertEqual(self.read(stack), [])
        self.assertEqual(sorted(x["id"] for x in self.read("iam-remove-other")),
                         sorted(x["id"] for x in other.values()))

    def test_secret_removed_now_has_no_recovery_window(self):
        stack = "iam-remove-now"
        sec = self.create(stack, "secretsmanager.secret", "grafana_admin_password",
                          {"description": "Admin password of Grafana",
                           "generate": {"length": 32, "exclude_punctuation": True},
                           "recovery_window_in_days": 7})
        windows = []
        def spy(call):
            windows.append((call.params.get("RecoveryWindowInDays"),
                            call.params.get("ForceDeleteWithoutRecovery")))
            return None

        self.emu.intercept("secretsmanager", "DeleteSecret", spy)
        try:
            self.probe("remove", stack, "secretsmanager.secret", sec["id"], "now")
        finally:
            self.emu.intercept("secretsmanager", "DeleteSecret", None)
        self.assertEqual(windows, [(None, True)])
        with self.assertRaises(self.sm.exceptions.ResourceNotFoundException):
            self.sm.describe_secret(SecretId=sec["id"])

    def test_remove_of_what_is_already_gone_succeeds(self):
        stack = "iam-gone"
        o = self.build_seed(stack)
        role, group = o["backup.role"], o["grafana.logs"]
        sec = o["grafana_admin_password"]

        def gone_first(deleter):
            def handler(call):
                deleter()
                return None  # moto answers: no such thing (or: already scheduled)
            return handler

        def drop_role():
            self.iam.detach_role_policy(RoleName=role["attrs"]["name"], PolicyArn=BACKUP_POLICY)
            self.iam.delete_role(RoleName=role["attrs"]["name"])

        for service, op, deleter, rtype, oid in (
                ("iam", "DetachRolePolicy", drop_role, "iam.role", role["id"]),
                ("logs", "DeleteLogGroup",
                 lambda: self.logs.delete_log_group(logGroupName=group["id"]),
                 "logs.log_group", group["id"]),
                ("secretsmanager", "DeleteSecret",
                 lambda: self.sm.delete_secret(SecretId=sec["id"], RecoveryWindowInDays=7),
                 "secretsmanager.secret", sec["id"])):
            self.emu.intercept(service, op, gone_first(deleter))
            try:
                self.remove(stack, rtype, oid)
            finally:
                self.emu.intercept(service, op, None)
        self.assertEqual(sorted(x["id"] for x in self.read(stack)),
                         sorted(x["id"] for x in o.values()
                                if x["id"] not in (role["id"], group["id"], sec["id"])))

    def test_role_with_a_policy_added_since_the_read_is_still_removed(self):
        stack = "iam-late"
        role = self.create(stack, "iam.role", "r", {"assume_role_policy": trust()})
        name = role["attrs"]["name"]

        def late(call):
            # Between the probe's read and its remove, someone attaches and embeds policies.
            if not late.done:
                late.done = True
                self.iam.attach_role_policy(RoleName=name, PolicyArn=BACKUP_POLICY)
                self.iam.put_role_policy(RoleName=name, PolicyName="late",
                                         PolicyDocument=json.dumps(policy("s3:ListBucket")))
            return None
        late.done = False

        self.emu.intercept("iam", "DeleteRole", late)
        self.emu.clear()
        try:
            self.remove(stack, "iam.role", role["id"])
        finally:
            self.emu.intercept("iam", "DeleteRole", None)
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write],
                         ["DeleteRole", "DetachRolePolicy", "DeleteRolePolicy", "DeleteRole"])
        self.assertEqual(self.iam.list_roles(PathPrefix="/cairn/%s/" % stack)["Roles"], [])

    def test_secret_deleted_then_created_again_is_restored_with_its_value(self):
        stack = "iam-restore"
        desired = {"description": "pw", "generate": {"length": 20}, "recovery_window_in_days": 7}
        sec = self.create(stack, "secretsmanager.secret", "pw", desired)
        value = self.secret_value(sec["id"])
        self.remove(stack, "secretsmanager.secret", sec["id"])
        self.assertEqual(self.read(stack), [])  # scheduled for deletion: gone for cairn
        self.emu.clear()
        again = self.create(stack, "secretsmanager.secret", "pw",
                            dict(desired, description="pw, restored"))
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write],
                         ["CreateSecret", "RestoreSecret", "UpdateSecret"])
        self.assertEqual(again["id"], sec["id"])
        d = self.sm.describe_secret(SecretId=sec["id"])
        self.assertIsNone(d.get("DeletedDate"))
        self.assertEqual(d["Description"], "pw, restored")
        self.assertEqual(self.secret_value(sec["id"]), value)
        self.assertEqual([x["id"] for x in self.read(stack)], [sec["id"]])
        self.assert_never_printed(value)

    # -- the three types applied together by cairn

    def test_cairn_up_plan_destroy_up_never_shows_the_password(self):
        stack = "iam-e2e"
        doc = STACK_FILE.replace("STACK", stack)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "stack.yaml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(doc)

            def cairn(*args, codes=(0,)):
                r = self.cairn("--debug", *args)
                self.printed += [r.stdout, r.stderr]
                self.assertIn(r.returncode, codes, r.stdout + r.stderr)
                self.assertNotIn("Sanitizer", r.stderr)
                return r

            r = cairn("up", path, "--yes")
            self.assertIn("http: POST", r.stderr)  # --debug logged the calls
            arn = [s["ARN"] for s in self.sm.list_secrets()["SecretList"]
                   if s["Name"] == stack + "-grafana-admin-password"][0]
            value = self.secret_value(arn)
            self.assertEqual(len(value), 32)
            self.assertTrue(set(value) <= set(string.ascii_letters + string.digits))
            # Just applied: nothing to change.
            r = cairn("plan", path, "--detailed-exitcode", "--json")
            self.assertEqual(json.loads(r.stdout)["summary"]["create"], 0, r.stdout)
            doc = self.inline(stack + "-ecs-task-execution")["read-grafana-admin-password"]
            self.assertEqual(doc["Statement"][0]["Resource"], arn)
            cairn("destroy", path, "--yes")
            self.assertEqual(self.iam.list_roles(PathPrefix="/cairn/%s/" % stack)["Roles"], [])
            # Up after destroy: the secret comes back with the value Grafana's database knows.
            cairn("up", path, "--yes")
            self.assertEqual(self.secret_value(arn), value)
            cairn("plan", path, "--detailed-exitcode")
            cairn("destroy", path, "--yes")
        self.assert_never_printed(value)
        self.assertNotIn("GetSecretValue", [c.operation for c in self.emu.calls])


STACK_FILE = """
stack: STACK
region: us-east-1
tags:
  Project: cairn-tests

resources:
  grafana_admin_password:
    type: secretsmanager.secret
    properties:
      description: Admin password of Grafana (${stack.name})
      generate:
        length: 32
        exclude_punctuation: true
      recovery_window_in_days: 7

  execution_role:
    type: iam.role
    properties:
      name: ${stack.name}-ecs-task-execution
      description: Used by ECS to start the tasks of ${stack.name}
      assume_role_policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: ecs-tasks.amazonaws.com
            Action: sts:AssumeRole
      inline_policies:
        - name: read-grafana-admin-password
          document:
            Version: "2012-10-17"
            Statement:
              - Effect: Allow
                Action:
                  - secretsmanager:GetSecretValue
                Resource: ${grafana_admin_password.arn}

  grafana_role:
    type: iam.role
    properties:
      name: ${stack.name}-grafana-task
      assume_role_policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: ecs-tasks.amazonaws.com
            Action: sts:AssumeRole
      inline_policies: []
      managed_policy_arns: []

  backup_role:
    type: iam.role
    properties:
      name: ${stack.name}-backup
      assume_role_policy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal:
              Service: backup.amazonaws.com
            Action: sts:AssumeRole
      managed_policy_arns:
        - arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup

  grafana_logs:
    type: logs.log_group
    properties:
      name: /ecs/${stack.name}-grafana
      retention_in_days: 30
"""


if __name__ == "__main__":
    unittest.main()
