"""cairn restore on the seed stack (issue #7): an EFS volume brought back from an AWS Backup
recovery point, the stack re-pointed onto it, drift 0 after; cut short and run again; a file
system restored by hand adopted; the requests it refuses.

The emulator's AWS Backup (cairnharness/backupgaps.py) makes recovery points at once
(backup_now) and restore jobs that make a real file system in moto, RUNNING for
set_restore_polls() DescribeRestoreJob calls.
"""
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import cairnharness
from cairnharness import backupgaps

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
SEED = os.path.join(SOURCE, "stacks", "dev-davidshaevel.yaml")
STACK = "dev-davidshaevel"
VAULT = f"{STACK}-backup"
CLUSTER = f"{STACK}-cluster"


class KillAfter:
    """Intercept handler: the call goes through as usual (to the gap's handler, else moto),
    and from the n-th on each is held until the test has killed cairn: AWS did it, cairn never
    saw the answer."""

    def __init__(self, prev, n=1):
        self.prev, self.n, self.count = prev, n, 0
        self.lock = threading.Lock()
        self.arrived = threading.Event()
        self.killed = threading.Event()

    def __call__(self, call):
        answer = self.prev(call) if self.prev else None
        if answer is None:
            answer = call.forward()
        with self.lock:
            self.count += 1
            if self.count < self.n:
                return answer
        self.arrived.set()
        self.killed.wait(timeout=60)
        return (503, [], b"")


def quiet_dead_clients(emu):
    """Keep the proxy from printing a traceback for each answer written to the killed process.
    Returns the function that undoes it."""
    server = getattr(emu.proxy, "_server", None)
    if server is None:
        return lambda: None
    loud = server.handle_error

    def handle_error(request, address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            loud(request, address)
    server.handle_error = handle_error
    return lambda: setattr(server, "handle_error", loud)


class Restore(cairnharness.CairnTestCase):
    maxDiff = None

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.workdir = tempfile.mkdtemp(prefix="cairn-restore-")
        self.run_cairn("up", SEED, "--yes")
        self.serve()

    def services(self):
        """Every ECS service of the stack: name -> description."""
        arns = self.aws("ecs", "list-services", "--cluster", CLUSTER)["serviceArns"]
        return {s["serviceName"]: s for s in self.aws("ecs", "describe-services", "--cluster",
                                                      CLUSTER, "--services", *arns)["services"]}

    def serve(self, only=None):
        """What the tasks would do in AWS, which moto's ECS does not: register in Cloud Map and
        with their target groups, desiredCount each (instance IDs are stable: again is a
        no-op)."""
        sd = self.emu.boto3_client("servicediscovery")
        elb = self.emu.boto3_client("elbv2")
        for name, svc in self.services().items():
            if only and name != f"{STACK}-{only}":
                continue
            for i in range(svc["desiredCount"]):
                ip = f"10.0.{len(name)}.{i + 10}"
                for reg in svc.get("serviceRegistries", []):
                    sd.register_instance(ServiceId=reg["registryArn"].split("/")[-1],
                                         InstanceId=f"task-{i}",
                                         Attributes={"AWS_INSTANCE_IPV4": ip})
                for lb in svc.get("loadBalancers", []):
                    elb.register_targets(TargetGroupArn=lb["targetGroupArn"],
                                         Targets=[{"Id": ip, "Port": lb["containerPort"]}])

    def unserve(self, service):
        """The service's tasks gone from Cloud Map (they crash on start, say)."""
        sd = self.emu.boto3_client("servicediscovery")
        for reg in self.services()[f"{STACK}-{service}"].get("serviceRegistries", []):
            sid = reg["registryArn"].split("/")[-1]
            for inst in sd.list_instances(ServiceId=sid)["Instances"]:
                sd.deregister_instance(ServiceId=sid, InstanceId=inst["Id"])

    def run_cairn(self, *args, ok=(0,)):
        r = self.cairn(*args, timeout=900, cwd=self.workdir)
        self.assertIn(r.returncode, ok, f"cairn {' '.join(args)}:\n{r.stdout}\n{r.stderr}")
        return r

    def aws(self, *args):
        r = subprocess.run(["aws", "--output", "json", *args], env=self.emu.env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    # --- views ----------------------------------------------------------------------------

    def file_systems(self):
        """Every file system: id -> tags."""
        return {f["FileSystemId"]: {t["Key"]: t["Value"] for t in f.get("Tags", [])}
                for f in self.aws("efs", "describe-file-systems")["FileSystems"]}

    def volume_fs(self, volume):
        """The file system (id, ARN) tagged as the volume's."""
        fss = [f for f in self.aws("efs", "describe-file-systems")["FileSystems"]
               if {"Key": "cairn:id", "Value": f"{volume}.file_system"} in f.get("Tags", [])
               and {"Key": "cairn:stack", "Value": STACK} in f.get("Tags", [])]
        self.assertEqual(len(fss), 1, fss)
        return fss[0]["FileSystemId"], fss[0]["FileSystemArn"]

    def task_volume(self, service):
        """The EFS volume configuration of the service's task definition."""
        svc = self.aws("ecs", "describe-services", "--cluster", CLUSTER, "--services",
                       f"{STACK}-{service}")["services"][0]
        td = self.aws("ecs", "describe-task-definition", "--task-definition",
                      svc["taskDefinition"])["taskDefinition"]
        vols = [v["efsVolumeConfiguration"] for v in td["volumes"] if "efsVolumeConfiguration" in v]
        self.assertEqual(len(vols), 1)
        return vols[0]

    def access_point(self, ap_id):
        return self.aws("efs", "describe-access-points", "--access-point-id",
                        ap_id)["AccessPoints"][0]

    def restore_jobs(self):
        return self.aws("backup", "list-restore-jobs")["RestoreJobs"]

    def assert_restored(self, service, volume, old_fs, uid, directory, root):
        new_fs, _ = self.volume_fs(volume)
        self.assertNotEqual(new_fs, old_fs)
        conf = self.task_volume(service)
        self.assertEqual(conf["fileSystemId"], new_fs)
        ap = self.access_point(conf["authorizationConfig"]["accessPointId"])
        self.assertEqual(ap["FileSystemId"], new_fs)
        self.assertEqual(ap["PosixUser"]["Uid"], uid)
        self.assertEqual(ap["RootDirectory"]["Path"], f"/{directory}{root}")
        tags = self.file_systems()
        self.assertIn(old_fs, tags, "the old file system is kept")
        self.assertNotIn("cairn:stack", tags[old_fs])
        self.assertTrue(tags[old_fs]["cairn:retired"].startswith(f"{STACK}/{volume}.file_system/"))
        self.assertEqual(tags[new_fs]["cairn:restore-dir"], directory)
        desc = self.aws("efs", "describe-file-systems", "--file-system-id",
                        new_fs)["FileSystems"][0]
        self.assertTrue(desc["Encrypted"])
        self.assertEqual(desc["PerformanceMode"], "generalPurpose")
        self.assertEqual(tags[new_fs]["Name"], f"{STACK}-{volume.replace('_', '-')}")
        mts = self.aws("efs", "describe-mount-targets", "--file-system-id", new_fs)["MountTargets"]
        self.assertEqual(len(mts), 2)
        # The backup selection covers the new file system.
        plans = [p for p in self.aws("backup", "list-backup-plans")["BackupPlansList"]
                 if p["BackupPlanName"] == f"{STACK}-backup"]
        sels = self.aws("backup", "list-backup-selections", "--backup-plan-id",
                        plans[0]["BackupPlanId"])["BackupSelectionsList"]
        sel = self.aws("backup", "get-backup-selection", "--backup-plan-id", plans[0]["BackupPlanId"],
                       "--selection-id", sels[0]["SelectionId"])["BackupSelection"]
        self.assertIn(self.volume_fs(volume)[1], sel["Resources"])
        return new_fs

    def assert_in_sync(self):
        r = self.run_cairn("drift", SEED, ok=(0, 2))
        self.assertEqual(r.returncode, 0, r.stdout)

    # --- tests ----------------------------------------------------------------------------

    def test_restore_both_volumes(self):
        # Refused: an unknown volume, a volume with no recovery point.
        r = self.run_cairn("restore", SEED, "--volume", "nope", "--yes", ok=(1,))
        self.assertIn("no such EFS volume", r.stderr)
        self.assertIn("prometheus_data", r.stderr)
        r = self.run_cairn("restore", SEED, "--volume", "grafana_data", "--yes", ok=(1,))
        self.assertIn("no completed recovery point", r.stderr)

        prom_fs, prom_arn = self.volume_fs("prometheus_data")
        graf_fs, graf_arn = self.volume_fs("grafana_data")
        older_rp = backupgaps.backup_now(self.emu, VAULT, prom_arn)
        time.sleep(1.2)
        between = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        time.sleep(1.2)
        prom_rp = backupgaps.backup_now(self.emu, VAULT, prom_arn)
        backupgaps.backup_now(self.emu, VAULT, graf_arn)

        # --before: the latest completed one created before then; a time it cannot read.
        r = self.run_cairn("restore", SEED, "--volume", "prometheus_data", "--plan", "--before",
                           between)
        self.assertIn(older_rp, r.stdout)
        self.assertNotIn(prom_rp, r.stdout)
        r = self.run_cairn("restore", SEED, "--volume", "prometheus_data", "--plan", "--before",
                           "yesterday", ok=(1,))
        self.assertIn("--before yesterday", r.stderr)

        # Refused: a recovery point of another file system.
        r = self.run_cairn("restore", SEED, "--volume", "grafana_data", "--recovery-point",
                           prom_rp, "--yes", ok=(1,))
        self.assertIn("not of", r.stderr)

        # --plan: the steps, no write.
        self.emu.clear()
        r = self.run_cairn("restore", SEED, "--volume", "prometheus_data", "--plan")
        self.assertIn(prom_rp, r.stdout)
        self.assertIn("Plan only", r.stdout)
        for line in (r"\+ prometheus_data\.mount_a \(efs\.mount_target\)",
                     r"\+ prometheus_data\.access_point \(efs\.access_point\)",
                     r'"path":"/aws-backup-restore_[^"]*/prometheus"',
                     r"-/\+ prometheus\.task \(ecs\.task_definition\)",
                     r"~ prometheus\.service \(ecs\.service\)",
                     r"\+ backup\.selection \(backup\.selection\)"):
            self.assertRegex(r.stdout, line)
        self.assertNotIn("grafana.task", r.stdout)
        self.assertEqual([c for c in self.emu.calls if c.is_write], [])

        backupgaps.set_restore_polls(self.emu, 2)
        r = self.run_cairn("restore", SEED, "--volume", "prometheus_data", "--yes")
        self.assertIn("Restore complete", r.stdout)
        self.assertIn("Data gap", r.stdout)
        self.assertIn("Verified", r.stdout)
        # Grafana's tasks do not come up: the restore is done, the check says what is short.
        self.unserve("grafana")
        r = self.run_cairn("restore", SEED, "--volume", "grafana_data", "--yes",
                           "--verify-timeout", "1", ok=(1,))
        self.assertIn("Restore complete", r.stdout)
        self.assertIn("grafana.service: 0 of 1 instances registered in Cloud Map", r.stderr)
        # Once they are, restore again only verifies.
        self.serve("grafana")
        r = self.run_cairn("restore", SEED, "--volume", "grafana_data", "--yes")
        self.assertIn("already the restored file system", r.stdout)
        self.assertIn("Verified", r.stdout)

        jobs = {j["SourceResourceArn"]: j["RestoreJobId"] for j in self.restore_jobs()}
        self.assertEqual(len(self.restore_jobs()), 2)
        self.assert_restored("prometheus", "prometheus_data", prom_fs, 65534,
                             backupgaps.restore_directory(self.emu, jobs[prom_arn]),
                             "/prometheus")
        self.assert_restored("grafana", "grafana_data", graf_fs, 472,
                             backupgaps.restore_directory(self.emu, jobs[graf_arn]), "/grafana")
        self.assert_in_sync()
        self.run_cairn("plan", SEED, "--detailed-exitcode")

        # Run again: nothing more (no second job, no change).
        self.emu.clear()
        r = self.run_cairn("restore", SEED, "--volume", "prometheus_data", "--yes")
        self.assertIn("already the restored file system", r.stdout)
        self.assertEqual(len(self.restore_jobs()), 2)
        self.assertEqual([c for c in self.emu.calls if c.is_write], [])

        # --delete-old: the retired file system, its access points and mount targets go; the
        # other volume's old one stays.
        self.assertEqual(self.file_systems()[prom_fs].get("cairn:stack"), None)
        r = self.run_cairn("restore", SEED, "--volume", "prometheus_data", "--yes",
                           "--delete-old")
        self.assertIn(f"deleted efs.file_system {prom_fs}", r.stdout)
        self.assertNotIn(prom_fs, self.file_systems())
        self.assertIn(graf_fs, self.file_systems())
        self.assertEqual([a for a in self.aws("efs", "describe-access-points")["AccessPoints"]
                          if a["FileSystemId"] == prom_fs], [])
        self.assert_in_sync()
        r = self.run_cairn("restore", SEED, "--volume", "prometheus_data", "--yes",
                           "--delete-old")
        self.assertIn(f"{prom_fs} is already gone", r.stdout)
        self.assertEqual(self.emu.violations, [])

    def test_killed_and_run_again(self):
        _, prom_arn = self.volume_fs("prometheus_data")
        prom_fs, _ = self.volume_fs("prometheus_data")
        backupgaps.backup_now(self.emu, VAULT, prom_arn)
        backupgaps.set_restore_polls(self.emu, 3)
        handlers = self.emu.proxy.handlers
        self.addCleanup(quiet_dead_clients(self.emu))
        # Killed: waiting for the restore job; between retiring the old file system (its
        # access point's untag is the first UntagResource, its own the second) and tagging the
        # new one; while making the access points; while rolling the services. After each,
        # what AWS holds: the state the next run starts from.
        owners = []
        for service, op, n in (("backup", "DescribeRestoreJob", 1),
                               ("efs", "UntagResource", 2),
                               ("efs", "CreateAccessPoint", 1),
                               ("ecs", "UpdateService", 1)):
            k = KillAfter(handlers.get((service, op)), n)
            self.emu.intercept(service, op, k)
            p = subprocess.Popen([os.environ["CAIRN_BIN"], "restore", SEED, "--volume", "prometheus_data",
                                  "--yes"], env=self.emu.env(), cwd=self.workdir,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                self.assertTrue(k.arrived.wait(timeout=600), f"{op} never came")
                p.send_signal(signal.SIGKILL)
                p.wait(timeout=60)
            finally:
                k.killed.set()
                self.emu.intercept(service, op, k.prev)
            if op == "DescribeRestoreJob":
                # AWS forgets idempotency tokens after a while: the next run must find the
                # job without it.
                for job in backupgaps.state_of(self.emu).restore_jobs.values():
                    job.pop("_token", None)
            owners.append(sorted(fs for fs, tags in self.file_systems().items()
                                 if tags.get("cairn:id") == "prometheus_data.file_system"))
            self.assertEqual(len(self.restore_jobs()), 1)
        restored = [fs for fs in self.file_systems() if fs not in (prom_fs, self.volume_fs(
            "grafana_data")[0])]
        self.assertEqual(len(restored), 1)
        # The old file system until the take-over; none between its two halves; the new one.
        self.assertEqual(owners, [[prom_fs], [], restored, restored])
        r = self.run_cairn("restore", SEED, "--volume", "prometheus_data", "--yes")
        self.assertIn("Restore complete", r.stdout)
        jobs = self.restore_jobs()
        self.assertEqual(len(jobs), 1)
        self.assert_restored("prometheus", "prometheus_data", prom_fs, 65534,
                             backupgaps.restore_directory(self.emu, jobs[0]["RestoreJobId"]),
                             "/prometheus")
        self.assertEqual(len(self.file_systems()), 3)  # two volumes and the restored one
        self.assert_in_sync()

        # A file system restored by hand, adopted.
        graf_fs, graf_arn = self.volume_fs("grafana_data")
        rp = backupgaps.backup_now(self.emu, VAULT, graf_arn)
        backup = self.emu.boto3_client("backup", via_proxy=True)
        meta = backup.get_recovery_point_restore_metadata(BackupVaultName=VAULT,
                                                          RecoveryPointArn=rp)["RestoreMetadata"]
        meta.update(newFileSystem="true", CreationToken="by-hand")
        job = backup.start_restore_job(RecoveryPointArn=rp, Metadata=meta)["RestoreJobId"]
        while backup.describe_restore_job(RestoreJobId=job)["Status"] != "COMPLETED":
            pass
        made = backup.describe_restore_job(RestoreJobId=job)["CreatedResourceArn"]
        made_id = made.split("/")[-1]
        self.emu.clear()
        r = self.run_cairn("restore", SEED, "--volume", "grafana_data", "--file-system-id",
                           made_id, "--plan")
        self.assertIn(f'"path":"/{backupgaps.restore_directory(self.emu, job)}/grafana"',
                      r.stdout)
        self.assertEqual([c for c in self.emu.calls if c.is_write], [])
        r = self.run_cairn("restore", SEED, "--volume", "grafana_data", "--file-system-id",
                           made_id, "--yes")
        self.assertIn("Restore complete", r.stdout)
        self.assertEqual(self.assert_restored("grafana", "grafana_data", graf_fs, 472,
                                              backupgaps.restore_directory(self.emu, job),
                                              "/grafana"), made_id)
        self.assertEqual(len(self.restore_jobs()), 2)
        self.assert_in_sync()

        # Refused: a file system in another VPC.
        efs = self.emu.boto3_client("efs")
        ec2 = self.emu.boto3_client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.99.1.0/24")["Subnet"]["SubnetId"]
        other = efs.create_file_system(CreationToken="elsewhere", Encrypted=True)["FileSystemId"]
        efs.create_mount_target(FileSystemId=other, SubnetId=subnet)
        r = self.run_cairn("restore", SEED, "--volume", "grafana_data", "--file-system-id", other,
                           "--yes", ok=(1,))
        self.assertIn("not the stack's VPC", r.stderr)
        # Refused: one up would replace (not encrypted, as the file says), one the stack owns.
        plain = efs.create_file_system(CreationToken="plain")["FileSystemId"]
        r = self.run_cairn("restore", SEED, "--volume", "grafana_data", "--file-system-id", plain,
                           "--yes", ok=(1,))
        self.assertIn("cannot change in place", r.stderr)
        r = self.run_cairn("restore", SEED, "--volume", "grafana_data", "--file-system-id",
                           self.volume_fs("prometheus_data")[0], "--yes", ok=(1,))
        self.assertIn("belongs to stack dev-davidshaevel as prometheus_data.file_system", r.stderr)
        self.assertEqual(self.volume_fs("grafana_data")[0], made_id)
        self.assertEqual(self.emu.violations, [])
