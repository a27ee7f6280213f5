"""up against a slower, less reliable AWS than moto: waiters and transient faults during apply.

moto makes a NAT gateway available at once and never throttles or drops a connection. Here the
proxy's intercepts make it behave as AWS can: a gateway that stays pending for a while, one that
fails, a burst of throttling, a connection closed without an answer. The AWS CLI checks what
exists afterwards.
"""
import json
import os
import re
import subprocess
import sys
import threading
import time
import unittest
from xml.dom import minidom

import cairnharness
from cairnharness import gaps

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
TEMPLATES = os.path.join(SOURCE, "templates")
NETWORK = os.path.join(SOURCE, "tests/stacks/good/network.yaml")
STACK = "net-test"

FAILURE_CODE = "InsufficientFreeAddressesInSubnet"
FAILURE_MESSAGE = "Subnet has insufficient free addresses to create this NAT gateway"


class DropConnection(Exception):
    """Raised by an intercept handler: the proxy closes the connection without answering."""


def quiet_drops(emu):
    """Keep the proxy from printing a traceback for connections closed on purpose. Returns the
    function that undoes it."""
    server = getattr(emu.proxy, "_server", None)
    if server is None:
        return lambda: None
    loud = server.handle_error

    def handle_error(request, address):
        if not isinstance(sys.exc_info()[1], (DropConnection, BrokenPipeError)):
            loud(request, address)
    server.handle_error = handle_error
    return lambda: setattr(server, "handle_error", loud)


def set_nat_states(body, states):
    """moto's DescribeNatGateways answer with the state of each gateway in states (id -> state,
    or (state, failure code, failure message)) rewritten; the ids it answered, with their
    states as sent."""
    doc = minidom.parseString(body)
    sent = {}
    for s in doc.getElementsByTagName("natGatewaySet"):
        for item in [n for n in s.childNodes if n.nodeName == "item"]:
            ids = [n for n in item.childNodes if n.nodeName == "natGatewayId"]
            nat_id = ids[0].firstChild.data if ids and ids[0].firstChild else None
            state_el = next((n for n in item.childNodes if n.nodeName == "state"), None)
            want = states.get(nat_id)
            if want is not None and state_el is not None:
                state, code, message = want if isinstance(want, tuple) else (want, None, None)
                state_el.firstChild.data = state
                for name, text in (("failureCode", code), ("failureMessage", message)):
                    if text:
                        el = doc.createElement(name)
                        el.appendChild(doc.createTextNode(text))
                        item.appendChild(el)
            if nat_id:
                sent[nat_id] = state_el.firstChild.data if state_el is not None else None
    return doc.toxml(encoding="UTF-8"), sent


def with_body(answer, body):
    status, headers, _ = answer
    return status, [(k, v) for k, v in headers if k.lower() != "content-length"], body


class UpFaults(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.events = []  # (seconds since the test began, what), in the order they happened
        self.lock = threading.Lock()
        self.t0 = time.monotonic()
        self.addCleanup(gaps.install, self.emu)

    def intercept(self, op, handler):
        self.emu.intercept("ec2", op, handler)
        self.addCleanup(self.emu.intercept, "ec2", op, None)

    def log(self, *what):
        with self.lock:
            self.events.append((time.monotonic() - self.t0, *what))

    def run_cairn(self, *args):
        return self.cairn(*args, "--template-dir", TEMPLATES, timeout=120)

    def aws(self, *args):
        r = subprocess.run(["aws", "--output", "json", *args], env=self.emu.env(),
                           capture_output=True, text=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout) if r.stdout.strip() else {}

    def owned(self, *kinds):
        """The stack's objects of each kind, as the AWS CLI sees them: kind -> list."""
        f = ["--filters", f"Name=tag:cairn:stack,Values={STACK}"]
        ask = {
            "vpcs": (["describe-vpcs", *f], "Vpcs"),
            "subnets": (["describe-subnets", *f], "Subnets"),
            "igws": (["describe-internet-gateways", *f], "InternetGateways"),
            "rtbs": (["describe-route-tables", *f], "RouteTables"),
            "sgs": (["describe-security-groups", *f], "SecurityGroups"),
            "eips": (["describe-addresses", *f], "Addresses"),
            "nats": (["describe-nat-gateways", "--filter",
                      f"Name=tag:cairn:stack,Values={STACK}"], "NatGateways"),
        }
        got = {}
        for kind in kinds or ask:
            args, key = ask[kind]
            got[kind] = self.aws("ec2", *args)[key]
        if "nats" in got:  # moto's DescribeNatGateways ignores tag filters
            got["nats"] = [n for n in got["nats"] if n["State"] not in ("deleted", "deleting")
                           and {"Key": "cairn:stack", "Value": STACK} in n.get("Tags", [])]
        return got

    @staticmethod
    def cairn_id(obj):
        return next((t["Value"] for t in obj.get("Tags", []) if t["Key"] == "cairn:id"), None)

    def assert_unique(self, objs, n, what):
        ids = sorted(self.cairn_id(o) for o in objs)
        self.assertEqual(len(ids), n, f"{what}: {ids}")
        self.assertEqual(len(set(ids)), n, f"{what}: duplicates in {ids}")

    def assert_converged(self):
        r = self.run_cairn("plan", NETWORK, "--detailed-exitcode")
        self.assertEqual(r.returncode, 0, f"plan after up is not empty:\n{r.stdout}\n{r.stderr}")
        got = self.owned()
        for kind, n in (("vpcs", 1), ("subnets", 4), ("igws", 1), ("rtbs", 2), ("sgs", 2),
                        ("nats", 1), ("eips", 1)):
            self.assert_unique(got[kind], n, kind)
        return got

    def private_route(self, rtbs):
        table = next(t for t in rtbs if self.cairn_id(t) == "network.private_routes")
        return next((r for r in table["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"),
                    None)

    # --- NAT gateway recording and faults ------------------------------------------------

    def record_nat_creates(self):
        """Intercept CreateNatGateway: forward, log the new id; returns the list of ids."""
        made = []

        def handler(call):
            answer = call.forward()
            m = re.search(rb"<natGatewayId>([^<]+)</natGatewayId>", answer[2])
            if answer[0] == 200 and m:
                made.append(m.group(1).decode())
                self.log("CreateNatGateway", made[-1], call.params.get("ClientToken"))
            return answer
        self.intercept("CreateNatGateway", handler)
        return made

    def record_routes(self):
        def handler(call):
            self.log("CreateRoute", call.params.get("NatGatewayId") or call.params.get("GatewayId"))
            return None
        self.intercept("CreateRoute", handler)

    def nat_states(self, state_of):
        """Intercept DescribeNatGateways: state_of(nat_id, seconds since its create) gives
        the state to answer (a string or (state, code, message)), or None for moto's."""
        created = {}

        def handler(call):
            answer = call.forward()
            if answer[0] != 200:
                return answer
            for t, what, *rest in list(self.events):
                if what == "CreateNatGateway":
                    created.setdefault(rest[0], t)
            now = time.monotonic() - self.t0
            states = {}
            for nat_id, t in created.items():
                s = state_of(nat_id, now - t)
                if s is not None:
                    states[nat_id] = s
            body, sent = set_nat_states(answer[2], states)
            self.log("DescribeNatGateways", sent)
            return with_body(answer, body)
        self.intercept("DescribeNatGateways", handler)

    # --- (a) a gateway that stays pending for a while ------------------------------------

    def test_nat_pending_for_3s_is_waited_for(self):
        made = self.record_nat_creates()
        self.record_routes()
        self.nat_states(lambda nat_id, age: "pending" if age < 3.0 else None)

        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(made), 1, self.events)
        nat = made[0]

        # The order of what happened: pending answers, then available, then the private route.
        answers = [(t, sent[nat]) for t, what, *rest in self.events
                   if what == "DescribeNatGateways" for sent in rest if nat in sent]
        pending = [t for t, s in answers if s == "pending"]
        available = [t for t, s in answers if s == "available"]
        self.assertGreaterEqual(len(pending), 2, f"the gateway was not polled: {self.events}")
        self.assertTrue(available, f"never asked again once available: {self.events}")
        route = [t for t, what, *rest in self.events if what == "CreateRoute" and rest == [nat]]
        self.assertEqual(len(route), 1, self.events)
        created = next(t for t, what, *rest in self.events if what == "CreateNatGateway")
        self.assertGreater(route[0], available[0], f"route before available: {self.events}")
        self.assertGreaterEqual(route[0] - created, 3.0, self.events)

        # The same, by the journal: the CreateRoute through the gateway is the last call that
        # names it and comes after every DescribeNatGateways of the apply.
        ops = [c.operation for c in self.emu.calls]
        i_create = ops.index("CreateNatGateway")
        polls = [i for i, op in enumerate(ops) if op == "DescribeNatGateways" and i > i_create]
        self.assertGreaterEqual(len(polls), 3, ops)
        last_route = max(i for i, op in enumerate(ops) if op == "CreateRoute")
        self.assertGreater(last_route, polls[-1], ops)

        got = self.assert_converged()
        self.assertEqual(self.private_route(got["rtbs"]).get("NatGatewayId"), nat)

    # --- (b) a gateway that fails --------------------------------------------------------

    def test_nat_failed_skips_dependants_then_up_converges(self):
        made = self.record_nat_creates()
        self.record_routes()
        self.nat_states(lambda nat_id, age: ("failed", FAILURE_CODE, FAILURE_MESSAGE))

        r = self.run_cairn("up", NETWORK, "--yes")
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 1, out)
        self.assertEqual(len(made), 1, self.events)
        # One error line names the gateway and says why AWS failed it.
        self.assertTrue([line for line in r.stderr.splitlines() if "network.nat" in line
                         and FAILURE_CODE in line and FAILURE_MESSAGE in line], out)
        self.assertIn("network.private_default_route", out, "the skipped dependant is not named")

        # The dependant was skipped; everything that does not need the gateway was made.
        self.assertEqual([e for e in self.events if e[1] == "CreateRoute" and e[2] == made[0]],
                         [], "a route through the failed gateway")
        got = self.owned("vpcs", "subnets", "igws", "rtbs", "sgs", "eips")
        for kind, n in (("vpcs", 1), ("subnets", 4), ("igws", 1), ("rtbs", 2), ("sgs", 2),
                        ("eips", 1)):
            self.assert_unique(got[kind], n, kind)
        self.assertIsNone(self.private_route(got["rtbs"]))
        public = next(t for t in got["rtbs"] if self.cairn_id(t) == "network.public_routes")
        self.assertIn("0.0.0.0/0", [x.get("DestinationCidrBlock") for x in public["Routes"]])
        for t in got["rtbs"]:
            self.assertEqual(len([a for a in t.get("Associations", []) if not a.get("Main")]), 2)
        rules = {self.cairn_id(g): len(g["IpPermissions"]) for g in got["sgs"]}
        self.assertEqual(rules, {"web_sg": 2, "lb_sg": 1})

        # Without the fault, up finishes the job.
        self.emu.intercept("ec2", "DescribeNatGateways", None)
        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        got = self.assert_converged()
        self.assertEqual(self.private_route(got["rtbs"]).get("NatGatewayId"),
                         got["nats"][0]["NatGatewayId"])

    def test_nat_that_stays_failed_is_not_adopted(self):
        """As on AWS, a failed gateway stays listed as failed (for about an hour) and its
        ClientToken keeps naming it; its Elastic IP is free again. The second up must end with a
        working gateway behind the private route, not the failed one."""
        made = self.record_nat_creates()
        ec2 = self.emu.boto3_client("ec2")
        by_token = {}

        def create(call):  # AWS's idempotency, which moto lacks: same token, same gateway
            token = call.params.get("ClientToken")
            if token in by_token:
                self.log("CreateNatGateway (token seen)", token)
                return by_token[token]
            answer = call.forward()
            m = re.search(rb"<natGatewayId>([^<]+)</natGatewayId>", answer[2])
            if answer[0] == 200 and m:
                made.append(m.group(1).decode())
                self.log("CreateNatGateway", made[-1], token)
                if token:
                    by_token[token] = answer
                if len(made) == 1:  # the first one fails; AWS lets its address go
                    for a in ec2.describe_addresses()["Addresses"]:
                        if a.get("AllocationId") == call.params.get("AllocationId") and \
                                a.get("AssociationId"):
                            ec2.disassociate_address(AssociationId=a["AssociationId"])
            return answer
        self.intercept("CreateNatGateway", create)
        self.nat_states(lambda nat_id, age: ("failed", FAILURE_CODE, FAILURE_MESSAGE)
                        if made and nat_id == made[0] else None)

        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.run_cairn("plan", NETWORK, "--detailed-exitcode")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        rtbs = self.owned("rtbs")["rtbs"]
        route = self.private_route(rtbs)
        self.assertIsNotNone(route, "no default route in the private table")
        self.assertNotEqual(route.get("NatGatewayId"), made[0],
                            f"the private route goes through the failed gateway; events: "
                            f"{self.events}")

    # --- (c) a burst of throttling -------------------------------------------------------

    def test_throttling_burst_is_retried(self):
        answered = []

        def handler(call):
            with self.lock:
                answered.append(call.params.get("CidrBlock"))
                if len(answered) > 2:
                    return None
            body = (b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                    b"<Code>RequestLimitExceeded</Code><Message>Request limit exceeded."
                    b"</Message></Error></Errors><RequestID>x</RequestID></Response>")
            return 503, [("Content-Type", "text/xml;charset=UTF-8")], body
        self.intercept("CreateSubnet", handler)

        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(answered), 6, f"4 subnets and 2 retries: {answered}")
        self.assertEqual(sorted(set(answered)), ["10.0.1.0/24", "10.0.11.0/24", "10.0.12.0/24",
                                                 "10.0.2.0/24"])
        self.assert_converged()

    # --- (d) a connection dropped after AWS did the work ---------------------------------

    def test_dropped_connection_is_retried_with_the_same_token(self):
        self.addCleanup(quiet_drops(self.emu))
        seen = []  # ClientToken of every CreateRouteTable that reached the proxy
        answers = {}

        def handler(call):
            token = call.params.get("ClientToken")
            with self.lock:
                seen.append(token)
                first = len(seen) == 1
                if token and token in answers:  # AWS's idempotency, which moto lacks
                    return answers[token]
            answer = call.forward()
            if token and answer[0] == 200:
                with self.lock:
                    answers[token] = answer
            if first:  # the table is made, and the answer is lost with the connection
                raise DropConnection()
            return answer
        self.intercept("CreateRouteTable", handler)

        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(len(seen), 3, f"two tables and one retry: {seen}")
        self.assertIsNotNone(seen[0], "CreateRouteTable without a ClientToken")
        self.assertEqual(seen.count(seen[0]), 2, f"the retry changed the token: {seen}")
        self.assertEqual(len(set(seen)), 2, f"the two tables share a token: {seen}")
        got = self.assert_converged()
        self.assert_unique(got["rtbs"], 2, "route tables")


if __name__ == "__main__":
    unittest.main()
