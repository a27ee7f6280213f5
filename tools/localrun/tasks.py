"""One ECS task as a local process: what to execute for its image, its environment (the task
definition's, its secrets resolved from Secrets Manager, what ECS adds), its EFS volumes as
directories, its own loopback address, and the user it runs as.

Images (the container definition's `image`, tag or digest ignored):
  cairn/cairn-tsdb  -> $CAIRN_TSDB_BIN or BUILD/cairn-tsdb, + --web.listen-address=IP:PORT
  cairn/cairn-dash  -> $CAIRN_DASH_BIN or BUILD/cairn-dash, + GF_SERVER_HTTP_ADDR/HTTP_PORT
  anything else     -> the task definition's tag `cairn:local-command`: a command line split on
                       spaces, whose first word, if relative and containing a slash, is relative
                       to the repository (tools/localrun/exporter.py --flavor nestjs)
The container's `command` follows as arguments, as Docker appends CMD to ENTRYPOINT. A service
whose program is missing is not started and says why; nothing stands in for it.

Paths: a mount point's containerPath (/prometheus) appearing in the command or an environment
value, as a whole path or a prefix of one, is replaced by the volume's directory, since a local
process has no mount namespace; so is a path the daemon's image carries (IMAGE_FILES), by its
source in the repository. Other tasks' environment gets HOSTNAME=IP and PORT=the container
port (what Next.js's server reads), unless the task definition sets them.
"""
import ctypes
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
import uuid

LOCAL_COMMAND_TAG = "cairn:local-command"
DAEMONS = {"cairn/cairn-tsdb": ("cairn-tsdb", "CAIRN_TSDB_BIN"),
           "cairn/cairn-dash": ("cairn-dash", "CAIRN_DASH_BIN")}
# Files the daemons' images carry (tools/image --add), found in the repository for local runs:
# container path -> path in the repository.
IMAGE_FILES = {"cairn/cairn-dash": {"/etc/grafana/dashboards": "templates/files/dashboards"}}


class NotRunnable(Exception):
    """The service cannot run locally; the message says why and what to do."""


class Waiting(Exception):
    """The task cannot start yet (a Cloud Map name it needs has no healthy instance)."""


def resolve_urls(value, names, resolve):
    """http(s)://NAME with NAME a Cloud Map service of the stack -> the address of one of its
    healthy instances, for cairn-dash, whose HTTP client (libcurl) resolves names with the
    machine's resolver, not the local Cloud Map DNS server; resolved once, at task start."""
    for name in names:
        pat = r"(?i)(https?://)" + re.escape(name) + r"(?=[:/]|$)"
        if re.search(pat, value):
            ip = resolve(name)
            if not ip:
                raise Waiting(f"no healthy instance of {name} in Cloud Map yet")
            value = re.sub(pat, lambda m, ip=ip: m.group(1) + ip, value)
    return value


def image_repo(image):
    """The repository path without registry, tag or digest:
    123456789012.dkr.ecr.us-east-1.amazonaws.com/cairn/cairn-tsdb:0.1.0 -> cairn/cairn-tsdb."""
    repo = image.split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo[: len(repo) - len(last)] + last.split(":", 1)[0]
    parts = repo.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]  # a registry host, as Docker tells them from a path component
    return "/".join(parts)


def efs_dir(state_dir, ap):
    """The access point's root directory under the state dir, created as EFS creates it on
    first mount: CreationInfo's owner and permissions (ownership only when running as root)."""
    root = (ap.get("RootDirectory") or {}).get("Path") or "/"
    path = os.path.join(state_dir, "efs", ap["FileSystemId"], root.strip("/"))
    if os.geteuid() == 0:  # the task's user must reach it: the state dir may be 0700
        for d in (state_dir, os.path.join(state_dir, "efs"),
                  os.path.join(state_dir, "efs", ap["FileSystemId"])):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, os.stat(d).st_mode | 0o111)
    if not os.path.isdir(path):
        os.makedirs(path, exist_ok=True)
        ci = (ap.get("RootDirectory") or {}).get("CreationInfo")
        if ci:
            os.chmod(path, int(ci.get("Permissions", "755"), 8))
            if os.geteuid() == 0:
                os.chown(path, int(ci["OwnerUid"]), int(ci["OwnerGid"]))
    return path


# A YAML key whose value is a URL path, not a file: Prometheus's metrics_path (the seed's
# self-scrape is /prometheus/metrics, its route prefix, while its volume is /prometheus).
URL_PATH_KEY = re.compile(r"(?:metrics_path|path_prefix)\s*:\s*[\"']?$")


def rewrite(value, mounts):
    """Replace each mount's container path (longest first) by its local directory, and
    localhost:PORT by the task's address."""
    def local_of(m, local):
        line = m.string[m.string.rfind("\n", 0, m.start()) + 1:m.start()]
        return m.group(0) if URL_PATH_KEY.search(line) else local
    for cpath, local in sorted(mounts.items(), key=lambda m: -len(m[0])):
        if cpath.startswith("/"):
            pat = r"(?<![\w./-])" + re.escape(cpath.rstrip("/")) + r"(?=/|$|[\s:;,\"'\]])"
        else:  # host:port
            pat = r"(?<![\w.-])" + re.escape(cpath) + r"(?!\d)"
        value = re.sub(pat, lambda m, local=local: local_of(m, local), value)
    return value


def revision_key(td):
    """What identifies a task definition revision: its ARN and content. The content counts
    too because moto numbers a family's revisions from 1 again once the old ones are deleted
    (AWS never reuses a number), so an ARN alone can hide a change."""
    return td["taskDefinitionArn"] + json.dumps(
        [td.get("containerDefinitions"), td.get("volumes"), td.get("tags")], sort_keys=True)


def container_of(td):
    cds = td["containerDefinitions"]
    essential = [c for c in cds if c.get("essential", True)]
    return (essential or cds)[0]


class Plan:
    """How to run one task of a service: argv, env (secrets included: kept in memory only),
    port, credentials, cwd."""

    def __init__(self, svc, ip, state_dir, root, build_dir, reader, dns_server=None,
                 names=(), resolve=None):
        td = svc["task_definition"]
        c = container_of(td)
        self.container = c["name"]
        ports = [p["containerPort"] for p in c.get("portMappings", [])]
        self.port = ports[0] if ports else None
        self.ip = ip
        repo = image_repo(c["image"])
        mounts, self.uid, self.gid = {}, None, None
        for m in c.get("mountPoints", []):
            ap = svc["access_points"].get(m["sourceVolume"])
            if ap:
                mounts[m["containerPath"]] = efs_dir(state_dir, ap)
                pu = ap.get("PosixUser")
                if pu and self.uid is None:
                    self.uid, self.gid = int(pu["Uid"]), int(pu["Gid"])
            else:
                d = os.path.join(state_dir, "volumes", svc["name"], m["sourceVolume"])
                os.makedirs(d, exist_ok=True)
                mounts[m["containerPath"]] = d
        for cpath, rel in IMAGE_FILES.get(repo, {}).items():
            if os.path.exists(os.path.join(root, rel)):
                mounts.setdefault(cpath, os.path.join(root, rel))
        user = c.get("user")
        if user and re.fullmatch(r"\d+(:\d+)?", user):
            u, _, g = user.partition(":")
            self.uid, self.gid = int(u), int(g or u)
        if os.geteuid() != 0:
            self.uid = self.gid = None  # only root can become another user
        # In awsvpc mode localhost is the task itself: its own ports there become its address.
        for p in ports:
            for host in ("localhost", "127.0.0.1"):
                mounts[f"{host}:{p}"] = f"{ip}:{p}"
        args = [rewrite(a, mounts) for a in c.get("command") or []]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
               "AWS_EXECUTION_ENV": "AWS_ECS_FARGATE",
               "AWS_REGION": reader.sm.meta.region_name,
               "AWS_DEFAULT_REGION": reader.sm.meta.region_name,
               "CAIRN_LOCAL_ADDRESS": ip}
        if dns_server:  # the VPC's resolver, for Cloud Map names (cairn-scrape reads it)
            env["CAIRN_DNS_SERVER"] = dns_server
        for e in c.get("environment", []):
            env[e["name"]] = rewrite(e["value"], mounts)
        if repo in DAEMONS:
            binary, var = DAEMONS[repo]
            exe = os.environ.get(var) or os.path.join(build_dir, binary)
            if not os.access(exe, os.X_OK):
                raise NotRunnable(f"{exe} not found (image {c['image']}): build {binary} first "
                                  f"(tools/build), or set {var}")
            argv = [exe] + args
            if repo == "cairn/cairn-tsdb" and self.port and \
                    not any(a.startswith("--web.listen-address") for a in args):
                argv.append(f"--web.listen-address={ip}:{self.port}")
            if repo == "cairn/cairn-dash" and resolve:
                env = {k: resolve_urls(v, names, resolve) for k, v in env.items()}
            if repo == "cairn/cairn-dash" and self.port:
                env.setdefault("GF_SERVER_HTTP_ADDR", ip)
                env.setdefault("GF_SERVER_HTTP_PORT", str(self.port))
        else:
            cmd = td.get("tags", {}).get(LOCAL_COMMAND_TAG)
            if not cmd:
                raise NotRunnable(f"image {c['image']} has no local program: tag the task "
                                  f"definition {LOCAL_COMMAND_TAG}=COMMAND")
            words = shlex.split(cmd)
            if "/" in words[0] and not os.path.isabs(words[0]):
                words[0] = os.path.join(root, words[0])
            argv = words + args
            if self.port:
                env.setdefault("HOSTNAME", ip)
                env.setdefault("PORT", str(self.port))
        for s in c.get("secrets", []):
            try:
                env[s["name"]] = reader.secret(s["valueFrom"])
            except Exception as e:  # the message names the secret, never a value
                raise NotRunnable(f"secret {s['name']} ({s['valueFrom']}): {e}") from None
        self.argv, self.env = argv, env
        self.cwd = rewrite(c["workingDirectory"], mounts) if c.get("workingDirectory") else None
        self.stop_timeout = int(c.get("stopTimeout") or 30)


def _die_with_parent():
    # PR_SET_PDEATHSIG (1): a task must not outlive the supervisor that watches it.
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL, 0, 0, 0)


class Task:
    def __init__(self, svc, plan, state_dir):
        self.id = uuid.uuid4().hex
        self.service = svc["name"]
        self.task_definition = svc["task_definition"]["taskDefinitionArn"]
        self.revision_key = revision_key(svc["task_definition"])
        self.image = container_of(svc["task_definition"])["image"]
        self.ip, self.port = plan.ip, plan.port
        self.plan = plan
        self.healthy = False
        self.registered = []  # Cloud Map service IDs this task is an instance of
        self.targets = []  # target group ARNs it is registered in
        logs = os.path.join(state_dir, "logs")
        os.makedirs(logs, exist_ok=True)
        self.log_path = os.path.join(logs, f"{self.service}-{self.id[:12]}.log")
        self.proc = None
        self.started = time.monotonic()

    def start(self):
        self.started = time.monotonic()
        log = open(self.log_path, "ab")
        kw = {}
        if self.plan.uid is not None:
            kw = {"user": self.plan.uid, "group": self.plan.gid, "extra_groups": []}
        cwd = self.plan.cwd
        if cwd is None:
            cwd = os.path.dirname(self.log_path)
        try:
            self.proc = subprocess.Popen(self.plan.argv, env=self.plan.env, cwd=cwd,
                                         stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=_die_with_parent, **kw)
        finally:
            log.close()
        self.plan.env = None  # the secrets live on only in the process
        return self

    @property
    def pid(self):
        return self.proc.pid if self.proc else None

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def listening(self):
        if not self.port:
            return self.alive()
        try:
            with socket.create_connection((self.ip, self.port), timeout=0.3):
                return True
        except OSError:
            return False

    def stop(self, timeout=None):
        """SIGTERM, then SIGKILL after the container's stopTimeout, as ECS stops a task."""
        if not self.alive():
            return
        timeout = self.plan.stop_timeout if timeout is None else timeout
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            os.killpg(self.proc.pid, signal.SIGCONT)  # a stopped (hung) task must see it too
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        except ProcessLookupError:
            pass


def port_free(ip, port):
    if not port:
        return True
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers bind
    try:
        s.bind((ip, port))
        return True
    except OSError:
        return False
    finally:
        s.close()
