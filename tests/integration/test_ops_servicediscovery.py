"""Cloud Map's resource types (servicediscovery.private_dns_namespace and
servicediscovery.service): their AWS calls driven one at a time by tests/tools/restype_probe
against moto behind the strict validator, checked with boto3 talking to moto directly.
"""
import json
import os
import subprocess
import time
import unittest

import cairnharness

PROBE = os.path.join(os.environ.get("CAIRN_TEST_TOOLS", ""), "restype_probe")
NS = "servicediscovery.private_dns_namespace"
SVC = "servicediscovery.service"
SERVICES = ("backend", "frontend", "prometheus", "grafana")


def counts(calls):
    out = {}
    for c in calls:
        if c.service == "servicediscovery":
            out[c.operation] = out.get(c.operation, 0) + 1
    return out


def seed_service(stack, svc, namespace_id):
    """What the seed's fargate-service templates ask for."""
    return {"name": "%s-%s" % (stack, svc), "namespace_id": namespace_id,
            "description": "The tasks of %s-%s" % (stack, svc),
            "dns_records": [{"type": "A", "ttl": 10}], "routing_policy": "MULTIVALUE",
            "health_check_custom_config": {"failure_threshold": 1}}


class ServiceDiscoveryOpsTest(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        if not os.path.exists(PROBE):
            self.fail("restype_probe not found: set CAIRN_TEST_TOOLS to the build's tests/ dir")
        self.sd = self.emu.boto3_client("servicediscovery")
        self.ec2 = self.emu.boto3_client("ec2")

    # -- driving the probe

    def probe(self, *args, ok=True):
        r = subprocess.run([PROBE, *map(str, args)], env=self.emu.env(), capture_output=True,
                           text=True, timeout=180, stdin=subprocess.DEVNULL)
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

    def of_type(self, live, rtype):
        return [x for x in live if x["type"] == rtype]

    def vpc(self):
        # moto allows one private namespace per VPC (AWS allows several): each gets its own.
        return self.ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]

    def namespace_desired(self, stack, vpc, domain="davidshaevel.local"):
        return {"name": domain, "vpc": vpc, "description": "Service discovery for " + stack,
                "tags": {"Project": "davidshaevel"}}

    def build(self, stack, domain="davidshaevel.local"):
        """The seed's namespace and its four services."""
        vpc = self.vpc()
        o = {"namespace": self.create(stack, NS, "namespace",
                                      self.namespace_desired(stack, vpc, domain))}
        for svc in SERVICES:
            o[svc] = self.create(stack, SVC, svc + ".discovery",
                                 seed_service(stack, svc, o["namespace"]["id"]))
        return o, vpc

    def tags_of(self, arn):
        tags = self.sd.list_tags_for_resource(ResourceARN=arn)["Tags"]
        return {t["Key"]: t["Value"] for t in tags}

    def chain(self, op, handler):
        """Put handler in front of whatever answers op now (the harness's gap, or moto); returns
        the undo."""
        before = self.emu.proxy.handlers.get(("servicediscovery", op))

        def both(call):
            answer = handler(call)
            if answer is None and before is not None:
                answer = before(call)
            return answer

        self.emu.intercept("servicediscovery", op, both)
        return lambda: self.emu.intercept("servicediscovery", op, before)

    # -- create

    def test_create_makes_the_namespace_and_services_as_asked(self):
        stack = "sd-create"
        o, vpc = self.build(stack)
        ns = o["namespace"]
        got = self.sd.get_namespace(Id=ns["id"])["Namespace"]
        self.assertEqual((got["Name"], got["Type"], got["Description"]),
                         ("davidshaevel.local", "DNS_PRIVATE", "Service discovery for " + stack))
        self.assertRegex(got["CreatorRequestId"], r"^cairn-[0-9a-f]{16}$")
        self.assertEqual(ns["attrs"]["hosted_zone_id"],
                         got["Properties"]["DnsProperties"]["HostedZoneId"])
        self.assertEqual(ns["attrs"]["vpc"], vpc)
        # The VPC Cloud Map does not report is kept in a tag of its own; the stack's tags are
        # what the file says.
        self.assertEqual(self.tags_of(ns["attrs"]["arn"]), {
            "Project": "davidshaevel", "cairn:stack": stack, "cairn:id": "namespace",
            "cairn:vpc": vpc})
        self.assertNotIn("cairn:vpc", ns["attrs"]["tags"])
        backend = o["backend"]
        svc = self.sd.get_service(Id=backend["id"])["Service"]
        self.assertEqual((svc["Name"], svc["NamespaceId"], svc["DnsConfig"]["RoutingPolicy"],
                          svc["DnsConfig"]["DnsRecords"], svc["HealthCheckCustomConfig"]),
                         (stack + "-backend", ns["id"], "MULTIVALUE", [{"Type": "A", "TTL": 10}],
                          {"FailureThreshold": 1}))
        self.assertRegex(svc["CreatorRequestId"], r"^cairn-[0-9a-f]{16}$")
        self.assertEqual(self.tags_of(svc["Arn"])["cairn:id"], "backend.discovery")
        self.assertEqual(backend["attrs"]["arn"], svc["Arn"])
        self.assertEqual(backend["attrs"]["dns_name"],
                         stack + "-backend.davidshaevel.local")

    def test_create_waits_for_the_namespace_operation(self):
        polls = []

        def pending(call):
            polls.append(call.params["OperationId"])
            if len(polls) < 3:
                return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(
                    {"Operation": {"Id": call.params["OperationId"], "Status": "PENDING"}}).encode()
            return None

        undo = self.chain("GetOperation", pending)
        try:
            t0 = time.monotonic()
            ns = self.create("sd-wait", NS, "namespace",
                             self.namespace_desired("sd-wait", self.vpc()))
        finally:
            undo()
        self.assertEqual(len(polls), 3)
        self.assertGreaterEqual(time.monotonic() - t0, 0.7)  # 0.25 s, then 0.5 s
        self.assertTrue(ns["id"].startswith("ns-"))

    def test_a_failed_operation_is_an_error_with_aws_reason(self):
        def failed(call):
            return 200, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(
                {"Operation": {"Id": call.params["OperationId"], "Status": "FAIL",
                               "ErrorCode": "CANNOT_CREATE_HOSTED_ZONE",
                               "ErrorMessage": "the VPC has no DNS support"}}).encode()

        undo = self.chain("GetOperation", failed)
        try:
            objs, r = self.probe("create", "sd-fail", NS, "namespace", json.dumps(
                self.namespace_desired("sd-fail", self.vpc())), ok=False)
        finally:
            undo()
        self.assertEqual((r.returncode, objs), (1, []))
        self.assertIn("CANNOT_CREATE_HOSTED_ZONE: the VPC has no DNS support", r.stderr)

    def test_a_create_sent_again_adopts_instead_of_making_a_second(self):
        stack = "sd-again"
        o, vpc = self.build(stack, domain="again.local")
        self.emu.clear()
        ns = self.create(stack, NS, "namespace", self.namespace_desired(stack, vpc, "again.local"))
        svc = self.create(stack, SVC, "backend.discovery",
                          seed_service(stack, "backend", o["namespace"]["id"]))
        self.assertEqual((ns["id"], ns["attrs"]), (o["namespace"]["id"], o["namespace"]["attrs"]))
        self.assertEqual((svc["id"], svc["attrs"]), (o["backend"]["id"], o["backend"]["attrs"]))
        made = counts(self.emu.calls)
        self.assertEqual((made["CreatePrivateDnsNamespace"], made["CreateService"]), (1, 1))
        services = [self.sd.get_service(Id=s["Id"])["Service"]
                    for s in self.sd.list_services()["Services"]]
        names = [s["Name"] for s in services if s["NamespaceId"] == o["namespace"]["id"]]
        self.assertEqual(sorted(names), sorted(stack + "-" + s for s in SERVICES))
        self.assertEqual(len([n for n in self.sd.list_namespaces()["Namespaces"]
                              if n["Name"] == "again.local"]), 1)

    # -- read

    def test_read_finds_the_stack_with_few_calls(self):
        stack = "sd-read"
        o, _ = self.build(stack, domain="read.local")
        self.build("sd-read-other", domain="other.local")
        self.sd.create_http_namespace(Name="http-only")  # not a private DNS namespace
        private = len([n for n in self.sd.list_namespaces()["Namespaces"]
                       if n["Type"] == "DNS_PRIVATE"])
        self.emu.clear()
        live = self.read(stack)
        self.assertEqual(len(live), 1 + len(SERVICES))
        for key, made in o.items():
            got = [x for x in live if x["id"] == made["id"]]
            self.assertEqual(len(got), 1, key)
            # A create fills its object as a read does.
            self.assertEqual(got[0]["attrs"], made["attrs"], key)
            self.assertEqual(got[0]["cairn_id"], made["cairn_id"])
        # namespace: ListNamespaces + ListTagsForResource per private DNS namespace;
        # service: the same (shared with the namespace read), then ListServices in the
        # stack's namespace and ListTagsForResource per service in it.
        self.assertEqual(counts(self.emu.calls), {
            "ListNamespaces": 1, "ListServices": 1,
            "ListTagsForResource": private + len(SERVICES)})

    # -- update

    def test_update_service_ttl_and_description(self):
        stack = "sd-update"
        o, _ = self.build(stack, domain="update.local")
        want = dict(seed_service(stack, "backend", o["namespace"]["id"]),
                    description="changed", dns_records=[{"type": "A", "ttl": 60}],
                    tags={"Owner": "ops"})
        self.emu.clear()
        objs, _ = self.probe("update", stack, SVC, o["backend"]["id"], json.dumps(want),
                             "description", "dns_records", "tags")
        self.assertEqual(objs[0]["attrs"]["dns_records"], [{"type": "A", "ttl": 60}])
        made = counts(self.emu.calls)
        self.assertEqual((made["UpdateService"], made["GetOperation"], made["TagResource"]),
                         (1, 1, 1))
        svc = self.sd.get_service(Id=o["backend"]["id"])["Service"]
        self.assertEqual((svc["Description"], svc["DnsConfig"]["DnsRecords"],
                          svc["DnsConfig"]["RoutingPolicy"]),
                         ("changed", [{"Type": "A", "TTL": 60}], "MULTIVALUE"))
        self.assertEqual(self.tags_of(svc["Arn"])["Owner"], "ops")
        got = [x for x in self.read(stack) if x["id"] == o["backend"]["id"]][0]
        self.assertEqual(got["attrs"]["dns_records"], [{"type": "A", "ttl": 60}])
        # Another record type is refused before any call: it takes another service.
        _, r = self.probe("update", stack, SVC, o["backend"]["id"],
                          json.dumps(dict(want, dns_records=[{"type": "SRV", "ttl": 60}])),
                          "dns_records", ok=False)
        self.assertIn("cannot change a service's DNS record types in place", r.stderr)

    def test_update_namespace_description_and_tags_keeps_the_vpc_tag(self):
        stack = "sd-nsupdate"
        o, vpc = self.build(stack, domain="nsupdate.local")
        want = dict(self.namespace_desired(stack, vpc, "nsupdate.local"), description="new",
                    tags={"Owner": "ops"})
        objs, _ = self.probe("update", stack, NS, o["namespace"]["id"], json.dumps(want),
                             "description", "tags")
        self.assertEqual(objs[0]["attrs"]["description"], "new")
        self.assertEqual(self.sd.get_namespace(Id=o["namespace"]["id"])["Namespace"]["Description"],
                         "new")
        self.assertEqual(self.tags_of(o["namespace"]["attrs"]["arn"]), {
            "Owner": "ops", "cairn:stack": stack, "cairn:id": "namespace", "cairn:vpc": vpc})
        _, r = self.probe("update", stack, NS, o["namespace"]["id"],
                          json.dumps(dict(want, vpc="vpc-other")), "vpc", ok=False)
        self.assertIn("vpc cannot change in place", r.stderr)

    # -- remove

    def test_remove_services_then_namespace(self):
        stack = "sd-remove"
        o, _ = self.build(stack, domain="remove.local")
        for svc in SERVICES:
            self.probe("remove", stack, SVC, o[svc]["id"])
        self.probe("remove", stack, NS, o["namespace"]["id"])
        self.assertEqual(self.read(stack), [])
        self.assertNotIn(o["namespace"]["id"],
                         [n["Id"] for n in self.sd.list_namespaces()["Namespaces"]])

    def test_remove_retries_while_instances_deregister(self):
        stack = "sd-inuse"
        o, _ = self.build(stack, domain="inuse.local")
        refused = []

        def in_use_once(call):
            if not refused:
                refused.append(call.params["Id"])
                return 400, [("Content-Type", "application/x-amz-json-1.1")], json.dumps(
                    {"__type": "ResourceInUse", "Message": "instances registered"}).encode()
            return None

        undo = self.chain("DeleteService", in_use_once)
        try:
            self.emu.clear()
            self.probe("remove", stack, SVC, o["backend"]["id"])
        finally:
            undo()
        self.assertEqual(counts(self.emu.calls)["DeleteService"], 2)
        with self.assertRaises(self.sd.exceptions.ServiceNotFound):
            self.sd.get_service(Id=o["backend"]["id"])

    def test_remove_of_something_already_gone_succeeds(self):
        stack = "sd-gone"
        o, _ = self.build(stack, domain="gone.local")

        def gone(code):
            return lambda call: (400, [("Content-Type", "application/x-amz-json-1.1")],
                                 json.dumps({"__type": code, "Message": "gone"}).encode())

        undo = [self.chain("DeleteService", gone("ServiceNotFound")),
                self.chain("DeleteNamespace", gone("NamespaceNotFound"))]
        try:
            self.probe("remove", stack, SVC, o["backend"]["id"])
            self.probe("remove", stack, NS, o["namespace"]["id"])
        finally:
            for u in undo:
                u()


if __name__ == "__main__":
    unittest.main()
