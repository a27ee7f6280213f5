"""DescribeTargetHealth in the emulator says what the local target's health checks found
(cairnharness/elbhealth.py): while a tools/local-run supervisor runs on the emulator's data
directory (DATA/pid), its DATA/state.json "target_health" replaces moto's `healthy` for the
targets it checks; other targets, and every target when no local run is there, keep moto's
answer. Checked through boto3 and the AWS CLI, which parse the rewritten XML.
"""
import json
import os
import shutil
import subprocess
import tempfile

import cairnharness
from cairnharness import efsdata


class ElbHealth(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.data = tempfile.mkdtemp(prefix="cairn-elbhealth-")
        self.addCleanup(shutil.rmtree, self.data, True)
        efsdata.set_data_dir(self.emu, self.data)
        self.addCleanup(efsdata.set_data_dir, self.emu, None)
        ec2 = self.emu.boto3_client("ec2", via_proxy=True)
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        self.elb = self.emu.boto3_client("elbv2", via_proxy=True)
        self.arn = self.elb.create_target_group(
            Name="web", Protocol="HTTP", Port=3000, VpcId=vpc,
            TargetType="ip")["TargetGroups"][0]["TargetGroupArn"]
        self.elb.register_targets(TargetGroupArn=self.arn, Targets=[
            {"Id": "10.0.0.1", "Port": 3000}, {"Id": "10.0.0.2", "Port": 3000},
            {"Id": "10.0.0.3", "Port": 3000}])

    def write_state(self, running):
        state = {"target_health": {self.arn: [
            {"Target": {"Id": "10.0.0.1", "Port": 3000}, "HealthCheckPort": "3000",
             "TargetHealth": {"State": "healthy"}},
            {"Target": {"Id": "10.0.0.2", "Port": 3000}, "HealthCheckPort": "3000",
             "TargetHealth": {"State": "unhealthy", "Reason": "Target.Timeout",
                              "Description": "Request timed out"}}]}}
        with open(os.path.join(self.data, "state.json"), "w") as f:
            json.dump(state, f)
        if running:
            with open(os.path.join(self.data, "pid"), "w") as f:
                f.write("1\n")

    def states(self):
        got = self.elb.describe_target_health(TargetGroupArn=self.arn)
        return {d["Target"]["Id"]: d["TargetHealth"] for d in got["TargetHealthDescriptions"]}

    def test_local_run_health_replaces_motos(self):
        self.write_state(running=True)
        got = self.states()
        self.assertEqual(got["10.0.0.1"], {"State": "healthy"})
        self.assertEqual(got["10.0.0.2"], {"State": "unhealthy", "Reason": "Target.Timeout",
                                           "Description": "Request timed out"})
        self.assertEqual(got["10.0.0.3"]["State"], "healthy")  # not checked locally: moto's
        out = subprocess.run(
            ["aws", "elbv2", "describe-target-health", "--target-group-arn", self.arn,
             "--query", "TargetHealthDescriptions[?TargetHealth.State=='unhealthy'].Target.Id",
             "--output", "text"], env=self.emu.env(), capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout.split(), ["10.0.0.2"])

    def test_no_local_run_keeps_motos_answer(self):
        self.write_state(running=False)  # a stopped run's last state: not the truth any more
        self.assertEqual({s["State"] for s in self.states().values()}, {"healthy"})
