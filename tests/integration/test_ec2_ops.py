"""The EC2 network layer's AWS calls (read, create, update, remove of each type's
struct restype_ops), driven one at a time by tests/tools/restype_probe against
moto behind the strict validator, and checked with boto3 talking to moto directly.
"""
import json
import os
import re
import subprocess
import unittest
import xml.etree.ElementTree as ET

import cairnharness

PROBE = os.path.join(os.environ.get("CAIRN_TEST_TOOLS", ""), "restype_probe")

# The one Describe each type's read makes.
DESCRIBE = {
    "ec2.vpc": "DescribeVpcs",
    "ec2.subnet": "DescribeSubnets",
    "ec2.internet_gateway": "DescribeInternetGateways",
    "ec2.eip": "DescribeAddresses",
    "ec2.nat_gateway": "DescribeNatGateways",
    "ec2.route_table": "DescribeRouteTables",
    "ec2.route": "DescribeRouteTables",
    "ec2.route_table_association": "DescribeRouteTables",
    "ec2.security_group": "DescribeSecurityGroups",
}
VPC_SETTINGS = 3  # DescribeVpcAttribute per VPC: DNS support, DNS hostnames, NAU metrics

ALLOW_ALL_OUT = [{"protocol": "-1", "cidr_blocks": ["0.0.0.0/0"]}]


def read_counts(calls):
    out = {}
    for c in calls:
        out[c.operation] = out.get(c.operation, 0) + 1
    return out


class Ec2OpsTest(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(PROBE):
            self.fail("restype_probe not found: set CAIRN_TEST_TOOLS to the build's tests/ dir")
        self.ec2 = self.emu.boto3_client("ec2")

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

    # -- the network layer of the seed stack, in dependency order

    def build_layer(self, stack, net="10.0"):
        o = {}

        def make(rtype, cid, desired):
            o[cid] = self.create(stack, rtype, cid, desired)
            return o[cid]["id"]

        vpc = make("ec2.vpc", "network.vpc", {
            "cidr_block": net + ".0.0/16", "enable_dns_support": True,
            "enable_dns_hostnames": True, "tags": {"Name": stack}})
        igw = make("ec2.internet_gateway", "network.igw", {"vpc_id": vpc,
                                                           "tags": {"Name": stack + "-igw"}})
        subnets = {}
        for name, cidr, az, public in (("public_a", 1, "a", True), ("public_b", 2, "b", True),
                                       ("private_a", 11, "a", False),
                                       ("private_b", 12, "b", False)):
            subnets[name] = make("ec2.subnet", "network." + name, {
                "vpc_id": vpc, "cidr_block": "%s.%d.0/24" % (net, cidr),
                "availability_zone": "us-east-1" + az, "map_public_ip_on_launch": public,
                "tags": {"Tier": "public" if public else "private"}})
        eip = make("ec2.eip", "network.nat_ip", {"domain": "vpc"})
        nat = make("ec2.nat_gateway", "network.nat", {
            "subnet_id": subnets["public_a"], "allocation_id": eip,
            "connectivity_type": "public"})
        public_rt = make("ec2.route_table", "network.public_routes", {"vpc_id": vpc})
        private_rt = make("ec2.route_table", "network.private_routes", {"vpc_id": vpc})
        make("ec2.route", "network.public_default_route", {
            "route_table_id": public_rt, "destination_cidr_block": "0.0.0.0/0",
            "gateway_id": igw})
        make("ec2.route", "network.private_default_route", {
            "route_table_id": private_rt, "destination_cidr_block": "0.0.0.0/0",
            "nat_gateway_id": nat})
        for name in subnets:
            make("ec2.route_table_association", "network.%s_routes" % name, {
                "route_table_id": public_rt if name.startswith("public") else private_rt,
                "subnet_id": subnets[name]})
        alb = make("ec2.security_group", "alb.security_group", {
            "name": stack + "-alb", "description": "The public load balancer", "vpc_id": vpc,
            "ingress": [{"port": 80, "cidr_blocks": ["0.0.0.0/0"],
                         "description": "HTTP from the internet"},
                        {"port": 443, "cidr_blocks": ["0.0.0.0/0"]}]})
        make("ec2.security_group", "prometheus.security_group", {
            "name": stack + "-prometheus", "description": "Tasks of the prometheus service",
            "vpc_id": vpc,
            "ingress": [{"port": 9090, "source_security_group": alb,
                         "description": "From the load balancer"},
                        {"protocol": "tcp", "from_port": 9100, "to_port": 9110,
                         "cidr_blocks": [net + ".11.0/24", net + ".12.0/24"]}],
            "egress": [{"port": 443, "cidr_blocks": ["0.0.0.0/0"]},
                       {"port": 2049, "source_security_group": alb}]})
        return o

    def tagged(self, stack):
        """Every object moto has with the stack's tag, by describe call (deleted NATs aside)."""
        f = [{"Name": "tag:cairn:stack", "Values": [stack]}]
        found = []
        found += [v["VpcId"] for v in self.ec2.describe_vpcs(Filters=f)["Vpcs"]]
        found += [s["SubnetId"] for s in self.ec2.describe_subnets(Filters=f)["Subnets"]]
        found += [g["InternetGatewayId"] for g in
                  self.ec2.describe_internet_gateways(Filters=f)["InternetGateways"]]
        found += [a["AllocationId"] for a in self.ec2.describe_addresses(Filters=f)["Addresses"]]
        found += [n["NatGatewayId"] for n in self.ec2.describe_nat_gateways()["NatGateways"]
                  if {"Key": "cairn:stack", "Value": stack} in n.get("Tags", [])
                  and n["State"] not in ("deleted", "deleting")]
        found += [r["RouteTableId"] for r in
                  self.ec2.describe_route_tables(Filters=f)["RouteTables"]]
        found += [g["GroupId"] for g in
                  self.ec2.describe_security_groups(Filters=f)["SecurityGroups"]]
        return found

    def tags_of(self, rid):
        tags = self.ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [rid]}])["Tags"]
        return {t["Key"]: t["Value"] for t in tags}

    def sg(self, gid):
        return self.ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]

    def vpc_setting(self, vpc, name):
        return self.ec2.describe_vpc_attribute(VpcId=vpc, Attribute=name)[
            name[0].upper() + name[1:]]["Value"]

    # -- create

    def test_create_makes_each_object_as_asked(self):
        stack = "ops-create"
        o = self.build_layer(stack)
        vpc = o["network.vpc"]["id"]
        for cid, obj in o.items():
            if obj["type"] in ("ec2.route", "ec2.route_table_association"):
                continue  # AWS cannot tag them
            tags = self.tags_of(obj["id"])
            self.assertEqual(tags.get("cairn:stack"), stack, cid)
            self.assertEqual(tags.get("cairn:id"), cid, cid)
        self.assertEqual(self.tags_of(vpc)["Name"], stack)
        v = self.ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]
        self.assertEqual(v["CidrBlock"], "10.0.0.0/16")
        self.assertTrue(self.vpc_setting(vpc, "enableDnsSupport"))
        self.assertTrue(self.vpc_setting(vpc, "enableDnsHostnames"))
        igw = self.ec2.describe_internet_gateways(
            InternetGatewayIds=[o["network.igw"]["id"]])["InternetGateways"][0]
        self.assertEqual([a["VpcId"] for a in igw["Attachments"]], [vpc])
        for name, cidr, public in (("public_a", "10.0.1.0/24", True),
                                   ("private_b", "10.0.12.0/24", False)):
            s = self.ec2.describe_subnets(SubnetIds=[o["network." + name]["id"]])["Subnets"][0]
            self.assertEqual((s["VpcId"], s["CidrBlock"], s["MapPublicIpOnLaunch"]),
                             (vpc, cidr, public))
        self.assertEqual(s["AvailabilityZone"], "us-east-1b")
        nat = self.ec2.describe_nat_gateways(
            NatGatewayIds=[o["network.nat"]["id"]])["NatGateways"][0]
        self.assertEqual(nat["SubnetId"], o["network.public_a"]["id"])
        self.assertEqual(nat["NatGatewayAddresses"][0]["AllocationId"],
                         o["network.nat_ip"]["id"])
        routes = {}
        for rt in self.ec2.describe_route_tables(Filters=[{"Name": "vpc-id",
                                                           "Values": [vpc]}])["RouteTables"]:
            for r in rt["Routes"]:
                if r["DestinationCidrBlock"] == "0.0.0.0/0":
                    routes[rt["RouteTableId"]] = r.get("GatewayId") or r.get("NatGatewayId")
            for a in rt["Associations"]:
                if not a.get("Main"):
                    routes.setdefault("assoc", {})[a["SubnetId"]] = rt["RouteTableId"]
        self.assertEqual(routes[o["network.public_routes"]["id"]], o["network.igw"]["id"])
        self.assertEqual(routes[o["network.private_routes"]["id"]], o["network.nat"]["id"])
        self.assertEqual(routes["assoc"], {
            o["network.public_a"]["id"]: o["network.public_routes"]["id"],
            o["network.public_b"]["id"]: o["network.public_routes"]["id"],
            o["network.private_a"]["id"]: o["network.private_routes"]["id"],
            o["network.private_b"]["id"]: o["network.private_routes"]["id"]})
        alb, prom = o["alb.security_group"]["id"], o["prometheus.security_group"]["id"]
        g = self.sg(alb)
        self.assertEqual((g["GroupName"], g["VpcId"]), (stack + "-alb", vpc))
        self.assertEqual(sorted((p["FromPort"], p["IpRanges"][0].get("Description"))
                                for p in g["IpPermissions"]),
                         [(80, "HTTP from the internet"), (443, None)])
        # Egress left out: AWS's default allow-all rule stays.
        self.assertEqual([(p["IpProtocol"], p["IpRanges"]) for p in g["IpPermissionsEgress"]],
                         [("-1", [{"CidrIp": "0.0.0.0/0"}])])
        g = self.sg(prom)
        refs = [(p["FromPort"], u["GroupId"]) for p in g["IpPermissions"]
                for u in p["UserIdGroupPairs"]]
        self.assertEqual(refs, [(9090, alb)])
        ranges = [(p["FromPort"], p["ToPort"], sorted(r["CidrIp"] for r in p["IpRanges"]))
                  for p in g["IpPermissions"] if p["IpRanges"]]
        self.assertEqual(ranges, [(9100, 9110, ["10.0.11.0/24", "10.0.12.0/24"])])
        # Egress given: the default rule is revoked, the two asked for are there.
        egress = sorted((p["IpProtocol"], p.get("FromPort"), bool(p["UserIdGroupPairs"]))
                        for p in g["IpPermissionsEgress"])
        self.assertEqual(egress, [("tcp", 443, False), ("tcp", 2049, True)])
        # The NAT gateway's ClientToken and every TagSpecification went out as the API names them.
        self.assertFalse(self.emu.violations)

    def test_nat_gateway_create_sends_its_idempotency_token(self):
        seen = []

        def spy(call):
            seen.append(call.params)
            return None

        vpc = self.ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = self.ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        self.emu.intercept("ec2", "CreateNatGateway", spy)
        try:
            self.create("ops-token", "ec2.nat_gateway", "network.nat",
                        {"subnet_id": subnet, "connectivity_type": "private"})
            self.create("ops-token", "ec2.nat_gateway", "network.nat",
                        {"subnet_id": subnet, "connectivity_type": "private"})
        finally:
            self.emu.intercept("ec2", "CreateNatGateway", None)
        self.assertEqual(len(seen), 2)
        self.assertRegex(seen[0]["ClientToken"], r"^cairn-[0-9a-f]{16}$")
        # The same stack and resource give the same token (moto ignores it, AWS does not).
        self.assertEqual(seen[0]["ClientToken"], seen[1]["ClientToken"])
        self.assertEqual(seen[0]["TagSpecifications"][0]["ResourceType"], "natgateway")
        self.assertIn({"Key": "cairn:id", "Value": "network.nat"},
                      seen[0]["TagSpecifications"][0]["Tags"])
        self.assertEqual(seen[0]["ConnectivityType"], "private")

    def test_create_failing_half_way_leaves_the_object_known(self):
        def refuse(call):
            body = (b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
                    b"<Code>UnauthorizedOperation</Code><Message>not allowed</Message></Error>"
                    b"</Errors><RequestID>r2</RequestID></Response>")
            return 403, [("Content-Type", "text/xml;charset=UTF-8"),
                         ("Content-Length", str(len(body)))], body

        self.emu.intercept("ec2", "ModifyVpcAttribute", refuse)
        try:
            objs, r = self.probe("create", "ops-half", "ec2.vpc", "vpc", json.dumps(
                {"cidr_block": "10.14.0.0/16", "enable_dns_hostnames": True}), ok=False)
        finally:
            self.emu.intercept("ec2", "ModifyVpcAttribute", None)
        self.assertEqual(r.returncode, 1)
        self.assertIn("ModifyVpcAttribute", r.stderr)
        self.assertIn("UnauthorizedOperation", r.stderr)
        # The VPC exists, tagged: the object says so, with the setting it really has, and a
        # read finds the same.
        self.assertEqual(len(objs), 1)
        self.assertFalse(objs[0]["attrs"]["enable_dns_hostnames"])
        self.assertEqual([(x["id"], x["attrs"]) for x in self.read("ops-half")],
                         [(objs[0]["id"], objs[0]["attrs"])])

    # -- read

    def test_read_finds_exactly_the_layer_with_one_call_per_type(self):
        stack = "ops-read"
        o = self.build_layer(stack, "10.1")
        self.emu.clear()
        live = self.read(stack)
        by_id = {x["id"]: x for x in live}
        self.assertEqual(len(by_id), len(live), "an object was read twice")
        self.assertEqual(sorted(by_id), sorted(x["id"] for x in o.values()))
        for cid, made in o.items():
            got = by_id[made["id"]]
            self.assertEqual(got["type"], made["type"])
            # Create fills its object with the same parsing as read.
            self.assertEqual(got["attrs"], made["attrs"], cid)
            if made["type"] in ("ec2.route", "ec2.route_table_association"):
                self.assertIsNone(got["cairn_id"])  # untagged: matched by attributes
            else:
                self.assertEqual(got["cairn_id"], cid)
        vpc = by_id[o["network.vpc"]["id"]]["attrs"]
        self.assertEqual(vpc, {
            "id": o["network.vpc"]["id"], "cidr_block": "10.1.0.0/16",
            "instance_tenancy": "default", "enable_dns_support": True,
            "enable_dns_hostnames": True, "enable_network_address_usage_metrics": False,
            "tags": {"Name": stack, "cairn:stack": stack, "cairn:id": "network.vpc"}})
        route = by_id[o["network.private_default_route"]["id"]]
        self.assertEqual(route["id"], o["network.private_routes"]["id"] + "|0.0.0.0/0")
        self.assertEqual(route["attrs"]["nat_gateway_id"], o["network.nat"]["id"])
        prom = by_id[o["prometheus.security_group"]["id"]]["attrs"]
        self.assertEqual(prom["ingress"], [
            {"protocol": "tcp", "port": 9090,
             "source_security_group": o["alb.security_group"]["id"],
             "description": "From the load balancer"},
            {"protocol": "tcp", "from_port": 9100, "to_port": 9110,
             "cidr_blocks": ["10.1.11.0/24", "10.1.12.0/24"]}])
        self.assertEqual(by_id[o["alb.security_group"]["id"]]["attrs"]["egress"], ALLOW_ALL_OUT)
        counts = self.assert_read_calls(1)

        # Three more subnets and five more rules: the same calls.
        vpc_id = o["network.vpc"]["id"]
        for i in range(3):
            self.create(stack, "ec2.subnet", "extra_%d" % i,
                        {"vpc_id": vpc_id, "cidr_block": "10.1.%d.0/24" % (100 + i)})
        alb = o["alb.security_group"]
        rules = [{"port": 80, "cidr_blocks": ["0.0.0.0/0"], "description": "HTTP from the internet"},
                 {"port": 443, "cidr_blocks": ["0.0.0.0/0"]}]
        rules += [{"port": 8000 + i, "cidr_blocks": ["10.1.0.0/16"]} for i in range(5)]
        self.update(stack, "ec2.security_group", alb["id"], dict(alb["attrs"], ingress=rules),
                    "ingress")
        self.emu.clear()
        live = self.read(stack)
        self.assertEqual(len(live), len(o) + 3)
        self.assertEqual(len(by_type(live, "ec2.subnet")), 7)
        alb_live = [x for x in live if x["id"] == alb["id"]][0]["attrs"]
        self.assertEqual(len(alb_live["ingress"]), 7)
        self.assertEqual(self.assert_read_calls(1), counts)

    def assert_read_calls(self, nvpcs):
        self.assertFalse([c for c in self.emu.calls if c.is_write], "a read wrote")
        # The probe reads every type; the other services' reads are their own tests' business.
        calls = [c for c in self.emu.calls if c.service == "ec2"]
        counts = read_counts(calls)
        # One call per operation: the three route types share one DescribeRouteTables.
        want = {op: 1 for op in DESCRIBE.values()}
        want["DescribeVpcAttribute"] = VPC_SETTINGS * nvpcs
        self.assertEqual(counts, want)
        return counts

    def test_read_follows_next_token(self):
        stack = "ops-pages"
        vpc = self.create(stack, "ec2.vpc", "vpc", {"cidr_block": "10.2.0.0/16"})["id"]
        made = [self.create(stack, "ec2.subnet", "s%d" % i,
                            {"vpc_id": vpc, "cidr_block": "10.2.%d.0/24" % i})["id"]
                for i in range(3)]
        pages = []

        def paginate(call):
            # The first page carries one subnet and a token; the second, the rest.
            pages.append(call.params.get("NextToken"))
            status, headers, body = call.forward()
            ns = {"e": "http://ec2.amazonaws.com/doc/2016-11-15"}
            ET.register_namespace("", ns["e"])
            root = ET.fromstring(body)
            items = root.find("e:subnetSet", ns)
            kids = list(items)
            keep = kids[:1] if call.params.get("NextToken") is None else kids[1:]
            for k in kids:
                if k not in keep:
                    items.remove(k)
            if call.params.get("NextToken") is None:
                ET.SubElement(root, "{%s}nextToken" % ns["e"]).text = "page-2"
            body = ET.tostring(root, encoding="utf-8", xml_declaration=True)
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(body))))
            return status, headers, body

        self.emu.intercept("ec2", "DescribeSubnets", paginate)
        try:
            live = self.read(stack)
        finally:
            self.emu.intercept("ec2", "DescribeSubnets", None)
        self.assertEqual(pages, [None, "page-2"])
        self.assertEqual(sorted(x["id"] for x in by_type(live, "ec2.subnet")), sorted(made))

    def test_two_stacks_do_not_see_each_other(self):
        a = self.build_layer("ops-iso-a", "10.3")
        b = self.build_layer("ops-iso-b", "10.4")
        for stack, mine in (("ops-iso-a", a), ("ops-iso-b", b)):
            live = self.read(stack)
            self.assertEqual(sorted(x["id"] for x in live),
                             sorted(x["id"] for x in mine.values()), stack)

    def test_rule_added_out_of_band_shows_in_read(self):
        stack = "ops-drift"
        vpc = self.create(stack, "ec2.vpc", "vpc", {"cidr_block": "10.5.0.0/16"})["id"]
        g = self.create(stack, "ec2.security_group", "sg", {
            "description": "d", "vpc_id": vpc,
            "ingress": [{"port": 443, "cidr_blocks": ["10.0.0.0/8"]}]})
        self.ec2.authorize_security_group_ingress(GroupId=g["id"], IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        live = [x for x in self.read(stack) if x["id"] == g["id"]][0]
        self.assertEqual(live["attrs"]["ingress"], [
            {"protocol": "tcp", "port": 22, "cidr_blocks": ["0.0.0.0/0"]},
            {"protocol": "tcp", "port": 443, "cidr_blocks": ["10.0.0.0/8"]}])
        # Updating the rules to what the file says revokes it, and only it.
        self.emu.clear()
        self.update(stack, "ec2.security_group", g["id"], g["attrs"], "ingress")
        writes = [c.operation for c in self.emu.calls if c.is_write]
        self.assertEqual(writes, ["RevokeSecurityGroupIngress"])
        perms = self.sg(g["id"])["IpPermissions"]
        self.assertEqual([(p["FromPort"], p["IpRanges"]) for p in perms],
                         [(443, [{"CidrIp": "10.0.0.0/8"}])])

    # -- update

    def test_update_changes_only_what_differs(self):
        stack = "ops-update"
        o = self.build_layer(stack, "10.6")
        vpc, alb = o["network.vpc"], o["alb.security_group"]
        prom = o["prometheus.security_group"]

        # DNS hostnames off, one ModifyVpcAttribute.
        self.emu.clear()
        got = self.update(stack, "ec2.vpc", vpc["id"],
                          dict(vpc["attrs"], enable_dns_hostnames=False), "enable_dns_hostnames")
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write],
                         ["ModifyVpcAttribute"])
        self.assertFalse(got["attrs"]["enable_dns_hostnames"])
        self.assertFalse(self.vpc_setting(vpc["id"], "enableDnsHostnames"))
        self.assertTrue(self.vpc_setting(vpc["id"], "enableDnsSupport"))

        # Rules: 80 stays, 443 goes, 8443 comes, and the group reference changes its
        # description only (AWS would call it a duplicate unless the old one goes first).
        self.emu.clear()
        rules = [{"port": 80, "cidr_blocks": ["0.0.0.0/0"], "description": "HTTP from the internet"},
                 {"port": 8443, "cidr_blocks": ["10.6.0.0/16"], "description": "admin"}]
        got = self.update(stack, "ec2.security_group", alb["id"], dict(alb["attrs"], ingress=rules),
                          "ingress")
        writes = [c.operation for c in self.emu.calls if c.is_write]
        self.assertEqual(writes, ["AuthorizeSecurityGroupIngress", "RevokeSecurityGroupIngress"])
        perms = self.sg(alb["id"])["IpPermissions"]
        self.assertEqual(sorted((p["FromPort"], p["IpRanges"][0]["CidrIp"]) for p in perms),
                         [(80, "0.0.0.0/0"), (8443, "10.6.0.0/16")])
        self.assertEqual(got["attrs"]["ingress"], [
            {"protocol": "tcp", "port": 80, "cidr_blocks": ["0.0.0.0/0"],
             "description": "HTTP from the internet"},
            {"protocol": "tcp", "port": 8443, "cidr_blocks": ["10.6.0.0/16"],
             "description": "admin"}])

        self.emu.clear()
        ingress = [dict(prom["attrs"]["ingress"][0], description="ALB"),
                   prom["attrs"]["ingress"][1]]
        self.update(stack, "ec2.security_group", prom["id"], dict(prom["attrs"], ingress=ingress,
                                                                  egress=[]),
                    "ingress", "egress")
        writes = [c.operation for c in self.emu.calls if c.is_write]
        self.assertEqual(writes, ["RevokeSecurityGroupIngress", "AuthorizeSecurityGroupIngress",
                                  "RevokeSecurityGroupEgress"])
        g = self.sg(prom["id"])
        self.assertEqual([u.get("Description") for p in g["IpPermissions"]
                          for u in p["UserIdGroupPairs"]], ["ALB"])
        self.assertEqual(g["IpPermissionsEgress"], [])
        # Egress left out again: back to AWS's default rule.
        desired = dict(prom["attrs"], ingress=ingress)
        del desired["egress"]
        got = self.update(stack, "ec2.security_group", prom["id"], desired, "egress")
        self.assertEqual(got["attrs"]["egress"], ALLOW_ALL_OUT)
        self.assertEqual([(p["IpProtocol"], p["IpRanges"]) for p in
                          self.sg(prom["id"])["IpPermissionsEgress"]],
                         [("-1", [{"CidrIp": "0.0.0.0/0"}])])

        # Tags: Tier gone, Owner added; aws:* tags left alone.
        sub = o["network.public_b"]
        self.ec2.create_tags(Resources=[sub["id"]],
                             Tags=[{"Key": "aws:cloudformation:stack-name", "Value": "x"}])
        self.emu.clear()
        self.update(stack, "ec2.subnet", sub["id"],
                    dict(sub["attrs"], tags={"Owner": "ops"},
                         map_public_ip_on_launch=False),
                    "tags", "map_public_ip_on_launch")
        self.assertEqual(self.tags_of(sub["id"]), {
            "Owner": "ops", "cairn:stack": stack, "cairn:id": "network.public_b",
            "aws:cloudformation:stack-name": "x"})
        self.assertFalse(self.ec2.describe_subnets(SubnetIds=[sub["id"]])["Subnets"][0][
            "MapPublicIpOnLaunch"])
        self.assertEqual(sorted(c.operation for c in self.emu.calls if c.is_write),
                         ["CreateTags", "DeleteTags", "ModifySubnetAttribute"])

        # The public route goes to the NAT gateway instead: one ReplaceRoute.
        route = o["network.public_default_route"]
        self.emu.clear()
        got = self.update(stack, "ec2.route", route["id"],
                          {"route_table_id": route["attrs"]["route_table_id"],
                           "destination_cidr_block": "0.0.0.0/0",
                           "nat_gateway_id": o["network.nat"]["id"]},
                          "gateway_id", "nat_gateway_id")
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write], ["ReplaceRoute"])
        self.assertNotIn("gateway_id", got["attrs"])
        rt = self.ec2.describe_route_tables(
            RouteTableIds=[route["attrs"]["route_table_id"]])["RouteTables"][0]
        self.assertEqual([r.get("NatGatewayId") for r in rt["Routes"]
                          if r["DestinationCidrBlock"] == "0.0.0.0/0"], [o["network.nat"]["id"]])

        # A subnet moves to the other route table: its association gets a new id.
        assoc = o["network.public_b_routes"]
        got = self.update(stack, "ec2.route_table_association", assoc["id"],
                          dict(assoc["attrs"], route_table_id=o["network.private_routes"]["id"]),
                          "route_table_id")
        self.assertNotEqual(got["id"], assoc["id"])
        self.assertEqual(got["attrs"]["route_table_id"], o["network.private_routes"]["id"])
        live = {x["id"]: x for x in self.read(stack)}
        self.assertEqual(live[got["id"]]["attrs"], got["attrs"])

        # The internet gateway moves to another VPC: detach, attach.
        other = self.create(stack, "ec2.vpc", "other.vpc", {"cidr_block": "10.7.0.0/16"})["id"]
        igw = o["network.igw"]
        self.emu.clear()
        self.update(stack, "ec2.internet_gateway", igw["id"], {"vpc_id": other}, "vpc_id")
        self.assertEqual([c.operation for c in self.emu.calls if c.is_write],
                         ["DetachInternetGateway", "AttachInternetGateway"])
        g = self.ec2.describe_internet_gateways(InternetGatewayIds=[igw["id"]])
        self.assertEqual([a["VpcId"] for a in g["InternetGateways"][0]["Attachments"]], [other])

    def test_update_refuses_what_needs_a_replacement(self):
        stack = "ops-replace"
        vpc = self.create(stack, "ec2.vpc", "vpc", {"cidr_block": "10.8.0.0/16"})
        self.emu.clear()
        _, r = self.probe("update", stack, "ec2.vpc", vpc["id"],
                          json.dumps({"cidr_block": "10.9.0.0/16"}), "cidr_block", ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("cidr_block cannot change in place", r.stderr)
        self.assertFalse([c for c in self.emu.calls if c.is_write])

    # -- remove

    def test_remove_everything_in_reverse_order(self):
        stack = "ops-remove"
        o = self.build_layer(stack, "10.10")
        other = self.build_layer("ops-remove-other", "10.11")
        self.assertTrue(self.tagged(stack))
        self.emu.clear()
        for obj in reversed(list(o.values())):  # build_layer made them in dependency order
            self.remove(stack, obj["type"], obj["id"])
        writes = [c.operation for c in self.emu.calls if c.is_write]
        self.assertEqual(writes.count("DetachInternetGateway"), 1)
        self.assertLess(writes.index("DetachInternetGateway"),
                        writes.index("DeleteInternetGateway"))
        for op in ("DeleteSecurityGroup", "DisassociateRouteTable", "DeleteRoute",
                   "DeleteRouteTable", "DeleteNatGateway", "ReleaseAddress", "DeleteSubnet",
                   "DeleteVpc"):
            self.assertIn(op, writes)
        self.assertEqual(self.tagged(stack), [])
        self.assertEqual(self.read(stack), [])
        # The deleted NAT gateway is still listed by AWS (state deleted) but not read.
        nat = self.ec2.describe_nat_gateways(
            NatGatewayIds=[o["network.nat"]["id"]])["NatGateways"][0]
        self.assertEqual(nat["State"], "deleted")
        # The other stack is untouched.
        self.assertEqual(sorted(x["id"] for x in self.read("ops-remove-other")),
                         sorted(x["id"] for x in other.values()))

    def test_security_group_referenced_by_another_is_unreferenced_then_deleted(self):
        stack = "ops-sgref"
        vpc = self.create(stack, "ec2.vpc", "vpc", {"cidr_block": "10.12.0.0/16"})["id"]
        a = self.create(stack, "ec2.security_group", "a", {"description": "a", "vpc_id": vpc})
        b = self.create(stack, "ec2.security_group", "b", {
            "description": "b", "vpc_id": vpc,
            "ingress": [{"port": 5432, "source_security_group": a["id"]},
                        {"port": 22, "cidr_blocks": ["10.0.0.0/8"]}]})
        refused = []

        def dependency(call):
            # moto deletes a referenced group; AWS refuses, as this does once.
            if call.params.get("GroupId") == a["id"] and not refused:
                refused.append(1)
                body = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Errors><Error>"
                        "<Code>DependencyViolation</Code><Message>resource %s has a dependent "
                        "object</Message></Error></Errors><RequestID>r1</RequestID></Response>"
                        % a["id"]).encode()
                return 400, [("Content-Type", "text/xml;charset=UTF-8"),
                             ("Content-Length", str(len(body)))], body
            return None

        self.emu.intercept("ec2", "DeleteSecurityGroup", dependency)
        self.emu.clear()
        try:
            self.remove(stack, "ec2.security_group", a["id"])
        finally:
            self.emu.intercept("ec2", "DeleteSecurityGroup", None)
        ops = [c.operation for c in self.emu.calls]
        self.assertEqual(ops[-4:], ["DeleteSecurityGroup", "DescribeSecurityGroups",
                                    "RevokeSecurityGroupIngress", "DeleteSecurityGroup"])
        self.assertEqual([g["GroupId"] for g in self.ec2.describe_security_groups(
            Filters=[{"Name": "group-id", "Values": [a["id"]]}])["SecurityGroups"]], [])
        perms = self.sg(b["id"])["IpPermissions"]
        self.assertEqual([(p["FromPort"], p["UserIdGroupPairs"]) for p in perms], [(22, [])])

    def test_remove_reports_aws_refusal(self):
        stack = "ops-refuse"
        vpc = self.create(stack, "ec2.vpc", "vpc", {"cidr_block": "10.13.0.0/16"})["id"]
        self.create(stack, "ec2.subnet", "s", {"vpc_id": vpc, "cidr_block": "10.13.1.0/24"})
        _, r = self.probe("remove", stack, "ec2.vpc", vpc, ok=False)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, re.compile("DeleteVpc.*DependencyViolation", re.S))


def by_type(live, rtype):
    return [x for x in live if x["type"] == rtype]


if __name__ == "__main__":
    unittest.main()
