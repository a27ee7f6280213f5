"""Tests of the test harness itself: moto launcher, strict proxy, tools/emulator.

Bad requests are produced with boto3 clients that skip client-side validation
(Config(parameter_validation=False)), or as raw signed HTTP for what boto3
cannot send at all (unknown members, wrong list forms, unknown operations).
"""

import datetime
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path
from unittest import mock

import botocore.session
from botocore import parsers
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest, HeadersDict, create_request_object, prepare_request_dict
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError
from botocore.serialize import create_serializer
from botocore.utils import is_json_value_header

import cairnharness
from cairnharness.model import SIGNING_NAMES

SOURCE_DIR = Path(os.environ.get("CAIRN_SOURCE_DIR") or Path(__file__).resolve().parents[2])
TOOL = SOURCE_DIR / "tools" / "emulator"
FORM = "application/x-www-form-urlencoded; charset=utf-8"
PROTOCOL = {"ec2": "ec2", "iam": "query", "sts": "query", "elasticloadbalancing": "query",
            "ecs": "json", "logs": "json", "secretsmanager": "json", "servicediscovery": "json",
            "elasticfilesystem": "rest-json", "backup": "rest-json"}


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is dead for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def listening(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class ValidatorTest(unittest.TestCase):
    """Requests through one emulator: what passes, what is rejected, what is logged."""

    @classmethod
    def setUpClass(cls):
        cls.emu = cairnharness.Emulator().start()
        cls.addClassCleanup(cls.emu.stop)

    def setUp(self):
        self.emu.clear()

    def client(self, service):
        return self.emu.boto3_client(
            service, via_proxy=True,
            config=Config(parameter_validation=False, retries={"max_attempts": 1}),
        )

    def raw(self, signing_name, method, target, body=b"", headers=(), sign=True):
        """Send a hand-made request (SigV4-signed) to the proxy; return botocore's parse of it."""
        headers = dict(headers)
        if isinstance(body, str):
            body = body.encode()
        if sign:
            request = AWSRequest(method=method, url=self.emu.endpoint + target, data=body, headers=headers)
            SigV4Auth(Credentials("testing", "testing"), signing_name, "us-east-1").add_auth(request)
            headers = dict(request.headers.items())
        conn = http.client.HTTPConnection("127.0.0.1", self.emu.proxy.port, timeout=60)
        try:
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            parsed = parsers.create_parser(PROTOCOL[signing_name]).parse(
                {"status_code": response.status, "headers": HeadersDict(response.getheaders()),
                 "body": response.read()},
                None,
            )
        finally:
            conn.close()
        return parsed

    def query(self, signing_name, body):
        return self.raw(signing_name, "POST", "/", body, {"Content-Type": FORM})

    def json_call(self, signing_name, target, body, content_type="application/x-amz-json-1.1"):
        return self.raw(signing_name, "POST", "/", json.dumps(body) if isinstance(body, dict) else body,
                        {"X-Amz-Target": target, "Content-Type": content_type})

    def assertRejected(self, response, service, operation, *fragments):
        """The response is a StrictValidationError naming service, operation and fragments."""
        if callable(response):
            with self.assertRaises(ClientError) as cm:
                response()
            response = cm.exception.response
        self.assertEqual(response["ResponseMetadata"]["HTTPStatusCode"], 400, response)
        error = response["Error"]
        self.assertEqual(error["Code"], "StrictValidationError", error)
        self.assertIn(f"{service} {operation}: ", error["Message"])
        for fragment in fragments:
            self.assertIn(fragment, error["Message"])
        self.assertTrue(self.emu.violations, "the violation was not recorded")
        self.assertIn(f"{service} {operation}: ", self.emu.violations[-1])
        self.emu.clear()

    # -- (a) valid requests pass and reach moto

    def test_valid_read_per_service(self):
        cases = [
            ("ec2", "describe_vpcs", {"Filters": [{"Name": "vpc-id", "Values": ["vpc-1", "vpc-2"]}]}, "Vpcs", "DescribeVpcs"),
            ("sts", "get_caller_identity", {}, "Account", "GetCallerIdentity"),
            ("iam", "list_roles", {"MaxItems": 10}, "Roles", "ListRoles"),
            ("elbv2", "describe_load_balancers", {"PageSize": 5}, "LoadBalancers", "DescribeLoadBalancers"),
            ("ecs", "list_clusters", {"maxResults": 10}, "clusterArns", "ListClusters"),
            ("servicediscovery", "list_namespaces", {"Filters": [{"Name": "TYPE", "Values": ["DNS_PRIVATE"]}]}, "Namespaces", "ListNamespaces"),
            ("secretsmanager", "list_secrets", {"MaxResults": 10}, "SecretList", "ListSecrets"),
            ("logs", "describe_log_groups", {"logGroupNamePrefix": "/ecs/"}, "logGroups", "DescribeLogGroups"),
            ("efs", "describe_file_systems", {"MaxItems": 10}, "FileSystems", "DescribeFileSystems"),
            ("backup", "list_backup_vaults", {"MaxResults": 10}, "BackupVaultList", "ListBackupVaults"),
        ]
        for service, method, kwargs, key, operation in cases:
            with self.subTest(service=service):
                result = getattr(self.client(service), method)(**kwargs)
                self.assertIn(key, result)
        self.emu.assert_clean(self)
        self.assertEqual(self.emu.calls, [(s, op, False) for s, _, _, _, op in cases])

    def test_writes_pass_and_reach_moto(self):
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(
            CidrBlock="10.9.0.0/16",
            TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "cairn:stack", "Value": "t"}]}],
        )["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        direct = self.emu.boto3_client("ec2")  # bypasses the proxy: what moto holds
        self.assertEqual(direct.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"][0]["Value"], "t")

        iam = self.client("iam")
        iam.create_role(RoleName="harness-role", AssumeRolePolicyDocument="{}",
                        Tags=[{"Key": "cairn:id", "Value": "r1"}])
        self.assertEqual(self.emu.boto3_client("iam").get_role(RoleName="harness-role")["Role"]["Tags"],
                         [{"Key": "cairn:id", "Value": "r1"}])

        self.client("elbv2").create_target_group(Name="tg", Protocol="HTTP", Port=9090, VpcId=vpc,
                                                 TargetType="ip", HealthCheckPath="/-/ready")
        self.client("ecs").create_cluster(clusterName="harness", tags=[{"key": "k", "value": "v"}])
        self.assertIn("harness", str(self.emu.boto3_client("ecs").list_clusters()["clusterArns"]))
        self.client("logs").create_log_group(logGroupName="/ecs/harness", tags={"k": "v"})
        self.client("secretsmanager").create_secret(Name="harness/admin", SecretString="s3cret")
        self.client("servicediscovery").create_private_dns_namespace(Name="harness.local", Vpc=vpc)
        efs = self.client("efs")
        fs = efs.create_file_system(CreationToken="harness", Encrypted=True,
                                    Tags=[{"Key": "Name", "Value": "data"}])["FileSystemId"]
        efs.create_access_point(FileSystemId=fs, PosixUser={"Uid": 65534, "Gid": 65534},
                                RootDirectory={"Path": "/prometheus", "CreationInfo": {
                                    "OwnerUid": 65534, "OwnerGid": 65534, "Permissions": "755"}})
        efs.create_mount_target(FileSystemId=fs, SubnetId=subnet)
        self.assertEqual(len(self.emu.boto3_client("efs").describe_access_points(FileSystemId=fs)["AccessPoints"]), 1)
        backup = self.client("backup")
        backup.create_backup_vault(BackupVaultName="harness-vault")
        backup.create_backup_plan(BackupPlan={"BackupPlanName": "daily", "Rules": [{
            "RuleName": "daily", "TargetBackupVaultName": "harness-vault",
            "ScheduleExpression": "cron(0 3 * * ? *)", "Lifecycle": {"DeleteAfterDays": 7}}]})
        self.assertEqual(self.emu.boto3_client("backup").list_backup_plans()["BackupPlansList"][0]["BackupPlanName"], "daily")
        self.emu.assert_clean(self)

    def test_unsigned_sts_is_identified_by_action(self):
        sts = self.emu.boto3_client("sts", via_proxy=True)
        # botocore sends AssumeRoleWithWebIdentity unsigned, as real SDKs do.
        sts.assume_role_with_web_identity(RoleArn="arn:aws:iam::123456789012:role/ci",
                                          RoleSessionName="ci-run", WebIdentityToken="token-token")
        self.emu.assert_clean(self)
        self.assertEqual(self.emu.calls, [("sts", "AssumeRoleWithWebIdentity", False)])
        # An operation that needs a signature must have one.
        self.assertRejected(self.raw("sts", "POST", "/", "Action=GetCallerIdentity&Version=2011-06-15",
                                     {"Content-Type": FORM}, sign=False),
                            "sts", "GetCallerIdentity", "not signed")

    # -- (b) EC2 protocol

    def test_ec2_rejections(self):
        base = "Action=DescribeVpcs&Version=2016-11-15"
        self.assertRejected(self.query("ec2", base + "&Bogus=1"), "ec2", "DescribeVpcs", "unknown member 'Bogus'")
        self.assertRejected(self.query("ec2", base + "&Filtr.1.Name=vpc-id&Filtr.1.Value.1=x"), "ec2", "DescribeVpcs",
                            "unknown member 'Filtr' (did you mean 'Filter'?)")
        self.assertRejected(self.query("ec2", base + "&Filter.1.Nme=vpc-id"), "ec2", "DescribeVpcs",
                            "unknown member 'Filter.1.Nme' (did you mean 'Filter.1.Name'?)")
        ec2 = self.client("ec2")
        self.assertRejected(lambda: ec2.describe_vpcs(MaxResults="ten"), "ec2", "DescribeVpcs",
                            "wrong type for member 'MaxResults'", "integer")
        self.assertRejected(self.query("ec2", base + "&DryRun=yes"), "ec2", "DescribeVpcs",
                            "wrong type for member 'DryRun'", "boolean")
        self.assertRejected(lambda: ec2.create_tags(Resources=["vpc-1"]), "ec2", "CreateTags",
                            "missing required member 'Tag'")
        self.assertRejected(self.query("ec2", "Action=DescribeVpcz&Version=2016-11-15"), "ec2", "DescribeVpcz",
                            "unknown operation", "did you mean 'DescribeVpcs'")
        self.assertRejected(self.query("ec2", "Action=DescribeVpcs"), "ec2", "DescribeVpcs", "Version")

    def test_ec2_list_forms(self):
        base = "Action=DescribeVpcs&Version=2016-11-15"
        self.assertRejected(self.query("ec2", base + "&Filter.member.1.Name=vpc-id"), "ec2", "DescribeVpcs",
                            "'Filter.N', not 'Filter.member.N'")
        self.assertRejected(self.query("ec2", base + "&Filter.0.Name=vpc-id"), "ec2", "DescribeVpcs", "'Filter.0'")
        self.assertRejected(self.query("ec2", base + "&Filter.1.Name=a&Filter.3.Name=b"), "ec2", "DescribeVpcs",
                            "[1, 3]", "without gaps")
        self.assertRejected(self.query("ec2", base + "&Filter.1.Name=vpc-id&Filter.1.Value=x"), "ec2", "DescribeVpcs",
                            "'Filter.1.Value'", "'Filter.1.Value.N'")
        self.assertRejected(self.query("ec2", base + "&VpcId=vpc-1"), "ec2", "DescribeVpcs",
                            "'VpcId'", "'VpcId.N'")
        ok = self.query("ec2", base + "&Filter.1.Name=vpc-id&Filter.1.Value.1=a&Filter.1.Value.2=b&MaxResults=5")
        self.assertEqual(ok["ResponseMetadata"]["HTTPStatusCode"], 200, ok)
        self.emu.assert_clean(self)

    # -- (b) query protocol: IAM, STS, ELBv2

    def test_query_rejections(self):
        base = "Action=ListRoles&Version=2010-05-08"
        self.assertRejected(self.query("iam", base + "&Bogus=1"), "iam", "ListRoles", "unknown member 'Bogus'")
        self.assertRejected(self.query("iam", base + "&PathPrefx=/"), "iam", "ListRoles",
                            "unknown member 'PathPrefx' (did you mean 'PathPrefix'?)")
        iam = self.client("iam")
        self.assertRejected(lambda: iam.list_roles(MaxItems="many"), "iam", "ListRoles",
                            "wrong type for member 'MaxItems'")
        self.assertRejected(lambda: iam.get_role(), "iam", "GetRole", "missing required member 'RoleName'")
        self.assertRejected(self.query("iam", "Action=ListRolez&Version=2010-05-08"), "iam", "ListRolez",
                            "unknown operation", "did you mean 'ListRoles'")
        # Query lists are Name.member.N, not EC2's Name.N.
        self.assertRejected(
            self.query("iam", "Action=CreateRole&Version=2010-05-08&RoleName=r&AssumeRolePolicyDocument=x"
                              "&Tags.1.Key=k&Tags.1.Value=v"),
            "iam", "CreateRole", "'Tags.member.N'")
        elbv2 = self.client("elbv2")
        self.assertRejected(lambda: elbv2.create_target_group(Name="tg", Protocol="HTTPX"), "elbv2", "CreateTargetGroup",
                            "'Protocol' is 'HTTPX'", "did you mean 'HTTP'")
        self.assertRejected(self.query("elasticloadbalancing", "Action=DescribeLoadBalancers&Version=2015-12-01&PageSize=0"),
                            "elbv2", "DescribeLoadBalancers", "'PageSize' is 0, below the minimum 1")
        self.assertRejected(self.query("sts", "Action=GetCallerIdentity&Version=2011-06-15&Extra=1"),
                            "sts", "GetCallerIdentity", "unknown member 'Extra'")

    # -- (b) JSON 1.1: ECS, logs, secretsmanager, servicediscovery

    def test_json_rejections(self):
        target = "AmazonEC2ContainerServiceV20141113."
        self.assertRejected(self.json_call("ecs", target + "ListClusters", {"bogus": 1}), "ecs", "ListClusters",
                            "unknown member 'bogus'")
        self.assertRejected(self.json_call("ecs", target + "ListClusters", {"nextTokn": "a"}), "ecs", "ListClusters",
                            "unknown member 'nextTokn' (did you mean 'nextToken'?)")
        self.assertRejected(
            self.json_call("secretsmanager", "secretsmanager.CreateSecret",
                           {"Name": "n", "Tags": [{"Key": "k", "Vaule": "v"}]}),
            "secretsmanager", "CreateSecret", "unknown member 'Tags[0].Vaule' (did you mean 'Tags[0].Value'?)")
        ecs = self.client("ecs")
        self.assertRejected(lambda: ecs.list_clusters(maxResults="10"), "ecs", "ListClusters",
                            "wrong type for member 'maxResults'", "expected integer, got string")
        self.assertRejected(self.json_call("logs", "Logs_20140328.DescribeLogGroups", {"limit": True}),
                            "logs", "DescribeLogGroups", "wrong type for member 'limit'")
        self.assertRejected(lambda: ecs.describe_services(), "ecs", "DescribeServices",
                            "missing required member 'services'")
        self.assertRejected(self.json_call("ecs", target + "ListClusterz", {}), "ecs", "ListClusterz",
                            "unknown operation", "did you mean 'ListClusters'")
        self.assertRejected(self.json_call("logs", "Logs_20140328.DescribeLogGroups", {}, "application/json"),
                            "logs", "DescribeLogGroups", "Content-Type must be 'application/x-amz-json-1.1'")
        self.assertRejected(lambda: self.client("logs").describe_log_groups(limit=0), "logs", "DescribeLogGroups",
                            "'limit' is 0, below the minimum 1")
        self.assertRejected(lambda: self.client("servicediscovery").create_private_dns_namespace(Name="x" * 1100, Vpc="v"),
                            "servicediscovery", "CreatePrivateDnsNamespace", "has length 1100, above the maximum 253")

    # -- (b) REST-JSON: EFS, Backup

    def test_rest_json_rejections(self):
        self.assertRejected(self.raw("elasticfilesystem", "GET", "/2015-02-01/file-systems?Bogus=1"),
                            "efs", "DescribeFileSystems", "unknown member 'Bogus'")
        self.assertRejected(self.raw("elasticfilesystem", "GET", "/2015-02-01/file-systems?FileSytemId=fs-1"),
                            "efs", "DescribeFileSystems", "unknown member 'FileSytemId' (did you mean 'FileSystemId'?)")
        self.assertRejected(
            self.raw("elasticfilesystem", "POST", "/2015-02-01/file-systems", json.dumps({"CreationTokn": "t"}),
                     {"Content-Type": "application/json"}),
            "efs", "CreateFileSystem", "unknown member 'CreationTokn' (did you mean 'CreationToken'?)")
        efs = self.client("efs")
        self.assertRejected(lambda: efs.describe_file_systems(MaxItems="abc"), "efs", "DescribeFileSystems",
                            "wrong type for member 'MaxItems'")
        self.assertRejected(lambda: efs.create_access_point(FileSystemId="fs-1", PosixUser={"Uid": "65534", "Gid": 1}),
                            "efs", "CreateAccessPoint", "wrong type for member 'PosixUser.Uid'")
        self.assertRejected(lambda: efs.create_file_system(PerformanceMode="fast"), "efs", "CreateFileSystem",
                            "'PerformanceMode' is 'fast'")
        backup = self.client("backup")
        self.assertRejected(lambda: backup.create_backup_plan(BackupPlan={"BackupPlanName": "p"}),
                            "backup", "CreateBackupPlan", "missing required member 'BackupPlan.Rules'")
        self.assertRejected(self.raw("elasticfilesystem", "GET", "/2015-02-01/file-systemz"),
                            "efs", "GET /2015-02-01/file-systemz", "unknown operation")
        self.assertRejected(self.raw("backup", "GET", "/backup-vaults"), "backup", "GET /backup-vaults",
                            "unknown operation", "GET /backup-vaults/, which is ListBackupVaults")
        self.assertRejected(
            self.raw("backup", "PUT", "/backup-vaults/v1", json.dumps({"BackupVaultName": "v1"}),
                     {"Content-Type": "application/json"}),
            "backup", "CreateBackupVault", "'BackupVaultName' belongs in the uri")

    def test_unknown_service(self):
        response = self.raw("elasticfilesystem", "GET", "/", sign=False)
        self.assertEqual(response["Error"]["Code"], "StrictValidationError")
        self.assertIn("unknown service", self.emu.violations[0])
        self.emu.clear()

    def test_intercept_answers_or_forwards(self):
        seen = []

        def fake(call):
            seen.append(call.params)
            return 200, [("Content-Type", "application/x-amz-json-1.1")], b'{"clusterArns": ["fake"]}'

        self.emu.intercept("ecs", "ListClusters", fake)
        try:
            self.assertEqual(self.client("ecs").list_clusters(maxResults=3)["clusterArns"], ["fake"])
        finally:
            self.emu.intercept("ecs", "ListClusters", None)
        self.assertEqual(seen, [{"maxResults": 3}])
        self.assertNotEqual(self.client("ecs").list_clusters()["clusterArns"], ["fake"])

    # -- (c) the call log

    def test_call_log_classifies_reads_and_writes(self):
        ec2, efs = self.client("ec2"), self.client("efs")
        ec2.describe_vpcs()
        ec2.create_vpc(CidrBlock="10.20.0.0/16")
        self.client("sts").get_caller_identity()
        self.client("ecs").create_cluster(clusterName="log-test")
        efs.describe_file_systems()
        self.client("secretsmanager").get_random_password(PasswordLength=20)
        self.query("ec2", "Action=DescribeVpcz&Version=2016-11-15")  # unknown: counted as a write
        self.assertEqual(self.emu.calls, [
            ("ec2", "DescribeVpcs", False),
            ("ec2", "CreateVpc", True),
            ("sts", "GetCallerIdentity", False),
            ("ecs", "CreateCluster", True),
            ("efs", "DescribeFileSystems", False),
            ("secretsmanager", "GetRandomPassword", False),
            ("ec2", "DescribeVpcz", True),
        ])
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write], ["CreateVpc", "CreateCluster", "DescribeVpcz"])
        self.emu.clear()


# ---------------------------------------------------------------- round trip


def sample(shape, stack=()):
    """A value for every member of shape that satisfies its constraints."""
    kind, meta = shape.type_name, shape.metadata
    if is_json_value_header(shape):
        return {"a": 1}
    if kind == "structure":
        if shape.is_document_type:
            return {"doc": [1, "x"]}
        if shape.name in stack:  # recursive shapes: stop
            return None
        out = {}
        for name, member in shape.members.items():
            value = sample(member, stack + (shape.name,))
            if value is not None:
                out[name] = value
            if shape.is_tagged_union and out:
                break
        return out
    if kind == "list":
        value = sample(shape.member, stack)
        return None if value is None else [value] * max(meta.get("min", 1), 1)
    if kind == "map":
        value = sample(shape.value, stack)
        return None if value is None else {sample(shape.key, stack): value}
    if kind == "string":
        if shape.enum:
            return shape.enum[-1]
        n = max(meta.get("min", 1), 1)
        return "x" * n
    if kind in ("integer", "long"):
        return int(max(meta.get("min", 1), 1))
    if kind == "boolean":
        return True
    if kind in ("float", "double"):
        return float(max(meta.get("min", 1.5), 1.5))
    if kind == "timestamp":
        return datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
    if kind == "blob":
        return b"blob"
    raise ValueError(kind)


def to_wire(service_model, operation, params):
    """What botocore would put on the wire for these params, as a WireRequest."""
    serialized = create_serializer(service_model.protocol, include_validation=False).serialize_to_request(
        params, operation)
    prepare_request_dict(serialized, endpoint_url="http://127.0.0.1:9")
    request = create_request_object(serialized)
    if operation.auth_type != "none":
        SigV4Auth(Credentials("a", "b"), service_model.signing_name, "us-east-1").add_auth(request)
    prepared = request.prepare()
    body = prepared.body or b""
    return cairnharness.WireRequest(prepared.method, prepared.url.split("127.0.0.1:9", 1)[1],
                                    list(prepared.headers.items()), body.encode() if isinstance(body, str) else body)


class RoundTripTest(unittest.TestCase):
    """botocore's serializer is the oracle: whatever it sends must pass and decode back."""

    def test_every_operation_of_every_service(self):
        session = botocore.session.get_session()
        validator = cairnharness.Validator()
        checked = 0
        for name in SIGNING_NAMES.values():
            model = session.get_service_model(name)
            for op_name in model.operation_names:
                operation = model.operation_model(op_name)
                params = sample(operation.input_shape) if operation.input_shape else {}
                verdict = validator.check(to_wire(model, operation, params))
                with self.subTest(service=name, operation=op_name):
                    self.assertEqual(verdict.violations, [])
                    self.assertEqual(verdict.operation, op_name)
                    self.assertEqual(verdict.params, params)
                checked += 1
        self.assertGreater(checked, 1000)

    def test_a_dropped_required_member_is_caught(self):
        # The same path, made to fail: proves the round trip can fail.
        model = botocore.session.get_session().get_service_model("ec2")
        operation = model.operation_model("CreateTags")
        params = sample(operation.input_shape)
        del params["Resources"]
        verdict = cairnharness.Validator().check(to_wire(model, operation, params))
        self.assertEqual(verdict.violations, ["ec2 CreateTags: missing required member 'ResourceId'"])


# ---------------------------------------------------------------- launcher


class LauncherTest(unittest.TestCase):
    def test_stop_leaves_no_process_and_frees_ports(self):
        emu = cairnharness.Emulator().start()
        pid, moto_port, proxy_port = emu.moto.process.pid, emu.moto.port, emu.proxy.port
        self.assertTrue(alive(pid))
        emu.stop()
        self.assertFalse(alive(pid), "moto_server is still running")
        self.assertFalse(listening(moto_port))
        self.assertFalse(listening(proxy_port))
        emu.stop()  # twice is fine

    def test_two_emulators_run_at_once(self):
        with cairnharness.Emulator() as a, cairnharness.Emulator() as b:
            self.assertNotEqual(a.endpoint, b.endpoint)
            self.assertNotEqual(a.moto_endpoint, b.moto_endpoint)
            # Each has its own moto: what one holds, the other does not.
            a.boto3_client("logs", via_proxy=True).create_log_group(logGroupName="/only/in/a")
            groups = lambda emu: [g["logGroupName"] for g in emu.boto3_client("logs").describe_log_groups()["logGroups"]]
            self.assertEqual(groups(a), ["/only/in/a"])
            self.assertEqual(groups(b), [])
            self.assertEqual(len(a.calls), 1)
            self.assertEqual(b.calls, [])

    def test_moto_dies_with_a_crashed_owner(self):
        script = textwrap.dedent("""
            import os, signal, sys, cairnharness
            emu = cairnharness.Emulator().start()
            print(emu.moto.process.pid, emu.moto.workdir, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # no atexit, no cleanup
        """)
        owner = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                               env={**os.environ, "PYTHONPATH": str(Path(cairnharness.__file__).parents[1])})
        self.assertEqual(owner.returncode, -signal.SIGKILL, owner.stderr)
        pid, workdir = owner.stdout.split()
        self.addCleanup(shutil.rmtree, workdir, True)  # the owner died before it could
        deadline = time.monotonic() + 10
        while alive(int(pid)) and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertFalse(alive(int(pid)), "moto_server outlived its owner")

    def test_start_failure_reports_moto_output(self):
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            server = cairnharness.MotoServer(port=taken.getsockname()[1], timeout=20)
            with self.assertRaises(cairnharness.MotoStartError) as cm:
                server.start()
        self.assertIn("Address already in use", str(cm.exception))
        self.assertFalse(alive(server.process.pid))

    def test_free_port_is_bindable(self):
        port = cairnharness.free_port()
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))

    def test_env_replaces_every_aws_variable(self):
        with cairnharness.Emulator() as emu:
            env = emu.env({"AWS_PROFILE": "prod", "AWS_SESSION_TOKEN": "t", "PATH": "/bin"})
            self.assertEqual(env["AWS_ENDPOINT_URL"], emu.endpoint)
        self.assertEqual(env["PATH"], "/bin")
        self.assertNotIn("AWS_PROFILE", env)
        self.assertNotIn("AWS_SESSION_TOKEN", env)
        for key, value in {"AWS_REGION": "us-east-1", "AWS_EC2_METADATA_DISABLED": "true",
                           "AWS_CONFIG_FILE": "/nonexistent", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"}.items():
            self.assertEqual(env[key], value)


class CairnTestCaseTest(unittest.TestCase):
    def test_teardown_fails_on_violations_and_cairn_gets_the_env(self):
        outer = self

        class Inner(cairnharness.CairnTestCase):
            def test_bad_request(self):
                ec2 = self.emu.boto3_client("ec2", via_proxy=True, config=Config(parameter_validation=False))
                with outer.assertRaises(ClientError):
                    ec2.describe_vpcs(MaxResults="ten")

            def test_clean_request(self):
                self.emu.boto3_client("sts", via_proxy=True).get_caller_identity()

            def test_cairn(self):
                with mock.patch.dict(os.environ, {"CAIRN_BIN": "/usr/bin/env", "AWS_PROFILE": "leak"}):
                    done = self.cairn()
                outer.assertEqual(done.returncode, 0)
                outer.assertIn(f"AWS_ENDPOINT_URL={self.emu.endpoint}\n", done.stdout)
                outer.assertNotIn("AWS_PROFILE", done.stdout)

        result = unittest.TestResult()
        unittest.defaultTestLoader.loadTestsFromTestCase(Inner).run(result)
        self.assertEqual(result.errors, [])
        self.assertEqual([t.id().rsplit(".", 1)[1] for t, _ in result.failures], ["test_bad_request"])
        self.assertIn("ec2 DescribeVpcs: wrong type for member 'MaxResults'", result.failures[0][1])
        self.assertEqual(result.testsRun, 3)


# ---------------------------------------------------------------- tools/emulator


class ToolTest(unittest.TestCase):
    def tool(self, *args, **kwargs):
        return subprocess.run([str(TOOL), *args], capture_output=True, text=True, timeout=120, **kwargs)

    def test_help(self):
        done = self.tool("--help")
        self.assertEqual(done.returncode, 0)
        self.assertIn("tools/emulator run", done.stdout)

    def test_run_sets_the_environment_and_keeps_the_status(self):
        script = ("import boto3, os, sys; boto3.client('sts').get_caller_identity(); "
                  "print(os.environ['AWS_ENDPOINT_URL']); sys.exit(7)")
        done = self.tool("run", "--", sys.executable, "-c", script)
        self.assertEqual(done.returncode, 7, done.stderr)
        self.assertRegex(done.stdout, r"^http://127\.0\.0\.1:\d+\n$")
        bad = textwrap.dedent("""
            import os, urllib.request
            request = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"],
                data=b"Action=DescribeVpcz&Version=2016-11-15", headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Authorization": "AWS4-HMAC-SHA256 Credential=a/20240101/us-east-1/ec2/aws4_request"})
            try:
                urllib.request.urlopen(request)
            except urllib.error.HTTPError as e:
                assert e.code == 400
        """)
        done = self.tool("run", "--strict", "--", sys.executable, "-c", bad)
        self.assertEqual(done.returncode, 3, done.stderr)
        self.assertIn("ec2 DescribeVpcz: unknown operation", done.stderr)

    def test_start_status_stop(self):
        with tempfile.TemporaryDirectory() as state:
            start = self.tool("--state-dir", state, "start")
            try:
                self.assertEqual(start.returncode, 0, start.stderr)
                env = dict(line[len("export "):].split("=", 1) for line in start.stdout.splitlines()
                           if line.startswith("export "))
                self.assertRegex(env["AWS_ENDPOINT_URL"], r"^http://127\.0\.0\.1:\d+$")
                pid = int(Path(state, "pid").read_text())
                status = self.tool("--state-dir", state, "status")
                self.assertEqual(status.returncode, 0)
                self.assertIn(env["AWS_ENDPOINT_URL"], status.stdout)
            finally:
                stop = self.tool("--state-dir", state, "stop")
            self.assertEqual(stop.returncode, 0, stop.stderr)
            self.assertFalse(alive(pid))
            self.assertEqual(self.tool("--state-dir", state, "status").returncode, 3)


if __name__ == "__main__":
    unittest.main()
