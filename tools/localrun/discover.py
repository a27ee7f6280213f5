"""What the local target runs, read from AWS (the emulator at AWS_ENDPOINT_URL) with boto3:
the stack's ECS clusters (tag cairn:stack) and their services, each service's task definition
(with its tags), Cloud Map services and namespaces of its service registries, target groups of
its load balancers and the listeners forwarding to them with their rules, the EFS access points
its volumes mount, and the Secrets Manager secrets its containers name. Only reads.

The result is plain data (dicts), so the supervisor can compare two reads to see what changed.
"""
import json

import boto3

STACK_TAG = "cairn:stack"
LOCAL_COMMAND_TAG = "cairn:local-command"


def tag_map(tags, key="key", value="value"):
    return {t[key]: t[value] for t in tags or []}


class Reader:
    def __init__(self, region=None, endpoint=None):
        kw = {}
        if region:
            kw["region_name"] = region
        if endpoint:
            kw["endpoint_url"] = endpoint
        self.ecs = boto3.client("ecs", **kw)
        self.sd = boto3.client("servicediscovery", **kw)
        self.elb = boto3.client("elbv2", **kw)
        self.efs = boto3.client("efs", **kw)
        self.sm = boto3.client("secretsmanager", **kw)

    def clusters(self, stack):
        arns = []
        for page in self.ecs.get_paginator("list_clusters").paginate():
            arns += page["clusterArns"]
        out = []
        for i in range(0, len(arns), 100):
            for c in self.ecs.describe_clusters(clusters=arns[i:i + 100],
                                                include=["TAGS"])["clusters"]:
                if tag_map(c.get("tags")).get(STACK_TAG) == stack and c["status"] == "ACTIVE":
                    out.append(c["clusterArn"])
        return sorted(out)

    def services(self, cluster):
        arns = []
        for page in self.ecs.get_paginator("list_services").paginate(cluster=cluster):
            arns += page["serviceArns"]
        out = []
        for i in range(0, len(arns), 10):
            out += [s for s in self.ecs.describe_services(cluster=cluster,
                                                          services=arns[i:i + 10])["services"]
                    if s["status"] == "ACTIVE"]
        return sorted(out, key=lambda s: s["serviceName"])

    def task_definition(self, arn):
        got = self.ecs.describe_task_definition(taskDefinition=arn, include=["TAGS"])
        td = got["taskDefinition"]
        td["tags"] = tag_map(got.get("tags"))
        return td

    def registry(self, registry_arn):
        """A Cloud Map service (by ARN) with its namespace's name and its instances."""
        sid = registry_arn.rsplit("/", 1)[-1]
        svc = self.sd.get_service(Id=sid)["Service"]
        ns = self.sd.get_namespace(Id=svc["NamespaceId"])["Namespace"]
        return {"id": sid, "name": svc["Name"], "namespace": ns["Name"],
                "namespace_id": ns["Id"],
                "ttl": min([r.get("TTL", 60) for r in
                            (svc.get("DnsConfig") or {}).get("DnsRecords", [])] or [60])}

    def instances(self, service_id):
        out = []
        for page in self.sd.get_paginator("list_instances").paginate(ServiceId=service_id):
            out += page["Instances"]
        return out

    def target_group(self, arn):
        return self.elb.describe_target_groups(TargetGroupArns=[arn])["TargetGroups"][0]

    def listeners_of(self, lb_arn):
        out = []
        for ls in self.elb.describe_listeners(LoadBalancerArn=lb_arn)["Listeners"]:
            rules = self.elb.describe_rules(ListenerArn=ls["ListenerArn"])["Rules"]
            out.append({"arn": ls["ListenerArn"], "port": ls["Port"],
                        "protocol": ls["Protocol"], "rules": rules})
        return out

    def access_point(self, ap_id):
        return self.efs.describe_access_points(AccessPointId=ap_id)["AccessPoints"][0]

    def secret(self, value_from):
        """ECS's valueFrom for Secrets Manager: the secret's ARN, optionally followed by
        :json-key:version-stage:version-id (ECS developer guide, "Pass Secrets Manager secrets
        through environment variables"). The value is returned, never stored."""
        parts = value_from.split(":")
        arn, key, stage, version = ":".join(parts[:7]), None, None, None
        if len(parts) > 7:
            key = parts[7] or None
            stage = parts[8] if len(parts) > 8 and parts[8] else None
            version = parts[9] if len(parts) > 9 and parts[9] else None
        kw = {"SecretId": arn}
        if stage:
            kw["VersionStage"] = stage
        if version:
            kw["VersionId"] = version
        value = self.sm.get_secret_value(**kw)["SecretString"]
        if key:
            value = str(json.loads(value)[key])
        return value

    def read(self, stack):
        """The stack's runnable model: {"services": [...], "listeners": [...],
        "target_groups": {...}}."""
        model = {"services": [], "listeners": {}, "target_groups": {}}
        lbs = set()
        clusters = self.clusters(stack)
        if not clusters:
            raise LookupError(f"no ECS cluster tagged {STACK_TAG}={stack} at "
                              f"{self.ecs.meta.endpoint_url}: run cairn up first")
        for cluster in clusters:
            for s in self.services(cluster):
                td = self.task_definition(s["taskDefinition"])
                svc = {"name": s["serviceName"], "arn": s["serviceArn"], "cluster": cluster,
                       "desired": s["desiredCount"], "task_definition": td,
                       "min_healthy": (s.get("deploymentConfiguration") or {})
                       .get("minimumHealthyPercent", 100),
                       "grace": s.get("healthCheckGracePeriodSeconds") or 0,
                       "registries": [], "load_balancers": [], "access_points": {}}
                for r in s.get("serviceRegistries", []):
                    svc["registries"].append(self.registry(r["registryArn"]))
                for lb in s.get("loadBalancers", []):
                    tg = self.target_group(lb["targetGroupArn"])
                    model["target_groups"][tg["TargetGroupArn"]] = tg
                    lbs.update(tg.get("LoadBalancerArns", []))
                    svc["load_balancers"].append(lb)
                for v in td.get("volumes", []):
                    ap = ((v.get("efsVolumeConfiguration") or {}).get("authorizationConfig")
                          or {}).get("accessPointId")
                    if ap:
                        svc["access_points"][v["name"]] = self.access_point(ap)
                model["services"].append(svc)
        for lb in sorted(lbs):
            for ls in self.listeners_of(lb):
                model["listeners"][ls["arn"]] = ls
                for r in ls["rules"]:  # groups a rule forwards to that no service uses
                    for a in r.get("Actions", []):
                        arn = a.get("TargetGroupArn")
                        if arn and arn not in model["target_groups"]:
                            model["target_groups"][arn] = self.target_group(arn)
        return model
