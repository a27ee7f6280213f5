"""An up killed with SIGKILL during apply, then run again, ends as an uninterrupted run does.

Each scenario runs `cairn up --yes` on the network stack and kills it with SIGKILL right after
its k-th write call reaches the emulator. In the harder case (`reached`) the write is carried
out by moto first, so AWS made the object but cairn never saw the answer: the run after must
adopt it (by its tags, or by its parent for routes and associations) rather than make a second
one. In the easier case the write is held and never carried out. Every write that reaches the
proxy after the k-th is treated the same way until the process is dead (the parallel executor
has several in flight).

Then `up --yes` runs again to completion, `plan --detailed-exitcode` must say there is nothing
to do, and the AWS CLI's view of the account (every object outside the default VPC, named by
its cairn:id tag, with its references and settings, routes and associations per route table,
rules per security group) must equal an uninterrupted run's: same objects, no duplicates.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import unittest

import cairnharness
from cairnharness import gaps

SOURCE = os.environ["CAIRN_SOURCE_DIR"]
TEMPLATES = os.path.join(SOURCE, "templates")
NETWORK = os.path.join(SOURCE, "tests/stacks/good/network.yaml")
STACK = "net-test"

# Every EC2 write `up` of the network layer can make. The reference run checks that no other
# write happened, so a new kind of call cannot slip past the counting.
WRITES = (
    "CreateVpc", "ModifyVpcAttribute", "CreateInternetGateway", "AttachInternetGateway",
    "CreateSubnet", "ModifySubnetAttribute", "CreateRouteTable", "CreateRoute", "ReplaceRoute",
    "AssociateRouteTable", "ReplaceRouteTableAssociation", "AllocateAddress", "CreateNatGateway",
    "CreateSecurityGroup", "AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress", "CreateTags", "DeleteTags",
)

# (k, reached): kill right after the k-th write (of the 24 an uninterrupted apply makes) or the
# first write of an operation; reached: moto carried it out first. The parallel executor's
# order varies from run to run, so the numbered ones hit different calls each time (the
# failure message names the write that was interrupted) and the named ones make sure the
# writes whose loss matters most are hit: the NAT gateway (ClientToken, waited for), a
# security group before its rules, an internet gateway before its attachment, a route table
# (ClientToken), an association (untaggable, found through its table).
SCENARIOS = [(1, True), (3, True), (7, True), (12, True), (17, True), (21, True), (24, True),
             (5, False), (14, False),
             ("CreateNatGateway", True), ("CreateSecurityGroup", True),
             ("CreateInternetGateway", True), ("CreateRouteTable", True),
             ("AssociateRouteTable", True)]


class KillAtWrite:
    """Intercept handler: forward writes until the k-th (or the first write of operation k);
    from that one on, (forward and) hold each until the test has killed cairn, then answer
    into the void. Every write it forwards counts as active until moto has answered it."""

    def __init__(self, k, reached):
        self.k, self.reached = k, reached
        self.lock = threading.Lock()
        self.count = 0
        self.hit = None  # the number of the write the kill follows
        self.active = 0
        self.idle = threading.Condition(self.lock)
        self.arrived = threading.Event()  # the k-th write is here (and done, if reached)
        self.killed = threading.Event()   # cairn is dead: let the held calls go
        self.held = []                    # (n, operation, params) of the writes held

    def __call__(self, call):
        with self.lock:
            self.count += 1
            n = self.count
            if self.hit is None and (n == self.k or call.operation == self.k):
                self.hit = n
            before = self.hit is None or n < self.hit
            self.active += 1
        try:
            if before:
                # Forwarded here rather than by the proxy after we return, so that
                # wait_idle also covers a write still on its way to moto when cairn dies:
                # the run after must not read the account before that write lands.
                return call.forward()
            answer = call.forward() if self.reached else None
            with self.lock:
                self.held.append((n, call.operation, call.params, answer and answer[0]))
            if n == self.hit:
                self.arrived.set()
            self.killed.wait(timeout=60)
            # Nobody reads it: cairn is dead. An empty body keeps the proxy from writing
            # into the closed connection (and printing a broken pipe).
            return (503, [], b"")
        finally:
            with self.lock:
                self.active -= 1
                self.idle.notify_all()

    def wait_idle(self, timeout=30):
        with self.lock:
            return self.idle.wait_for(lambda: self.active == 0, timeout=timeout)


def quiet_dead_clients(emu):
    """Keep the proxy from printing a traceback for each answer written to the killed process
    (a broken pipe is what this test makes happen). Returns the function that undoes it."""
    server = getattr(emu.proxy, "_server", None)
    if server is None:
        return lambda: None
    loud = server.handle_error

    def handle_error(request, address):
        if not isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            loud(request, address)
    server.handle_error = handle_error
    return lambda: setattr(server, "handle_error", loud)


class UpCrash(cairnharness.CairnTestCase):
    reference = None  # the uninterrupted run's inventory, made once for the class

    def setUp(self):
        super().setUp()
        self.emu.reset()

    def run_cairn(self, *args):
        return self.cairn(*args, "--template-dir", TEMPLATES, timeout=120)

    # --- the AWS CLI's view ---------------------------------------------------------------

    def aws_many(self, commands):
        """Run AWS CLI commands at once; their parsed outputs, in order."""
        procs = [subprocess.Popen(["aws", "--output", "json", *c], env=self.emu.env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for c in commands]
        outs = []
        for c, p in zip(commands, procs):
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, f"aws {' '.join(c)}: {err}")
            outs.append(json.loads(out) if out.strip() else {})
        return outs

    def inventory(self):
        """Every EC2 object of the account outside the default VPC, as the AWS CLI sees it.

        Objects are named by their cairn:id tag (untagged ones by what they are), ids in
        references are replaced by those names, and lists are sorted, so that two runs compare
        equal exactly when they made the same objects. Kinds map to sorted lists: a duplicate
        shows as the same entry twice.
        """
        vpcs, subnets, igws, rtbs, sgs, eips, nats = self.aws_many([
            ["ec2", "describe-vpcs"], ["ec2", "describe-subnets"],
            ["ec2", "describe-internet-gateways"], ["ec2", "describe-route-tables"],
            ["ec2", "describe-security-groups"], ["ec2", "describe-addresses"],
            ["ec2", "describe-nat-gateways"],
        ])
        vpcs = vpcs["Vpcs"]
        default = {v["VpcId"] for v in vpcs if v.get("IsDefault")}
        vpcs = [v for v in vpcs if v["VpcId"] not in default]
        subnets = [s for s in subnets["Subnets"] if s["VpcId"] not in default]
        igws = [g for g in igws["InternetGateways"]
                if not {a.get("VpcId") for a in g.get("Attachments", [])} & default]
        rtbs = [r for r in rtbs["RouteTables"] if r["VpcId"] not in default]
        sgs = [g for g in sgs["SecurityGroups"] if g["VpcId"] not in default]
        eips = eips["Addresses"]
        nats = [n for n in nats["NatGateways"] if n["State"] not in ("deleted", "deleting")]

        def tags(o):
            return {t["Key"]: t["Value"] for t in o.get("Tags", [])}

        names = {}
        for kind, objs, key in (("vpc", vpcs, "VpcId"), ("subnet", subnets, "SubnetId"),
                                ("igw", igws, "InternetGatewayId"),
                                ("rtb", rtbs, "RouteTableId"), ("sg", sgs, "GroupId"),
                                ("eip", eips, "AllocationId"), ("nat", nats, "NatGatewayId")):
            for o in objs:
                t = tags(o)
                if t.get("cairn:stack") == STACK and "cairn:id" in t:
                    names[o[key]] = t["cairn:id"]
                elif t.get("cairn:stack") not in (None, STACK):
                    names[o[key]] = f"(stack {t['cairn:stack']}) {t.get('cairn:id')}"
        # Untagged objects AWS makes with a VPC: its main route table and default group.
        for r in rtbs:
            if r["RouteTableId"] not in names and any(a.get("Main") for a in r.get("Associations", [])):
                names[r["RouteTableId"]] = f"(main of {names.get(r['VpcId'], r['VpcId'])})"
        for g in sgs:
            if g["GroupId"] not in names and g["GroupName"] == "default":
                names[g["GroupId"]] = f"(default of {names.get(g['VpcId'], g['VpcId'])})"

        def name(i):
            return names.get(i, f"(untagged {i})" if i else None)

        def key(x):
            return json.dumps(x, sort_keys=True)

        def rules(perms):
            out = []
            for p in perms:
                base = [p.get("IpProtocol"), p.get("FromPort"), p.get("ToPort")]
                out += [base + ["cidr", r["CidrIp"], r.get("Description")]
                        for r in p.get("IpRanges", [])]
                out += [base + ["group", name(g["GroupId"]), g.get("Description")]
                        for g in p.get("UserIdGroupPairs", [])]
                out += [base + ["ipv6", r["CidrIpv6"]] for r in p.get("Ipv6Ranges", [])]
                out += [base + ["prefix", r["PrefixListId"]] for r in p.get("PrefixListIds", [])]
            return sorted(out, key=key)

        # Settings of each VPC the CLI only gives one attribute at a time.
        attrs = self.aws_many([["ec2", "describe-vpc-attribute", "--vpc-id", v["VpcId"],
                                "--attribute", a]
                               for v in vpcs for a in ("enableDnsSupport", "enableDnsHostnames")])
        dns = {}
        for out in attrs:
            for a in ("EnableDnsSupport", "EnableDnsHostnames"):
                if a in out:
                    dns.setdefault(out["VpcId"], {})[a] = out[a]["Value"]

        inv = {
            "vpc": [[name(v["VpcId"]), v["CidrBlock"], dns.get(v["VpcId"])] for v in vpcs],
            "subnet": [[name(s["SubnetId"]), name(s["VpcId"]), s["CidrBlock"],
                        s["AvailabilityZone"], s.get("MapPublicIpOnLaunch")] for s in subnets],
            "igw": [[name(g["InternetGatewayId"]),
                     sorted(name(a["VpcId"]) for a in g.get("Attachments", []))] for g in igws],
            "eip": [[name(a["AllocationId"]), a.get("Domain")] for a in eips],
            "nat": [[name(n["NatGatewayId"]), name(n["SubnetId"]), n.get("ConnectivityType"),
                     sorted(name(a.get("AllocationId")) for a in n.get("NatGatewayAddresses", []))]
                    for n in nats],
            "rtb": [[name(r["RouteTableId"]), name(r["VpcId"])] for r in rtbs],
            "sg": [[name(g["GroupId"]), name(g["VpcId"]), g["GroupName"], g.get("Description")]
                   for g in sgs],
            # Routes and associations per route table.
            "route": {name(r["RouteTableId"]): sorted(
                [[x.get("DestinationCidrBlock"), x.get("Origin"),
                  name(x.get("GatewayId")) if x.get("GatewayId") != "local" else "local",
                  name(x.get("NatGatewayId"))] for x in r.get("Routes", [])], key=key)
                for r in rtbs},
            "association": {name(r["RouteTableId"]): sorted(
                "main" if a.get("Main") else name(a.get("SubnetId"))
                for a in r.get("Associations", [])) for r in rtbs},
            "rule": {name(g["GroupId"]): {"ingress": rules(g.get("IpPermissions", [])),
                                          "egress": rules(g.get("IpPermissionsEgress", []))}
                     for g in sgs},
        }
        for k in ("vpc", "subnet", "igw", "eip", "nat", "rtb", "sg"):
            inv[k].sort(key=key)
        # Two tables with the same name would collapse in the maps above: count them apart.
        inv["names"] = sorted(names.values())
        return inv

    def assert_no_duplicates(self, inv):
        seen = {}
        for n in inv["names"]:
            seen[n] = seen.get(n, 0) + 1
        self.assertEqual({n: c for n, c in seen.items() if c > 1}, {},
                         "objects that exist more than once")

    # --- the runs -------------------------------------------------------------------------

    def up_to_completion(self, what):
        r = self.run_cairn("up", NETWORK, "--yes")
        self.assertEqual(r.returncode, 0, f"{what}: up failed:\n{r.stdout}\n{r.stderr}")
        r = self.run_cairn("plan", NETWORK, "--detailed-exitcode")
        self.assertEqual(r.returncode, 0, f"{what}: plan is not empty after up:\n{r.stdout}"
                                          f"\n{r.stderr}")

    def uninterrupted(self):
        """The reference: an up that nothing stops (made once, moto reset before and after)."""
        cls = type(self)
        if cls.reference is None:
            self.emu.reset()
            self.up_to_completion("uninterrupted run")
            writes = [c.operation for c in self.emu.calls if c.is_write]
            self.assertEqual([w for w in writes if w not in WRITES], [],
                             "writes this test does not intercept")
            inv = self.inventory()
            self.assert_no_duplicates(inv)
            cls.reference = (inv, len(writes))
            self.emu.reset()
        return cls.reference

    def crash_then_rerun(self, k, reached):
        reference, nwrites = self.uninterrupted()
        if isinstance(k, int):
            self.assertLessEqual(k, nwrites, "k past the last write of an uninterrupted run")

        killer = KillAtWrite(k, reached)
        self.addCleanup(quiet_dead_clients(self.emu))
        for op in WRITES:
            self.emu.intercept("ec2", op, killer)
        self.addCleanup(gaps.install, self.emu)
        for op in WRITES:
            self.addCleanup(self.emu.intercept, "ec2", op, None)

        with tempfile.TemporaryFile("w+") as out:
            proc = subprocess.Popen(
                [os.environ["CAIRN_BIN"], "up", NETWORK, "--yes", "--template-dir", TEMPLATES],
                env=self.emu.env(), stdin=subprocess.DEVNULL, stdout=out,
                stderr=subprocess.STDOUT)
            try:
                arrived = killer.arrived.wait(timeout=60)
                os.kill(proc.pid, signal.SIGKILL)
            finally:
                proc.wait(timeout=30)
                killer.killed.set()
            out.seek(0)
            output = out.read()
        self.assertTrue(arrived, f"write {k} never came; cairn exited {proc.returncode}:\n{output}")
        self.assertEqual(proc.returncode, -signal.SIGKILL, output)
        self.assertTrue(killer.wait_idle(), "held calls did not finish")
        for op in WRITES:
            self.emu.intercept("ec2", op, None)
        gaps.install(self.emu)

        held = ", ".join(f"#{n} {op}{'' if reached else ' (not carried out)'} {params}"
                         for n, op, params, _ in sorted(killer.held, key=lambda h: h[0]))
        what = f"killed at write {killer.hit} ({k}): {held}"
        self.up_to_completion(what)
        got = self.inventory()
        self.assert_no_duplicates(got)
        self.assertEqual(got, reference, f"{what}: the account differs from an uninterrupted "
                                         f"run's\nafter the kill and rerun:\n"
                                         f"{json.dumps(got, indent=1)}")


def _scenario(k, reached):
    def test(self):
        self.crash_then_rerun(k, reached)
    which = f"write {k}" if isinstance(k, int) else f"the first {k}"
    test.__doc__ = (f"killed right after {which} "
                    f"{'reached AWS' if reached else 'was held back'}; up again converges")
    return test


for _k, _reached in SCENARIOS:
    _name = f"{_k:02d}" if isinstance(_k, int) else _k
    setattr(UpCrash, f"test_killed_at_{_name}_{'reached' if _reached else 'held'}",
            _scenario(_k, _reached))


if __name__ == "__main__":
    unittest.main()
