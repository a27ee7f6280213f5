"""The seed stack reproduces seed/observability-architecture.md, point by point.

Each test method checks one point of the architecture on the output of
`cairn render --json stacks/dev-davidshaevel.yaml`: the expanded, low-level stack the engine sees.
References between resources stay as written (`${prometheus.security_group.id}`), so the tests
follow them to the resource they name instead of comparing text.

The rendered daemon configuration files (scrape configuration, dashboard provisioning) are YAML
inside container environment variables; they are parsed with PyYAML, which the AWS CLI pinned in
tests/requirements.txt depends on.
"""
import ipaddress
import json
import os
import re
import subprocess
import unittest

import yaml

CAIRN = os.environ["CAIRN_BIN"]
SOURCE = os.environ["CAIRN_SOURCE_DIR"]
STACK = "stacks/dev-davidshaevel.yaml"

STACK_NAME = "dev-davidshaevel"
DOMAIN = "davidshaevel.local"
ECS_TASKS = "ecs-tasks.amazonaws.com"
SEED_EXECUTION_ACTIONS = {
    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
    "logs:CreateLogStream", "logs:PutLogEvents",
    "elasticfilesystem:ClientMount", "elasticfilesystem:ClientWrite",
}
REF = re.compile(r"^\$\{([a-z][a-z0-9_.]*)\.([a-z_]+)\}$")


def cairn(*args):
    return subprocess.run([CAIRN, *args], capture_output=True, text=True, cwd=SOURCE,
                          stdin=subprocess.DEVNULL, timeout=60)


def render(*params):
    args = ["render", "--json", STACK]
    for p in params:
        args += ["--param", p]
    r = cairn(*args)
    if r.returncode != 0:
        raise AssertionError(f"cairn render failed ({r.returncode}):\n{r.stderr}")
    return json.loads(r.stdout)


def ref(value):
    """The (resource, attribute) a value that is exactly one ${resource.attribute} names."""
    m = REF.match(value) if isinstance(value, str) else None
    if not m:
        raise AssertionError(f"{value!r} is not a reference such as ${{vpc.id}}")
    return m.group(1), m.group(2)


def refs(values):
    return [ref(v)[0] for v in values]


def statements(document):
    s = document["Statement"]
    return s if isinstance(s, list) else [s]


def as_set(value):
    return {value} if isinstance(value, str) else set(value)


class SeedStack(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.doc = render()
        cls.res = cls.doc["resources"]

    # -- helpers ---------------------------------------------------------------------------------

    def get(self, name, rtype):
        self.assertIn(name, self.res, f"no resource {name} in the rendered stack")
        r = self.res[name]
        self.assertEqual(r["type"], rtype, name)
        return r

    def props(self, name, rtype):
        return self.get(name, rtype)["properties"]

    def of_type(self, rtype):
        return {k: v for k, v in self.res.items() if v["type"] == rtype}

    def container(self, service):
        task = self.props(f"{service}.task", "ecs.task_definition")
        self.assertEqual(len(task["container_definitions"]), 1, service)
        return task["container_definitions"][0]

    def ingress(self, sg):
        """Each inbound rule of a security group as (protocol, from, to, source resource)."""
        rules = set()
        for rule in self.props(sg, "ec2.security_group").get("ingress", []):
            port = rule.get("port")
            lo, hi = (port, port) if port is not None else (rule["from_port"], rule["to_port"])
            proto = rule.get("protocol", "tcp")
            self.assertNotIn("cidr_blocks", rule, f"{sg}: a rule open to address ranges")
            source, attr = ref(rule["source_security_group"])
            self.assertEqual(attr, "id")
            self.assertEqual(self.res[source]["type"], "ec2.security_group")
            key = (proto, lo, hi, source)
            self.assertNotIn(key, rules, f"{sg}: duplicate rule {key}")
            rules.add(key)
        return rules

    def assert_ecs_trust(self, role):
        st = statements(self.props(role, "iam.role")["assume_role_policy"])
        self.assertEqual(len(st), 1, role)
        self.assertEqual(st[0]["Effect"], "Allow")
        self.assertEqual(as_set(st[0]["Principal"]["Service"]), {ECS_TASKS}, role)
        self.assertEqual(as_set(st[0]["Action"]), {"sts:AssumeRole"}, role)

    def allowed_actions(self, role):
        actions = set()
        for policy in self.props(role, "iam.role").get("inline_policies", []):
            for st in statements(policy["document"]):
                self.assertEqual(st["Effect"], "Allow")
                actions |= as_set(st["Action"])
        return actions

    def daemon_file(self, service, variable):
        env = self.container(service).get("environment", {})
        self.assertIn(variable, env, f"{service} gets no {variable}")
        text = env[variable]
        self.assertNotIn("${", text, f"{variable} is not filled in")
        return yaml.safe_load(text)

    def service_subnets(self, service):
        net = self.props(f"{service}.service", "ecs.service")["network_configuration"]
        return refs(net["subnets"])

    # -- the commands ----------------------------------------------------------------------------

    def test_validate_exits_0(self):
        r = cairn("validate", STACK)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")

    def test_graph_is_a_dot_digraph_of_every_resource(self):
        r = cairn("graph", STACK)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r'^digraph "dev-davidshaevel" \{')
        self.assertTrue(r.stdout.rstrip().endswith("}"))
        nodes = set(re.findall(r'^\s*"([^"]+)" \[label=', r.stdout, re.M))
        self.assertEqual(nodes, set(self.res))
        # Edges are the dependencies render reports.
        edges = set(re.findall(r'^\s*"([^"]+)" -> "([^"]+)";', r.stdout, re.M))
        self.assertEqual(edges, {(k, d) for k, v in self.res.items() for d in v["depends_on"]})

    def test_render_leaves_no_parameter_or_stack_expression(self):
        text = json.dumps(self.doc)
        for prefix in ("${param.", "${stack.", "${instance."):
            self.assertNotIn(prefix, text)

    def test_stack_region_and_tags(self):
        self.assertEqual(self.doc["stack"], STACK_NAME)
        self.assertEqual(self.doc["region"], "us-east-1")
        self.assertEqual(self.doc["tags"].get("Project"), "davidshaevel")
        self.assertEqual(self.doc["tags"].get("Environment"), "dev")

    # -- network ---------------------------------------------------------------------------------

    def test_vpc_with_public_and_private_subnets_over_two_azs(self):
        vpc = self.props("network.vpc", "ec2.vpc")
        self.assertIs(vpc["enable_dns_support"], True)
        self.assertIs(vpc["enable_dns_hostnames"], True)  # Cloud Map private DNS needs both
        net = ipaddress.ip_network(vpc["cidr_block"])
        subnets = self.of_type("ec2.subnet")
        self.assertEqual(set(subnets), {"network.public_a", "network.public_b",
                                        "network.private_a", "network.private_b"})
        zones = {}
        for name, s in subnets.items():
            p = s["properties"]
            self.assertEqual(ref(p["vpc_id"]), ("network.vpc", "id"), name)
            self.assertTrue(ipaddress.ip_network(p["cidr_block"]).subnet_of(net), name)
            self.assertIs(p["map_public_ip_on_launch"], name.startswith("network.public"), name)
            zones.setdefault(name.split("_")[0], set()).add(p["availability_zone"])
        self.assertEqual(zones["network.public"], {"us-east-1a", "us-east-1b"})
        self.assertEqual(zones["network.private"], {"us-east-1a", "us-east-1b"})
        cidrs = [ipaddress.ip_network(s["properties"]["cidr_block"]) for s in subnets.values()]
        for i, a in enumerate(cidrs):
            for b in cidrs[i + 1:]:
                self.assertFalse(a.overlaps(b), f"{a} overlaps {b}")

    def routes_of(self, table):
        routes = {}
        for name, r in self.of_type("ec2.route").items():
            p = r["properties"]
            if ref(p["route_table_id"])[0] == table:
                target = p.get("gateway_id") or p.get("nat_gateway_id")
                routes[p["destination_cidr_block"]] = ref(target)[0]
        return routes

    def associated(self, table):
        return {ref(a["properties"]["subnet_id"])[0]
                for a in self.of_type("ec2.route_table_association").values()
                if ref(a["properties"]["route_table_id"])[0] == table}

    def test_public_subnets_route_to_the_internet_gateway(self):
        igw = self.props("network.igw", "ec2.internet_gateway")
        self.assertEqual(ref(igw["vpc_id"]), ("network.vpc", "id"))
        self.assertEqual(self.routes_of("network.public_routes"), {"0.0.0.0/0": "network.igw"})
        self.assertEqual(self.associated("network.public_routes"),
                         {"network.public_a", "network.public_b"})

    def test_private_subnets_egress_through_a_nat_gateway(self):
        nat = self.props("network.nat", "ec2.nat_gateway")
        self.assertEqual(ref(nat["subnet_id"])[0], "network.public_a")
        self.assertEqual(self.res[ref(nat["allocation_id"])[0]]["type"], "ec2.eip")
        self.assertEqual(nat.get("connectivity_type", "public"), "public")
        self.assertEqual(self.routes_of("network.private_routes"), {"0.0.0.0/0": "network.nat"})
        self.assertEqual(self.associated("network.private_routes"),
                         {"network.private_a", "network.private_b"})

    def test_ecs_tasks_run_in_private_subnets_without_public_ips(self):
        services = self.of_type("ecs.service")
        self.assertEqual(set(services), {f"{s}.service" for s in
                                         ("backend", "frontend", "prometheus", "grafana")})
        for name, s in services.items():
            net = s["properties"]["network_configuration"]
            self.assertEqual(set(refs(net["subnets"])), {"network.private_a", "network.private_b"},
                             name)
            self.assertEqual(net.get("assign_public_ip", "DISABLED"), "DISABLED", name)

    def test_alb_is_public_in_the_public_subnets(self):
        lb = self.props("alb.load_balancer", "elbv2.load_balancer")
        self.assertEqual(lb.get("scheme", "internet-facing"), "internet-facing")
        self.assertEqual(lb.get("type", "application"), "application")
        self.assertEqual(set(refs(lb["subnets"])), {"network.public_a", "network.public_b"})
        self.assertEqual(refs(lb["security_groups"]), ["alb.security_group"])
        listener = self.props("alb.listener", "elbv2.listener")
        self.assertEqual(ref(listener["load_balancer_arn"])[0], "alb.load_balancer")
        # Inbound only through the ALB: the only rule open to address ranges is its listener's.
        rules = self.props("alb.security_group", "ec2.security_group")["ingress"]
        self.assertEqual([(r["port"], r["cidr_blocks"]) for r in rules],
                         [(listener["port"], ["0.0.0.0/0"])])

    # -- security groups: exactly the seed's inbound rules ---------------------------------------

    def test_prometheus_sg_allows_9090_from_grafana_and_alb(self):
        self.assertEqual(self.ingress("prometheus.security_group"), {
            ("tcp", 9090, 9090, "grafana.security_group"),
            ("tcp", 9090, 9090, "alb.security_group")})

    def test_grafana_sg_allows_3000_from_alb(self):
        self.assertEqual(self.ingress("grafana.security_group"), {
            ("tcp", 3000, 3000, "alb.security_group")})

    def test_backend_sg_allows_3001_from_prometheus_alb_and_frontend(self):
        self.assertEqual(self.ingress("backend.security_group"), {
            ("tcp", 3001, 3001, "prometheus.security_group"),
            ("tcp", 3001, 3001, "alb.security_group"),
            ("tcp", 3001, 3001, "frontend.security_group")})

    def test_frontend_sg_allows_3000_from_prometheus_and_alb(self):
        self.assertEqual(self.ingress("frontend.security_group"), {
            ("tcp", 3000, 3000, "prometheus.security_group"),
            ("tcp", 3000, 3000, "alb.security_group")})

    def test_efs_sg_allows_nfs_from_prometheus_and_grafana(self):
        self.assertEqual(self.ingress("efs_security_group"), {
            ("tcp", 2049, 2049, "prometheus.security_group"),
            ("tcp", 2049, 2049, "grafana.security_group")})

    def test_each_service_runs_in_its_own_security_group(self):
        for s in ("backend", "frontend", "prometheus", "grafana"):
            net = self.props(f"{s}.service", "ecs.service")["network_configuration"]
            self.assertEqual(refs(net["security_groups"]), [f"{s}.security_group"], s)
            sg = self.props(f"{s}.security_group", "ec2.security_group")
            self.assertEqual(ref(sg["vpc_id"]), ("network.vpc", "id"), s)

    # -- ECS -------------------------------------------------------------------------------------

    def assert_service(self, service, count, port, cpu=None, memory=None):
        name = f"{STACK_NAME}-{service}"
        svc = self.get(f"{service}.service", "ecs.service")
        task = self.get(f"{service}.task", "ecs.task_definition")
        self.assertEqual(svc["name"], name)
        self.assertEqual(task["name"], name)
        p, t = svc["properties"], task["properties"]
        self.assertEqual(p["desired_count"], count)
        self.assertEqual(p.get("launch_type", "FARGATE"), "FARGATE")
        self.assertEqual(ref(p["cluster"]), ("cluster", "arn"))
        self.assertEqual(ref(p["task_definition"]), (f"{service}.task", "arn"))
        self.assertEqual(t["requires_compatibilities"], ["FARGATE"])
        self.assertEqual(t.get("network_mode", "awsvpc"), "awsvpc")
        if cpu is not None:
            self.assertEqual(t["cpu"], cpu)
            self.assertEqual(t["memory"], memory)
        c = self.container(service)
        self.assertEqual([m["container_port"] for m in c["port_mappings"]], [port])
        logs = self.get(f"{service}.logs", "logs.log_group")
        self.assertEqual(logs["name"], f"/ecs/{name}")
        self.assertEqual(c["log_configuration"]["log_driver"], "awslogs")
        self.assertEqual(c["log_configuration"]["options"]["awslogs-group"], f"/ecs/{name}")
        return p, t, c

    def test_ecs_cluster_runs_the_four_services(self):
        self.get("cluster", "ecs.cluster")
        self.assertEqual(len(self.of_type("ecs.cluster")), 1)
        for s in ("backend", "frontend", "prometheus", "grafana"):
            self.assertEqual(ref(self.props(f"{s}.service", "ecs.service")["cluster"])[0],
                             "cluster")

    def test_backend_runs_2_tasks_on_3001(self):
        self.assert_service("backend", 2, 3001)

    def test_frontend_runs_2_tasks_on_3000(self):
        self.assert_service("frontend", 2, 3000)

    def test_prometheus_runs_1_task_256_cpu_512_mb_on_9090(self):
        _, _, c = self.assert_service("prometheus", 1, 9090, 256, 512)
        # Exec form, the route prefix the server has (the image has no shell).
        self.assertEqual(c["health_check"]["command"][:3],
                         ["CMD", "/usr/local/bin/cairn-tsdb", "healthcheck"])
        self.assertIn("--web.external-url=", c["health_check"]["command"][3])

    def test_grafana_runs_1_task_256_cpu_512_mb_on_3000_with_api_health(self):
        _, _, c = self.assert_service("grafana", 1, 3000, 256, 512)
        # The cairn images have no shell for the templates' CMD-SHELL wget check: the daemon
        # checks itself, exec form (tools/image, cairn-dash healthcheck).
        self.assertEqual(c["health_check"]["command"],
                         ["CMD", "/usr/local/bin/cairn-dash", "healthcheck"])
        tg = self.props("grafana.target_group", "elbv2.target_group")
        self.assertEqual(tg["health_check"]["path"], "/api/health")

    # -- service discovery -----------------------------------------------------------------------

    def test_cloud_map_namespace_with_the_four_service_names(self):
        ns = self.get("namespace", "servicediscovery.private_dns_namespace")
        self.assertEqual(ns["name"], DOMAIN)
        self.assertEqual(ref(ns["properties"]["vpc"]), ("network.vpc", "id"))
        services = self.of_type("servicediscovery.service")
        self.assertEqual({s["name"] for s in services.values()},
                         {f"{STACK_NAME}-{s}" for s in ("backend", "frontend", "prometheus",
                                                        "grafana")})
        for name, s in services.items():
            p = s["properties"]
            self.assertEqual(ref(p["namespace_id"]), ("namespace", "id"), name)
            self.assertEqual([r["type"] for r in p["dns_records"]], ["A"], name)
            self.assertEqual(p.get("routing_policy", "MULTIVALUE"), "MULTIVALUE", name)
        for s in ("backend", "frontend", "prometheus", "grafana"):
            regs = self.props(f"{s}.service", "ecs.service")["service_registries"]
            self.assertEqual([ref(r["registry_arn"]) for r in regs], [(f"{s}.discovery", "arn")])

    # -- EFS -------------------------------------------------------------------------------------

    def test_two_encrypted_efs_file_systems(self):
        fss = self.of_type("efs.file_system")
        self.assertEqual(set(fss), {"prometheus_data.file_system", "grafana_data.file_system"})
        names = set()
        for name, fs in fss.items():
            p = fs["properties"]
            self.assertIs(p["encrypted"], True, name)
            self.assertEqual(p.get("performance_mode"), "generalPurpose", name)
            self.assertEqual(p.get("throughput_mode"), "bursting", name)
            self.assertFalse(p.get("lifecycle_policies"), name)
            names.add(p["tags"]["Name"])
        self.assertEqual(names, {f"{STACK_NAME}-prometheus-data", f"{STACK_NAME}-grafana-data"})

    def test_efs_mount_targets_in_both_private_subnets_behind_the_efs_sg(self):
        for fs in ("prometheus_data", "grafana_data"):
            subnets = set()
            for name, mt in self.of_type("efs.mount_target").items():
                p = mt["properties"]
                if ref(p["file_system_id"])[0] != f"{fs}.file_system":
                    continue
                self.assertEqual(refs(p["security_groups"]), ["efs_security_group"], name)
                subnets.add(ref(p["subnet_id"])[0])
            self.assertEqual(subnets, {"network.private_a", "network.private_b"}, fs)

    def assert_access_point(self, fs, uid):
        ap = self.props(f"{fs}.access_point", "efs.access_point")
        self.assertEqual(ref(ap["file_system_id"]), (f"{fs}.file_system", "id"))
        self.assertEqual(ap["posix_user"]["uid"], uid)
        self.assertEqual(ap["posix_user"]["gid"], uid)
        info = ap["root_directory"]["creation_info"]
        self.assertEqual((info["owner_uid"], info["owner_gid"]), (uid, uid))
        self.assertEqual(len(self.of_type("efs.access_point")), 2)

    def test_prometheus_access_point_is_uid_gid_65534(self):
        self.assert_access_point("prometheus_data", 65534)

    def test_grafana_access_point_is_uid_gid_472(self):
        self.assert_access_point("grafana_data", 472)

    def assert_efs_volume(self, service, fs, path):
        task = self.props(f"{service}.task", "ecs.task_definition")
        (volume,) = task["volumes"]
        efs = volume["efs_volume_configuration"]
        self.assertEqual(ref(efs["file_system_id"]), (f"{fs}.file_system", "id"))
        self.assertEqual(efs["transit_encryption"], "ENABLED")  # TLS in transit
        auth = efs["authorization_config"]
        self.assertEqual(ref(auth["access_point_id"]), (f"{fs}.access_point", "id"))
        self.assertEqual(auth["iam"], "ENABLED")
        (mount,) = self.container(service)["mount_points"]
        self.assertEqual(mount["source_volume"], volume["name"])
        self.assertEqual(mount["container_path"], path)
        self.assertIs(mount.get("read_only", False), False)

    def test_prometheus_data_on_efs_at_prometheus_with_tls(self):
        self.assert_efs_volume("prometheus", "prometheus_data", "/prometheus")

    def test_grafana_data_on_efs_at_var_lib_grafana_with_tls(self):
        self.assert_efs_volume("grafana", "grafana_data", "/var/lib/grafana")

    def test_backend_and_frontend_keep_no_data(self):
        for s in ("backend", "frontend"):
            self.assertFalse(self.props(f"{s}.task", "ecs.task_definition").get("volumes"), s)

    # -- load balancer ---------------------------------------------------------------------------

    def test_alb_routes_prometheus_and_grafana_paths_to_their_target_groups(self):
        rules = {}
        for name, r in self.of_type("elbv2.listener_rule").items():
            p = r["properties"]
            self.assertEqual(ref(p["listener_arn"]), ("alb.listener", "arn"), name)
            self.assertEqual(p["action"]["type"], "forward", name)
            tg_name, attr = ref(p["action"]["target_group_arn"])
            self.assertEqual(attr, "arn")
            tg = self.get(tg_name, "elbv2.target_group")
            for path in p["conditions"]["path_patterns"]:
                rules[path] = (tg["name"], tg["properties"]["port"])
        self.assertEqual(rules, {
            "/prometheus/*": (f"{STACK_NAME}-prometheus", 9090),
            "/grafana/*": (f"{STACK_NAME}-grafana", 3000)})
        priorities = [r["properties"]["priority"]
                      for r in self.of_type("elbv2.listener_rule").values()]
        self.assertEqual(len(priorities), len(set(priorities)))

    def test_target_groups_register_the_tasks_by_ip(self):
        for s, port in (("prometheus", 9090), ("grafana", 3000)):
            tg = self.props(f"{s}.target_group", "elbv2.target_group")
            self.assertEqual(tg["target_type"], "ip", s)
            self.assertEqual(tg["protocol"], "HTTP", s)
            self.assertEqual(ref(tg["vpc_id"]), ("network.vpc", "id"), s)
            (lb,) = self.props(f"{s}.service", "ecs.service")["load_balancers"]
            self.assertEqual(ref(lb["target_group_arn"]), (f"{s}.target_group", "arn"))
            self.assertEqual((lb["container_name"], lb["container_port"]), (s, port))
        for s in ("backend", "frontend"):
            self.assertFalse(self.props(f"{s}.service", "ecs.service").get("load_balancers"), s)

    # -- IAM -------------------------------------------------------------------------------------

    def test_prometheus_task_role_reads_cloudwatch_metrics(self):
        self.assert_ecs_trust("prometheus_role")
        self.assertEqual(self.allowed_actions("prometheus_role"),
                         {"cloudwatch:GetMetricData", "cloudwatch:ListMetrics"})
        self.assertEqual(ref(self.props("prometheus.task", "ecs.task_definition")["task_role_arn"]),
                         ("prometheus_role", "arn"))

    def test_grafana_task_role_has_no_permissions(self):
        self.assert_ecs_trust("grafana_role")
        self.assertEqual(self.allowed_actions("grafana_role"), set())
        self.assertFalse(self.props("grafana_role", "iam.role").get("managed_policy_arns"))
        self.assertEqual(ref(self.props("grafana.task", "ecs.task_definition")["task_role_arn"]),
                         ("grafana_role", "arn"))

    def test_task_execution_role_has_the_seed_permissions(self):
        self.assert_ecs_trust("execution_role")
        role = self.props("execution_role", "iam.role")
        self.assertFalse(role.get("managed_policy_arns"))
        seed, other = set(), []
        for policy in role["inline_policies"]:
            for st in statements(policy["document"]):
                actions = as_set(st["Action"])
                if actions <= SEED_EXECUTION_ACTIONS:
                    seed |= actions
                else:
                    other.append(st)
        self.assertEqual(seed, SEED_EXECUTION_ACTIONS)
        # Beside them, only reading the one injected secret.
        self.assertEqual([(as_set(st["Action"]), ref(st["Resource"])) for st in other],
                         [({"secretsmanager:GetSecretValue"}, ("grafana_admin_password", "arn"))])
        for s in ("backend", "frontend", "prometheus", "grafana"):
            task = self.props(f"{s}.task", "ecs.task_definition")
            self.assertEqual(ref(task["execution_role_arn"]), ("execution_role", "arn"), s)

    # -- secrets ---------------------------------------------------------------------------------

    def test_grafana_admin_password_is_generated_and_injected_as_a_secret(self):
        secret = self.props("grafana_admin_password", "secretsmanager.secret")
        self.assertIn("generate", secret)
        self.assertNotIn("value", secret)
        c = self.container("grafana")
        self.assertEqual(c["secrets"], [{"name": "GF_SECURITY_ADMIN_PASSWORD",
                                         "value_from": "${grafana_admin_password.arn}"}])
        self.assertNotIn("GF_SECURITY_ADMIN_PASSWORD", c.get("environment", {}))
        for s in ("backend", "frontend", "prometheus"):
            self.assertFalse(self.container(s).get("secrets"), s)

    # -- backup ----------------------------------------------------------------------------------

    def test_backup_daily_at_3_utc_kept_7_days_for_both_file_systems(self):
        plan = self.props("backup.plan", "backup.plan")
        (rule,) = plan["rules"]
        self.assertEqual(rule["schedule"], "cron(0 3 * * ? *)")
        self.assertEqual(rule["delete_after_days"], 7)
        # The vault's name is known before apply, so render fills it in.
        vault = self.get("backup.vault", "backup.vault")
        self.assertEqual(rule["target_vault"], vault["name"])
        self.assertEqual(vault["name"], "dev-davidshaevel-backup")
        sel = self.props("backup.selection", "backup.selection")
        self.assertEqual(ref(sel["plan_id"]), ("backup.plan", "id"))
        self.assertEqual(set(map(ref, sel["resources"])),
                         {("prometheus_data.file_system", "arn"),
                          ("grafana_data.file_system", "arn")})
        role_name, _ = ref(sel["iam_role_arn"])
        role = self.props(role_name, "iam.role")
        (st,) = statements(role["assume_role_policy"])
        self.assertEqual(as_set(st["Principal"]["Service"]), {"backup.amazonaws.com"})
        self.assertEqual(role["managed_policy_arns"], [
            "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup",
            "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores"])
        # EFS's own automatic backups (35 days, another vault) are off: the plan is the backup.
        for fs in ("prometheus_data", "grafana_data"):
            self.assertEqual(self.props(f"{fs}.backup_policy", "efs.backup_policy")["status"],
                             "DISABLED")

    # -- the daemons' configuration --------------------------------------------------------------

    def test_scrape_interval_15s_and_retention_15d_reach_prometheus(self):
        config = self.daemon_file("prometheus", "CAIRN_SCRAPE_CONFIG")
        self.assertEqual(config["global"]["scrape_interval"], "15s")
        for job in config["scrape_configs"]:
            self.assertNotIn("scrape_interval", job)  # every job at the global interval
        command = self.container("prometheus")["command"]
        self.assertIn("--storage.tsdb.retention.time=15d", command)
        self.assertIn("--storage.tsdb.path=/prometheus", command)
        # The load balancer forwards /prometheus/... unchanged: Prometheus serves under it.
        self.assertIn("--web.external-url=https://davidshaevel.com/prometheus/", command)

    def test_scrape_targets_are_backend_frontend_and_self(self):
        config = self.daemon_file("prometheus", "CAIRN_SCRAPE_CONFIG")
        urls = set()
        for job in config["scrape_configs"]:
            scheme, path = job.get("scheme", "http"), job.get("metrics_path", "/metrics")
            for sd in job.get("dns_sd_configs", []):
                self.assertEqual(sd.get("type", "SRV"), "A")  # Cloud Map registers A records
                urls |= {f"{scheme}://{n}:{sd['port']}{path}" for n in sd["names"]}
            for sc in job.get("static_configs", []):
                urls |= {f"{scheme}://{t}{path}" for t in sc["targets"]}
        self.assertEqual(urls, {
            f"http://{STACK_NAME}-backend.{DOMAIN}:3001/api/metrics",
            f"http://{STACK_NAME}-frontend.{DOMAIN}:3000/metrics",
            "http://localhost:9090/prometheus/metrics"})
        # The names are the Cloud Map services' names in the namespace.
        names = {s["name"] for s in self.of_type("servicediscovery.service").values()}
        for u in urls - {"http://localhost:9090/prometheus/metrics"}:
            host = u.split("//")[1].split(":")[0]
            self.assertIn(host.removesuffix("." + DOMAIN), names)

    def test_grafana_datasource_is_prometheus_through_cloud_map(self):
        config = self.daemon_file("grafana", "CAIRN_DASH_DATASOURCES")
        (ds,) = config["datasources"]
        self.assertEqual(ds["type"], "prometheus")  # queried with PromQL
        # Under Prometheus's route prefix (--web.external-url .../prometheus/, for the ALB).
        self.assertEqual(ds["url"], f"http://{STACK_NAME}-prometheus.{DOMAIN}:9090/prometheus")
        self.assertEqual(ds.get("access", "proxy"), "proxy")
        self.assertIs(ds["isDefault"], True)

    def test_grafana_dashboards_are_provisioned_at_start(self):
        config = self.daemon_file("grafana", "CAIRN_DASH_DASHBOARDS")
        (provider,) = config["providers"]
        self.assertEqual(provider["type"], "file")
        self.assertTrue(provider["options"]["path"].startswith("/"))
        env = self.container("grafana")["environment"]
        self.assertEqual(env["GF_PATHS_DATA"], "/var/lib/grafana")  # users' dashboards on EFS

    # -- parameters ------------------------------------------------------------------------------

    def test_container_images_are_parameters(self):
        for s in ("backend", "frontend", "prometheus", "grafana"):
            self.assertTrue(self.container(s)["image"], s)
        doc = render("backend_image=x", "frontend_image=registry.example/frontend:2",
                     "prometheus_image=p:1", "grafana_image=g@sha256:00")
        images = {s: c["image"] for s in ("backend", "frontend", "prometheus", "grafana")
                  for c in doc["resources"][f"{s}.task"]["properties"]["container_definitions"]}
        self.assertEqual(images, {"backend": "x", "frontend": "registry.example/frontend:2",
                                  "prometheus": "p:1", "grafana": "g@sha256:00"})
        # Nothing else changed.
        for name, r in doc["resources"].items():
            if not name.endswith(".task"):
                self.assertEqual(r, self.res[name], name)


if __name__ == "__main__":
    unittest.main()
