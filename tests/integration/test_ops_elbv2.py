"""The Elastic Load Balancing (v2) types' AWS calls (read, create, update, remove of
elbv2.load_balancer, target_group, listener and listener_rule), driven one at a time by
tests/tools/restype_probe against moto behind the strict validator, checked with boto3
talking to moto directly; and the seed's load balancer part applied with cairn up, planned
again (no changes) and destroyed.
"""
import json
import os
import subprocess
import tempfile
import textwrap
import unittest

import cairnharness

PROBE = os.path.join(os.environ.get("CAIRN_TEST_TOOLS", ""), "restype_probe")
SOURCE = os.environ.get("CAIRN_SOURCE_DIR", "")
TEMPLATES = os.path.join(SOURCE, "templates")

STACK_TAGS = {"Project": "davidshaevel", "Environment": "dev", "ManagedBy": "cairn"}
NOT_FOUND = {"type": "fixed-response",
             "fixed_response": {"status_code": "404", "content_type": "text/plain",
                                "message_body": "Not found"}}


def counts(calls, service="elbv2"):
    out = {}
    for c in calls:
        if c.service == service:
            out[c.operation] = out.get(c.operation, 0) + 1
    return out


def fnv1a(text):
    h = 1469598103934665603
    for b in text.encode():
        h = ((h ^ b) * 1099511628211) % (1 << 64)
    return h


def query_error(code, message):
    """An ELBv2 (query protocol) error answer."""
    body = ("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message>"
            "</Error><RequestId>r1</RequestId></ErrorResponse>" % (code, message)).encode()
    return 400, [("Content-Type", "text/xml"), ("Content-Length", str(len(body)))], body


class Elbv2OpsTest(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(PROBE):
            self.fail("restype_probe not found: set CAIRN_TEST_TOOLS to the build's tests/ dir")
        self.ec2 = self.emu.boto3_client("ec2")
        self.elb = self.emu.boto3_client("elbv2")

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
        return [x for x in self.probe("read", stack)[0] if x["type"].startswith("elbv2.")]

    def update(self, stack, rtype, oid, desired, *attrs):
        return self.probe("update", stack, rtype, oid, json.dumps(desired), *attrs)[0][0]

    def remove(self, stack, rtype, oid):
        self.probe("remove", stack, rtype, oid)

    def writes(self):
        return [c.operation for c in self.emu.calls if c.is_write and c.service == "elbv2"]

    # -- the network the load balancer sits in, made out of band (not the stack's)

    def network(self, net):
        vpc = self.ec2.create_vpc(CidrBlock=net + ".0.0/16")["Vpc"]["VpcId"]
        subnets = [self.ec2.create_subnet(VpcId=vpc, CidrBlock="%s.%d.0/24" % (net, i + 1),
                                          AvailabilityZone="us-east-1" + az)["Subnet"]["SubnetId"]
                   for i, az in enumerate("ab")]
        sg = self.ec2.create_security_group(GroupName="alb-" + net, Description="ALB",
                                            VpcId=vpc)["GroupId"]
        return vpc, subnets, sg

    # -- the seed's load balancer, two target groups and their rules, in dependency order

    def build(self, stack, net="10.0", lb_extra=None):
        vpc, subnets, sg = self.network(net)
        o = {"vpc": vpc, "subnets": subnets, "sg": sg}
        lb = dict({"name": stack + "-alb", "type": "application", "scheme": "internet-facing",
                   "subnets": subnets, "security_groups": [sg], "idle_timeout_seconds": 60,
                   "tags": STACK_TAGS}, **(lb_extra or {}))
        o["alb.load_balancer"] = self.create(stack, "elbv2.load_balancer", "alb.load_balancer",
                                             lb)
        o["alb.listener"] = self.create(stack, "elbv2.listener", "alb.listener", {
            "load_balancer_arn": o["alb.load_balancer"]["id"], "port": 80, "protocol": "HTTP",
            "default_action": NOT_FOUND, "tags": STACK_TAGS})
        for svc, port, path, prio in (("prometheus", 9090, "/-/healthy", 10),
                                      ("grafana", 3000, "/api/health", 20)):
            tg = self.create(stack, "elbv2.target_group", svc + ".target_group", {
                "name": "%s-%s" % (stack, svc), "port": port, "protocol": "HTTP",
                "target_type": "ip", "vpc_id": vpc,
                "health_check": {"path": path, "protocol": "HTTP", "matcher": "200-399"},
                "deregistration_delay_seconds": 30, "tags": STACK_TAGS})
            o[svc + ".target_group"] = tg
            o[svc + ".listener_rule"] = self.create(
                stack, "elbv2.listener_rule", svc + ".listener_rule", {
                    "listener_arn": o["alb.listener"]["id"], "priority": prio,
                    "conditions": {"path_patterns": ["/%s/*" % svc]},
                    "action": {"type": "forward", "target_group_arn": tg["id"]},
                    "tags": STACK_TAGS})
        return o

    def tags_of(self, arn):
        return {t["Key"]: t["Value"] for t in
                self.elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0]["Tags"]}

    def lb_attribute(self, arn, key):
        attrs = self.elb.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
        return {a["Key"]: a["Value"] for a in attrs}.get(key)

    def rules(self, listener):
        """{priority: (path patterns, target group)} of the listener's rules, default aside."""
        out = {}
        for r in self.elb.describe_rules(ListenerArn=listener)["Rules"]:
            if r["IsDefault"]:
                continue
            paths = [v for c in r["Conditions"] for v in c.get("PathPatternConfig", {})
                     .get("Values", c.get("Values", []))]
            out[int(r["Priority"])] = (paths, r["Actions"][0].get("TargetGroupArn"))
        return out

    # -- create and read

    def test_create_makes_the_seed_load_balancer_and_read_finds_it_unchanged(self):
        stack = "elb-create"
        o = self.build(stack)
        self.assertFalse(self.emu.violations)
        lb = o["alb.load_balancer"]
        self.assertTrue(lb["id"].startswith("arn:aws:elasticloadbalancing:"))
        self.assertEqual(lb["attrs"]["arn"], lb["id"])
        self.assertEqual(lb["attrs"]["dns_name"], stack + "-alb-1.us-east-1.elb.amazonaws.com")
        self.assertEqual(lb["attrs"]["idle_timeout_seconds"], 60)
        self.assertEqual(sorted(lb["attrs"]["subnets"]), sorted(o["subnets"]))
        self.assertEqual(lb["attrs"]["security_groups"], [o["sg"]])
        self.assertIs(lb["attrs"]["deletion_protection"], False)
        got = self.elb.describe_load_balancers(LoadBalancerArns=[lb["id"]])["LoadBalancers"][0]
        self.assertEqual((got["LoadBalancerName"], got["Type"], got["Scheme"]),
                         (stack + "-alb", "application", "internet-facing"))
        self.assertEqual(sorted(z["SubnetId"] for z in got["AvailabilityZones"]),
                         sorted(o["subnets"]))
        self.assertEqual(got["SecurityGroups"], [o["sg"]])
        self.assertEqual(self.lb_attribute(lb["id"], "idle_timeout.timeout_seconds"), "60")
        self.assertEqual(self.tags_of(lb["id"]), dict(STACK_TAGS, **{
            "cairn:stack": stack, "cairn:id": "alb.load_balancer"}))

        listener = self.elb.describe_listeners(ListenerArns=[o["alb.listener"]["id"]])[
            "Listeners"][0]
        self.assertEqual((listener["Port"], listener["Protocol"]), (80, "HTTP"))
        self.assertEqual(listener["DefaultActions"][0]["FixedResponseConfig"], {
            "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "Not found"})
        self.assertEqual(self.tags_of(listener["ListenerArn"])["cairn:id"], "alb.listener")

        tg = self.elb.describe_target_groups(TargetGroupArns=[
            o["prometheus.target_group"]["id"]])["TargetGroups"][0]
        self.assertEqual((tg["TargetGroupName"], tg["Port"], tg["TargetType"], tg["VpcId"]),
                         (stack + "-prometheus", 9090, "ip", o["vpc"]))
        self.assertEqual((tg["HealthCheckPath"], tg["Matcher"]["HttpCode"]),
                         ("/-/healthy", "200-399"))
        attrs = self.elb.describe_target_group_attributes(TargetGroupArn=tg["TargetGroupArn"])
        self.assertIn({"Key": "deregistration_delay.timeout_seconds", "Value": "30"},
                      attrs["Attributes"])
        # What AWS fills in is what the table's defaults say.
        self.assertEqual(o["prometheus.target_group"]["attrs"]["health_check"], {
            "enabled": True, "path": "/-/healthy", "port": "traffic-port", "protocol": "HTTP",
            "matcher": "200-399", "interval": 30, "timeout": 5, "healthy_threshold": 5,
            "unhealthy_threshold": 2})

        self.assertEqual(self.rules(o["alb.listener"]["id"]), {
            10: (["/prometheus/*"], o["prometheus.target_group"]["id"]),
            20: (["/grafana/*"], o["grafana.target_group"]["id"])})
        rule = o["grafana.listener_rule"]["attrs"]
        self.assertEqual(rule["conditions"], {"path_patterns": ["/grafana/*"]})
        self.assertEqual(rule["action"], {"type": "forward",
                                          "target_group_arn": o["grafana.target_group"]["id"]})
        self.assertEqual(self.tags_of(o["grafana.listener_rule"]["id"])["cairn:id"],
                         "grafana.listener_rule")

        # A read finds each of them with the same attributes the create gave.
        other = self.build("elb-create-other", "10.1")
        self.emu.clear()
        live = {x["id"]: x for x in self.read(stack)}
        made = {k: v for k, v in o.items() if isinstance(v, dict)}
        self.assertEqual(sorted(live), sorted(v["id"] for v in made.values()))
        for cid, m in made.items():
            self.assertEqual(live[m["id"]]["cairn_id"], cid)
            self.assertEqual(live[m["id"]]["attrs"], m["attrs"], cid)
        self.assertNotIn(other["alb.load_balancer"]["id"], live)
        # One listing per type; per parent only what the API forces: attributes per load
        # balancer and target group of the stack, listeners per load balancer of the stack,
        # rules per listener; tags per 20 listeners or rules listed, and of load balancers and
        # target groups from the stack's one tagging pass (GetResources). The types that find
        # the load balancers and listeners the same way (listeners, rules) share those calls.
        self.assertFalse([c for c in self.emu.calls if c.is_write], "a read wrote")
        self.assertEqual(counts(self.emu.calls), {
            "DescribeLoadBalancers": 1,  # shared by load balancers, listeners, rules
            "DescribeLoadBalancerAttributes": 1,
            "DescribeTargetGroups": 1,
            "DescribeTargetGroupAttributes": 2,
            "DescribeListeners": 1,
            "DescribeRules": 1,
            # Listeners, rules: each page of each listing once; load balancers, target groups:
            # those the tagging pass lacks (the other stack's one of each; the API is eventually
            # consistent, so an object it lacks may be one made seconds ago).
            "DescribeTags": 4})
        self.assertEqual(counts(self.emu.calls, "resourcegroupstaggingapi"), {"GetResources": 1})

    def test_tags_are_read_twenty_arns_at_a_time(self):
        stack = "elb-batch"
        self.emu.reset()  # only these target groups
        vpc, _, _ = self.network("10.2")
        for i in range(23):
            self.elb.create_target_group(Name="other-%d" % i, Protocol="HTTP", Port=80,
                                         VpcId=vpc, TargetType="ip")
        mine = self.create(stack, "elbv2.target_group", "tg", {
            "port": 80, "protocol": "HTTP", "target_type": "ip", "vpc_id": vpc})
        seen = []

        def spy(call):
            seen.append(len(call.params["ResourceArns"]))
            return None

        self.emu.intercept("elbv2", "DescribeTags", spy)
        try:
            self.emu.clear()
            live = self.read(stack)
        finally:
            self.emu.intercept("elbv2", "DescribeTags", None)
        self.assertEqual([x["id"] for x in live], [mine["id"]])
        # The stack's target group's tags come from the tagging pass; the 23 others, which it
        # does not list, are read 20 at a time.
        self.assertEqual(seen, [20, 3])
        self.assertEqual(counts(self.emu.calls, "resourcegroupstaggingapi"), {"GetResources": 1})
        # Listener rules' from DescribeTags, 20 at a time: 23 added by hand to the stack's
        # listener, beside its own 2.
        o = self.build(stack, "10.5")
        for i in range(23):
            self.elb.create_rule(
                ListenerArn=o["alb.listener"]["id"], Priority=100 + i,
                Conditions=[{"Field": "path-pattern", "Values": ["/x%d/*" % i]}],
                Actions=[{"Type": "fixed-response", "FixedResponseConfig": {
                    "StatusCode": "404", "ContentType": "text/plain"}}])
        seen.clear()
        self.emu.intercept("elbv2", "DescribeTags", spy)
        try:
            live = self.read(stack)
        finally:
            self.emu.intercept("elbv2", "DescribeTags", None)
        self.assertEqual(len([x for x in live if x["type"] == "elbv2.listener_rule"]), 25)
        # The listener; the rules, 20 at a time; the 23 other target groups, as above.
        self.assertEqual(sorted(seen), [1, 3, 5, 20, 20])

    def test_read_follows_next_marker(self):
        stack = "elb-pages"
        o = self.build(stack, "10.3")
        self.build("elb-pages-other", "10.4")
        markers, full = [], []

        def paginate(call):
            # The first page carries one load balancer and a marker; the second, the rest of
            # the first answer (moto knows no such marker; the reads run one after the other).
            import xml.etree.ElementTree as ET
            first = call.params.get("Marker") is None
            markers.append(call.params.get("Marker"))
            if first:
                full[:] = [call.forward()]
            status, headers, body = full[0]
            ns = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"
            ET.register_namespace("", ns)
            root = ET.fromstring(body)
            result = root.find("{%s}DescribeLoadBalancersResult" % ns)
            lbs = result.find("{%s}LoadBalancers" % ns)
            kids = list(lbs)
            for k in (kids[1:] if first else kids[:1]):
                lbs.remove(k)
            if first:
                ET.SubElement(result, "{%s}NextMarker" % ns).text = "page-2"
            body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
            return status, headers, body

        self.emu.intercept("elbv2", "DescribeLoadBalancers", paginate)
        try:
            live = self.read(stack)
        finally:
            self.emu.intercept("elbv2", "DescribeLoadBalancers", None)
        self.assertEqual(markers, [None, "page-2"])  # each page once, shared by three types
        self.assertEqual(sorted(x["id"] for x in live),
                         sorted(v["id"] for v in o.values() if isinstance(v, dict)))

    # -- update

    def test_update_changes_only_what_differs(self):
        stack = "elb-update"
        o = self.build(stack, "10.5")
        lb, tg = o["alb.load_balancer"], o["grafana.target_group"]
        rule = o["grafana.listener_rule"]

        self.emu.clear()
        got = self.update(stack, "elbv2.load_balancer", lb["id"],
                          dict(lb["attrs"], idle_timeout_seconds=120), "idle_timeout_seconds")
        self.assertEqual(self.writes(), ["ModifyLoadBalancerAttributes"])
        self.assertEqual(got["attrs"]["idle_timeout_seconds"], 120)
        self.assertEqual(self.lb_attribute(lb["id"], "idle_timeout.timeout_seconds"), "120")

        # Subnets and security groups change in place.
        vpc, subnets = o["vpc"], o["subnets"]
        c = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.3.0/24",
                                   AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
        sg2 = self.ec2.create_security_group(GroupName="second", Description="2",
                                             VpcId=vpc)["GroupId"]
        self.emu.clear()
        got = self.update(stack, "elbv2.load_balancer", lb["id"],
                          dict(got["attrs"], subnets=subnets + [c], security_groups=[sg2]),
                          "subnets", "security_groups")
        self.assertEqual(self.writes(), ["SetSubnets", "SetSecurityGroups"])
        now = self.elb.describe_load_balancers(LoadBalancerArns=[lb["id"]])["LoadBalancers"][0]
        self.assertEqual(sorted(z["SubnetId"] for z in now["AvailabilityZones"]),
                         sorted(subnets + [c]))
        self.assertEqual(now["SecurityGroups"], [sg2])

        # Health-check path: one ModifyTargetGroup.
        self.emu.clear()
        hc = dict(tg["attrs"]["health_check"], path="/api/ready")
        got = self.update(stack, "elbv2.target_group", tg["id"], dict(tg["attrs"], health_check=hc),
                          "health_check")
        self.assertEqual(self.writes(), ["ModifyTargetGroup"])
        self.assertEqual(got["attrs"]["health_check"]["path"], "/api/ready")
        now = self.elb.describe_target_groups(TargetGroupArns=[tg["id"]])["TargetGroups"][0]
        self.assertEqual((now["HealthCheckPath"], now["Matcher"]["HttpCode"]),
                         ("/api/ready", "200-399"))

        self.emu.clear()
        self.update(stack, "elbv2.target_group", tg["id"],
                    dict(tg["attrs"], deregistration_delay_seconds=5),
                    "deregistration_delay_seconds")
        self.assertEqual(self.writes(), ["ModifyTargetGroupAttributes"])
        attrs = self.elb.describe_target_group_attributes(TargetGroupArn=tg["id"])["Attributes"]
        self.assertIn({"Key": "deregistration_delay.timeout_seconds", "Value": "5"}, attrs)

        # A rule's path pattern: one ModifyRule.
        self.emu.clear()
        got = self.update(stack, "elbv2.listener_rule", rule["id"],
                          dict(rule["attrs"], conditions={"path_patterns": ["/dash/*",
                                                                            "/grafana/*"]}),
                          "conditions")
        self.assertEqual(self.writes(), ["ModifyRule"])
        self.assertEqual(sorted(got["attrs"]["conditions"]["path_patterns"]),
                         ["/dash/*", "/grafana/*"])
        self.assertEqual(sorted(self.rules(o["alb.listener"]["id"])[20][0]),
                         ["/dash/*", "/grafana/*"])

        # The listener's default answer; then tags (cairn:* kept, aws:* untouched).
        listener = o["alb.listener"]
        self.emu.clear()
        answer = {"type": "fixed-response",
                  "fixed_response": {"status_code": "503", "content_type": "text/plain",
                                     "message_body": "Down"}}
        got = self.update(stack, "elbv2.listener", listener["id"],
                          dict(listener["attrs"], default_action=answer), "default_action")
        self.assertEqual(self.writes(), ["ModifyListener"])
        self.assertEqual(got["attrs"]["default_action"], answer)
        self.emu.clear()
        self.update(stack, "elbv2.listener", listener["id"],
                    dict(listener["attrs"], tags={"Owner": "ops"}), "tags")
        self.assertEqual(sorted(self.writes()), ["AddTags", "RemoveTags"])
        self.assertEqual(self.tags_of(listener["id"]), {
            "Owner": "ops", "cairn:stack": stack, "cairn:id": "alb.listener"})

    def test_update_refuses_what_needs_a_replacement(self):
        stack = "elb-replace"
        o = self.build(stack, "10.6")
        tg = o["grafana.target_group"]
        self.emu.clear()
        _, r = self.probe("update", stack, "elbv2.target_group", tg["id"],
                          json.dumps(dict(tg["attrs"], port=3001)), "port", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("port cannot change in place", r.stderr)
        self.assertEqual(self.writes(), [])

    def test_priorities_swap_without_collision(self):
        stack = "elb-swap"
        o = self.build(stack, "10.7")
        listener = o["alb.listener"]["id"]
        prom, graf = o["prometheus.listener_rule"], o["grafana.listener_rule"]
        ptg, gtg = o["prometheus.target_group"]["id"], o["grafana.target_group"]["id"]

        # prometheus 10 -> 20 while grafana holds 20: grafana is parked, prometheus moves.
        self.emu.clear()
        got = self.update(stack, "elbv2.listener_rule", prom["id"],
                          dict(prom["attrs"], priority=20), "priority")
        self.assertEqual(got["attrs"]["priority"], 20)
        self.assertEqual(self.writes(), ["SetRulePriorities", "SetRulePriorities"])
        self.assertEqual(self.rules(listener), {20: (["/prometheus/*"], ptg),
                                                50000: (["/grafana/*"], gtg)})
        # grafana -> 10, which is free now: one call.
        self.emu.clear()
        self.update(stack, "elbv2.listener_rule", graf["id"], dict(graf["attrs"], priority=10),
                    "priority")
        self.assertEqual(self.writes(), ["SetRulePriorities"])
        self.assertEqual(self.rules(listener), {20: (["/prometheus/*"], ptg),
                                                10: (["/grafana/*"], gtg)})
        # And back, in the other order.
        self.update(stack, "elbv2.listener_rule", graf["id"], dict(graf["attrs"], priority=20),
                    "priority")
        self.update(stack, "elbv2.listener_rule", prom["id"], dict(prom["attrs"], priority=10),
                    "priority")
        self.assertEqual(self.rules(listener), {10: (["/prometheus/*"], ptg),
                                                20: (["/grafana/*"], gtg)})
        live = {x["id"]: x["attrs"]["priority"] for x in self.read(stack)
                if x["type"] == "elbv2.listener_rule"}
        self.assertEqual(live, {prom["id"]: 10, graf["id"]: 20})

    def test_priority_held_by_a_rule_of_another_owner_is_an_error(self):
        stack = "elb-foreign"
        o = self.build(stack, "10.8")
        listener = o["alb.listener"]["id"]
        tg = o["grafana.target_group"]["id"]
        self.elb.create_rule(ListenerArn=listener, Priority=30, Conditions=[
            {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/x/*"]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": tg}])
        self.emu.clear()
        _, r = self.probe("create", stack, "elbv2.listener_rule", "extra.listener_rule",
                          json.dumps({"listener_arn": listener, "priority": 30,
                                      "conditions": {"path_patterns": ["/y/*"]},
                                      "action": {"type": "forward", "target_group_arn": tg}}),
                          ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("priority 30 on listener", r.stderr)
        self.assertIn("not this stack's", r.stderr)
        self.assertEqual(self.writes(), [])
        graf = o["grafana.listener_rule"]
        _, r = self.probe("update", stack, "elbv2.listener_rule", graf["id"],
                          json.dumps(dict(graf["attrs"], priority=30)), "priority", ok=False)
        self.assertIn("not this stack's", r.stderr)
        self.assertEqual(self.rules(listener)[20][0], ["/grafana/*"])

    def test_a_rule_without_priority_gets_the_same_one_every_time(self):
        stack = "elb-auto"
        o = self.build(stack, "10.9")
        listener, tg = o["alb.listener"]["id"], o["grafana.target_group"]["id"]
        want = 10000 + fnv1a("auto.listener_rule") % 40000
        desired = {"listener_arn": listener, "conditions": {"path_patterns": ["/auto/*"]},
                   "action": {"type": "forward", "target_group_arn": tg}}
        made = self.create(stack, "elbv2.listener_rule", "auto.listener_rule", desired)
        self.assertEqual(made["attrs"]["priority"], want)
        self.remove(stack, "elbv2.listener_rule", made["id"])
        # Its first choice taken: the next free one.
        self.elb.create_rule(ListenerArn=listener, Priority=want, Conditions=[
            {"Field": "path-pattern", "PathPatternConfig": {"Values": ["/x/*"]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": tg}])
        made = self.create(stack, "elbv2.listener_rule", "auto.listener_rule", desired)
        self.assertEqual(made["attrs"]["priority"], want + 1 if want < 49999 else 10000)

    # -- adopting after a crash

    def test_create_again_adopts_instead_of_duplicating(self):
        stack = "elb-adopt"
        o = self.build(stack, "10.10")
        self.emu.clear()
        again = self.build(stack, "10.11")
        for cid in ("alb.load_balancer", "alb.listener", "prometheus.target_group",
                    "grafana.target_group", "prometheus.listener_rule", "grafana.listener_rule"):
            self.assertEqual(again[cid]["id"], o[cid]["id"], cid)
        self.assertEqual(self.writes(), [])
        lbs = [lb for lb in self.elb.describe_load_balancers()["LoadBalancers"]
               if lb["LoadBalancerName"] == stack + "-alb"]
        self.assertEqual(len(lbs), 1)
        self.assertEqual(len(self.elb.describe_listeners(
            LoadBalancerArn=o["alb.load_balancer"]["id"])["Listeners"]), 1)
        self.assertEqual(len(self.rules(o["alb.listener"]["id"])), 2)

    def test_a_name_taken_by_another_is_an_error(self):
        vpc, subnets, _ = self.network("10.12")
        self.elb.create_load_balancer(Name="elb-taken-alb", Subnets=subnets)
        self.elb.create_target_group(Name="elb-taken-tg", Protocol="HTTP", Port=80, VpcId=vpc)
        self.emu.clear()
        _, r = self.probe("create", "elb-taken", "elbv2.load_balancer", "alb",
                          json.dumps({"subnets": subnets}), ok=False)
        self.assertIn("a load balancer named elb-taken-alb already exists and is not this one",
                      r.stderr)
        _, r = self.probe("create", "elb-taken", "elbv2.target_group", "tg",
                          json.dumps({"port": 80, "protocol": "HTTP", "vpc_id": vpc}), ok=False)
        self.assertIn("a target group named elb-taken-tg already exists", r.stderr)
        self.assertEqual(self.writes(), [])

    # -- remove

    def test_remove_everything_in_reverse_order(self):
        stack = "elb-remove"
        o = self.build(stack, "10.13")
        other = self.build("elb-remove-other", "10.14")
        self.emu.clear()
        order = ["grafana.listener_rule", "prometheus.listener_rule", "grafana.target_group",
                 "prometheus.target_group", "alb.listener", "alb.load_balancer"]
        for cid in order:
            self.remove(stack, o[cid]["type"], o[cid]["id"])
        self.assertEqual(self.writes(), ["DeleteRule", "DeleteRule", "DeleteTargetGroup",
                                         "DeleteTargetGroup", "DeleteListener",
                                         "DeleteLoadBalancer"])
        # Waited until the load balancer and its network interfaces were gone.
        ops = [c.operation for c in self.emu.calls]
        i = ops.index("DeleteLoadBalancer")
        self.assertEqual(ops[i + 1:], ["DescribeLoadBalancers", "DescribeNetworkInterfaces"])
        self.assertEqual(self.read(stack), [])
        self.assertEqual(sorted(x["id"] for x in self.read("elb-remove-other")),
                         sorted(v["id"] for v in other.values() if isinstance(v, dict)))

    def test_remove_of_what_is_already_gone_succeeds(self):
        stack = "elb-gone"
        o = self.build(stack, "10.15")
        for op, code, cid in (("DeleteRule", "RuleNotFound", "grafana.listener_rule"),
                              ("DeleteTargetGroup", "TargetGroupNotFound",
                               "prometheus.target_group"),
                              ("DeleteListener", "ListenerNotFound", "alb.listener")):
            self.emu.intercept("elbv2", op, lambda call, c=code: query_error(c, "gone"))
            try:
                self.remove(stack, o[cid]["type"], o[cid]["id"])
            finally:
                self.emu.intercept("elbv2", op, None)

    def test_deletion_protection(self):
        stack = "elb-protect"
        o = self.build(stack, "10.16", lb_extra={"deletion_protection": True})
        lb = o["alb.load_balancer"]
        self.assertIs(lb["attrs"]["deletion_protection"], True)
        self.assertEqual(self.lb_attribute(lb["id"], "deletion_protection.enabled"), "true")
        # Without --allow-protected: refused, clearly, before any call to delete.
        self.emu.clear()
        _, r = self.probe("remove", stack, "elbv2.load_balancer", lb["id"], ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("deletion protection is on", r.stderr)
        self.assertIn("--allow-protected", r.stderr)
        self.assertEqual(self.writes(), [])
        # Protection turned on after the read: AWS refuses the delete (moto deletes anyway, so
        # the refusal is played here), and the answer is as clear.
        self.update(stack, "elbv2.load_balancer", lb["id"],
                    dict(lb["attrs"], deletion_protection=False), "deletion_protection")
        self.assertEqual(self.lb_attribute(lb["id"], "deletion_protection.enabled"), "false")
        self.emu.intercept("elbv2", "DeleteLoadBalancer", lambda call: query_error(
            "OperationNotPermitted", "Load balancer is protected"))
        try:
            _, r = self.probe("remove", stack, "elbv2.load_balancer", lb["id"], ok=False)
        finally:
            self.emu.intercept("elbv2", "DeleteLoadBalancer", None)
        self.assertIn("deletion protection is on", r.stderr)
        self.update(stack, "elbv2.load_balancer", lb["id"],
                    dict(lb["attrs"], deletion_protection=True), "deletion_protection")
        # With it: protection off, then deleted.
        self.emu.clear()
        _, r = self.probe("remove", stack, "elbv2.load_balancer", lb["id"], "unprotect",
                          ok=False)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.writes(), ["ModifyLoadBalancerAttributes", "DeleteLoadBalancer"])
        self.assertEqual([x for x in self.elb.describe_load_balancers()["LoadBalancers"]
                          if x["LoadBalancerArn"] == lb["id"]], [])


class Elbv2UpTest(cairnharness.CairnTestCase):
    """The seed's load balancer part through the engine: up, plan (nothing to do), destroy."""

    STACK = textwrap.dedent("""\
        stack: elb-up
        region: us-east-1
        tags:
          Project: davidshaevel
          Environment: dev
          ManagedBy: cairn
        resources:
          network:
            template: vpc-two-tier
            parameters:
              cidr: 10.20.0.0/16
              az_a: us-east-1a
              az_b: us-east-1b
              public_a_cidr: 10.20.1.0/24
              public_b_cidr: 10.20.2.0/24
              private_a_cidr: 10.20.11.0/24
              private_b_cidr: 10.20.12.0/24
          alb:
            template: alb
            parameters:
              vpc_id: ${network.vpc.id}
              subnets:
                - ${network.public_a.id}
                - ${network.public_b.id}
              port: 80
        """)
    SERVICE = textwrap.dedent("""\
          {name}_tg:
            type: elbv2.target_group
            properties:
              name: ${{stack.name}}-{name}
              port: {port}
              protocol: HTTP
              target_type: ip
              vpc_id: ${{network.vpc.id}}
              health_check:
                path: {health}
                protocol: HTTP
                matcher: 200-399
              deregistration_delay_seconds: 30
          {name}_rule:
            type: elbv2.listener_rule
            properties:
              listener_arn: ${{alb.listener.arn}}
              priority: {priority}
              conditions:
                path_patterns:
                  - /{name}/*
              action:
                type: forward
                target_group_arn: ${{{name}_tg.arn}}
        """)

    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.dir = tempfile.mkdtemp(prefix="elb-up-")
        self.path = os.path.join(self.dir, "elb-up.yaml")

    def tearDown(self):
        import shutil
        shutil.rmtree(self.dir, ignore_errors=True)
        super().tearDown()

    def write(self, prom_priority=10, graf_priority=20):
        with open(self.path, "w") as f:
            f.write(self.STACK)
            for name, port, health, prio in (("prometheus", 9090, "/-/healthy", prom_priority),
                                             ("grafana", 3000, "/api/health", graf_priority)):
                f.write(textwrap.indent(self.SERVICE.format(name=name, port=port, health=health,
                                                            priority=prio), "  "))

    def run_cairn(self, *args):
        return self.cairn(*args, "--template-dir", TEMPLATES)

    def plan(self):
        r = self.run_cairn("plan", self.path, "--json", "--detailed-exitcode")
        self.assertIn(r.returncode, (0, 2), r.stderr)
        return r.returncode, json.loads(r.stdout)

    def test_up_plan_swap_destroy(self):
        self.write()
        r = self.run_cairn("up", self.path, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        elb = self.emu.boto3_client("elbv2")
        lbs = elb.describe_load_balancers()["LoadBalancers"]
        self.assertEqual([lb["LoadBalancerName"] for lb in lbs], ["elb-up-alb"])
        self.assertEqual(lbs[0]["State"]["Code"], "active")
        code, plan = self.plan()
        self.assertEqual(code, 0, json.dumps([a for a in plan["actions"]
                                              if a["action"] != "no-op"], indent=1))

        # The two rules swap priorities in one run.
        self.write(prom_priority=20, graf_priority=10)
        code, plan = self.plan()
        changed = sorted((a.get("resource") or a.get("name"), a["action"])
                         for a in plan["actions"] if a["action"] != "no-op")
        self.assertEqual(len(changed), 2, changed)
        r = self.run_cairn("up", self.path, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        listener = elb.describe_listeners(LoadBalancerArn=lbs[0]["LoadBalancerArn"])[
            "Listeners"][0]["ListenerArn"]
        prios = {r["Conditions"][0]["PathPatternConfig"]["Values"][0]: r["Priority"]
                 for r in elb.describe_rules(ListenerArn=listener)["Rules"] if not r["IsDefault"]}
        self.assertEqual(prios, {"/prometheus/*": "20", "/grafana/*": "10"})
        code, plan = self.plan()
        self.assertEqual(code, 0)

        r = self.run_cairn("destroy", self.path, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(elb.describe_load_balancers()["LoadBalancers"], [])
        self.assertEqual(elb.describe_target_groups()["TargetGroups"], [])


if __name__ == "__main__":
    unittest.main()
