#!/usr/bin/env python3
"""Check, with the AWS CLI alone, that AWS holds the observability stack the seed describes.

Every point of the seed architecture (docs/seed-architecture.md) that the stack file
stacks/dev-davidshaevel.yaml deploys, looked up the way an operator would, independently of
cairn: security group rules exactly, access point users and paths, the load balancer's listener,
rules and target groups, the Cloud Map namespace and services, task sizes and counts, the
Grafana secret injected into its task, encryption at rest and in transit, the log groups, the
roles and the backup plan and selection.

Usage: tests/seed_check.py [--stack NAME]      (default dev-davidshaevel)
The AWS CLI's usual environment says where (AWS_ENDPOINT_URL for the emulator, AWS_REGION).
Prints one line per check and exits 1 if any failed.
"""
import argparse
import json
import subprocess
import sys


def aws(*args):
    r = subprocess.run(["aws", "--output", "json", *args], capture_output=True, text=True,
                       timeout=120)
    if r.returncode != 0:
        raise RuntimeError(f"aws {' '.join(args)}: {r.stderr.strip()}")
    return json.loads(r.stdout) if r.stdout.strip() else {}


class Checker:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, what, got, want):
        if got == want:
            self.passed += 1
            print(f"ok    {what}")
        else:
            self.failed += 1
            print(f"FAIL  {what}: got {got!r}, want {want!r}")


def tags_of(obj, key="Tags", k="Key", v="Value"):
    return {t[k]: t[v] for t in obj.get(key) or []}


def rules_of(sg, names):
    """Ingress as a set of (protocol, from, to, source name or CIDR)."""
    out = set()
    for p in sg["IpPermissions"]:
        ports = (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"))
        for r in p.get("IpRanges", []):
            out.add(ports + (r["CidrIp"],))
        for g in p.get("UserIdGroupPairs", []):
            out.add(ports + (names.get(g["GroupId"], g["GroupId"]),))
        for r in p.get("Ipv6Ranges", []):
            out.add(ports + (r["CidrIpv6"],))
    return out


def check_network(c, stack):
    f = ["--filters", f"Name=tag:cairn:stack,Values={stack}"]
    vpcs = aws("ec2", "describe-vpcs", *f)["Vpcs"]
    c.check("one VPC, 10.0.0.0/16", [v["CidrBlock"] for v in vpcs], ["10.0.0.0/16"])
    subnets = aws("ec2", "describe-subnets", *f)["Subnets"]
    c.check("subnets 10.0.1/2 public, 10.0.11/12 private, over two zones",
            sorted((s["CidrBlock"], s["MapPublicIpOnLaunch"]) for s in subnets),
            [("10.0.1.0/24", True), ("10.0.11.0/24", False), ("10.0.12.0/24", False),
             ("10.0.2.0/24", True)])
    c.check("subnets span two availability zones", len({s["AvailabilityZone"] for s in subnets}),
            2)
    nats = [n for n in aws("ec2", "describe-nat-gateways", "--filter",
                           f"Name=tag:cairn:stack,Values={stack}")["NatGateways"]
            if n["State"] == "available"]
    c.check("one NAT gateway, in a public subnet",
            [next(s["CidrBlock"] for s in subnets if s["SubnetId"] == n["SubnetId"])
             in ("10.0.1.0/24", "10.0.2.0/24") for n in nats], [True])
    return {s["CidrBlock"]: s["SubnetId"] for s in subnets}


def check_security_groups(c, stack):
    sgs = aws("ec2", "describe-security-groups", "--filters",
              f"Name=tag:cairn:stack,Values={stack}")["SecurityGroups"]
    by_name = {g["GroupName"]: g for g in sgs}
    names = {g["GroupId"]: g["GroupName"][len(stack) + 1:] for g in sgs}
    tcp = lambda port, src: ("tcp", port, port, src)  # noqa: E731
    want = {
        "alb": {tcp(80, "0.0.0.0/0")},
        "backend": {tcp(3001, "prometheus"), tcp(3001, "alb"), tcp(3001, "frontend")},
        "frontend": {tcp(3000, "prometheus"), tcp(3000, "alb")},
        "prometheus": {tcp(9090, "grafana"), tcp(9090, "alb")},
        "grafana": {tcp(3000, "alb")},
        "efs": {tcp(2049, "prometheus"), tcp(2049, "grafana")},
    }
    c.check("security groups", sorted(names.values()), sorted(want))
    for short, rules in want.items():
        g = by_name.get(f"{stack}-{short}")
        c.check(f"security group {short}: ingress exactly", rules_of(g, names) if g else None,
                rules)
    return {short: by_name[f"{stack}-{short}"]["GroupId"] for short in want
            if f"{stack}-{short}" in by_name}


def check_efs(c, stack):
    fss = [f for f in aws("efs", "describe-file-systems")["FileSystems"]
           if tags_of(f).get("cairn:stack") == stack]
    by_name = {tags_of(f).get("Name"): f for f in fss}
    c.check("file systems", sorted(by_name), [f"{stack}-grafana-data", f"{stack}-prometheus-data"])
    for name, f in by_name.items():
        c.check(f"{name}: encrypted at rest", f["Encrypted"], True)
        c.check(f"{name}: General Purpose, Bursting",
                (f["PerformanceMode"], f["ThroughputMode"]), ("generalPurpose", "bursting"))
        mts = aws("efs", "describe-mount-targets", "--file-system-id", f["FileSystemId"])
        c.check(f"{name}: a mount target in each private subnet",
                len(mts["MountTargets"]), 2)
    aps = [a for a in aws("efs", "describe-access-points")["AccessPoints"]
           if tags_of(a).get("cairn:stack") == stack]
    fs_name = {f["FileSystemId"]: n for n, f in by_name.items()}
    got = sorted((fs_name.get(a["FileSystemId"]), a["PosixUser"]["Uid"], a["PosixUser"]["Gid"],
                  a["RootDirectory"]["Path"], a["RootDirectory"]["CreationInfo"]["OwnerUid"],
                  a["RootDirectory"]["CreationInfo"]["OwnerGid"],
                  a["RootDirectory"]["CreationInfo"]["Permissions"]) for a in aps)
    c.check("access points: POSIX users, root directories and their owners", got, [
        (f"{stack}-grafana-data", 472, 472, "/grafana", 472, 472, "755"),
        (f"{stack}-prometheus-data", 65534, 65534, "/prometheus", 65534, 65534, "755"),
    ])
    return ({n[len(stack) + 1:]: f["FileSystemId"] for n, f in by_name.items()},
            {fs_name.get(a["FileSystemId"], "")[len(stack) + 1:]: a["AccessPointId"]
             for a in aps})


def check_alb(c, stack):
    lbs = [lb for lb in aws("elbv2", "describe-load-balancers")["LoadBalancers"]
           if lb["LoadBalancerName"] == f"{stack}-alb"]
    c.check("one internet-facing application load balancer",
            [(lb["Type"], lb["Scheme"]) for lb in lbs], [("application", "internet-facing")])
    if not lbs:
        return {}
    listeners = aws("elbv2", "describe-listeners", "--load-balancer-arn",
                    lbs[0]["LoadBalancerArn"])["Listeners"]
    c.check("one HTTP listener on port 80", [(ln["Protocol"], ln["Port"]) for ln in listeners],
            [("HTTP", 80)])
    if not listeners:
        return {}
    d = listeners[0]["DefaultActions"][0]
    c.check("listener default: 404", (d["Type"], d.get("FixedResponseConfig", {}).get(
        "StatusCode")), ("fixed-response", "404"))
    tgs = {t["TargetGroupArn"]: t for t in aws("elbv2", "describe-target-groups")["TargetGroups"]
           if t["TargetGroupName"].startswith(f"{stack}-")}
    rules = [r for r in aws("elbv2", "describe-rules", "--listener-arn",
                            listeners[0]["ListenerArn"])["Rules"] if not r["IsDefault"]]
    got = []
    for r in rules:
        paths = sorted(v for cond in r["Conditions"] if cond["Field"] == "path-pattern"
                       for v in (cond.get("PathPatternConfig", {}).get("Values")
                                 or cond.get("Values", [])))
        tg = tgs.get(r["Actions"][0].get("TargetGroupArn"), {})
        got.append((int(r["Priority"]), paths, tg.get("TargetGroupName"), tg.get("Port"),
                    tg.get("TargetType"), tg.get("HealthCheckPath")))
    c.check("rules: /prometheus/* and /grafana/* to their ip target groups", sorted(got), [
        (10, ["/prometheus/*"], f"{stack}-prometheus", 9090, "ip", "/prometheus/-/healthy"),
        (20, ["/grafana/*"], f"{stack}-grafana", 3000, "ip", "/api/health"),
    ])
    return {t["TargetGroupName"]: arn for arn, t in tgs.items()}


def check_cloud_map(c, stack):
    nss = [n for n in aws("servicediscovery", "list-namespaces")["Namespaces"]
           if n["Name"] == "davidshaevel.local"]
    c.check("Cloud Map private DNS namespace davidshaevel.local",
            [n["Type"] for n in nss], ["DNS_PRIVATE"])
    if not nss:
        return {}
    svcs = aws("servicediscovery", "list-services", "--filters",
               f"Name=NAMESPACE_ID,Values={nss[0]['Id']},Condition=EQ")["Services"]
    got = {}
    for s in svcs:
        full = aws("servicediscovery", "get-service", "--id", s["Id"])["Service"]
        dns = full.get("DnsConfig", {})
        got[s["Name"]] = ([(r["Type"], r["TTL"]) for r in dns.get("DnsRecords", [])],
                          dns.get("RoutingPolicy"))
    c.check("Cloud Map services: A records, MULTIVALUE", got,
            {f"{stack}-{n}": ([("A", 10)], "MULTIVALUE")
             for n in ("backend", "frontend", "prometheus", "grafana")})
    return {s["Name"]: s["Arn"] for s in svcs}


def check_ecs(c, stack, subnets, sgs, fs, aps, tgs, registries, secret_arn):
    cluster = f"{stack}-cluster"
    arns = aws("ecs", "list-services", "--cluster", cluster).get("serviceArns", [])
    services = {s["serviceName"]: s for s in aws(
        "ecs", "describe-services", "--cluster", cluster, "--services", *arns)["services"]} \
        if arns else {}
    want_count = {"backend": 2, "frontend": 2, "prometheus": 1, "grafana": 1}
    c.check("ECS services and desired counts",
            {n: s["desiredCount"] for n, s in services.items()},
            {f"{stack}-{n}": k for n, k in want_count.items()})
    private = sorted([subnets.get("10.0.11.0/24"), subnets.get("10.0.12.0/24")])
    ports = {"backend": 3001, "frontend": 3000, "prometheus": 9090, "grafana": 3000}
    for short in want_count:
        s = services.get(f"{stack}-{short}")
        if not s:
            continue
        net = s["networkConfiguration"]["awsvpcConfiguration"]
        c.check(f"{short}: Fargate in the private subnets, its own group, no public IP",
                (s.get("launchType"), sorted(net["subnets"]), net["securityGroups"],
                 net.get("assignPublicIp")),
                ("FARGATE", private, [sgs.get(short)], "DISABLED"))
        c.check(f"{short}: registered in Cloud Map",
                [r["registryArn"] for r in s.get("serviceRegistries", [])],
                [registries.get(f"{stack}-{short}")])
        if short in ("prometheus", "grafana"):
            c.check(f"{short}: behind its target group",
                    [(lb["targetGroupArn"], lb["containerPort"]) for lb in s["loadBalancers"]],
                    [(tgs.get(f"{stack}-{short}"), ports[short])])
        td = aws("ecs", "describe-task-definition", "--task-definition",
                 s["taskDefinition"])["taskDefinition"]
        cd = td["containerDefinitions"][0]
        c.check(f"{short}: Fargate task, awsvpc, 256 CPU, 512 MiB",
                (td.get("requiresCompatibilities"), td.get("networkMode"), td.get("cpu"),
                 td.get("memory")), (["FARGATE"], "awsvpc", "256", "512"))
        c.check(f"{short}: container port {ports[short]}",
                [p["containerPort"] for p in cd.get("portMappings", [])], [ports[short]])
        c.check(f"{short}: logs to /ecs/{stack}-{short}",
                cd.get("logConfiguration", {}).get("options", {}).get("awslogs-group"),
                f"/ecs/{stack}-{short}")
        if short in ("prometheus", "grafana"):
            data = {"prometheus": "prometheus-data", "grafana": "grafana-data"}[short]
            vols = td.get("volumes", [])
            efs = vols[0].get("efsVolumeConfiguration", {}) if vols else {}
            c.check(f"{short}: EFS volume, TLS in transit, IAM through its access point",
                    (efs.get("fileSystemId"), efs.get("transitEncryption"),
                     efs.get("authorizationConfig", {}).get("accessPointId"),
                     efs.get("authorizationConfig", {}).get("iam")),
                    (fs.get(data), "ENABLED", aps.get(data), "ENABLED"))
            c.check(f"{short}: data mounted read-write",
                    [(m["containerPath"], m.get("readOnly", False))
                     for m in cd.get("mountPoints", [])],
                    [("/prometheus" if short == "prometheus" else "/var/lib/grafana", False)])
        if short == "prometheus":
            env = {e["name"]: e["value"] for e in cd.get("environment", [])}
            scrape = env.get("CAIRN_SCRAPE_CONFIG", "")
            c.check("prometheus: scrapes every 15s, keeps 15 days",
                    ("scrape_interval: 15s" in scrape,
                     "--storage.tsdb.retention.time=15d" in cd.get("command", [])), (True, True))
        if short == "grafana":
            c.check("grafana: admin password injected from Secrets Manager",
                    [(x["name"], x["valueFrom"]) for x in cd.get("secrets", [])],
                    [("GF_SECURITY_ADMIN_PASSWORD", secret_arn)])


def check_backup(c, stack, fs_arns):
    plans = [p for p in aws("backup", "list-backup-plans")["BackupPlansList"]
             if p["BackupPlanName"] == f"{stack}-backup"]
    c.check("one backup plan", len(plans), 1)
    if not plans:
        return
    plan = aws("backup", "get-backup-plan", "--backup-plan-id", plans[0]["BackupPlanId"])
    c.check("backup rule: daily at 03:00 UTC, deleted after 7 days",
            [(r["ScheduleExpression"], r.get("Lifecycle", {}).get("DeleteAfterDays"),
              r["TargetBackupVaultName"]) for r in plan["BackupPlan"]["Rules"]],
            [("cron(0 3 * * ? *)", 7, f"{stack}-backup")])
    sels = aws("backup", "list-backup-selections", "--backup-plan-id",
               plans[0]["BackupPlanId"])["BackupSelectionsList"]
    got = [sorted(aws("backup", "get-backup-selection", "--backup-plan-id",
                      plans[0]["BackupPlanId"], "--selection-id", s["SelectionId"])
                  ["BackupSelection"].get("Resources", [])) for s in sels]
    c.check("backup selection: both file systems", got, [sorted(fs_arns)])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stack", default="dev-davidshaevel")
    stack = ap.parse_args().stack
    c = Checker()
    subnets = check_network(c, stack)
    sgs = check_security_groups(c, stack)
    fs, aps = check_efs(c, stack)
    tgs = check_alb(c, stack)
    registries = check_cloud_map(c, stack)
    secrets = [s for s in aws("secretsmanager", "list-secrets")["SecretList"]
               if tags_of(s).get("cairn:stack") == stack]
    c.check("one secret: the Grafana admin password", len(secrets), 1)
    check_ecs(c, stack, subnets, sgs, fs, aps, tgs, registries,
              secrets[0]["ARN"] if secrets else None)
    groups = {g["logGroupName"]: g.get("retentionInDays") for g in aws(
        "logs", "describe-log-groups", "--log-group-name-prefix", f"/ecs/{stack}-")["logGroups"]}
    c.check("log groups, 30 days", groups,
            {f"/ecs/{stack}-{n}": 30 for n in ("backend", "frontend", "prometheus", "grafana")})
    fs_arns = [f["FileSystemArn"] for f in aws("efs", "describe-file-systems")["FileSystems"]
               if f["FileSystemId"] in fs.values()]
    check_backup(c, stack, fs_arns)
    print(f"seed check: {c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
