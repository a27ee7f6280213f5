"""AWS Backup's resource types (backup.vault, backup.plan, backup.selection): their AWS calls
driven one at a time by tests/tools/restype_probe against moto behind the strict validator,
checked with boto3 talking to moto directly; and the operations the harness emulates for moto
(selections, UpdateBackupPlan, recovery points, restore jobs), checked with boto3 through the
proxy so that botocore parses every answer.
"""
import datetime
import json
import os
import subprocess
import unittest

import cairnharness
from cairnharness import backupgaps

PROBE = os.path.join(os.environ.get("CAIRN_TEST_TOOLS", ""), "restype_probe")
ROLE = "arn:aws:iam::123456789012:role/dev-backup"


def counts(calls, service="backup"):
    out = {}
    for c in calls:
        if c.service == service:
            out[c.operation] = out.get(c.operation, 0) + 1
    return out


def seed_rule(vault, days=7):
    """The rule of the seed's backup-plan template."""
    return {"name": "daily", "schedule": "cron(0 3 * * ? *)", "target_vault": vault,
            "start_window_minutes": 60, "completion_window_minutes": 180,
            "delete_after_days": days}


class BackupOpsTest(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(PROBE):
            self.fail("restype_probe not found: set CAIRN_TEST_TOOLS to the build's tests/ dir")
        # Through the proxy: selections and plan updates live in the harness, not in moto.
        self.backup = self.emu.boto3_client("backup", via_proxy=True)
        self.efs = self.emu.boto3_client("efs")

    # -- driving the probe

    def probe(self, *args, ok=True):
        r = subprocess.run([PROBE, *map(str, args)], env=self.emu.env(), capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
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
        return self.probe("read", stack)[0]

    def of_type(self, live, rtype):
        return [x for x in live if x["type"] == rtype]

    def file_system(self, token):
        return self.efs.create_file_system(CreationToken=token, Encrypted=True)["FileSystemArn"]

    def build(self, stack, tags=None):
        """The seed's backup-plan template instance: vault, plan, selection of two file
        systems."""
        name = stack + "-backup"
        fs = [self.file_system(stack + "-prometheus"), self.file_system(stack + "-grafana")]
        o = {"vault": self.create(stack, "backup.vault", "backup.vault",
                                  {"name": name, "tags": tags or {}})}
        o["plan"] = self.create(stack, "backup.plan", "backup.plan",
                                {"name": name, "rules": [seed_rule(name)], "tags": tags or {}})
        o["selection"] = self.create(stack, "backup.selection", "backup.selection", {
            "name": name, "plan_id": o["plan"]["id"], "iam_role_arn": ROLE, "resources": fs})
        return o, fs

    # -- create

    def test_create_makes_vault_plan_and_selection_as_asked(self):
        stack = "bk-create"
        o, fs = self.build(stack, tags={"Project": "davidshaevel"})
        name = stack + "-backup"
        vault = [v for v in self.backup.list_backup_vaults()["BackupVaultList"]
                 if v["BackupVaultName"] == name][0]
        self.assertEqual(o["vault"]["id"], name)
        self.assertEqual(o["vault"]["attrs"]["arn"], vault["BackupVaultArn"])
        self.assertRegex(vault["CreatorRequestId"], r"^cairn-[0-9a-f]{16}$")
        self.assertEqual(self.backup.list_tags(ResourceArn=vault["BackupVaultArn"])["Tags"],
                         {"Project": "davidshaevel", "cairn:stack": stack,
                          "cairn:id": "backup.vault"})

        plan = self.backup.get_backup_plan(BackupPlanId=o["plan"]["id"])
        self.assertEqual(plan["BackupPlan"]["BackupPlanName"], name)
        rule = plan["BackupPlan"]["Rules"][0]
        self.assertEqual((rule["RuleName"], rule["ScheduleExpression"],
                          rule["TargetBackupVaultName"], rule["StartWindowMinutes"],
                          rule["CompletionWindowMinutes"], rule["Lifecycle"]),
                         ("daily", "cron(0 3 * * ? *)", name, 60, 180, {"DeleteAfterDays": 7}))
        self.assertRegex(plan["CreatorRequestId"], r"^cairn-[0-9a-f]{16}$")
        self.assertEqual(o["plan"]["attrs"]["version_id"], plan["VersionId"])
        self.assertEqual(o["plan"]["attrs"]["arn"], plan["BackupPlanArn"])
        tags = self.backup.list_tags(ResourceArn=plan["BackupPlanArn"])["Tags"]
        self.assertEqual(tags["cairn:id"], "backup.plan")

        sels = self.backup.list_backup_selections(BackupPlanId=o["plan"]["id"])
        self.assertEqual([s["SelectionId"] for s in sels["BackupSelectionsList"]],
                         [o["selection"]["id"]])
        self.assertRegex(sels["BackupSelectionsList"][0]["CreatorRequestId"],
                         r"^cairn-[0-9a-f]{16}$")
        sel = self.backup.get_backup_selection(BackupPlanId=o["plan"]["id"],
                                               SelectionId=o["selection"]["id"])
        self.assertEqual(sel["BackupSelection"], {"SelectionName": name, "IamRoleArn": ROLE,
                                                  "Resources": fs})
        self.assertEqual(o["selection"]["attrs"], {"id": o["selection"]["id"], "name": name,
                                                   "plan_id": o["plan"]["id"],
                                                   "iam_role_arn": ROLE, "resources": fs})

    def test_a_create_sent_again_adopts_instead_of_making_a_second(self):
        stack = "bk-again"
        o, fs = self.build(stack)
        name = stack + "-backup"
        self.emu.clear()
        vault = self.create(stack, "backup.vault", "backup.vault", {"name": name})
        plan = self.create(stack, "backup.plan", "backup.plan",
                           {"name": name, "rules": [seed_rule(name)]})
        sel = self.create(stack, "backup.selection", "backup.selection", {
            "name": name, "plan_id": o["plan"]["id"], "iam_role_arn": ROLE, "resources": fs})
        self.assertEqual((vault["id"], plan["id"], sel["id"]),
                         (o["vault"]["id"], o["plan"]["id"], o["selection"]["id"]))
        self.assertEqual(vault["attrs"]["arn"], o["vault"]["attrs"]["arn"])
        self.assertEqual(sel["attrs"], o["selection"]["attrs"])
        # The vault: AlreadyExistsException, then its tags say it is this resource's.
        self.assertEqual(counts(self.emu.calls), {
            "CreateBackupVault": 1, "DescribeBackupVault": 1, "ListTags": 1,
            # AWS answers the same CreatorRequestId with the same plan and selection.
            "CreateBackupPlan": 1, "CreateBackupSelection": 1})
        self.assertEqual(len([v for v in self.backup.list_backup_vaults()["BackupVaultList"]
                              if v["BackupVaultName"] == name]), 1)
        self.assertEqual(len([p for p in self.backup.list_backup_plans()["BackupPlansList"]
                              if p["BackupPlanName"] == name]), 1)
        self.assertEqual(len(self.backup.list_backup_selections(
            BackupPlanId=o["plan"]["id"])["BackupSelectionsList"]), 1)

    def test_a_plan_of_this_resource_made_by_an_earlier_request_is_adopted(self):
        """A plan of the name already made for this resource with another CreatorRequestId (the
        file changed between a crash and the next run): AlreadyExistsException, then adopted."""
        stack = "bk-earlier"
        name = stack + "-backup"
        earlier = self.backup.create_backup_plan(
            BackupPlan={"BackupPlanName": name,
                        "Rules": [{"RuleName": "daily", "TargetBackupVaultName": name}]},
            BackupPlanTags={"cairn:stack": stack, "cairn:id": "backup.plan"},
            CreatorRequestId="an-earlier-request")
        got = self.create(stack, "backup.plan", "backup.plan",
                          {"name": name, "rules": [seed_rule(name)]})
        self.assertEqual(got["id"], earlier["BackupPlanId"])
        # As AWS has it: the next plan brings the rules to the file's.
        self.assertEqual(got["attrs"]["rules"][0]["schedule"], "cron(0 5 ? * * *)")
        # Another resource's plan of that name is not taken over.
        _, r = self.probe("create", stack, "backup.plan", "other.plan",
                          json.dumps({"name": name, "rules": [seed_rule(name)]}), ok=False)
        self.assertIn("AlreadyExistsException", r.stderr)

    def test_a_selection_name_taken_in_the_plan_is_an_error(self):
        stack = "bk-selname"
        o, fs = self.build(stack)
        self.backup.create_backup_selection(BackupPlanId=o["plan"]["id"], BackupSelection={
            "SelectionName": "by-hand", "IamRoleArn": ROLE, "Resources": fs})
        objs, r = self.probe("create", stack, "backup.selection", "other.selection", json.dumps({
            "name": "by-hand", "plan_id": o["plan"]["id"], "iam_role_arn": ROLE,
            "resources": fs}), ok=False)
        self.assertEqual((r.returncode, objs), (1, []))
        self.assertIn("AlreadyExistsException", r.stderr)

    def test_a_name_taken_by_another_stack_is_an_error(self):
        self.build("bk-taken")
        objs, r = self.probe("create", "bk-other", "backup.vault", "backup.vault",
                             json.dumps({"name": "bk-taken-backup"}), ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(objs, [])
        self.assertIn("already exists and is not this resource's", r.stderr)
        self.assertIn("cairn:stack bk-taken", r.stderr)

    # -- read

    def test_read_finds_the_stack_with_few_calls(self):
        stack = "bk-read"
        o, fs = self.build(stack)
        # Around it: another stack's backups, a vault and a plan made without a
        # CreatorRequestId (not cairn's: their tags are not even asked for).
        self.build("bk-read-other")
        self.backup.create_backup_vault(BackupVaultName="console-vault")
        self.backup.create_backup_plan(BackupPlan={
            "BackupPlanName": "console-plan",
            "Rules": [{"RuleName": "r", "TargetBackupVaultName": "console-vault"}]})
        # What the reads ask tags for: every plan cairn made, whatever the stack.
        made_by_cairn = lambda items: len([x for x in items if x.get("CreatorRequestId")])  # noqa
        vaults = made_by_cairn(self.backup.list_backup_vaults()["BackupVaultList"])
        plans = made_by_cairn(self.backup.list_backup_plans()["BackupPlansList"])
        self.assertGreaterEqual((vaults, plans), (2, 2))
        self.emu.clear()
        live = self.read(stack)
        self.assertEqual(len(live), 3)
        for key, rtype in (("vault", "backup.vault"), ("plan", "backup.plan"),
                           ("selection", "backup.selection")):
            got = self.of_type(live, rtype)
            self.assertEqual(len(got), 1, rtype)
            # A create fills its object as a read does.
            self.assertEqual(got[0]["attrs"], o[key]["attrs"], rtype)
            self.assertEqual(got[0]["id"], o[key]["id"])
        self.assertEqual(self.of_type(live, "backup.plan")[0]["cairn_id"], "backup.plan")
        self.assertIsNone(self.of_type(live, "backup.selection")[0]["cairn_id"])
        self.assertEqual(self.of_type(live, "backup.plan")[0]["attrs"]["rules"],
                         [seed_rule(stack + "-backup")])
        # vault: ListBackupVaults, tags from the stack's one tagging pass (GetResources), and
        # ListTags for each vault cairn made that the pass does not list (another stack's, or
        # one the eventually consistent tagging API has not caught up with);
        # plan: ListBackupPlans + ListTags per plan cairn made (not console-plan) + GetBackupPlan
        # for the stack's one; selection: the same plans (those calls shared with the plan
        # read) + ListBackupSelections and GetBackupSelection for the stack's plan and
        # selection.
        self.assertEqual(counts(self.emu.calls), {
            "ListBackupVaults": 1, "ListBackupPlans": 1, "ListTags": plans + vaults - 1,
            "GetBackupPlan": 1, "ListBackupSelections": 1, "GetBackupSelection": 1})
        self.assertEqual(counts(self.emu.calls, "resourcegroupstaggingapi"), {"GetResources": 1})

    # -- update

    def test_update_plan_makes_a_new_version(self):
        stack = "bk-update"
        o, _ = self.build(stack)
        name = stack + "-backup"
        rules = [dict(seed_rule(name, days=14), schedule="cron(0 4 * * ? *)"),
                 {"name": "weekly", "target_vault": name, "schedule": "cron(0 5 ? * 1 *)",
                  "delete_after_days": 35}]
        self.emu.clear()
        objs, _ = self.probe("update", stack, "backup.plan", o["plan"]["id"], json.dumps(
            {"name": name, "rules": rules, "tags": {"Owner": "ops"}}), "rules", "tags")
        got = objs[0]["attrs"]
        self.assertNotEqual(got["version_id"], o["plan"]["attrs"]["version_id"])
        self.assertEqual(counts(self.emu.calls)["UpdateBackupPlan"], 1)
        self.assertEqual(counts(self.emu.calls)["TagResource"], 1)
        plan = self.backup.get_backup_plan(BackupPlanId=o["plan"]["id"])
        self.assertEqual(plan["VersionId"], got["version_id"])
        self.assertEqual(sorted((r["RuleName"], r["ScheduleExpression"],
                                 r["Lifecycle"]["DeleteAfterDays"])
                                for r in plan["BackupPlan"]["Rules"]),
                         [("daily", "cron(0 4 * * ? *)", 14), ("weekly", "cron(0 5 ? * 1 *)", 35)])
        self.assertEqual(self.backup.list_tags(ResourceArn=plan["BackupPlanArn"])["Tags"]["Owner"],
                         "ops")
        # The read sees what the update left; the defaults AWS filled in are spelled out.
        live = self.of_type(self.read(stack), "backup.plan")[0]["attrs"]
        self.assertEqual(live["version_id"], got["version_id"])
        weekly = [r for r in live["rules"] if r["name"] == "weekly"][0]
        self.assertEqual((weekly["start_window_minutes"], weekly["completion_window_minutes"]),
                         (480, 10080))

    def test_update_vault_tags_keeps_the_ownership_tags(self):
        stack = "bk-tags"
        o, _ = self.build(stack, tags={"Team": "a", "Gone": "x"})
        self.probe("update", stack, "backup.vault", o["vault"]["id"],
                   json.dumps({"name": stack + "-backup", "tags": {"Team": "b"}}), "tags")
        self.assertEqual(self.backup.list_tags(ResourceArn=o["vault"]["attrs"]["arn"])["Tags"],
                         {"Team": "b", "cairn:stack": stack, "cairn:id": "backup.vault"})
        _, r = self.probe("update", stack, "backup.selection", o["selection"]["id"],
                          json.dumps({"name": "x"}), "name", ok=False)
        self.assertIn("cannot change in place", r.stderr)

    # -- remove

    def test_remove_deletes_and_a_second_remove_is_no_error(self):
        stack = "bk-remove"
        o, _ = self.build(stack)
        for key, rtype in (("selection", "backup.selection"), ("plan", "backup.plan"),
                           ("vault", "backup.vault")):
            self.probe("remove", stack, rtype, o[key]["id"])
        self.assertEqual(self.read(stack), [])
        self.assertNotIn(stack + "-backup", [v["BackupVaultName"] for v in
                                             self.backup.list_backup_vaults()["BackupVaultList"]])

    def test_remove_of_something_already_gone_succeeds(self):
        """A run interrupted after AWS deleted: the delete's ResourceNotFoundException is
        success."""
        stack = "bk-gone"
        o, _ = self.build(stack)
        ops = ("DeleteBackupSelection", "DeleteBackupPlan", "DeleteBackupVault")
        before = {op: self.emu.proxy.handlers.get(("backup", op)) for op in ops}
        gone = lambda call: backupgaps._not_found("not there")  # noqa: E731
        try:
            for op in ops:
                self.emu.intercept("backup", op, gone)
            for key, rtype in (("selection", "backup.selection"), ("plan", "backup.plan"),
                               ("vault", "backup.vault")):
                self.probe("remove", stack, rtype, o[key]["id"])
        finally:
            for op, handler in before.items():
                self.emu.intercept("backup", op, handler)

    def test_remove_says_why_a_vault_with_recovery_points_stays(self):
        stack = "bk-points"
        o, fs = self.build(stack)
        backupgaps.backup_now(self.emu, stack + "-backup", fs[0])
        backupgaps.backup_now(self.emu, stack + "-backup", fs[1])
        self.probe("remove", stack, "backup.selection", o["selection"]["id"])
        self.probe("remove", stack, "backup.plan", o["plan"]["id"])
        _, r = self.probe("remove", stack, "backup.vault", o["vault"]["id"], ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("holds recovery points, and this one holds 2", r.stderr)
        self.assertEqual(len(self.of_type(self.read(stack), "backup.vault")), 1)

    def test_remove_plan_with_a_selection_cairn_does_not_manage(self):
        stack = "bk-foreign"
        o, fs = self.build(stack)
        self.backup.create_backup_selection(BackupPlanId=o["plan"]["id"], BackupSelection={
            "SelectionName": "by-hand", "IamRoleArn": ROLE, "Resources": fs[:1]})
        self.probe("remove", stack, "backup.selection", o["selection"]["id"])
        _, r = self.probe("remove", stack, "backup.plan", o["plan"]["id"], ok=False)
        self.assertIn("only once it has no selections", r.stderr)
        # The hand-made selection is found through the stack's plan (an extra the plan deletes).
        sels = self.of_type(self.read(stack), "backup.selection")
        self.assertEqual([s["attrs"]["name"] for s in sels], ["by-hand"])


class BackupGapsTest(cairnharness.CairnTestCase):
    """The operations the harness adds to moto answer as AWS does, parsed by botocore."""

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.b = self.emu.boto3_client("backup", via_proxy=True)
        self.efs = self.emu.boto3_client("efs")

    def plan(self, name, **kw):
        return self.b.create_backup_plan(BackupPlan={
            "BackupPlanName": name,
            "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "v"}]}, **kw)

    def test_plan_name_of_a_deleted_plan_can_be_used_again(self):
        first = self.plan("p")
        self.b.delete_backup_plan(BackupPlanId=first["BackupPlanId"])
        second = self.plan("p")
        self.assertNotEqual(first["BackupPlanId"], second["BackupPlanId"])
        self.assertEqual(self.b.get_backup_plan(
            BackupPlanId=second["BackupPlanId"])["BackupPlan"]["BackupPlanName"], "p")
        plans = self.b.list_backup_plans()["BackupPlansList"]
        self.assertEqual([p["BackupPlanName"] for p in plans], ["p"])
        with self.assertRaises(self.b.exceptions.AlreadyExistsException):
            self.plan("p")

    def test_update_backup_plan(self):
        made = self.plan("p", CreatorRequestId="req-1")
        again = self.plan("p", CreatorRequestId="req-1")
        self.assertEqual(again["BackupPlanId"], made["BackupPlanId"])
        rule_id = self.b.get_backup_plan(
            BackupPlanId=made["BackupPlanId"])["BackupPlan"]["Rules"][0]["RuleId"]
        up = self.b.update_backup_plan(BackupPlanId=made["BackupPlanId"], BackupPlan={
            "BackupPlanName": "p2", "Rules": [{"RuleName": "daily", "TargetBackupVaultName": "v",
                                               "Lifecycle": {"DeleteAfterDays": 9}}]})
        got = self.b.get_backup_plan(BackupPlanId=made["BackupPlanId"])
        self.assertEqual((got["VersionId"], got["BackupPlan"]["BackupPlanName"]),
                         (up["VersionId"], "p2"))
        self.assertEqual(got["BackupPlan"]["Rules"][0]["RuleId"], rule_id)
        self.assertEqual(got["BackupPlan"]["Rules"][0]["Lifecycle"], {"DeleteAfterDays": 9})
        with self.assertRaises(self.b.exceptions.ResourceNotFoundException):
            self.b.get_backup_plan(BackupPlanId=made["BackupPlanId"],
                                   VersionId=made["VersionId"])
        with self.assertRaises(self.b.exceptions.ResourceNotFoundException):
            self.b.update_backup_plan(BackupPlanId="nope", BackupPlan={
                "BackupPlanName": "x", "Rules": [{"RuleName": "r", "TargetBackupVaultName": "v"}]})

    def test_selections(self):
        plan = self.plan("p")["BackupPlanId"]
        sel = {"SelectionName": "s", "IamRoleArn": "arn:aws:iam::123456789012:role/r",
               "Resources": ["arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-1"]}
        made = self.b.create_backup_selection(BackupPlanId=plan, BackupSelection=sel,
                                              CreatorRequestId="t")
        again = self.b.create_backup_selection(BackupPlanId=plan, BackupSelection=sel,
                                               CreatorRequestId="t")
        self.assertEqual(made["SelectionId"], again["SelectionId"])
        with self.assertRaises(self.b.exceptions.AlreadyExistsException):
            self.b.create_backup_selection(BackupPlanId=plan, BackupSelection=sel)
        with self.assertRaises(self.b.exceptions.ResourceNotFoundException):
            self.b.create_backup_selection(BackupPlanId="nope", BackupSelection=sel)
        got = self.b.get_backup_selection(BackupPlanId=plan, SelectionId=made["SelectionId"])
        self.assertEqual(got["BackupSelection"], sel)
        listed = self.b.list_backup_selections(BackupPlanId=plan)["BackupSelectionsList"]
        self.assertEqual([(s["SelectionName"], s["CreatorRequestId"]) for s in listed],
                         [("s", "t")])
        with self.assertRaises(self.b.exceptions.InvalidRequestException):
            self.b.delete_backup_plan(BackupPlanId=plan)
        self.b.delete_backup_selection(BackupPlanId=plan, SelectionId=made["SelectionId"])
        with self.assertRaises(self.b.exceptions.ResourceNotFoundException):
            self.b.get_backup_selection(BackupPlanId=plan, SelectionId=made["SelectionId"])
        self.b.delete_backup_plan(BackupPlanId=plan)

    def backed_up(self):
        self.b.create_backup_vault(BackupVaultName="v")
        fs = self.efs.create_file_system(CreationToken="src", Encrypted=True,
                                         PerformanceMode="generalPurpose",
                                         Tags=[{"Key": "Name", "Value": "prometheus-data"}])
        job = self.b.start_backup_job(BackupVaultName="v", ResourceArn=fs["FileSystemArn"],
                                      IamRoleArn="arn:aws:iam::123456789012:role/r",
                                      IdempotencyToken="once", Lifecycle={"DeleteAfterDays": 7})
        return fs, job

    def test_backup_jobs_and_recovery_points(self):
        fs, job = self.backed_up()
        again = self.b.start_backup_job(BackupVaultName="v", ResourceArn=fs["FileSystemArn"],
                                        IamRoleArn="arn:aws:iam::123456789012:role/r",
                                        IdempotencyToken="once")
        self.assertEqual(again["BackupJobId"], job["BackupJobId"])
        self.assertEqual(self.b.describe_backup_job(BackupJobId=job["BackupJobId"])["State"],
                         "COMPLETED")
        second = backupgaps.backup_now(self.emu, "v", fs["FileSystemArn"])
        by_vault = self.b.list_recovery_points_by_backup_vault(BackupVaultName="v")
        self.assertEqual([p["RecoveryPointArn"] for p in by_vault["RecoveryPoints"]],
                         [second, job["RecoveryPointArn"]])  # newest first
        by_res = self.b.list_recovery_points_by_resource(ResourceArn=fs["FileSystemArn"])
        self.assertEqual(len(by_res["RecoveryPoints"]), 2)
        page = self.b.list_recovery_points_by_backup_vault(BackupVaultName="v", MaxResults=1)
        self.assertEqual(len(page["RecoveryPoints"]), 1)
        self.assertIn("NextToken", page)
        rp = self.b.describe_recovery_point(BackupVaultName="v",
                                            RecoveryPointArn=job["RecoveryPointArn"])
        self.assertEqual((rp["Status"], rp["ResourceType"], rp["IsEncrypted"], rp["ResourceName"]),
                         ("COMPLETED", "EFS", True, "prometheus-data"))
        self.assertIn("DeleteAt", rp["CalculatedLifecycle"])
        self.assertEqual([v["NumberOfRecoveryPoints"] for v in
                          self.b.list_backup_vaults()["BackupVaultList"]], [2])
        meta = self.b.get_recovery_point_restore_metadata(
            BackupVaultName="v", RecoveryPointArn=job["RecoveryPointArn"])["RestoreMetadata"]
        self.assertEqual(meta["file-system-id"], fs["FileSystemId"])
        self.assertEqual((meta["Encrypted"], meta["CreationToken"], meta["newFileSystem"]),
                         ("true", "src", "false"))
        with self.assertRaises(self.b.exceptions.InvalidRequestException):
            self.b.delete_backup_vault(BackupVaultName="v")
        for arn in (second, job["RecoveryPointArn"]):
            self.b.delete_recovery_point(BackupVaultName="v", RecoveryPointArn=arn)
        with self.assertRaises(self.b.exceptions.ResourceNotFoundException):
            self.b.describe_recovery_point(BackupVaultName="v", RecoveryPointArn=second)
        self.b.delete_backup_vault(BackupVaultName="v")
        with self.assertRaises(self.b.exceptions.ResourceNotFoundException):
            self.b.start_backup_job(BackupVaultName="v", ResourceArn=fs["FileSystemArn"],
                                    IamRoleArn="arn:aws:iam::123456789012:role/r")
        self.b.create_backup_vault(BackupVaultName="w")
        with self.assertRaises(self.b.exceptions.InvalidParameterValueException):
            self.b.start_backup_job(BackupVaultName="w", IamRoleArn="arn:aws:iam::1:role/r",
                                    ResourceArn="arn:aws:dynamodb:us-east-1:123456789012:table/t")

    def test_restore_to_a_new_file_system(self):
        fs, job = self.backed_up()
        meta = self.b.get_recovery_point_restore_metadata(
            BackupVaultName="v", RecoveryPointArn=job["RecoveryPointArn"])["RestoreMetadata"]
        backupgaps.set_restore_polls(self.emu, 2)
        try:
            started = self.b.start_restore_job(
                RecoveryPointArn=job["RecoveryPointArn"], ResourceType="EFS",
                IamRoleArn="arn:aws:iam::123456789012:role/r", IdempotencyToken="dr-1",
                CopySourceTagsToRestoredResource=True,
                Metadata=dict(meta, newFileSystem="true", CreationToken="restored"))
        finally:
            backupgaps.set_restore_polls(self.emu, 0)
        states = [self.b.describe_restore_job(RestoreJobId=started["RestoreJobId"])
                  for _ in range(3)]
        self.assertEqual([s["Status"] for s in states], ["RUNNING", "RUNNING", "COMPLETED"])
        done = states[-1]
        new = [f for f in self.efs.describe_file_systems()["FileSystems"]
               if f["CreationToken"] == "restored"][0]
        self.assertEqual(done["CreatedResourceArn"], new["FileSystemArn"])
        self.assertEqual((new["Encrypted"], new["PerformanceMode"], new.get("Name")),
                         (True, "generalPurpose", "prometheus-data"))
        self.assertEqual(done["SourceResourceArn"], fs["FileSystemArn"])
        directory = backupgaps.restore_directory(self.emu, started["RestoreJobId"])
        self.assertRegex(directory, r"^aws-backup-restore_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d$")
        self.assertEqual(directory, "aws-backup-restore_" + done["CreationDate"].astimezone(
            datetime.timezone.utc).strftime("%Y-%m-%dT%H-%M-%S"))
        again = self.b.start_restore_job(RecoveryPointArn=job["RecoveryPointArn"],
                                         IdempotencyToken="dr-1", Metadata=meta)
        self.assertEqual(again["RestoreJobId"], started["RestoreJobId"])
        listed = self.b.list_restore_jobs(ByStatus="COMPLETED")["RestoreJobs"]
        self.assertEqual([j["RestoreJobId"] for j in listed], [started["RestoreJobId"]])

    def test_restore_into_the_file_system_and_refusals(self):
        fs, job = self.backed_up()
        meta = self.b.get_recovery_point_restore_metadata(
            BackupVaultName="v", RecoveryPointArn=job["RecoveryPointArn"])["RestoreMetadata"]
        same = self.b.start_restore_job(RecoveryPointArn=job["RecoveryPointArn"], Metadata=meta)
        got = self.b.describe_restore_job(RestoreJobId=same["RestoreJobId"])
        self.assertEqual((got["Status"], got["CreatedResourceArn"]),
                         ("COMPLETED", fs["FileSystemArn"]))
        # A new file system with the source's CreationToken: EFS refuses, the job fails.
        clash = self.b.start_restore_job(RecoveryPointArn=job["RecoveryPointArn"],
                                         Metadata=dict(meta, newFileSystem="true"))
        got = self.b.describe_restore_job(RestoreJobId=clash["RestoreJobId"])
        self.assertEqual(got["Status"], "FAILED")
        self.assertIn("FileSystemAlreadyExists", got["StatusMessage"])
        with self.assertRaises(self.b.exceptions.InvalidParameterValueException):
            self.b.start_restore_job(RecoveryPointArn=job["RecoveryPointArn"],
                                     Metadata=dict(meta, Encrypted="false", KmsKeyId="k"))
        with self.assertRaises(self.b.exceptions.InvalidParameterValueException):
            self.b.start_restore_job(RecoveryPointArn=job["RecoveryPointArn"], Metadata={})
        with self.assertRaises(self.b.exceptions.ResourceNotFoundException):
            self.b.start_restore_job(RecoveryPointArn=job["RecoveryPointArn"] + "0",
                                     Metadata=meta)
        with self.assertRaises(self.b.exceptions.ResourceNotFoundException):
            self.b.describe_restore_job(RestoreJobId="nope")

    def test_reset_forgets_what_the_gaps_remember(self):
        self.backed_up()
        self.emu.reset()
        self.assertEqual(backupgaps.state_of(self.emu).recovery_points, {})
        self.b.create_backup_vault(BackupVaultName="v")
        self.assertEqual(self.b.list_recovery_points_by_backup_vault(
            BackupVaultName="v")["RecoveryPoints"], [])
        self.b.delete_backup_vault(BackupVaultName="v")


if __name__ == "__main__":
    unittest.main()
