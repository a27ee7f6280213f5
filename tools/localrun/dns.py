"""A DNS server on loopback (UDP) that answers a Cloud Map namespace's names from its registered
instances, as Route 53's private hosted zone for the namespace does.

For a service `svc` of namespace `ns` (names compared case-insensitively):
  A   svc.ns                one record per instance with AWS_INSTANCE_IPV4 (MULTIVALUE)
  SRV svc.ns                priority 1, weight 1, AWS_INSTANCE_PORT, target <instance-id>.svc.ns,
                            with the targets' A records in the additional section
  A   <instance-id>.svc.ns  that instance's address
A name that exists but has no record of the type asked gets an empty NOERROR answer (NODATA);
any other name NXDOMAIN. Nothing is forwarded: this server knows only the namespaces.

Wire format: RFC 1035 sections 4.1 (header, question, resource records) and 4.1.4 (compression,
followed in questions, used in answers as a pointer to the question name); SRV: RFC 2782.
"""
import socket
import struct
import threading

TYPE_A, TYPE_SRV, TYPE_ANY = 1, 33, 255
CLASS_IN = 1
RCODE_OK, RCODE_FORMERR, RCODE_NXDOMAIN, RCODE_NOTIMP = 0, 1, 3, 4


class Records:
    """name -> {"ttl": int, "instances": [(instance_id, ipv4, port)]}, replaced atomically."""

    def __init__(self):
        self.lock = threading.Lock()
        self.services = {}

    def set_service(self, name, ttl, instances):
        with self.lock:
            self.services[name.lower().rstrip(".")] = {"ttl": ttl, "instances": list(instances)}

    def drop_service(self, name):
        with self.lock:
            self.services.pop(name.lower().rstrip("."), None)

    def lookup(self, qname):
        """(kind, service name, entry): kind is 'service', 'instance' or None."""
        q = qname.lower().rstrip(".")
        with self.lock:
            if q in self.services:
                return "service", q, self.services[q]
            first, _, rest = q.partition(".")
            ent = self.services.get(rest)
            if ent:
                for inst in ent["instances"]:
                    if inst[0].lower() == first:
                        return "instance", rest, {"ttl": ent["ttl"], "instances": [inst]}
        return None, q, None


def parse_name(msg, off):
    """A possibly compressed name at off: (name, offset after it in the original stream)."""
    labels, end, jumps = [], None, 0
    while True:
        if off >= len(msg):
            raise ValueError("name runs past the message")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg) or jumps > 16:
                raise ValueError("bad compression pointer")
            if end is None:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumps += 1
            continue
        if n & 0xC0:
            raise ValueError("unknown label type")
        off += 1
        if n == 0:
            break
        labels.append(msg[off:off + n].decode("ascii", "replace"))
        off += n
    return ".".join(labels), (end if end is not None else off)


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            raw = label.encode("ascii")
            out += bytes([len(raw)]) + raw
    return out + b"\0"


def rr(name_bytes, rtype, ttl, rdata):
    return name_bytes + struct.pack("!HHIH", rtype, CLASS_IN, ttl, len(rdata)) + rdata


def answer(records, query):
    """The response to one query message, or None if it is not worth answering."""
    if len(query) < 12:
        return None
    qid, flags, qd, _an, _ns, _ar = struct.unpack("!HHHHHH", query[:12])
    if flags & 0x8000:  # a response: never answer those
        return None
    rd = flags & 0x0100
    opcode = (flags >> 11) & 0xF

    def reply(rcode, question=b"", ans=(), add=()):
        f = 0x8000 | 0x0400 | rd | (opcode << 11) | rcode  # QR, AA
        hdr = struct.pack("!HHHHHH", qid, f, 1 if question else 0, len(ans), 0, len(add))
        return hdr + question + b"".join(ans) + b"".join(add)

    if opcode != 0:
        return reply(RCODE_NOTIMP)
    if qd != 1:
        return reply(RCODE_FORMERR)
    try:
        qname, off = parse_name(query, 12)
        qtype, qclass = struct.unpack("!HH", query[off:off + 4])
    except (ValueError, struct.error):
        return reply(RCODE_FORMERR)
    question = encode_name(qname) + struct.pack("!HH", qtype, qclass)
    kind, svc, ent = records.lookup(qname)
    if kind is None:
        return reply(RCODE_NXDOMAIN, question)
    ptr = struct.pack("!H", 0xC00C)  # the question's name, at offset 12
    ans, add = [], []
    if qclass in (CLASS_IN, TYPE_ANY):
        if qtype in (TYPE_A, TYPE_ANY):
            ans += [rr(ptr, TYPE_A, ent["ttl"], socket.inet_aton(ip))
                    for _, ip, _ in ent["instances"] if ip]
        if qtype in (TYPE_SRV, TYPE_ANY) and kind == "service":
            for iid, ip, port in ent["instances"]:
                if not port:
                    continue
                target = f"{iid}.{svc}"
                ans.append(rr(ptr, TYPE_SRV, ent["ttl"],
                              struct.pack("!HHH", 1, 1, port) + encode_name(target)))
                if ip:
                    add.append(rr(encode_name(target), TYPE_A, ent["ttl"], socket.inet_aton(ip)))
    return reply(RCODE_OK, question, ans, add)


class DnsServer:
    """Serves Records on host:port (UDP) from a daemon thread."""

    def __init__(self, records, host="127.0.0.1", port=0):
        self.records = records
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.address = self.sock.getsockname()
        self.thread = threading.Thread(target=self._serve, name="dns", daemon=True)
        self.stopping = False

    def start(self):
        self.thread.start()
        return self

    def _serve(self):
        while not self.stopping:
            try:
                msg, peer = self.sock.recvfrom(4096)
            except OSError:
                return
            try:
                out = answer(self.records, msg)
            except Exception:  # a malformed query must never take the server down
                out = None
            if out:
                if len(out) > 512:  # RFC 1035 4.2.1: truncate, set TC
                    # header only, no records; the client retries over TCP (not served)
                    out = out[:2] + bytes([out[2] | 0x02, out[3]]) + bytes(8)
                try:
                    self.sock.sendto(out, peer)
                except OSError:
                    pass

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass


def query(server, name, qtype=TYPE_A, timeout=2.0):
    """A minimal client for tests and `local-run status`: (rcode, [A addresses or SRV tuples])."""
    qid = 0x4242
    msg = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0) + encode_name(name) + \
        struct.pack("!HH", qtype, CLASS_IN)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(msg, server)
        data, _ = s.recvfrom(4096)
    finally:
        s.close()
    _, flags, qd, an, _, _ = struct.unpack("!HHHHHH", data[:12])
    off = 12
    for _ in range(qd):
        _, off = parse_name(data, off)
        off += 4
    out = []
    for _ in range(an):
        _, off = parse_name(data, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", data[off:off + 10])
        off += 10
        rdata = data[off:off + rdlen]
        if rtype == TYPE_A:
            out.append(socket.inet_ntoa(rdata))
        elif rtype == TYPE_SRV:
            prio, weight, port = struct.unpack("!HHH", rdata[:6])
            target, _ = parse_name(data, off + 6)
            out.append((prio, weight, port, target))
        off += rdlen
    return flags & 0xF, out
