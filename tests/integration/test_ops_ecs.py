"""The ECS types' AWS calls (ecs.cluster, ecs.task_definition, ecs.service): each op driven by
tests/tools/restype_probe, then the three together through cairn up, plan and destroy with
the seed's shapes (templates/fargate-service.yaml), against moto behind the strict validator.
The prerequisites (VPC, subnets, security group, roles, target group, Cloud Map service, EFS,
secret) are made with boto3 against moto directly.
"""
import json
import os
import subprocess
import tempfile

import cairnharness

PROBE = os.path.join(os.environ.get("CAIRN_TEST_TOOLS", ""), "restype_probe")
STACK = "ecs-test"
SCRAPE_CONFIG = (
    "global:\n  scrape_interval: 15s\n\nscrape_configs:\n  - job_name: prometheus\n"
    "    metrics_path: /prometheus/metrics\n    static_configs:\n"
    "      - targets: ['localhost:9090']\n")

# The seed's prometheus service (templates/fargate-service.yaml), with the prerequisites as
# literal values (str.format fields) and ${...} doubled.
STACK_FILE = """\
stack: ecs-test
region: us-east-1
tags:
  Project: cairn-tests

parameters:
  image:
    type: string
    default: prom/prometheus:v2.53.0
  desired_count:
    type: integer
    default: 1

resources:
  cluster:
    type: ecs.cluster
    properties:
      name: ${{stack.name}}-cluster

  task:
    type: ecs.task_definition
    properties:
      family: ${{stack.name}}-prometheus
      requires_compatibilities: [FARGATE]
      network_mode: awsvpc
      cpu: 256
      memory: 512
      execution_role_arn: {execution_role}
      task_role_arn: {task_role}
      container_definitions:
        - name: prometheus
          image: ${{param.image}}
          essential: true
          port_mappings:
            - container_port: 9090
              protocol: tcp
          command:
            - --config.file=/etc/prometheus/prometheus.yml
            - --storage.tsdb.path=/prometheus
            - --storage.tsdb.retention.time=15d
          environment:
            PORT: 9090
            CAIRN_SCRAPE_CONFIG: |
{scrape_config}
          secrets:
            - name: GF_SECURITY_ADMIN_PASSWORD
              value_from: {secret}
          mount_points:
            - source_volume: data
              container_path: /prometheus
              read_only: false
          log_configuration:
            log_driver: awslogs
            options:
              awslogs-group: /ecs/${{stack.name}}-prometheus
              awslogs-region: ${{stack.region}}
              awslogs-stream-prefix: prometheus
          health_check:
            command:
              - CMD-SHELL
              - wget -q -O /dev/null http://localhost:9090/-/healthy || exit 1
            interval: 30
            timeout: 5
            retries: 3
            start_period: 60
      volumes:
        - name: data
          efs_volume_configuration:
            file_system_id: {file_system}
            root_directory: /
            transit_encryption: ENABLED
            authorization_config:
              access_point_id: {access_point}
              iam: ENABLED

  service:
    type: ecs.service
    properties:
      name: ${{stack.name}}-prometheus
      cluster: ${{cluster.arn}}
      task_definition: ${{task.arn}}
      desired_count: ${{param.desired_count}}
      launch_type: FARGATE
      platform_version: LATEST
      network_configuration:
        subnets: [{subnet_a}, {subnet_b}]
        security_groups: [{security_group}]
        assign_public_ip: DISABLED
      load_balancers:
        - target_group_arn: {target_group}
          container_name: prometheus
          container_port: 9090
      service_registries:
        - registry_arn: {registry}
      health_check_grace_period_seconds: 60
"""


def counts(calls, service="ecs"):
    out = {}
    for c in calls:
        if c.service == service:
            out[c.operation] = out.get(c.operation, 0) + 1
    return out


class EcsOpsTest(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(PROBE):
            self.fail("restype_probe not found: set CAIRN_TEST_TOOLS to the build's tests/ dir")
        self.emu.reset()
        self.ecs = self.emu.boto3_client("ecs")
        self.pre = self.prerequisites()
        self.emu.clear()

    # -- helpers

    def prerequisites(self):
        """What the seed's services refer to, made out of band."""
        ec2 = self.emu.boto3_client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.%d.0/24" % n,
                                     AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
                   for n, az in ((11, "a"), (12, "b"))]
        sg = ec2.create_security_group(GroupName="tasks", Description="Tasks",
                                       VpcId=vpc)["GroupId"]
        iam = self.emu.boto3_client("iam")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"},
            "Action": "sts:AssumeRole"}]})
        roles = {n: iam.create_role(RoleName=n, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
                 for n in ("ecs-test-execution", "ecs-test-prometheus")}
        elb = self.emu.boto3_client("elbv2")
        tg = elb.create_target_group(Name="ecs-test-prometheus", Protocol="HTTP", Port=9090,
                                     VpcId=vpc, TargetType="ip")["TargetGroups"][0]
        sd = self.emu.boto3_client("servicediscovery")
        op = sd.create_private_dns_namespace(Name="ecs-test.local", Vpc=vpc)["OperationId"]
        ns = sd.get_operation(OperationId=op)["Operation"]["Targets"]["NAMESPACE"]
        registry = sd.create_service(Name="ecs-test-prometheus", NamespaceId=ns, DnsConfig={
            "RoutingPolicy": "MULTIVALUE", "DnsRecords": [{"Type": "A", "TTL": 10}]})["Service"]
        efs = self.emu.boto3_client("efs")
        fs = efs.create_file_system(CreationToken="ecs-test", Encrypted=True)["FileSystemId"]
        ap = efs.create_access_point(FileSystemId=fs, PosixUser={"Uid": 65534, "Gid": 65534},
                                     RootDirectory={"Path": "/prometheus"})["AccessPointId"]
        secret = self.emu.boto3_client("secretsmanager").create_secret(
            Name="ecs-test-admin", SecretString="not-a-real-password")["ARN"]
        return {"vpc": vpc, "subnet_a": subnets[0], "subnet_b": subnets[1],
                "security_group": sg, "execution_role": roles["ecs-test-execution"],
                "task_role": roles["ecs-test-prometheus"], "target_group": tg["TargetGroupArn"],
                "registry": registry["Arn"], "file_system": fs, "access_point": ap,
                "secret": secret}

    def probe(self, *args, ok=True):
        r = subprocess.run([PROBE, *map(str, args)], env=self.emu.env(), capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
        if ok:
            self.assertEqual(r.returncode, 0, "restype_probe %s:\n%s" % (" ".join(map(str, args)),
                                                                       r.stderr))
        self.assertNotIn("Sanitizer", r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()], r

    def create(self, rtype, cairn_id, desired, stack=STACK):
        objs, _ = self.probe("create", stack, rtype, cairn_id, json.dumps(desired))
        self.assertEqual(len(objs), 1)
        return objs[0]

    def read(self, stack=STACK, rtype=None):
        objs = self.probe("read", stack)[0]
        return [o for o in objs if rtype is None or o["type"] == rtype]

    def task_desired(self, image="prom/prometheus:v2.53.0"):
        p = self.pre
        return {
            "family": "ecs-test-prometheus", "requires_compatibilities": ["FARGATE"],
            "network_mode": "awsvpc", "cpu": "256", "memory": "512",
            "execution_role_arn": p["execution_role"], "task_role_arn": p["task_role"],
            "container_definitions": [{
                "name": "prometheus", "image": image, "essential": "true",
                "port_mappings": [{"container_port": "9090", "protocol": "tcp"}],
                "command": ["--config.file=/etc/prometheus/prometheus.yml"],
                "environment": {"CAIRN_SCRAPE_CONFIG": SCRAPE_CONFIG, "PORT": "9090"},
                "secrets": [{"name": "GF_SECURITY_ADMIN_PASSWORD", "value_from": p["secret"]}],
                "mount_points": [{"source_volume": "data", "container_path": "/prometheus",
                                  "read_only": "false"}],
                "log_configuration": {"log_driver": "awslogs", "options": {
                    "awslogs-group": "/ecs/ecs-test-prometheus", "awslogs-region": "us-east-1",
                    "awslogs-stream-prefix": "prometheus"}},
                "health_check": {"command": ["CMD-SHELL", "wget -q -O /dev/null "
                                             "http://localhost:9090/-/healthy || exit 1"],
                                 "interval": "30", "timeout": "5", "retries": "3",
                                 "start_period": "60"}}],
            "volumes": [{"name": "data", "efs_volume_configuration": {
                "file_system_id": p["file_system"], "root_directory": "/",
                "transit_encryption": "ENABLED",
                "authorization_config": {"access_point_id": p["access_point"],
                                         "iam": "ENABLED"}}}],
            "tags": {"Project": "cairn-tests"}}

    def service_desired(self, cluster, task, count="1"):
        p = self.pre
        return {
            "name": "ecs-test-prometheus", "cluster": cluster, "task_definition": task,
            "desired_count": count, "launch_type": "FARGATE", "platform_version": "LATEST",
            "network_configuration": {"subnets": [p["subnet_a"], p["subnet_b"]],
                                      "security_groups": [p["security_group"]],
                                      "assign_public_ip": "DISABLED"},
            "load_balancers": [{"target_group_arn": p["target_group"],
                                "container_name": "prometheus", "container_port": "9090"}],
            "service_registries": [{"registry_arn": p["registry"]}],
            "health_check_grace_period_seconds": 60, "tags": {"Project": "cairn-tests"}}

    def tags_of(self, arn):
        return {t["key"]: t["value"] for t in self.ecs.list_tags_for_resource(
            resourceArn=arn)["tags"]}

    def service(self, cluster="ecs-test-cluster", name="ecs-test-prometheus"):
        return self.ecs.describe_services(cluster=cluster, services=[name])["services"][0]

    def run_cairn(self, *args):
        r = self.cairn(*args)
        self.assertNotIn("Sanitizer", r.stderr)
        return r

    def stack_file(self, directory):
        path = os.path.join(directory, "ecs.yaml")
        scrape = "\n".join(" " * 14 + line for line in SCRAPE_CONFIG.splitlines())
        with open(path, "w", encoding="utf-8") as f:
            f.write(STACK_FILE.format(scrape_config=scrape, **self.pre))
        return path

    def plan(self, path, *args):
        r = self.run_cairn("plan", path, "--json", "--detailed-exitcode", *args)
        self.assertIn(r.returncode, (0, 2), r.stderr)
        return r.returncode, json.loads(r.stdout)

    # -- ecs.cluster

    def test_cluster_create_read_update_remove_adopt(self):
        made = self.create("ecs.cluster", "cluster", {"name": "ecs-test-cluster",
                                                      "tags": {"Project": "cairn-tests"}})
        arn = made["id"]
        self.assertEqual(made["attrs"]["arn"], arn)
        self.assertEqual(counts(self.emu.calls), {"DescribeClusters": 1, "CreateCluster": 1})
        got = self.ecs.describe_clusters(clusters=[arn], include=["TAGS", "SETTINGS"])[
            "clusters"][0]
        self.assertEqual(got["clusterName"], "ecs-test-cluster")
        self.assertEqual(got["settings"], [{"name": "containerInsights", "value": "disabled"}])
        self.assertEqual(self.tags_of(arn), {"Project": "cairn-tests", "cairn:stack": STACK,
                                             "cairn:id": "cluster"})

        # A cluster of another stack, and one of nobody's, are not read.
        self.ecs.create_cluster(clusterName="other", tags=[{"key": "cairn:stack",
                                                            "value": "other"}])
        self.ecs.create_cluster(clusterName="untagged")
        self.emu.clear()
        objs = self.read(rtype="ecs.cluster")
        self.assertEqual([(o["id"], o["cairn_id"]) for o in objs], [(arn, "cluster")])
        self.assertEqual(objs[0]["attrs"], made["attrs"])
        # The cluster read: one ListClusters and one DescribeClusters, which the service read
        # shares to find the stack's clusters; then it lists their services.
        self.assertEqual(counts(self.emu.calls), {
            "ListClusters": 1, "DescribeClusters": 1, "ListServices": 1,
            "ListTaskDefinitions": 1})

        self.emu.clear()
        after = self.probe("update", STACK, "ecs.cluster", arn, json.dumps(
            {"name": "ecs-test-cluster", "container_insights": "enabled",
             "tags": {"Owner": "ops"}}), "container_insights", "tags")[0][0]
        self.assertEqual(after["attrs"]["container_insights"], "enabled")
        self.assertEqual(self.tags_of(arn), {"Owner": "ops", "cairn:stack": STACK,
                                             "cairn:id": "cluster"})
        self.assertEqual(self.ecs.describe_clusters(clusters=[arn], include=["SETTINGS"])[
            "clusters"][0]["settings"], [{"name": "containerInsights", "value": "enabled"}])
        self.assertEqual(counts(self.emu.calls)["UpdateCluster"], 1)

        # A create run again (after a crash) adopts the stack's cluster.
        self.emu.clear()
        again = self.create("ecs.cluster", "cluster", {"name": "ecs-test-cluster",
                                                       "container_insights": "enabled",
                                                       "tags": {"Owner": "ops"}})
        self.assertEqual(again["id"], arn)
        self.assertNotIn("CreateCluster", counts(self.emu.calls))
        # Someone else's cluster of that name is not taken over.
        _, r = self.probe("create", STACK, "ecs.cluster", "mine", json.dumps({"name": "other"}),
                          ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("exists and is not this stack's", r.stderr)

        self.probe("remove", STACK, "ecs.cluster", arn)
        self.assertEqual(self.ecs.describe_clusters(clusters=[arn])["clusters"][0]["status"],
                         "INACTIVE")
        self.assertEqual(self.read(rtype="ecs.cluster"), [])

    # -- ecs.task_definition

    def test_task_definition_register_read_revisions_deregister(self):
        made = self.create("ecs.task_definition", "prometheus.task", self.task_desired())
        arn = made["id"]
        self.assertTrue(arn.endswith(":task-definition/ecs-test-prometheus:1"), arn)
        self.assertEqual(made["attrs"]["revision"], 1)
        td = self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        self.assertEqual((td["cpu"], td["memory"], td["networkMode"]), ("256", "512", "awsvpc"))
        c = td["containerDefinitions"][0]
        self.assertEqual(c["portMappings"][0]["containerPort"], 9090)
        self.assertEqual(c["healthCheck"]["startPeriod"], 60)
        self.assertEqual(c["mountPoints"], [{"sourceVolume": "data",
                                             "containerPath": "/prometheus", "readOnly": False}])
        self.assertEqual(c["secrets"], [{"name": "GF_SECURITY_ADMIN_PASSWORD",
                                         "valueFrom": self.pre["secret"]}])
        env = {e["name"]: e["value"] for e in c["environment"]}
        self.assertEqual(env["CAIRN_SCRAPE_CONFIG"], SCRAPE_CONFIG)  # byte for byte
        efs = td["volumes"][0]["efsVolumeConfiguration"]
        self.assertEqual(efs["authorizationConfig"], {"accessPointId": self.pre["access_point"],
                                                      "iam": "ENABLED"})
        self.assertEqual(self.tags_of(arn)["cairn:id"], "prometheus.task")
        # What it was registered with, as a digest: the read needs no DescribeTaskDefinition.
        self.assertRegex(self.tags_of(arn)["cairn:digest"], "^[0-9a-f]{64}$")
        self.assertNotIn("cairn:digest", made["attrs"]["tags"])

        # A family of the stack's name that someone else registers, missing from the stack's tag
        # index, is described (a revision registered seconds ago may be missing from the
        # eventually consistent tagging API too), and found not the stack's.
        self.ecs.register_task_definition(family="ecs-test-by-hand", containerDefinitions=[
            {"name": "x", "image": "busybox", "memory": 64}])
        self.emu.clear()
        objs = self.read(rtype="ecs.task_definition")
        self.assertEqual([(o["id"], o["cairn_id"]) for o in objs], [(arn, "prometheus.task")])
        self.assertEqual(objs[0]["digest"], self.tags_of(arn)["cairn:digest"])
        self.assertEqual(objs[0]["attrs"], {
            "arn": arn, "id": arn, "family": "ecs-test-prometheus", "revision": 1,
            "tags": made["attrs"]["tags"]})
        got = counts(self.emu.calls)
        self.assertEqual((got["ListTaskDefinitions"], got.get("DescribeTaskDefinition", 0)), (1, 1))
        self.assertEqual(counts(self.emu.calls, "resourcegroupstaggingapi"), {"GetResources": 1})
        self.assertNotIn("ListTaskDefinitionFamilies", got)
        # Read in full, it is what was made.
        self.emu.clear()
        objs = [o for o in self.probe("detail", STACK)[0] if o["type"] == "ecs.task_definition"]
        self.assertEqual(objs[0]["attrs"], made["attrs"])
        self.assertNotIn("digest", objs[0])
        # This one, and the one registered by hand (missing from the tag index).
        self.assertEqual(counts(self.emu.calls)["DescribeTaskDefinition"], 2)
        # A revision of the stack without a digest (registered by an older cairn) is described.
        old = self.ecs.register_task_definition(
            family="ecs-test-older", containerDefinitions=[
                {"name": "x", "image": "busybox", "memory": 64}],
            tags=[{"key": "cairn:stack", "value": STACK}, {"key": "cairn:id", "value": "older"}],
        )["taskDefinition"]["taskDefinitionArn"]
        self.emu.clear()
        objs = {o["id"]: o for o in self.read(rtype="ecs.task_definition")}
        self.assertNotIn("digest", objs[old])
        self.assertEqual(objs[old]["attrs"]["container_definitions"][0]["image"], "busybox")
        # It, and the one registered by hand (missing from the tag index).
        self.assertEqual(counts(self.emu.calls)["DescribeTaskDefinition"], 2)
        self.ecs.deregister_task_definition(taskDefinition=old)

        # A second registration (a create repeated after a lost answer): both are read, the
        # newest first, which is the one the planner keeps.
        second = self.create("ecs.task_definition", "prometheus.task", self.task_desired())
        self.assertTrue(second["id"].endswith(":2"))
        second_digest = self.tags_of(second["id"])["cairn:digest"]
        self.assertEqual(second_digest, self.tags_of(arn)["cairn:digest"])  # the same desired
        objs = self.read(rtype="ecs.task_definition")
        self.assertEqual([o["id"] for o in objs], [second["id"], arn])

        # Tags change in place.
        self.probe("update", STACK, "ecs.task_definition", second["id"], json.dumps(
            dict(self.task_desired(), tags={"Owner": "ops"})), "tags")
        self.assertEqual(self.tags_of(second["id"]), {"Owner": "ops", "cairn:stack": STACK,
                                                      "cairn:id": "prometheus.task",
                                                      "cairn:digest": second_digest})
        _, r = self.probe("update", STACK, "ecs.task_definition", second["id"], json.dumps(
            self.task_desired("prom/prometheus:v3")), "container_definitions", ok=False)
        self.assertIn("cannot change in place", r.stderr)

        self.probe("remove", STACK, "ecs.task_definition", arn)
        self.assertTaskDefinitionDeleted(arn)
        self.assertEqual([o["id"] for o in self.read(rtype="ecs.task_definition")],
                         [second["id"]])

    def assertTaskDefinitionDeleted(self, arn):
        """Deregistered and deleted: AWS says DELETE_IN_PROGRESS until nothing uses it, moto
        forgets it at once."""
        try:
            status = self.ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"][
                "status"]
        except self.ecs.exceptions.ClientException:
            status = "gone"
        self.assertIn(status, ("DELETE_IN_PROGRESS", "gone"))

    # -- ecs.service

    def test_service_create_read_update_remove_adopt(self):
        cluster = self.create("ecs.cluster", "cluster", {"name": "ecs-test-cluster"})["id"]
        task = self.create("ecs.task_definition", "prometheus.task", self.task_desired())["id"]
        self.emu.clear()
        made = self.create("ecs.service", "prometheus.service",
                           self.service_desired(cluster, task))
        arn = made["id"]
        self.assertEqual(counts(self.emu.calls), {"DescribeServices": 1, "CreateService": 1})
        s = self.service()
        self.assertEqual((s["launchType"], s["platformVersion"], s["desiredCount"],
                          s["taskDefinition"]), ("FARGATE", "LATEST", 1, task))
        self.assertEqual(s["networkConfiguration"]["awsvpcConfiguration"], {
            "subnets": [self.pre["subnet_a"], self.pre["subnet_b"]],
            "securityGroups": [self.pre["security_group"]], "assignPublicIp": "DISABLED"})
        self.assertEqual(s["loadBalancers"], [{"targetGroupArn": self.pre["target_group"],
                                               "containerName": "prometheus",
                                               "containerPort": 9090}])
        self.assertEqual(s["serviceRegistries"], [{"registryArn": self.pre["registry"]}])
        self.assertEqual(s["healthCheckGracePeriodSeconds"], 60)
        self.assertEqual(self.tags_of(arn), {"Project": "cairn-tests", "cairn:stack": STACK,
                                             "cairn:id": "prometheus.service"})

        self.emu.clear()
        objs = self.read(rtype="ecs.service")
        self.assertEqual([(o["id"], o["cairn_id"]) for o in objs], [(arn, "prometheus.service")])
        live = objs[0]["attrs"]
        self.assertEqual(live["task_definition"], task)
        self.assertEqual(live["cluster"], cluster)
        self.assertEqual(live["health_check_grace_period_seconds"], 60)
        self.assertEqual(live["network_configuration"]["security_groups"],
                         [self.pre["security_group"]])
        got = counts(self.emu.calls)
        self.assertEqual((got["ListServices"], got["DescribeServices"]), (1, 1))

        # In place: a new revision, two tasks, the grace period and the tags.
        task2 = self.create("ecs.task_definition", "prometheus.task",
                            self.task_desired("prom/prometheus:v3"))["id"]
        want = dict(self.service_desired(cluster, task2, count="2"),
                    health_check_grace_period_seconds=120, tags={"Owner": "ops"})
        self.emu.clear()
        after = self.probe("update", STACK, "ecs.service", arn, json.dumps(want),
                           "task_definition", "desired_count",
                           "health_check_grace_period_seconds", "tags")[0][0]
        self.assertEqual(counts(self.emu.calls)["UpdateService"], 1)
        s = self.service()
        self.assertEqual((s["taskDefinition"], s["desiredCount"],
                          s["healthCheckGracePeriodSeconds"]), (task2, 2, 120))
        self.assertEqual(after["attrs"]["task_definition"], task2)
        self.assertEqual(self.tags_of(arn), {"Owner": "ops", "cairn:stack": STACK,
                                             "cairn:id": "prometheus.service"})
        _, r = self.probe("update", STACK, "ecs.service", arn, json.dumps(want),
                          "service_registries", ok=False)
        self.assertIn("cannot change in place", r.stderr)

        # A create run again adopts the service instead of making a second one.
        self.emu.clear()
        again = self.create("ecs.service", "prometheus.service", want)
        self.assertEqual(again["id"], arn)
        self.assertNotIn("CreateService", counts(self.emu.calls))
        _, r = self.probe("create", STACK, "ecs.service", "other.service",
                          json.dumps(want), ok=False)
        self.assertIn("exists in", r.stderr)

        # Scaled to 0, deleted, and waited for until INACTIVE (moto is there at once: one
        # DescribeServices answers DRAINING first).
        seen = []

        def draining_once(call):
            status, headers, body = call.forward()
            answer = json.loads(body)
            services = answer.get("services")
            if not seen and services and services[0]["status"] == "INACTIVE":
                seen.append(1)
                services[0]["status"] = "DRAINING"
            return status, headers, json.dumps(answer).encode()

        self.emu.intercept("ecs", "DescribeServices", draining_once)
        try:
            self.emu.clear()
            self.probe("remove", STACK, "ecs.service", arn)
        finally:
            self.emu.intercept("ecs", "DescribeServices", None)
        ops = [c.operation for c in self.emu.calls if c.service == "ecs"]
        removal = ops[ops.index("UpdateService"):]
        self.assertEqual(removal, ["UpdateService", "DeleteService", "DescribeServices",
                                   "DescribeServices"])
        self.assertEqual(self.service()["status"], "INACTIVE")
        self.assertEqual(self.read(rtype="ecs.service"), [])

    def test_remove_of_something_already_gone_succeeds(self):
        """What ECS answers for an object already going or gone counts as removed: a service
        being deleted (ServiceNotActiveException) is not deleted again, only waited for; a
        revision that cannot be deregistered and that DescribeTaskDefinition no longer knows
        (ClientException, ECS's only answer for it) is not deleted."""
        cluster = self.create("ecs.cluster", "cluster", {"name": "ecs-test-cluster"})["id"]
        task = self.create("ecs.task_definition", "prometheus.task", self.task_desired())["id"]
        arn = self.create("ecs.service", "prometheus.service",
                          self.service_desired(cluster, task))["id"]
        direct = self.ecs

        def error(code):
            return 400, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(
                {"__type": code, "message": "gone"}).encode()

        def deleted_meanwhile(call):
            direct.delete_service(cluster=cluster, service=arn, force=True)
            return error("ServiceNotActiveException")

        def deregistered_meanwhile(call):
            direct.deregister_task_definition(taskDefinition=task)
            direct.delete_task_definitions(taskDefinitions=[task])
            return error("ClientException")

        self.emu.intercept("ecs", "UpdateService", deleted_meanwhile)
        self.emu.intercept("ecs", "DeregisterTaskDefinition", deregistered_meanwhile)
        try:
            self.emu.clear()
            self.probe("remove", STACK, "ecs.service", arn)
            self.probe("remove", STACK, "ecs.task_definition", task)
        finally:
            self.emu.intercept("ecs", "UpdateService", None)
            self.emu.intercept("ecs", "DeregisterTaskDefinition", None)
        got = counts(self.emu.calls)
        self.assertNotIn("DeleteService", got)
        self.assertEqual(got["DescribeTaskDefinition"], 1)
        self.assertNotIn("DeleteTaskDefinitions", got)

    # -- the three together, through the engine

    def test_up_plan_replace_revision_destroy(self):
        with tempfile.TemporaryDirectory() as d:
            path = self.stack_file(d)
            r = self.run_cairn("up", path, "--yes")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("Apply complete: 3 created", r.stdout)
            first = self.service()["taskDefinition"]
            self.assertTrue(first.endswith("task-definition/ecs-test-prometheus:1"), first)
            td = self.ecs.describe_task_definition(taskDefinition=first)["taskDefinition"]
            env = {e["name"]: e["value"] for e in td["containerDefinitions"][0]["environment"]}
            self.assertEqual(env, {"CAIRN_SCRAPE_CONFIG": SCRAPE_CONFIG, "PORT": "9090"})

            # Just applied: no difference, and what the reads cost.
            self.emu.clear()
            code, plan = self.plan(path)
            self.assertEqual(code, 0, json.dumps(plan, indent=1))
            self.assertEqual(counts(self.emu.calls), {
                "ListClusters": 1, "DescribeClusters": 1, "ListTaskDefinitions": 1,
                "ListServices": 1, "DescribeServices": 1})
            # The revision's tags from the stack's one tagging pass; no DescribeTaskDefinition.
            self.assertEqual(counts(self.emu.calls, "resourcegroupstaggingapi"),
                             {"GetResources": 1})

            # A new image: the revision is replaced and the service updated to the new one.
            code, plan = self.plan(path, "--param", "image=prom/prometheus:v3.0.0")
            self.assertEqual(code, 2)
            acts = {a["resource"]: a for a in plan["actions"]}
            self.assertEqual(acts["task"]["action"], "replace")
            self.assertEqual([c["attribute"] for c in acts["task"]["changes"]],
                             ["container_definitions"])
            self.assertEqual(acts["service"]["action"], "update")
            self.assertEqual([(c["attribute"], c["known_after_apply"])
                              for c in acts["service"]["changes"]], [("task_definition", True)])
            self.assertEqual(acts["cluster"]["action"], "no-op")
            self.emu.clear()
            r = self.run_cairn("up", path, "--yes", "--param", "image=prom/prometheus:v3.0.0")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("1 updated, 1 replaced", r.stdout)
            writes = [c.operation for c in self.emu.calls if c.is_write]
            self.assertEqual(writes, ["DeregisterTaskDefinition", "DeleteTaskDefinitions",
                                      "RegisterTaskDefinition", "UpdateService"])
            second = self.service()["taskDefinition"]
            # AWS numbers it :2; moto, which forgets a deleted revision, numbers it :1 again.
            self.assertRegex(second, r"task-definition/ecs-test-prometheus:[12]$")
            if second != first:  # (in moto, the new one took the deleted one's number)
                self.assertTaskDefinitionDeleted(first)
            self.assertEqual(self.ecs.describe_task_definition(taskDefinition=second)[
                "taskDefinition"]["containerDefinitions"][0]["image"], "prom/prometheus:v3.0.0")
            code, plan = self.plan(path, "--param", "image=prom/prometheus:v3.0.0")
            self.assertEqual(code, 0, json.dumps(plan, indent=1))

            # Two ACTIVE revisions with the same cairn:id (a crash between register and
            # deregister): the newest is kept, the other deleted.
            td = self.ecs.describe_task_definition(taskDefinition=second, include=["TAGS"])
            spec = {k: td["taskDefinition"][k] for k in (
                "family", "containerDefinitions", "volumes", "networkMode", "cpu", "memory",
                "requiresCompatibilities", "executionRoleArn", "taskRoleArn")}
            third = self.ecs.register_task_definition(tags=td["tags"], **spec)[
                "taskDefinition"]["taskDefinitionArn"]
            code, plan = self.plan(path, "--param", "image=prom/prometheus:v3.0.0")
            acts = [(a["action"], a["resource"], a["id"]) for a in plan["actions"]
                    if a["type"] == "ecs.task_definition"]
            self.assertEqual(sorted(acts), [("delete", "task", second), ("no-op", "task", third)])
            # The service still names revision 2: an update to the kept one.
            svc = next(a for a in plan["actions"] if a["resource"] == "service")
            self.assertEqual(svc["action"], "update")

            r = self.run_cairn("destroy", path, "--yes")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertEqual(self.service()["status"], "INACTIVE")
            self.assertEqual(self.ecs.describe_clusters(clusters=["ecs-test-cluster"])[
                "clusters"][0]["status"], "INACTIVE")
            self.assertEqual(self.ecs.list_task_definitions(
                familyPrefix="ecs-test-prometheus", status="ACTIVE")["taskDefinitionArns"], [])

    def test_up_waits_for_a_steady_state_and_reports_a_failed_rollout(self):
        polls = []

        def deploying(call):
            """Two deployments, then one: what AWS shows while the first tasks start."""
            status, headers, body = call.forward()
            answer = json.loads(body)
            services = answer.get("services", [])
            if services and services[0]["deployments"]:
                polls.append(1)
                if len(polls) <= 3:
                    old = dict(services[0]["deployments"][0], status="ACTIVE")
                    services[0]["deployments"].append(old)
            return status, headers, json.dumps(answer).encode()

        def failing(call):
            status, headers, body = call.forward()
            answer = json.loads(body)
            for s in answer.get("services", []):
                for dep in s["deployments"]:
                    dep["rolloutState"] = "FAILED"
                    dep["rolloutStateReason"] = "tasks failed to start"
            return status, headers, json.dumps(answer).encode()

        with tempfile.TemporaryDirectory() as d:
            path = self.stack_file(d)
            self.emu.intercept("ecs", "DescribeServices", deploying)
            try:
                r = self.run_cairn("up", path, "--yes")
            finally:
                self.emu.intercept("ecs", "DescribeServices", None)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertGreaterEqual(len(polls), 4)
            self.assertIn("waiting until it is ready", r.stdout + r.stderr)

            self.emu.intercept("ecs", "DescribeServices", failing)
            try:
                r = self.run_cairn("up", path, "--yes", "--param", "desired_count=2")
            finally:
                self.emu.intercept("ecs", "DescribeServices", None)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("the deployment failed: tasks failed to start", r.stderr)
