"""cairn drift on the seed stack against moto behind the strict validator.

The stack is brought up once for the class. Each case makes one change outside cairn with the
AWS CLI, as an operator would, then checks that `cairn drift --format json` exits 2 and names
the resource (its logical name in the file, or the id of an extra) and the attribute, that the
drift run sent no write call, and that `cairn up --yes` brings everything back so that drift
exits 0 again. Also: no false positive right after up on any of the 28 types, --ignore and the
file's drift.ignore, the github and junit formats, sensitive values, a bad file.
"""
import json
import os
import shutil
import subprocess
import tempfile
import time
import xml.etree.ElementTree as ET

import cairnharness

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
SEED = os.path.join(SOURCE, "stacks", "dev-davidshaevel.yaml")
TEMPLATES = os.path.join(SOURCE, "templates")
STACK = "dev-davidshaevel"
CLUSTER = f"{STACK}-cluster"
RESOURCES = 65  # what the seed renders into
TYPES = 28  # every resource type cairn has; the seed uses them all

READ_PREFIXES = ("describe", "list", "get")


class Drift(cairnharness.CairnTestCase):
    outputs = []  # everything cairn printed in this class, for the password check

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.workdir = tempfile.mkdtemp(prefix="cairn-drift-")
        cls.addClassCleanup(shutil.rmtree, cls.workdir, True)
        t0 = time.monotonic()
        r = subprocess.run([os.environ["CAIRN_BIN"], "up", SEED, "--yes"], env=cls.emu.env(),
                           cwd=cls.workdir, stdin=subprocess.DEVNULL, capture_output=True,
                           text=True, timeout=900)
        cls.outputs.append(r.stdout + r.stderr)
        if r.returncode != 0:
            raise AssertionError(f"cairn up: {r.returncode}\n{r.stdout}\n{r.stderr}")
        cls.up_seconds = time.monotonic() - t0

    def setUp(self):
        super().setUp()
        self.dirty = False  # an out-of-band change was made
        self.restored = False

    def tearDown(self):
        # A case that failed half-way leaves its change behind: undo it for the next ones.
        if self.dirty and not self.restored:
            self.cairn("up", SEED, "--yes", timeout=900, cwd=self.workdir)
        super().tearDown()

    # -- helpers

    def run_cairn(self, *args, ok=(0,)):
        r = self.cairn(*args, timeout=900, cwd=self.workdir)
        self.outputs.append(r.stdout + r.stderr)
        self.assertIn(r.returncode, ok, f"cairn {' '.join(args)}:\n{r.stdout}\n{r.stderr}")
        return r

    def aws(self, *args):
        """The AWS CLI against the emulator (through the strict validator); parsed JSON."""
        if not args[1].startswith(READ_PREFIXES):
            self.dirty = True
        r = subprocess.run(["aws", "--output", "json", *args], env=self.emu.env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, f"aws {' '.join(args)}: {r.stderr}")
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def drift(self, *args, ok=(2,), file=SEED, fmt="json"):
        """cairn drift FILE --format fmt: asserts the exit status and that no write call went
        out while it ran; the parsed report for json, else the CompletedProcess."""
        before = len(self.emu.calls)
        r = self.run_cairn("drift", file, "--format", fmt, *args, ok=ok)
        calls = self.emu.calls[before:]
        self.assertTrue(calls, "drift read nothing")
        self.assertEqual([c.operation for c in calls if c.is_write], [],
                         "cairn drift sent a write call")
        return json.loads(r.stdout) if fmt == "json" else r

    def up(self):
        r = self.run_cairn("up", SEED, "--yes")
        self.assertIn("Apply complete", r.stdout)
        return r

    def assert_in_sync(self, report=None):
        report = report or self.drift(ok=(0,))
        self.assertFalse(report["drift"])
        bad = [(x["resource"], x["status"], x["differences"]) for x in report["resources"]
               if x["status"] != "in_sync"]
        self.assertEqual(bad, [])
        s = report["summary"]
        self.assertEqual((s["resources"], s["in_sync"], s["missing"], s["modified"], s["extra"],
                          s["orphan"]), (RESOURCES, RESOURCES, 0, 0, 0, 0))
        return report

    def restore(self):
        """up brings the file back; drift exits 0 after it."""
        self.up()
        self.assert_in_sync()
        self.restored = True

    def assert_drift(self, report, expect):
        """expect: [(resource, status, {(attribute, kind), ...}), ...], the differences each
        must include; exactly these resources drifted."""
        self.assertTrue(report["drift"])
        got = sorted((x["resource"], x["status"]) for x in report["resources"]
                     if x["status"] != "in_sync")
        self.assertEqual(got, sorted((e[0], e[1]) for e in expect),
                         json.dumps([x for x in report["resources"] if x["status"] != "in_sync"],
                                    indent=1))
        for resource, status, diffs in expect:
            items = [x for x in report["resources"]
                     if x["resource"] == resource and x["status"] == status]
            have = {(d["attribute"], d["kind"]) for x in items for d in x["differences"]}
            self.assertLessEqual(set(diffs), have, f"{resource}: {items}")
        s = report["summary"]
        for status in ("missing", "modified", "extra", "orphan"):
            self.assertEqual(s[status], sum(1 for e in expect if e[1] == status), status)
        self.assertEqual(s["in_sync"], s["resources"] - len(expect))

    def check(self, expect):
        """Drift names expect, then up restores: the usual end of a case."""
        report = self.drift()
        self.assert_drift(report, expect)
        self.restore()
        return report

    def item(self, report, resource):
        return next(x for x in report["resources"] if x["resource"] == resource)

    def diff(self, report, resource, attribute):
        return next(d for d in self.item(report, resource)["differences"]
                    if d["attribute"] == attribute)

    def sg_id(self, short):
        return self.aws("ec2", "describe-security-groups", "--filters",
                        f"Name=group-name,Values={STACK}-{short}")["SecurityGroups"][0]["GroupId"]

    def subnet_id(self, cidr):
        return self.aws("ec2", "describe-subnets", "--filters", f"Name=cidr-block,Values={cidr}",
                        f"Name=tag:cairn:stack,Values={STACK}")["Subnets"][0]["SubnetId"]

    def listener_arn(self):
        lb = self.aws("elbv2", "describe-load-balancers", "--names", f"{STACK}-alb")[
            "LoadBalancers"][0]["LoadBalancerArn"]
        return self.aws("elbv2", "describe-listeners", "--load-balancer-arn", lb)[
            "Listeners"][0]["ListenerArn"]

    def rules(self):
        return [r for r in self.aws("elbv2", "describe-rules", "--listener-arn",
                                    self.listener_arn())["Rules"] if not r["IsDefault"]]

    def file_system(self, short):
        return next(f for f in self.aws("efs", "describe-file-systems")["FileSystems"]
                    if f.get("Name") == f"{STACK}-{short}")["FileSystemId"]

    def access_points(self, fs_id):
        return self.aws("efs", "describe-access-points", "--file-system-id", fs_id)[
            "AccessPoints"]

    def service(self, short):
        return self.aws("ecs", "describe-services", "--cluster", CLUSTER, "--services",
                        f"{STACK}-{short}")["services"][0]

    def stack_revisions(self, family):
        """The ACTIVE revisions of family tagged with the stack: (ARN, cairn:id)."""
        out = []
        for arn in self.aws("ecs", "list-task-definitions", "--family-prefix", family,
                            "--status", "ACTIVE")["taskDefinitionArns"]:
            tags = {t["key"]: t["value"] for t in self.aws(
                "ecs", "describe-task-definition", "--task-definition", arn, "--include",
                "TAGS").get("tags", [])}
            if tags.get("cairn:stack") == STACK:
                out.append((arn, tags.get("cairn:id")))
        return out

    # -- right after up

    def test_00_no_drift_right_after_up(self):
        report = self.assert_in_sync()
        self.assertEqual((report["format_version"], report["stack"], report["file"],
                          report["region"]), (1, STACK, SEED, "us-east-1"))
        self.assertEqual(report["summary"]["ignored"], 0)
        self.assertEqual(len({x["type"] for x in report["resources"]}), TYPES)
        self.assertIn("backend.security_group", {x["resource"] for x in report["resources"]})
        for x in report["resources"]:
            self.assertTrue(x["id"], x)
            self.assertEqual(x["differences"], [], x)
        r = self.drift(fmt="text", ok=(0,))
        self.assertIn(f"No drift: {RESOURCES} resources checked", r.stdout)
        # Up after drift writes nothing either.
        before = len(self.emu.calls)
        self.assertIn("No changes", self.run_cairn("up", SEED, "--yes").stdout)
        self.assertEqual([c for c in self.emu.calls[before:] if c.is_write], [])

    # -- security groups

    def test_ingress_port_22_open_to_the_world(self):
        self.aws("ec2", "authorize-security-group-ingress", "--group-id",
                 self.sg_id("backend"), "--protocol", "tcp", "--port", "22",
                 "--cidr", "0.0.0.0/0")
        report = self.check([("backend.security_group", "modified", {("ingress", "extra")})])
        d = self.diff(report, "backend.security_group", "ingress")
        self.assertEqual(d["actual"], {"protocol": "tcp", "port": 22,
                                       "cidr_blocks": ["0.0.0.0/0"]})
        self.assertEqual(self.item(report, "backend.security_group")["location"]["file"], SEED)

    def test_egress_rule_added(self):
        self.aws("ec2", "authorize-security-group-egress", "--group-id", self.sg_id("grafana"),
                 "--ip-permissions", "IpProtocol=tcp,FromPort=443,ToPort=443,"
                 "IpRanges=[{CidrIp=10.0.0.0/8}]")
        self.check([("grafana.security_group", "modified", {("egress", "extra")})])

    # -- EFS

    def test_access_point_deleted(self):
        ap = self.access_points(self.file_system("grafana-data"))[0]["AccessPointId"]
        self.aws("efs", "delete-access-point", "--access-point-id", ap)
        # The task definition names the access point: it is registered again, and the
        # service moved to it.
        self.check([("grafana_data.access_point", "missing", set()),
                    ("grafana.task", "modified", {("volumes", "changed")}),
                    ("grafana.service", "modified", {("task_definition", "changed")})])

    def recreate_access_point(self, tags):
        """Delete grafana-data's access point and make it again by hand with another UID."""
        fs = self.file_system("grafana-data")
        ap = self.access_points(fs)[0]
        self.aws("efs", "delete-access-point", "--access-point-id", ap["AccessPointId"])
        args = ["efs", "create-access-point", "--file-system-id", fs,
                "--posix-user", "Uid=1000,Gid=472",
                "--root-directory", json.dumps(ap["RootDirectory"])]
        if tags:
            args += ["--tags", json.dumps(ap["Tags"])]
        return fs, self.aws(*args)["AccessPointId"]

    def test_access_point_uid_changed_by_recreating_it_with_its_tags(self):
        fs, _ = self.recreate_access_point(tags=True)
        report = self.check([
            ("grafana_data.access_point", "modified", {("posix_user.uid", "changed")}),
            ("grafana.task", "modified", {("volumes", "changed")}),
            ("grafana.service", "modified", {("task_definition", "changed")})])
        d = self.diff(report, "grafana_data.access_point", "posix_user.uid")
        self.assertEqual((d["expected"], d["actual"]), (472, 1000))
        self.assertEqual([a["PosixUser"]["Uid"] for a in self.access_points(fs)], [472])

    def test_access_point_uid_changed_by_recreating_it_without_tags(self):
        # Untagged, the new one is not the stack's access point: that one is missing, and the
        # new one is an extra under the stack's file system, which up deletes.
        fs, extra = self.recreate_access_point(tags=False)
        self.check([("grafana_data.access_point", "missing", set()),
                    (extra, "extra", set()),
                    ("grafana.task", "modified", {("volumes", "changed")}),
                    ("grafana.service", "modified", {("task_definition", "changed")})])
        self.assertEqual([a["PosixUser"]["Uid"] for a in self.access_points(fs)], [472])

    def test_access_point_added_by_hand(self):
        fs = self.file_system("prometheus-data")
        extra = self.aws("efs", "create-access-point", "--file-system-id", fs, "--posix-user",
                         "Uid=0,Gid=0", "--tags", "Key=Name,Value=debug")["AccessPointId"]
        report = self.check([(extra, "extra", set())])
        self.assertEqual(self.item(report, extra)["type"], "efs.access_point")
        self.assertNotIn(extra, [a["AccessPointId"] for a in self.access_points(fs)])

    def test_file_system_lifecycle_policy(self):
        # (UpdateFileSystem, for the throughput mode, is a 500 in moto.)
        self.aws("efs", "put-lifecycle-configuration", "--file-system-id",
                 self.file_system("grafana-data"), "--lifecycle-policies",
                 "TransitionToIA=AFTER_30_DAYS")
        self.check([("grafana_data.file_system", "modified", {("lifecycle_policies", "changed")})])

    def test_efs_automatic_backups_turned_on(self):
        self.aws("efs", "put-backup-policy", "--file-system-id",
                 self.file_system("prometheus-data"), "--backup-policy", "Status=ENABLED")
        report = self.check([("prometheus_data.backup_policy", "modified",
                              {("status", "changed")})])
        d = self.diff(report, "prometheus_data.backup_policy", "status")
        self.assertEqual((d["expected"], d["actual"]), ("DISABLED", "ENABLED"))

    def test_mount_target_deleted(self):
        fs = self.file_system("prometheus-data")
        subnet = self.subnet_id("10.0.12.0/24")
        mt = next(m for m in self.aws("efs", "describe-mount-targets", "--file-system-id",
                                      fs)["MountTargets"] if m["SubnetId"] == subnet)
        self.aws("efs", "delete-mount-target", "--mount-target-id", mt["MountTargetId"])
        self.check([("prometheus_data.mount_b", "missing", set())])

    # -- ECS

    def test_service_desired_count(self):
        self.aws("ecs", "update-service", "--cluster", CLUSTER, "--service", f"{STACK}-backend",
                 "--desired-count", "5")
        report = self.check([("backend.service", "modified", {("desired_count", "changed")})])
        d = self.diff(report, "backend.service", "desired_count")
        self.assertEqual((d["expected"], d["actual"]), (2, 5))
        self.assertEqual(self.service("backend")["desiredCount"], 2)

    def deploy_by_hand(self, with_tags):
        """Register a new revision of the frontend's family (another image) and update the
        service to it, as a hotfix by hand would. Returns (old ARN, new ARN)."""
        old = self.service("frontend")["taskDefinition"]
        got = self.aws("ecs", "describe-task-definition", "--task-definition", old,
                       "--include", "TAGS")
        td = got["taskDefinition"]
        spec = {k: td[k] for k in ("family", "taskRoleArn", "executionRoleArn", "networkMode",
                                   "containerDefinitions", "volumes", "requiresCompatibilities",
                                   "cpu", "memory") if k in td}
        spec["containerDefinitions"][0]["image"] = "davidshaevel/frontend:hotfix"
        if with_tags:
            spec["tags"] = got["tags"]
        path = os.path.join(self.workdir, "revision.json")
        with open(path, "w") as f:
            json.dump(spec, f)
        new = self.aws("ecs", "register-task-definition", "--cli-input-json",
                       f"file://{path}")["taskDefinition"]["taskDefinitionArn"]
        self.aws("ecs", "update-service", "--cluster", CLUSTER, "--service", f"{STACK}-frontend",
                 "--task-definition", new)
        return old, new

    def test_task_definition_revision_registered_and_deployed_by_hand(self):
        # The CLI registers it untagged: the stack's revision under it is still the stack's,
        # and the service is moved back to it.
        old, new = self.deploy_by_hand(with_tags=False)
        report = self.check([("frontend.service", "modified", {("task_definition", "changed")})])
        d = self.diff(report, "frontend.service", "task_definition")
        self.assertEqual((d["expected"], d["actual"]),
                         (old.split("/")[-1], new.split("/")[-1]))
        self.assertEqual(self.service("frontend")["taskDefinition"], old)
        self.assertEqual(self.stack_revisions(f"{STACK}-frontend"), [(old, "frontend.task")])

    def test_task_definition_revision_registered_with_the_stack_tags(self):
        # Tags copied over: two revisions claim frontend.task. The newest is compared (another
        # image), the older is an orphan; up keeps one revision with the file's image.
        old, new = self.deploy_by_hand(with_tags=True)
        report = self.check([
            ("frontend.task", "modified", {("container_definitions", "extra"),
                                           ("container_definitions", "missing")}),
            ("frontend.task", "orphan", set()),
            ("frontend.service", "modified", {("task_definition", "changed")})])
        orphan = next(x for x in report["resources"] if x["status"] == "orphan")
        self.assertEqual(orphan["id"], old)
        revisions = self.stack_revisions(f"{STACK}-frontend")
        self.assertEqual([r[1] for r in revisions], ["frontend.task"])
        self.assertEqual(self.service("frontend")["taskDefinition"], revisions[0][0])
        td = self.aws("ecs", "describe-task-definition", "--task-definition", revisions[0][0])
        self.assertEqual(td["taskDefinition"]["containerDefinitions"][0]["image"],
                         "davidshaevel/frontend:latest")

    # -- tags

    def test_tag_removed(self):
        vpc = self.aws("ec2", "describe-vpcs", "--filters",
                       f"Name=tag:cairn:stack,Values={STACK}")["Vpcs"][0]["VpcId"]
        self.aws("ec2", "delete-tags", "--resources", vpc, "--tags", "Key=Environment")
        report = self.check([("network.vpc", "modified", {("tags.Environment", "missing")})])
        self.assertEqual(self.diff(report, "network.vpc", "tags.Environment")["expected"], "dev")

    def test_tag_value_changed(self):
        self.aws("logs", "tag-resource", "--resource-arn",
                 f"arn:aws:logs:us-east-1:123456789012:log-group:/ecs/{STACK}-grafana",
                 "--tags", "Project=other")
        report = self.check([("grafana.logs", "modified", {("tags.Project", "changed")})])
        d = self.diff(report, "grafana.logs", "tags.Project")
        self.assertEqual((d["expected"], d["actual"]), ("davidshaevel", "other"))

    # -- Cloud Map, load balancer

    def test_cloud_map_service_deleted(self):
        sd = next(s for s in self.aws("servicediscovery", "list-services")["Services"]
                  if s["Name"] == f"{STACK}-backend")
        self.aws("servicediscovery", "delete-service", "--id", sd["Id"])
        # The ECS service names the registry: it is made again with the new one.
        self.check([("backend.discovery", "missing", set()),
                    ("backend.service", "modified", {("service_registries", "changed")})])

    def test_listener_rule_path_pattern(self):
        rule = next(r for r in self.rules() if r["Priority"] == "20")
        self.aws("elbv2", "modify-rule", "--rule-arn", rule["RuleArn"], "--conditions",
                 "Field=path-pattern,PathPatternConfig={Values=[/graf/*]}")
        report = self.check([("grafana.listener_rule", "modified",
                              {("conditions.path_patterns", "changed")})])
        d = self.diff(report, "grafana.listener_rule", "conditions.path_patterns")
        self.assertEqual((d["expected"], d["actual"]), (["/grafana/*"], ["/graf/*"]))

    def test_listener_rule_added_by_hand(self):
        arn = self.aws("elbv2", "create-rule", "--listener-arn", self.listener_arn(),
                       "--priority", "30", "--conditions",
                       "Field=path-pattern,PathPatternConfig={Values=[/admin/*]}", "--actions",
                       "Type=fixed-response,FixedResponseConfig={StatusCode=403}")[
            "Rules"][0]["RuleArn"]
        report = self.check([(arn, "extra", set())])
        self.assertEqual(self.item(report, arn)["type"], "elbv2.listener_rule")
        self.assertEqual(sorted(r["Priority"] for r in self.rules()), ["10", "20"])

    def test_listener_added_by_hand(self):
        lb = self.aws("elbv2", "describe-load-balancers", "--names", f"{STACK}-alb")[
            "LoadBalancers"][0]["LoadBalancerArn"]
        arn = self.aws("elbv2", "create-listener", "--load-balancer-arn", lb, "--protocol",
                       "HTTP", "--port", "8080", "--default-actions",
                       "Type=fixed-response,FixedResponseConfig={StatusCode=200}")[
            "Listeners"][0]["ListenerArn"]
        self.check([(arn, "extra", set())])
        self.assertEqual([ln["Port"] for ln in self.aws(
            "elbv2", "describe-listeners", "--load-balancer-arn", lb)["Listeners"]], [80])

    def test_listener_default_action(self):
        self.aws("elbv2", "modify-listener", "--listener-arn", self.listener_arn(),
                 "--default-actions",
                 "Type=fixed-response,FixedResponseConfig={StatusCode=503,ContentType=text/plain}")
        report = self.check([("alb.listener", "modified",
                              {("default_action.fixed_response", "changed")})])
        d = self.diff(report, "alb.listener", "default_action.fixed_response")
        self.assertEqual((d["expected"]["status_code"], d["actual"]["status_code"]),
                         ("404", "503"))

    def test_target_group_health_check_path(self):
        tg = self.aws("elbv2", "describe-target-groups", "--names", f"{STACK}-grafana")[
            "TargetGroups"][0]["TargetGroupArn"]
        self.aws("elbv2", "modify-target-group", "--target-group-arn", tg,
                 "--health-check-path", "/healthz")
        report = self.check([("grafana.target_group", "modified",
                              {("health_check.path", "changed")})])
        d = self.diff(report, "grafana.target_group", "health_check.path")
        self.assertEqual((d["expected"], d["actual"]), ("/api/health", "/healthz"))

    def test_load_balancer_idle_timeout(self):
        lb = self.aws("elbv2", "describe-load-balancers", "--names", f"{STACK}-alb")[
            "LoadBalancers"][0]["LoadBalancerArn"]
        self.aws("elbv2", "modify-load-balancer-attributes", "--load-balancer-arn", lb,
                 "--attributes", "Key=idle_timeout.timeout_seconds,Value=120")
        self.check([("alb.load_balancer", "modified", {("idle_timeout_seconds", "changed")})])

    # -- backup, logs, IAM, secrets

    def test_backup_rule_retention(self):
        plan_id = next(p for p in self.aws("backup", "list-backup-plans")["BackupPlansList"]
                       if p["BackupPlanName"] == f"{STACK}-backup")["BackupPlanId"]
        plan = self.aws("backup", "get-backup-plan", "--backup-plan-id", plan_id)["BackupPlan"]
        for rule in plan["Rules"]:
            rule.pop("RuleId", None)
            rule["Lifecycle"]["DeleteAfterDays"] = 30
        self.aws("backup", "update-backup-plan", "--backup-plan-id", plan_id, "--backup-plan",
                 json.dumps(plan))
        report = self.check([("backup.plan", "modified", {("rules", "extra"),
                                                          ("rules", "missing")})])
        item = self.item(report, "backup.plan")
        self.assertEqual(sorted((d["kind"], (d["expected"] or d["actual"])["delete_after_days"])
                                for d in item["differences"]), [("extra", 30), ("missing", 7)])

    def test_log_group_retention(self):
        self.aws("logs", "put-retention-policy", "--log-group-name", f"/ecs/{STACK}-frontend",
                 "--retention-in-days", "1")
        report = self.check([("frontend.logs", "modified", {("retention_in_days", "changed")})])
        d = self.diff(report, "frontend.logs", "retention_in_days")
        self.assertEqual((d["expected"], d["actual"]), (30, 1))

    def test_log_groups_tagged_with_the_stack_by_hand_are_orphans(self):
        # With a cairn:id it goes by that name; with the stack's tag alone, by its own.
        self.aws("logs", "create-log-group", "--log-group-name", f"/ecs/{STACK}-debug",
                 "--tags", f"cairn:stack={STACK},cairn:id=debug.logs")
        self.aws("logs", "create-log-group", "--log-group-name", f"/ecs/{STACK}-scratch",
                 "--tags", f"cairn:stack={STACK},Owner=ops")
        report = self.check([("debug.logs", "orphan", set()),
                             (f"/ecs/{STACK}-scratch", "orphan", set())])
        self.assertEqual({x["type"] for x in report["resources"] if x["status"] == "orphan"},
                         {"logs.log_group"})
        left = [g["logGroupName"] for g in self.aws("logs", "describe-log-groups")["logGroups"]]
        self.assertEqual(sorted(left), sorted(f"/ecs/{STACK}-{s}" for s in (
            "backend", "frontend", "prometheus", "grafana")))

    def test_role_inline_policy_document(self):
        doc = {"Version": "2012-10-17",
               "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
        self.aws("iam", "put-role-policy", "--role-name", f"{STACK}-prometheus-task",
                 "--policy-name", "cloudwatch-read", "--policy-document", json.dumps(doc))
        report = self.check([("prometheus_role", "modified", {("inline_policies", "extra"),
                                                               ("inline_policies", "missing")})])
        extra = next(d for d in self.item(report, "prometheus_role")["differences"]
                     if d["kind"] == "extra")
        self.assertEqual(extra["actual"]["name"], "cloudwatch-read")
        self.assertEqual(extra["actual"]["document"]["Statement"][0]["Action"], ["*"])

    def test_role_description(self):
        self.aws("iam", "update-role", "--role-name", f"{STACK}-app-task", "--description",
                 "edited by hand")
        self.check([("app_role", "modified", {("description", "changed")})])

    def secret_arn(self):
        return next(s for s in self.aws("secretsmanager", "list-secrets")["SecretList"]
                    if s["Name"].startswith(STACK))["ARN"]

    def test_secret_description(self):
        self.aws("secretsmanager", "update-secret", "--secret-id", self.secret_arn(),
                 "--description", "changed by hand")
        self.check([("grafana_admin_password", "modified", {("description", "changed")})])

    def test_secret_value_never_shown(self):
        arn = self.secret_arn()
        password = self.aws("secretsmanager", "get-secret-value", "--secret-id", arn)[
            "SecretString"]
        self.assertGreaterEqual(len(password), 32)
        # A value put by hand is not read back (docs: value is set when the secret is made),
        # so it is no drift; a description changed with it is, and is shown.
        by_hand = "by-hand-" + password[::-1]
        self.aws("secretsmanager", "put-secret-value", "--secret-id", arn, "--secret-string",
                 by_hand)
        self.aws("secretsmanager", "update-secret", "--secret-id", arn, "--description",
                 "rotated by hand")
        runs = [json.dumps(self.drift())]
        for fmt in ("text", "github", "junit"):
            r = self.drift(fmt=fmt)
            runs.append(r.stdout + r.stderr)
        r = self.run_cairn("--debug", "drift", SEED, ok=(2,))
        runs.append(r.stdout + r.stderr)
        self.assertIn("rotated by hand", runs[0])
        for out in runs + self.outputs:
            self.assertNotIn(password, out)
            self.assertNotIn(by_hand, out)
        self.restore()

    # -- network

    def test_subnet_map_public_ip(self):
        self.aws("ec2", "modify-subnet-attribute", "--subnet-id", self.subnet_id("10.0.11.0/24"),
                 "--map-public-ip-on-launch")
        report = self.check([("network.private_a", "modified",
                              {("map_public_ip_on_launch", "changed")})])
        d = self.diff(report, "network.private_a", "map_public_ip_on_launch")
        self.assertEqual((d["expected"], d["actual"]), (False, True))

    def test_nat_gateway_deleted(self):
        nat = next(n for n in self.aws("ec2", "describe-nat-gateways", "--filter",
                                       f"Name=tag:cairn:stack,Values={STACK}")["NatGateways"]
                   if n["State"] == "available")
        self.aws("ec2", "delete-nat-gateway", "--nat-gateway-id", nat["NatGatewayId"])
        # The private default route goes through it: it is pointed at the new one.
        self.check([("network.nat", "missing", set()),
                    ("network.private_default_route", "modified",
                     {("nat_gateway_id", "changed")})])

    def test_route_added_by_hand(self):
        rt = self.aws("ec2", "describe-route-tables", "--filters",
                      "Name=tag:cairn:id,Values=network.private_routes")["RouteTables"][0][
            "RouteTableId"]
        igw = self.aws("ec2", "describe-internet-gateways", "--filters",
                       f"Name=tag:cairn:stack,Values={STACK}")["InternetGateways"][0][
            "InternetGatewayId"]
        self.aws("ec2", "create-route", "--route-table-id", rt, "--destination-cidr-block",
                 "192.168.0.0/16", "--gateway-id", igw)
        report = self.check([(f"{rt}|192.168.0.0/16", "extra", set())])
        self.assertEqual(self.item(report, f"{rt}|192.168.0.0/16")["type"], "ec2.route")
        routes = self.aws("ec2", "describe-route-tables", "--route-table-ids", rt)[
            "RouteTables"][0]["Routes"]
        self.assertNotIn("192.168.0.0/16", [r.get("DestinationCidrBlock") for r in routes])

    # -- ignore patterns

    def test_ignore_option_hides_a_change(self):
        self.aws("ecs", "update-service", "--cluster", CLUSTER, "--service", f"{STACK}-backend",
                 "--desired-count", "3")
        for pattern in ("backend.service.desired_count", "*.desired_count", "backend.service.*"):
            report = self.drift("--ignore", pattern, ok=(0,))
            self.assertFalse(report["drift"], pattern)
            self.assertEqual(report["summary"]["ignored"], 1, pattern)
            self.assertEqual(report["summary"]["modified"], 0, pattern)
            self.assertEqual(self.item(report, "backend.service")["status"], "in_sync")
        # Another resource's pattern hides nothing.
        report = self.drift("--ignore", "frontend.service.desired_count")
        self.assertEqual(report["summary"]["ignored"], 0)
        self.assert_drift(report, [("backend.service", "modified",
                                    {("desired_count", "changed")})])
        # A missing resource is ignored by its name.
        self.aws("logs", "delete-log-group", "--log-group-name", f"/ecs/{STACK}-backend")
        report = self.drift("--ignore", "backend.service.desired_count", "--ignore",
                            "backend.logs", ok=(0,))
        self.assertEqual(report["summary"]["ignored"], 2)
        self.restore()

    def test_ignore_in_the_stack_file(self):
        with open(SEED) as f:
            text = f.read()
        stack = os.path.join(self.workdir, "ignoring.yaml")
        with open(stack, "w") as f:
            f.write(text + "\ndrift:\n  ignore:\n    - backend.service.desired_count\n"
                    "    - '*.tags.LastScan'\n")
        self.aws("ecs", "update-service", "--cluster", CLUSTER, "--service", f"{STACK}-backend",
                 "--desired-count", "3")
        report = self.drift("--template-dir", TEMPLATES, file=stack, ok=(0,))
        self.assertFalse(report["drift"])
        self.assertEqual(report["summary"]["ignored"], 1)
        self.assertEqual(report["file"], stack)
        # The file's patterns and --ignore together.
        self.aws("logs", "tag-resource", "--resource-arn",
                 f"arn:aws:logs:us-east-1:123456789012:log-group:/ecs/{STACK}-backend",
                 "--tags", "LastScan=2026-01-01,Owner=ops")
        report = self.drift("--template-dir", TEMPLATES, file=stack)
        self.assertEqual(report["summary"]["ignored"], 2)
        self.assert_drift(report, [("backend.logs", "modified", {("tags.Owner", "extra")})])
        report = self.drift("--template-dir", TEMPLATES, "--ignore", "backend.logs.tags.Owner",
                            file=stack, ok=(0,))
        self.assertEqual(report["summary"]["ignored"], 3)
        # The seed file itself sees both.
        self.assert_drift(self.drift(), [
            ("backend.service", "modified", {("desired_count", "changed")}),
            ("backend.logs", "modified", {("tags.Owner", "extra"), ("tags.LastScan", "extra")})])
        self.restore()

    # -- formats

    def test_github_and_junit_formats(self):
        self.aws("logs", "put-retention-policy", "--log-group-name", f"/ecs/{STACK}-frontend",
                 "--retention-in-days", "1")
        self.aws("ec2", "authorize-security-group-ingress", "--group-id",
                 self.sg_id("backend"), "--protocol", "tcp", "--port", "22",
                 "--cidr", "0.0.0.0/0")
        drifted = {"frontend.logs", "backend.security_group"}

        lines = self.drift(fmt="github").stdout.splitlines()
        annotations, summary = lines[:-1], lines[-1]
        self.assertEqual(len(annotations), len(drifted), lines)
        for line in annotations:
            self.assertTrue(line.startswith("::error file="), line)
            self.assertIn(",line=", line)
            self.assertIn(SEED.replace(":", "%3A").replace(",", "%2C"), line)
        for name in drifted:
            self.assertTrue(any(f"title=drift%3A {name}::" in ln for ln in annotations), name)
        self.assertIn("ingress: in AWS, not in the file", "\n".join(annotations).replace(
            "%0A", "\n"))
        self.assertEqual(summary, f"Drift: 2 of {RESOURCES} resources drifted")

        root = ET.fromstring(self.drift(fmt="junit").stdout)
        cases = root.findall(".//testcase")
        self.assertEqual(len(cases), RESOURCES)
        failed = {c.get("name"): c.find("failure") for c in cases if c.find("failure") is not None}
        self.assertEqual(set(failed), drifted)
        self.assertEqual(root.find("testsuite").get("failures"), str(len(drifted)))
        self.assertEqual(failed["frontend.logs"].get("type"), "modified")
        self.assertIn("retention_in_days: expected 30, actual 1", failed["frontend.logs"].text)

        text = self.drift(fmt="text").stdout
        self.assertIn("backend.security_group (ec2.security_group)", text)
        self.assertIn("Drift: 65 resources checked: 63 in sync, 0 missing, 2 modified", text)
        self.restore()
        # In sync: still one test case per resource, none failed; no annotation.
        root = ET.fromstring(self.drift(fmt="junit", ok=(0,)).stdout)
        self.assertEqual(len(root.findall(".//testcase")), RESOURCES)
        self.assertEqual(root.findall(".//failure"), [])
        self.assertEqual(self.drift(fmt="github", ok=(0,)).stdout.splitlines(),
                         [f"No drift: 0 of {RESOURCES} resources drifted"])

    # -- last: destroy takes the extras and orphans with the stack

    def test_zz_destroy_takes_extras_and_orphans_too(self):
        self.aws("efs", "create-access-point", "--file-system-id",
                 self.file_system("prometheus-data"), "--posix-user", "Uid=0,Gid=0")
        lb = self.aws("elbv2", "describe-load-balancers", "--names", f"{STACK}-alb")[
            "LoadBalancers"][0]["LoadBalancerArn"]
        listener = self.aws("elbv2", "create-listener", "--load-balancer-arn", lb, "--protocol",
                            "HTTP", "--port", "8080", "--default-actions",
                            "Type=fixed-response,FixedResponseConfig={StatusCode=200}")[
            "Listeners"][0]["ListenerArn"]
        for arn, priority in ((listener, "5"), (self.listener_arn(), "30")):
            self.aws("elbv2", "create-rule", "--listener-arn", arn, "--priority", priority,
                     "--conditions", "Field=path-pattern,PathPatternConfig={Values=[/x/*]}",
                     "--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=403}")
        self.aws("logs", "create-log-group", "--log-group-name", f"/ecs/{STACK}-scratch",
                 "--tags", f"cairn:stack={STACK}")
        report = self.drift()
        self.assertEqual((report["summary"]["extra"], report["summary"]["orphan"]), (4, 1))
        r = self.run_cairn("destroy", SEED, "--yes")
        self.assertIn(f"Destroy complete: {RESOURCES + 5} deleted", r.stdout)
        self.assertEqual(self.aws("efs", "describe-access-points")["AccessPoints"], [])
        self.assertEqual(self.aws("elbv2", "describe-load-balancers")["LoadBalancers"], [])
        self.assertEqual(self.aws("logs", "describe-log-groups")["logGroups"], [])
        self.restored = True  # nothing to restore: the class is done

    # -- errors

    def test_bad_stack_file_exits_1(self):
        bad = os.path.join(self.workdir, "bad.yaml")
        with open(bad, "w") as f:
            f.write("stack: dev-davidshaevel\nresources:\n  x:\n    type: ec2.no_such_type\n")
        r = self.run_cairn("drift", bad, ok=(1,))
        self.assertIn("ec2.no_such_type", r.stderr)
        self.assertEqual(r.stdout, "")
        with open(bad, "w") as f:
            f.write("stack: [unclosed\n")
        self.run_cairn("drift", bad, "--format", "json", ok=(1,))
        self.run_cairn("drift", os.path.join(self.workdir, "nonexistent.yaml"), ok=(1,))
        self.run_cairn("drift", SEED, "--format", "yaml", ok=(1,))
