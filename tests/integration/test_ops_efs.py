"""The EFS types' AWS calls (efs.file_system, efs.mount_target, efs.access_point,
efs.backup_policy), driven one at a time by tests/tools/restype_probe against moto behind the
strict validator and checked with boto3 talking to moto directly; the harness's emulation of
the backup policy calls moto lacks; and the seed's efs-volume template applied, planned and
destroyed whole by cairn.
"""
import collections
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from botocore.exceptions import ClientError

import cairnharness

PROBE = os.path.join(os.environ.get("CAIRN_TEST_TOOLS", ""), "restype_probe")
TEMPLATES = os.path.join(os.environ.get("CAIRN_SOURCE_DIR", ""), "templates")


def efs_counts(calls):
    """EFS calls by operation, and EC2's DescribeNetworkInterfaces (the mount targets' groups)."""
    return collections.Counter(c.operation for c in calls if c.service == "efs" or
                               c.operation == "DescribeNetworkInterfaces")


def answer(status, body, error=None):
    headers = [("Content-Type", "application/json")]
    if error:
        headers.append(("x-amzn-ErrorType", error))
    return status, headers, json.dumps(body).encode()


def efs_error(status, code, message="harness"):
    return answer(status, {"ErrorCode": code, "Message": message}, error=code)


class EfsOpsTest(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(PROBE):
            self.fail("restype_probe not found: set CAIRN_TEST_TOOLS to the build's tests/ dir")
        self.emu.reset()
        self.ec2 = self.emu.boto3_client("ec2")
        self.efs = self.emu.boto3_client("efs")

    def intercept(self, op, handler):
        """Answer op with handler for this test; the harness's own handler (a gap) after."""
        before = self.emu.proxy.handlers.get(("efs", op))
        self.emu.intercept("efs", op, handler)
        self.addCleanup(self.emu.intercept, "efs", op, before)

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

    def update(self, stack, rtype, oid, desired, *attrs):
        return self.probe("update", stack, rtype, oid, json.dumps(desired), *attrs)[0][0]

    def remove(self, stack, rtype, oid):
        self.probe("remove", stack, rtype, oid)

    # -- the seed's efs-volume template, one resource at a time

    def network(self, net):
        vpc = self.ec2.create_vpc(CidrBlock=net + ".0.0/16")["Vpc"]["VpcId"]
        subnets = [self.ec2.create_subnet(VpcId=vpc, CidrBlock="%s.%d.0/24" % (net, 11 + i),
                                          AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
                   for i, az in enumerate("ab")]
        sg = self.ec2.create_security_group(GroupName="efs-" + net, Description="EFS",
                                            VpcId=vpc)["GroupId"]
        return {"vpc": vpc, "subnets": subnets, "sg": sg}

    def fs_desired(self, stack, name):
        return {"encrypted": True, "performance_mode": "generalPurpose",
                "throughput_mode": "bursting", "lifecycle_policies": [],
                "tags": {"Name": "%s-%s" % (stack, name)}}

    def ap_desired(self, fs, stack, name, uid, path):
        # As the planner resolves ${param.uid}: a number, or text where a reference gave one.
        return {"file_system_id": fs, "posix_user": {"uid": uid, "gid": str(uid)},
                "root_directory": {"path": path, "creation_info": {
                    "owner_uid": uid, "owner_gid": uid, "permissions": "755"}},
                "tags": {"Name": "%s-%s" % (stack, name)}}

    def volume(self, stack, name, net, uid=65534, path="/prometheus"):
        """file_system, backup_policy, mount_a, mount_b, access_point, in the template's order."""
        o = {}
        fs = o["file_system"] = self.create(stack, "efs.file_system", name + ".file_system",
                                            self.fs_desired(stack, name))
        o["backup_policy"] = self.create(stack, "efs.backup_policy", name + ".backup_policy",
                                         {"file_system_id": fs["id"], "status": "DISABLED"})
        for i, m in enumerate(("mount_a", "mount_b")):
            o[m] = self.create(stack, "efs.mount_target", name + "." + m, {
                "file_system_id": fs["id"], "subnet_id": net["subnets"][i],
                "security_groups": [net["sg"]]})
        o["access_point"] = self.create(stack, "efs.access_point", name + ".access_point",
                                        self.ap_desired(fs["id"], stack, name, uid, path))
        return o

    def tags_of(self, rid):
        return {t["Key"]: t["Value"] for t in self.efs.list_tags_for_resource(
            ResourceId=rid)["Tags"]}

    # -- create

    def test_create_makes_the_volume_as_the_seed_asks(self):
        stack = "efs-create"
        net = self.network("10.40")
        o = self.volume(stack, "prometheus_data", net)
        fs = self.efs.describe_file_systems(FileSystemId=o["file_system"]["id"])["FileSystems"][0]
        self.assertTrue(fs["Encrypted"])
        self.assertEqual((fs["PerformanceMode"], fs["ThroughputMode"]),
                         ("generalPurpose", "bursting"))
        self.assertRegex(fs["CreationToken"], r"^cairn-[0-9a-f]{16}$")
        self.assertEqual(o["file_system"]["attrs"]["creation_token"], fs["CreationToken"])
        self.assertEqual(o["file_system"]["attrs"]["arn"], fs["FileSystemArn"])
        self.assertEqual(self.tags_of(fs["FileSystemId"]), {
            "Name": stack + "-prometheus_data", "cairn:stack": stack,
            "cairn:id": "prometheus_data.file_system"})
        self.assertEqual(self.efs.describe_lifecycle_configuration(
            FileSystemId=fs["FileSystemId"])["LifecyclePolicies"], [])

        mts = self.efs.describe_mount_targets(FileSystemId=fs["FileSystemId"])["MountTargets"]
        self.assertEqual(sorted(m["SubnetId"] for m in mts), sorted(net["subnets"]))
        for m in mts:
            self.assertEqual(self.efs.describe_mount_target_security_groups(
                MountTargetId=m["MountTargetId"])["SecurityGroups"], [net["sg"]])
        self.assertEqual(o["mount_a"]["attrs"]["security_groups"], [net["sg"]])
        self.assertEqual(o["mount_b"]["attrs"]["availability_zone_name"], "us-east-1b")

        ap = self.efs.describe_access_points(
            AccessPointId=o["access_point"]["id"])["AccessPoints"][0]
        self.assertEqual(ap["FileSystemId"], fs["FileSystemId"])
        self.assertEqual(ap["PosixUser"], {"Uid": 65534, "Gid": 65534})
        self.assertEqual(ap["RootDirectory"], {"Path": "/prometheus", "CreationInfo": {
            "OwnerUid": 65534, "OwnerGid": 65534, "Permissions": "755"}})
        self.assertRegex(ap["ClientToken"], r"^cairn-[0-9a-f]{16}$")
        self.assertEqual(self.tags_of(ap["AccessPointId"])["cairn:id"],
                         "prometheus_data.access_point")

        proxied = self.emu.boto3_client("efs", via_proxy=True)
        self.assertEqual(proxied.describe_backup_policy(FileSystemId=fs["FileSystemId"])[
            "BackupPolicy"], {"Status": "DISABLED"})
        self.assertEqual(o["backup_policy"]["id"], fs["FileSystemId"])
        self.assertEqual(o["backup_policy"]["attrs"]["status"], "DISABLED")

    def test_create_sends_tokens_and_tags_on_the_create_call(self):
        seen = {}

        def spy(op):
            def handler(call):
                seen[op] = call.params
            return handler

        for op in ("CreateFileSystem", "CreateAccessPoint", "CreateMountTarget"):
            self.intercept(op, spy(op))
        self.volume("efs-token", "data", self.network("10.41"))
        fs, ap = seen["CreateFileSystem"], seen["CreateAccessPoint"]
        self.assertRegex(fs["CreationToken"], r"^cairn-[0-9a-f]{16}$")
        self.assertRegex(ap["ClientToken"], r"^cairn-[0-9a-f]{16}$")
        self.assertNotEqual(fs["CreationToken"], ap["ClientToken"])
        self.assertIn({"Key": "cairn:id", "Value": "data.file_system"}, fs["Tags"])
        self.assertIn({"Key": "cairn:stack", "Value": "efs-token"}, ap["Tags"])
        # cairn's default: encrypted, whatever the API's is.
        self.assertIs(fs["Encrypted"], True)
        # The gid came as text (a resolved reference): sent as the number the API takes.
        self.assertEqual(ap["PosixUser"], {"Uid": 65534, "Gid": 65534})
        self.assertEqual(ap["RootDirectory"]["CreationInfo"]["Permissions"], "755")

    def test_create_again_adopts_instead_of_duplicating(self):
        stack = "efs-again"
        net = self.network("10.42")
        o = self.volume(stack, "data", net)
        # moto ignores CreateAccessPoint's ClientToken; AWS answers AccessPointAlreadyExists.
        made = {}

        def like_aws(call):
            token = call.params["ClientToken"]
            for ap in self.efs.describe_access_points()["AccessPoints"]:
                if ap.get("ClientToken") == token:
                    made["again"] = True
                    return efs_error(409, "AccessPointAlreadyExists")
            return None

        self.intercept("CreateAccessPoint", like_aws)
        self.emu.clear()
        again = self.volume(stack, "data", net)
        for k in o:
            self.assertEqual(again[k]["id"], o[k]["id"], k)
            self.assertEqual(again[k]["attrs"], o[k]["attrs"], k)
        self.assertTrue(made.get("again"))
        fs_id = o["file_system"]["id"]
        self.assertEqual(len(self.efs.describe_file_systems()["FileSystems"]), 1)
        self.assertEqual(len(self.efs.describe_mount_targets(FileSystemId=fs_id)["MountTargets"]),
                         2)
        self.assertEqual(len(self.efs.describe_access_points(FileSystemId=fs_id)["AccessPoints"]),
                         1)
        calls = efs_counts(self.emu.calls)
        # Each create met the one made before and looked it up: by creation token, in the file
        # system's mount targets, in its access points.
        self.assertEqual(calls["CreateFileSystem"], 1)
        self.assertEqual(calls["DescribeFileSystems"], 1)
        self.assertEqual(calls["CreateMountTarget"], 2)
        self.assertEqual(calls["DescribeMountTargets"], 2)
        self.assertEqual(calls["DescribeAccessPoints"], 1)

    def test_mount_target_in_another_subnet_of_the_zone_is_a_conflict(self):
        stack = "efs-conflict"
        net = self.network("10.43")
        fs = self.create(stack, "efs.file_system", "fs", self.fs_desired(stack, "fs"))
        self.create(stack, "efs.mount_target", "m1", {"file_system_id": fs["id"],
                                                      "subnet_id": net["subnets"][0]})
        other = self.ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.43.13.0/24",
                                       AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
        _, r = self.probe("create", stack, "efs.mount_target", "m2", json.dumps(
            {"file_system_id": fs["id"], "subnet_id": other}), ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("MountTargetConflict", r.stderr)

    def test_lifecycle_policies_wait_for_an_available_file_system(self):
        states = ["creating"]

        def still_creating(call):
            if "FileSystemId" not in call.params or not states:
                return None
            status, headers, body = call.forward()
            fs = json.loads(body)
            fs["FileSystems"][0]["LifeCycleState"] = states.pop()
            return answer(status, fs)

        self.intercept("DescribeFileSystems", still_creating)
        stack = "efs-lifecycle"
        desired = dict(self.fs_desired(stack, "fs"), lifecycle_policies=[
            {"transition_to_ia": "AFTER_30_DAYS",
             "transition_to_primary_storage_class": "AFTER_1_ACCESS"}])
        fs = self.create(stack, "efs.file_system", "fs", desired)
        self.assertEqual(efs_counts(self.emu.calls)["DescribeFileSystems"], 2)
        # One transition per policy, as AWS takes and answers them.
        self.assertEqual(self.efs.describe_lifecycle_configuration(
            FileSystemId=fs["id"])["LifecyclePolicies"],
            [{"TransitionToIA": "AFTER_30_DAYS"},
             {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"}])
        self.assertEqual(self.read(stack)[0]["attrs"]["lifecycle_policies"],
                         [{"transition_to_ia": "AFTER_30_DAYS"},
                          {"transition_to_primary_storage_class": "AFTER_1_ACCESS"}])

    # -- read

    def test_read_finds_both_volumes_with_calls_per_file_system(self):
        stack = "efs-read"
        net = self.network("10.44")
        vols = [self.volume(stack, "prometheus_data", net),
                self.volume(stack, "grafana_data", net, uid=472, path="/grafana")]
        other = self.volume("efs-other", "data", self.network("10.45"))
        self.emu.clear()
        live = self.read(stack)
        by_id = {(x["type"], x["id"]): x for x in live}
        self.assertEqual(len(by_id), len(live), "an object was read twice")
        made = {(x["type"], x["id"]): x for v in vols for x in v.values()}
        self.assertEqual(sorted(by_id), sorted(made))
        for key, obj in made.items():
            got = by_id[key]
            # Create fills its object with what read finds.
            self.assertEqual(got["attrs"], obj["attrs"], key)
            if obj["type"] in ("efs.mount_target", "efs.backup_policy"):
                self.assertIsNone(got["cairn_id"])  # untagged: matched by attributes
            else:
                self.assertEqual(got["cairn_id"], obj["cairn_id"])
        self.assertNotIn(other["file_system"]["id"], {k[1] for k in by_id})
        ap = by_id[("efs.access_point", vols[1]["access_point"]["id"])]["attrs"]
        self.assertEqual(ap["posix_user"], {"uid": 472, "gid": 472})
        self.assertEqual(ap["root_directory"], {"path": "/grafana", "creation_info": {
            "owner_uid": 472, "owner_gid": 472, "permissions": "755"}})
        fs = by_id[("efs.file_system", vols[0]["file_system"]["id"])]["attrs"]
        self.assertEqual(fs["tags"]["Name"], stack + "-prometheus_data")
        self.assertEqual(fs["lifecycle_policies"], [])
        # One DescribeFileSystems, shared by the types that read through the file systems,
        # then what the API forces per file system; one DescribeAccessPoints for the account;
        # the mount targets' groups with one DescribeNetworkInterfaces.
        self.assertEqual(efs_counts(self.emu.calls), {
            "DescribeFileSystems": 1, "DescribeLifecycleConfiguration": 2,
            "DescribeMountTargets": 2, "DescribeNetworkInterfaces": 1,
            "DescribeBackupPolicy": 2, "DescribeAccessPoints": 1})

    def test_access_points_are_read_per_file_system_if_aws_refuses_listing_all(self):
        stack = "efs-ap-fallback"
        net = self.network("10.52")
        vols = [self.volume(stack, "a", net), self.volume(stack, "b", net, uid=472, path="/b")]
        self.volume("efs-ap-other", "c", self.network("10.53"))

        def per_file_system_only(call):
            if "FileSystemId" in call.params or "AccessPointId" in call.params:
                return None
            return efs_error(400, "BadRequest", "give a file system or an access point")

        self.intercept("DescribeAccessPoints", per_file_system_only)
        self.emu.clear()
        aps = [x for x in self.read(stack) if x["type"] == "efs.access_point"]
        self.assertEqual(sorted(x["id"] for x in aps),
                         sorted(v["access_point"]["id"] for v in vols))
        self.assertEqual([x["attrs"] for x in sorted(aps, key=lambda x: x["cairn_id"])],
                         [v["access_point"]["attrs"] for v in vols])
        # The refused call, then one per file system of the stack.
        self.assertEqual(efs_counts(self.emu.calls)["DescribeAccessPoints"], 3)

    def test_read_pages_through_file_systems(self):
        stack = "efs-pages"
        made = {self.create(stack, "efs.file_system", "fs%d" % i,
                            self.fs_desired(stack, "fs%d" % i))["id"] for i in range(12)}
        self.emu.clear()
        live = [x for x in self.read(stack) if x["type"] == "efs.file_system"]
        self.assertEqual({x["id"] for x in live}, made)
        # moto pages by 10: two pages, shared by the three types that list file systems.
        self.assertEqual(efs_counts(self.emu.calls)["DescribeFileSystems"], 2)

    def test_read_leaves_out_what_is_being_deleted(self):
        stack = "efs-going"
        o = self.volume(stack, "data", self.network("10.46"))

        def deleting(key, listed):
            def handler(call):
                status, headers, body = call.forward()
                doc = json.loads(body)
                for x in doc.get(listed, []):
                    x["LifeCycleState"] = "deleting"
                return answer(status, doc)
            return handler

        self.intercept("DescribeMountTargets", deleting("mt", "MountTargets"))
        self.intercept("DescribeAccessPoints", deleting("ap", "AccessPoints"))
        live = self.read(stack)
        self.assertEqual(sorted(x["type"] for x in live),
                         ["efs.backup_policy", "efs.file_system"])
        self.doCleanups()  # the two intercepts above go; the file systems now look deleted
        self.intercept("DescribeFileSystems", deleting("fs", "FileSystems"))
        self.assertEqual([x["type"] for x in self.read(stack)], ["efs.access_point"])
        self.assertTrue(o)

    def test_mount_target_groups_fall_back_when_ec2_does_not_list_the_interface(self):
        stack = "efs-fallback"
        net = self.network("10.47")
        o = self.volume(stack, "data", net)
        eni = o["mount_a"]["attrs"]["network_interface_id"]
        # The interface of mount_a is gone from EC2's answer (deleted meanwhile, say).
        self.ec2.delete_network_interface(NetworkInterfaceId=eni)
        self.emu.clear()
        live = {x["id"]: x for x in self.read(stack)}
        self.assertEqual(live[o["mount_a"]["id"]]["attrs"]["security_groups"], [net["sg"]])
        self.assertEqual(live[o["mount_b"]["id"]]["attrs"]["security_groups"], [net["sg"]])
        self.assertEqual(efs_counts(self.emu.calls)["DescribeMountTargetSecurityGroups"], 1)

    # -- update

    def test_update_in_place(self):
        stack = "efs-update"
        net = self.network("10.48")
        o = self.volume(stack, "data", net)
        fs, ap, mt = o["file_system"], o["access_point"], o["mount_a"]

        # Tags: one added, one changed, one dropped; cairn's own stay.
        want = dict(self.fs_desired(stack, "data"), tags={"Name": "renamed", "Team": "obs"})
        got = self.update(stack, "efs.file_system", fs["id"], want, "tags")
        self.assertEqual(self.tags_of(fs["id"]), {"Name": "renamed", "Team": "obs",
                                                  "cairn:stack": stack,
                                                  "cairn:id": "data.file_system"})
        self.assertEqual(got["attrs"]["tags"], self.tags_of(fs["id"]))
        want["tags"] = {"Team": "obs"}
        self.update(stack, "efs.file_system", fs["id"], want, "tags")
        self.assertNotIn("Name", self.tags_of(fs["id"]))

        # Lifecycle policies, then none again.
        want["lifecycle_policies"] = [{"transition_to_ia": "AFTER_7_DAYS"}]
        got = self.update(stack, "efs.file_system", fs["id"], want, "lifecycle_policies")
        self.assertEqual(got["attrs"]["lifecycle_policies"], [{"transition_to_ia": "AFTER_7_DAYS"}])
        self.assertEqual(self.efs.describe_lifecycle_configuration(FileSystemId=fs["id"])[
            "LifecyclePolicies"], [{"TransitionToIA": "AFTER_7_DAYS"}])
        want["lifecycle_policies"] = []
        self.update(stack, "efs.file_system", fs["id"], want, "lifecycle_policies")
        self.assertEqual(self.efs.describe_lifecycle_configuration(FileSystemId=fs["id"])[
            "LifecyclePolicies"], [])

        # Throughput: UpdateFileSystem, which moto lacks; the validator checks the request.
        seen = []

        def update_fs(call):
            seen.append(call.params)
            doc = self.efs.describe_file_systems(FileSystemId=call.params["FileSystemId"])
            fs_doc = doc["FileSystems"][0]
            fs_doc.update(ThroughputMode=call.params["ThroughputMode"],
                          ProvisionedThroughputInMibps=call.params[
                              "ProvisionedThroughputInMibps"],
                          LifeCycleState="updating", CreationTime=0)
            fs_doc["SizeInBytes"].pop("Timestamp", None)
            fs_doc.pop("ResponseMetadata", None)
            return answer(202, fs_doc)

        self.intercept("UpdateFileSystem", update_fs)
        want.update(throughput_mode="provisioned", provisioned_throughput_in_mibps=128)
        got = self.update(stack, "efs.file_system", fs["id"], want, "throughput_mode",
                          "provisioned_throughput_in_mibps")
        self.assertEqual(seen, [{"FileSystemId": fs["id"], "ThroughputMode": "provisioned",
                                 "ProvisionedThroughputInMibps": 128}])
        self.assertEqual((got["attrs"]["throughput_mode"],
                          got["attrs"]["provisioned_throughput_in_mibps"]), ("provisioned", 128))

        # What cannot change in place says so and sends nothing.
        self.emu.clear()
        _, r = self.probe("update", stack, "efs.file_system", fs["id"],
                          json.dumps(dict(want, encrypted=False)), "encrypted", ok=False)
        self.assertIn("encrypted cannot change in place", r.stderr)
        self.assertFalse([c for c in self.emu.calls if c.is_write])

        # Mount target security groups.
        sg2 = self.ec2.create_security_group(GroupName="efs-2", Description="second",
                                             VpcId=net["vpc"])["GroupId"]
        got = self.update(stack, "efs.mount_target", mt["id"],
                          {"file_system_id": fs["id"], "subnet_id": net["subnets"][0],
                           "security_groups": [net["sg"], sg2]}, "security_groups")
        self.assertEqual(sorted(self.efs.describe_mount_target_security_groups(
            MountTargetId=mt["id"])["SecurityGroups"]), sorted([net["sg"], sg2]))
        live = {x["id"]: x for x in self.read(stack)}
        self.assertEqual(sorted(live[mt["id"]]["attrs"]["security_groups"]),
                         sorted([net["sg"], sg2]))
        self.assertEqual(got["attrs"]["security_groups"], [net["sg"], sg2])

        # Access point tags.
        want_ap = self.ap_desired(fs["id"], stack, "data", 65534, "/prometheus")
        want_ap["tags"] = {"Name": "ap"}
        self.update(stack, "efs.access_point", ap["id"], want_ap, "tags")
        self.assertEqual(self.tags_of(ap["id"])["Name"], "ap")
        self.assertEqual(self.tags_of(ap["id"])["cairn:stack"], stack)

        # Backup policy status.
        got = self.update(stack, "efs.backup_policy", fs["id"],
                          {"file_system_id": fs["id"], "status": "ENABLED"}, "status")
        self.assertEqual(got["attrs"]["status"], "ENABLED")
        self.assertEqual({x["type"]: x for x in self.read(stack)}["efs.backup_policy"]["attrs"][
            "status"], "ENABLED")

    # -- remove

    def test_remove_in_dependency_order_leaves_nothing(self):
        stack = "efs-remove"
        o = self.volume(stack, "data", self.network("10.49"))
        fs = o["file_system"]["id"]
        for k in ("access_point", "backup_policy", "mount_a", "mount_b", "file_system"):
            self.remove(stack, o[k]["type"], o[k]["id"])
        self.assertEqual(self.read(stack), [])
        self.assertEqual(self.efs.describe_access_points()["AccessPoints"], [])
        self.assertFalse([f for f in self.efs.describe_file_systems()["FileSystems"]
                          if f["FileSystemId"] == fs])
        # The mount targets' interfaces went with them.
        enis = self.ec2.describe_network_interfaces(Filters=[{
            "Name": "network-interface-id",
            "Values": [o[m]["attrs"]["network_interface_id"] for m in ("mount_a", "mount_b")]}])
        self.assertEqual(enis["NetworkInterfaces"], [])

    def test_backup_policy_removal_turns_backups_off(self):
        stack = "efs-bp"
        fs = self.create(stack, "efs.file_system", "fs", self.fs_desired(stack, "fs"))["id"]
        self.create(stack, "efs.backup_policy", "bp", {"file_system_id": fs, "status": "ENABLED"})
        self.remove(stack, "efs.backup_policy", fs)
        proxied = self.emu.boto3_client("efs", via_proxy=True)
        self.assertEqual(proxied.describe_backup_policy(FileSystemId=fs)["BackupPolicy"],
                         {"Status": "DISABLED"})

    def test_remove_waits_for_mount_targets_and_file_system(self):
        stack = "efs-wait"
        o = self.volume(stack, "data", self.network("10.50"))
        mt, fs = o["mount_a"]["id"], o["file_system"]["id"]
        deleting = {"mt": 1}

        def mt_deleting(call):
            # Right after DeleteMountTarget, AWS still lists it as "deleting".
            if call.params.get("MountTargetId") == mt and deleting["mt"]:
                deleting["mt"] -= 1
                return answer(200, {"MountTargets": [{
                    "MountTargetId": mt, "FileSystemId": fs,
                    "SubnetId": o["mount_a"]["attrs"]["subnet_id"],
                    "LifeCycleState": "deleting"}]})
            return None

        self.intercept("DescribeMountTargets", mt_deleting)
        self.emu.clear()
        self.remove(stack, "efs.mount_target", mt)
        calls = efs_counts(self.emu.calls)
        # The read's one, then "deleting", then MountTargetNotFound.
        self.assertEqual(calls["DescribeMountTargets"], 3)

        in_use = {"n": 2}

        def fs_in_use(call):
            if in_use["n"]:
                in_use["n"] -= 1
                return efs_error(409, "FileSystemInUse", "mount targets are deleting")
            return None

        self.intercept("DeleteFileSystem", fs_in_use)
        self.remove(stack, "efs.mount_target", o["mount_b"]["id"])
        self.emu.clear()
        self.remove(stack, "efs.file_system", fs)
        calls = efs_counts(self.emu.calls)
        self.assertEqual(calls["DeleteFileSystem"], 3)
        # The read's one, then FileSystemNotFound: gone.
        self.assertEqual(calls["DescribeFileSystems"], 2)
        self.assertFalse([f for f in self.efs.describe_file_systems()["FileSystems"]
                          if f["FileSystemId"] == fs])

    def test_remove_of_what_is_already_gone_succeeds(self):
        stack = "efs-gone"
        o = self.volume(stack, "data", self.network("10.51"))
        self.intercept("DeleteAccessPoint", lambda call: efs_error(404, "AccessPointNotFound"))
        self.intercept("DeleteMountTarget", lambda call: efs_error(404, "MountTargetNotFound"))
        self.intercept("DeleteFileSystem", lambda call: efs_error(404, "FileSystemNotFound"))
        self.intercept("PutBackupPolicy", lambda call: efs_error(404, "FileSystemNotFound"))
        # Said gone by the delete; the wait that follows finds them gone too.
        self.intercept("DescribeMountTargets", lambda call: efs_error(404, "MountTargetNotFound")
                       if "MountTargetId" in call.params else None)
        self.intercept("DescribeFileSystems", lambda call: efs_error(404, "FileSystemNotFound")
                       if "FileSystemId" in call.params else None)
        for k in ("access_point", "backup_policy", "mount_a", "file_system"):
            self.remove(stack, o[k]["type"], o[k]["id"])

    def test_remove_of_a_file_system_still_in_use_fails_with_the_reason(self):
        stack = "efs-in-use"
        fs = self.create(stack, "efs.file_system", "fs", self.fs_desired(stack, "fs"))["id"]
        self.intercept("DeleteFileSystem", lambda call: efs_error(400, "BadRequest", "no way"))
        _, r = self.probe("remove", stack, "efs.file_system", fs, ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("BadRequest", r.stderr)
        self.assertIn("no way", r.stderr)

    # -- the harness's backup policy emulation

    def test_backup_policy_gap_answers_as_botocore_expects(self):
        efs = self.emu.boto3_client("efs", via_proxy=True)
        fs = efs.create_file_system(CreationToken="gap-1")["FileSystemId"]
        backed = efs.create_file_system(CreationToken="gap-2", Backup=True)["FileSystemId"]
        self.assertEqual(efs.describe_backup_policy(FileSystemId=fs)["BackupPolicy"],
                         {"Status": "DISABLED"})
        self.assertEqual(efs.describe_backup_policy(FileSystemId=backed)["BackupPolicy"],
                         {"Status": "ENABLED"})
        put = efs.put_backup_policy(FileSystemId=fs, BackupPolicy={"Status": "ENABLED"})
        self.assertEqual(put["BackupPolicy"], {"Status": "ENABLED"})
        self.assertEqual(put["ResponseMetadata"]["HTTPStatusCode"], 200)
        arn = efs.describe_file_systems(FileSystemId=fs)["FileSystems"][0]["FileSystemArn"]
        self.assertEqual(efs.describe_backup_policy(FileSystemId=arn)["BackupPolicy"],
                         {"Status": "ENABLED"})
        efs.put_backup_policy(FileSystemId=backed, BackupPolicy={"Status": "DISABLED"})
        self.assertEqual(efs.describe_backup_policy(FileSystemId=backed)["BackupPolicy"],
                         {"Status": "DISABLED"})
        for call in (lambda: efs.describe_backup_policy(FileSystemId="fs-0123456789"),
                     lambda: efs.put_backup_policy(FileSystemId="fs-0123456789",
                                                   BackupPolicy={"Status": "ENABLED"})):
            with self.assertRaises(ClientError) as e:
                call()
            self.assertEqual(e.exception.response["Error"]["Code"], "FileSystemNotFound")
            self.assertEqual(e.exception.response["ResponseMetadata"]["HTTPStatusCode"], 404)
            self.assertIn("fs-0123456789", e.exception.response["Error"]["Message"])
        with self.assertRaises(ClientError) as e:
            efs.put_backup_policy(FileSystemId=fs, BackupPolicy={"Status": "ENABLING"})
        self.assertEqual(e.exception.response["Error"]["Code"], "ValidationException")
        # A deleted file system's policy is forgotten with it.
        efs.delete_file_system(FileSystemId=fs)
        with self.assertRaises(ClientError) as e:
            efs.describe_backup_policy(FileSystemId=fs)
        self.assertEqual(e.exception.response["Error"]["Code"], "FileSystemNotFound")


STACK = """\
stack: {stack}
region: us-east-1
tags:
  Project: cairn-tests

resources:
  vpc:
    type: ec2.vpc
    properties:
      cidr_block: 10.60.0.0/16
  private_a:
    type: ec2.subnet
    properties:
      vpc_id: ${{vpc.id}}
      cidr_block: 10.60.11.0/24
      availability_zone: ${{stack.region}}a
  private_b:
    type: ec2.subnet
    properties:
      vpc_id: ${{vpc.id}}
      cidr_block: 10.60.12.0/24
      availability_zone: ${{stack.region}}b
  efs_security_group:
    type: ec2.security_group
    properties:
      name: ${{stack.name}}-efs
      description: EFS mount targets
      vpc_id: ${{vpc.id}}
      ingress:
        - {{port: 2049, cidr_blocks: [10.60.0.0/16], description: NFS}}
  prometheus_data:
    template: efs-volume
    parameters:
      name: prometheus-data
      subnet_a: ${{private_a.id}}
      subnet_b: ${{private_b.id}}
      security_group_id: ${{efs_security_group.id}}
      uid: 65534
      gid: 65534
      root_path: /prometheus
      permissions: "{mode}"
  grafana_data:
    template: efs-volume
    parameters:
      name: grafana-data
      subnet_a: ${{private_a.id}}
      subnet_b: ${{private_b.id}}
      security_group_id: ${{efs_security_group.id}}
      uid: 472
      gid: 472
      root_path: /grafana
      permissions: "755"
"""


class EfsVolumeUp(cairnharness.CairnTestCase):
    """The seed's two volumes (efs-volume) on a small network: up, plan, destroy."""

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.dir = tempfile.mkdtemp(prefix="cairn-efs-")
        self.addCleanup(shutil.rmtree, self.dir)

    def write(self, stack, mode="755"):
        path = os.path.join(self.dir, stack + ".yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(STACK.format(stack=stack, mode=mode))
        return path

    def run_cairn(self, *args):
        return self.cairn(*args, "--template-dir", TEMPLATES)

    def test_up_plan_destroy(self):
        path = self.write("efs-up")
        # Mount targets and the file system answer "creating" once: up waits for them.
        efs = self.emu.boto3_client("efs")
        seen = collections.Counter()

        def creating_once(listed, key):
            def handler(call):
                one = call.params.get(key)
                if not one or seen[one]:
                    return None
                seen[one] += 1
                status, headers, body = call.forward()
                doc = json.loads(body)
                for x in doc.get(listed, []):
                    x["LifeCycleState"] = "creating"
                return answer(status, doc)
            return handler

        self.emu.intercept("efs", "DescribeMountTargets",
                           creating_once("MountTargets", "MountTargetId"))
        self.emu.intercept("efs", "DescribeFileSystems",
                           creating_once("FileSystems", "FileSystemId"))
        self.addCleanup(self.emu.intercept, "efs", "DescribeMountTargets", None)
        self.addCleanup(self.emu.intercept, "efs", "DescribeFileSystems", None)
        r = self.run_cairn("up", path, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Apply complete: 14 created", r.stdout)
        self.assertEqual(len(seen), 6)  # 2 file systems, 4 mount targets waited for

        fss = efs.describe_file_systems()["FileSystems"]
        self.assertEqual(len(fss), 2)
        names = sorted({t["Key"]: t["Value"] for t in f["Tags"]}["Name"] for f in fss)
        self.assertEqual(names, ["efs-up-grafana-data", "efs-up-prometheus-data"])
        for f in fss:
            self.assertTrue(f["Encrypted"])
            self.assertEqual(len(efs.describe_mount_targets(
                FileSystemId=f["FileSystemId"])["MountTargets"]), 2)
        users = sorted(a["PosixUser"]["Uid"] for a in efs.describe_access_points()["AccessPoints"])
        self.assertEqual(users, [472, 65534])

        # Right after up, nothing to do.
        r = self.run_cairn("plan", path, "--detailed-exitcode")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("14 unchanged", r.stdout)

        # "0755" is the mode AWS keeps as "755": still nothing to do.
        r = self.run_cairn("plan", self.write("efs-up", mode="0755"), "--detailed-exitcode")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        # A different mode replaces the access point (and only that).
        r = self.run_cairn("plan", self.write("efs-up", mode="750"), "--json",
                           "--detailed-exitcode")
        self.assertEqual(r.returncode, 2, r.stderr)
        changed = [a for a in json.loads(r.stdout)["actions"] if a["action"] != "no-op"]
        self.assertEqual([(a["resource"], a["action"]) for a in changed],
                         [("prometheus_data.access_point", "replace")])
        self.write("efs-up")

        r = self.run_cairn("destroy", path, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Destroy complete: 14 deleted", r.stdout)
        self.assertEqual(efs.describe_file_systems()["FileSystems"], [])
        self.assertEqual(efs.describe_access_points()["AccessPoints"], [])


if __name__ == "__main__":
    unittest.main()
