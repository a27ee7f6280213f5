"""The local target's supervisor: keeps each ECS service's desired_count tasks running as local
processes, as the ECS service scheduler does, and mirrors them into Cloud Map, the DNS server
and the load balancer.

Each pass (on start, every --refresh seconds, on SIGHUP, and as soon as a task exits or a
target's health changes):
  1. re-read the stack from AWS when a refresh is due (discover.Reader.read);
  2. per service: a task that exited is deregistered and replaced (ECS restarts it); with its
     current task definition it starts tasks up to desired_count and stops extra ones; tasks of
     an older task definition are stopped one by one as new ones become healthy, keeping
     minimumHealthyPercent of desired_count healthy (the rolling update of the ECS deployment
     controller; maximumPercent 200 lets all new tasks start at once);
  3. a task that becomes healthy is registered in Cloud Map (RegisterInstance, the task ID as
     instance ID, AWS_INSTANCE_IPV4/AWS_INSTANCE_PORT and ECS's attributes), a task is put in
     its target groups (RegisterTargets) when it starts; both are undone before it is stopped;
  4. the state (state.json: tasks, addresses, health, ports; never an environment) is written
     atomically.
A task is healthy when every target group it is in says so (proxy.Balancer's health checks),
or, outside any target group, when its port accepts connections.
"""
import json
import math
import os
import signal
import sys
import threading
import time
import traceback

from . import discover, dns, proxy, tasks


def atomic_write(path, text):
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


class Supervisor:
    def __init__(self, stack, state_dir, root, build_dir, prefix="127.0.0", first_host=10,
                 proxy_port=0, dns_port=0, refresh=10.0, endpoint=None, restart_delay=0.0):
        self.stack, self.state_dir, self.root, self.build_dir = stack, state_dir, root, build_dir
        self.prefix, self.first_host = prefix, first_host
        self.proxy_port, self.refresh = proxy_port, refresh
        self.restart_delay = restart_delay
        self.reader = discover.Reader(endpoint=endpoint)
        self.records = dns.Records()
        self.dns = dns.DnsServer(self.records, port=dns_port)
        self.balancer = proxy.Balancer(log=self.log)
        self.proxies = {}  # listener arn -> Proxy
        self.tasks = []
        self.problems = {}  # service name -> why it is not running
        self.waiting = {}  # service name -> what its next task waits for
        self.failures, self.not_before = {}, {}  # restart throttling per service
        self.model = None
        self.wake = threading.Event()
        self.refresh_due = True
        self.stopping = False
        self.generation = 0
        self.restarts = 0
        self.actions = []  # what was done since the last `local-run start`
        self.hups = self.served = 0  # SIGHUPs received, and answered by a refresh
        self.logf = open(os.path.join(state_dir, "supervisor.log"), "a", buffering=1)

    def log(self, msg):
        self.logf.write(time.strftime("%Y-%m-%dT%H:%M:%SZ ", time.gmtime()) + msg + "\n")

    # -- addresses --
    def next_address(self, port):
        used = {t.ip for t in self.tasks}
        for host in range(self.first_host, 255):
            ip = f"{self.prefix}.{host}"
            if ip not in used and tasks.port_free(ip, port):
                return ip
        raise tasks.NotRunnable(f"no free loopback address in {self.prefix}.0/24")

    # -- registrations --
    def register_instance(self, t, svc):
        for reg in svc["registries"]:
            attrs = {"AWS_INSTANCE_IPV4": t.ip, "ECS_CLUSTER_NAME": svc["cluster"].split("/")[-1],
                     "ECS_SERVICE_NAME": svc["name"],
                     "ECS_TASK_DEFINITION_FAMILY": svc["task_definition"]["family"],
                     "AWS_INIT_HEALTH_STATUS": "HEALTHY"}
            if t.port:
                attrs["AWS_INSTANCE_PORT"] = str(t.port)
            self.reader.sd.register_instance(ServiceId=reg["id"], InstanceId=t.id,
                                             Attributes=attrs)
            t.registered.append(reg["id"])
            self.log(f"cloud map: {t.id} ({t.ip}) registered in {reg['name']}.{reg['namespace']}")

    def deregister(self, t):
        for sid in t.registered:
            try:
                self.reader.sd.deregister_instance(ServiceId=sid, InstanceId=t.id)
            except Exception as e:
                self.log(f"cloud map: deregistering {t.id}: {e}")
        t.registered = []
        for arn in t.targets:
            self.balancer.deregister(arn, t.ip, t.port)
            try:
                self.reader.elb.deregister_targets(TargetGroupArn=arn,
                                                   Targets=[{"Id": t.ip, "Port": t.port}])
            except Exception as e:
                self.log(f"elbv2: deregistering {t.ip}:{t.port}: {e}")
        t.targets = []
        self.sync_dns()

    def clean_stale(self, model):
        """Registrations a supervisor that died (kill -9, a crash) left behind: every Cloud Map
        instance of the stack's services and every target on this run's loopback prefix; its
        tasks died with it (PR_SET_PDEATHSIG), so nothing answers there any more."""
        for svc in model["services"]:
            for reg in svc["registries"]:
                for inst in self.reader.instances(reg["id"]):
                    self.reader.sd.deregister_instance(ServiceId=reg["id"], InstanceId=inst["Id"])
                    self.log(f"cloud map: removed stale instance {inst['Id']} of {reg['name']}")
        for arn in model["target_groups"]:
            got = self.reader.elb.describe_target_health(TargetGroupArn=arn)
            stale = [d["Target"] for d in got["TargetHealthDescriptions"]
                     if d["Target"]["Id"].startswith(self.prefix + ".")]
            if stale:
                self.reader.elb.deregister_targets(TargetGroupArn=arn, Targets=[
                    {"Id": t["Id"], "Port": t["Port"]} for t in stale])
                self.log(f"elbv2: removed {len(stale)} stale targets of {arn.split('/')[-2]}")

    def cloud_map_names(self):
        return sorted({f"{r['name']}.{r['namespace']}" for s in self.model["services"]
                       for r in s["registries"]}, key=len, reverse=True)

    def resolve(self, name):
        """One healthy registered instance's address for a Cloud Map name, or None."""
        for svc in self.model["services"]:
            for reg in svc["registries"]:
                if f"{reg['name']}.{reg['namespace']}".lower() == name.lower():
                    for t in self.tasks:
                        if reg["id"] in t.registered and t.alive() and self.is_healthy(t):
                            return t.ip
        return None

    def sync_dns(self):
        """The DNS answers: every instance registered in the stack's Cloud Map services."""
        if not self.model:
            return
        for svc in self.model["services"]:
            for reg in svc["registries"]:
                # ECS marks an instance unhealthy (custom health) while its task is: no answer.
                insts = [(t.id, t.ip, t.port) for t in self.tasks if reg["id"] in t.registered
                         and t.alive() and self.is_healthy(t)]
                self.records.set_service(f"{reg['name']}.{reg['namespace']}", reg["ttl"], insts)

    # -- tasks --
    def start_task(self, svc):
        ports = tasks.container_of(svc["task_definition"]).get("portMappings") or [{}]
        ip = self.next_address(ports[0].get("containerPort"))
        plan = tasks.Plan(svc, ip, self.state_dir, self.root, self.build_dir, self.reader,
                          dns_server="%s:%d" % self.dns.address, names=self.cloud_map_names(),
                          resolve=self.resolve)
        t = tasks.Task(svc, plan, self.state_dir).start()
        self.tasks.append(t)
        threading.Thread(target=lambda: (t.proc.wait(), self.wake.set()), daemon=True).start()
        for lb in svc["load_balancers"]:
            arn = lb["targetGroupArn"]
            self.reader.elb.register_targets(TargetGroupArn=arn,
                                             Targets=[{"Id": ip, "Port": lb["containerPort"]}])
            self.balancer.register(arn, ip, lb["containerPort"], t.id, t.alive)
            t.targets.append(arn)
        self.actions.append(f"started {svc['name']} task {t.id[:12]} on {ip}:{t.port} "
                            f"(pid {t.pid})")
        self.log(self.actions[-1])
        return t

    def stop_task(self, t, why):
        self.deregister(t)
        t.stop()
        if t in self.tasks:
            self.tasks.remove(t)
        self.actions.append(f"stopped {t.service} task {t.id[:12]} on {t.ip}:{t.port}: {why}")
        self.log(self.actions[-1])

    def is_healthy(self, t):
        if t.targets:
            return all(self.balancer.health(arn, t.ip, t.port) == "healthy" for arn in t.targets)
        if not t.healthy:
            t.healthy = t.listening()
        return t.healthy

    def reconcile_service(self, svc):
        name = svc["name"]
        mine = [t for t in self.tasks if t.service == name]
        for t in mine:
            if not t.alive():
                code = t.proc.returncode
                self.restarts += 1
                self.stop_task(t, f"exited with status {code}; ECS replaces it")
                # A task that dies young is restarted later and later (1, 3, 7... 30 s), as
                # ECS throttles a service whose tasks keep failing to start.
                # The first replacement waits --restart-delay, as ECS takes seconds to notice
                # a stopped task and place another (a scraper sees the target down meanwhile).
                quick = time.monotonic() - t.started < 10
                n = self.failures.get(name, 0) + 1 if quick else 0
                self.failures[name] = n
                self.not_before[name] = time.monotonic() + min(
                    30, max(self.restart_delay, 2 ** n - 1))
        for t in [t for t in self.tasks if t.service == name]:
            # ECS stops a task its target group reports unhealthy once the service's health
            # check grace period is over, and starts another.
            bad = [arn for arn in t.targets
                   if self.balancer.health(arn, t.ip, t.port) == "unhealthy"]
            if bad and time.monotonic() - t.started >= svc["grace"]:
                self.restarts += 1
                self.stop_task(t, f"unhealthy in target group {bad[0].split('/')[-2]}; "
                                  "ECS replaces it")
        may_start = time.monotonic() >= self.not_before.get(name, 0)
        mine = [t for t in self.tasks if t.service == name]
        arn = svc["task_definition"]["taskDefinitionArn"]
        key = tasks.revision_key(svc["task_definition"])
        current = [t for t in mine if t.revision_key == key]
        old = [t for t in mine if t.revision_key != key]
        try:
            while may_start and len(current) < svc["desired"]:
                current.append(self.start_task(svc))
            if may_start:
                self.problems.pop(name, None)
                self.waiting.pop(name, None)
        except tasks.Waiting as e:  # not a problem: retried on the next pass
            if self.problems.pop(name, None) is not None or not self.waiting.get(name):
                self.log(f"{name}: waiting: {e}")
            self.waiting[name] = str(e)
            return False
        except tasks.NotRunnable as e:
            if self.problems.get(name) != str(e):
                self.log(f"{name}: not running: {e}")
            self.problems[name] = str(e)
            self.not_before[name] = time.monotonic() + 2  # retried, not in a tight loop
        except Exception as e:  # an AWS error, a failed exec: say so, retry soon
            self.problems[name] = f"{type(e).__name__}: {e}"
            self.log(f"{name}: {self.problems[name]}")
            self.not_before[name] = time.monotonic() + 2
        while len(current) > svc["desired"]:
            self.stop_task(current.pop(), "desired count lowered")
        for t in current + old:
            if t.alive() and self.is_healthy(t) and not t.registered and svc["registries"]:
                self.register_instance(t, svc)
                self.sync_dns()
        healthy = sum(1 for t in current if t.alive() and self.is_healthy(t))
        keep = math.ceil(svc["desired"] * svc["min_healthy"] / 100)
        while old and healthy + len(old) - 1 >= keep:
            self.stop_task(old.pop(0), f"replaced by task definition {arn.split('/')[-1]}")
        return not old and len(current) == svc["desired"] and healthy == svc["desired"]

    def pass_once(self):
        if self.refresh_due:
            self.refresh_due = False
            if self.hups != self.served:  # `local-run start` again: report what it changed
                self.served, self.actions = self.hups, []
            model = self.reader.read(self.stack)
            for tg in model["target_groups"].values():
                self.balancer.set_group(tg)
            for arn, ls in model["listeners"].items():
                self.balancer.set_rules(arn, ls["rules"])
                if arn not in self.proxies:
                    port = self.proxy_port if not self.proxies else 0
                    self.proxies[arn] = proxy.Proxy(self.balancer, arn, port=port,
                                                    log=self.log).start()
            if self.model is None:
                self.clean_stale(model)
            self.model = model
            self.generation += 1
        names = {s["name"] for s in self.model["services"]}
        for t in [t for t in self.tasks if t.service not in names]:
            self.stop_task(t, "service deleted")
        converged = True
        for svc in self.model["services"]:
            ok = self.reconcile_service(svc)
            converged = converged and (ok or svc["name"] in self.problems)
        self.sync_dns()
        self.write_state(converged)

    def routes(self, listener):
        """The forward rules as (path patterns, target group name), for the URLs shown."""
        out = []
        for r in self.balancer.listeners.get(listener["arn"], []):
            paths = [v for c in r.get("Conditions", []) if c.get("Field") == "path-pattern"
                     for v in (c.get("PathPatternConfig") or {}).get("Values", [])]
            arn = next((a.get("TargetGroupArn") for a in r.get("Actions", [])
                        if a.get("Type") == "forward"), None)
            if arn:
                g = self.model["target_groups"].get(arn)
                out.append({"paths": paths or ["/*"],
                            "target_group": g["TargetGroupName"] if g else arn})
        return out

    def write_state(self, converged):
        st = {"stack": self.stack, "pid": os.getpid(), "generation": self.generation,
              "served": self.served,
              "converged": converged, "restarts": self.restarts, "actions": self.actions,
              "dns": "%s:%d" % self.dns.address,
              "listeners": [{"arn": arn, "port": self.model["listeners"][arn]["port"],
                             "url": "http://%s:%d" % p.address,
                             "routes": self.routes(self.model["listeners"][arn])}
                            for arn, p in self.proxies.items()],
              "services": {}, "tasks": [],
              "target_health": self.balancer.snapshot()}
        for svc in self.model["services"]:
            mine = [t for t in self.tasks if t.service == svc["name"]]
            st["services"][svc["name"]] = {
                "desired": svc["desired"], "running": sum(1 for t in mine if t.alive()),
                "task_definition": svc["task_definition"]["taskDefinitionArn"],
                "names": [f"{r['name']}.{r['namespace']}" for r in svc["registries"]],
                "problem": self.problems.get(svc["name"])}
        for t in self.tasks:
            st["tasks"].append({"id": t.id, "service": t.service,
                                "task_definition": t.task_definition, "image": t.image,
                                "address": t.ip,
                                "port": t.port, "pid": t.pid, "alive": t.alive(),
                                "healthy": self.is_healthy(t) if t.alive() else False,
                                "cloud_map": bool(t.registered), "log": t.log_path,
                                "user": t.plan.uid})
        atomic_write(os.path.join(self.state_dir, "state.json"), json.dumps(st, indent=1) + "\n")
        atomic_write(os.path.join(self.state_dir, "dns"), st["dns"] + "\n")
        atomic_write(os.path.join(self.state_dir, "proxy"),
                     "".join(f"{ls['url']} {ls['arn']}\n" for ls in st["listeners"]))

    # -- main loop --
    def run(self):
        self.dns.start()
        signal.signal(signal.SIGHUP, lambda *_: (setattr(self, "refresh_due", True),
                                                 setattr(self, "hups", self.hups + 1),
                                                 self.wake.set()))
        signal.signal(signal.SIGTERM, lambda *_: (setattr(self, "stopping", True),
                                                  self.wake.set()))
        signal.signal(signal.SIGINT, signal.getsignal(signal.SIGTERM))
        atomic_write(os.path.join(self.state_dir, "pid"), f"{os.getpid()}\n")
        self.log(f"supervising stack {self.stack}; dns on %s:%d" % self.dns.address)
        last_refresh = time.monotonic()
        try:
            while not self.stopping:
                if time.monotonic() - last_refresh >= self.refresh:
                    self.refresh_due, last_refresh = True, time.monotonic()
                try:
                    self.pass_once()
                except Exception as e:
                    self.log("pass failed:\n" + traceback.format_exc())
                    if self.model is None:  # nothing to run: say why and give up
                        self.log(f"error: {e}")
                        raise
                self.balancer.check_due()
                self.wake.wait(0.5)
                self.wake.clear()
                if self.balancer.changed.is_set():
                    self.balancer.changed.clear()
        finally:
            self.shutdown()

    def shutdown(self):
        for t in list(self.tasks):
            self.stop_task(t, "local-run stop")
        for p in self.proxies.values():
            p.stop()
        self.dns.stop()
        if self.model:
            self.write_state(False)
        for f in ("pid", "dns", "proxy"):
            try:
                os.unlink(os.path.join(self.state_dir, f))
            except FileNotFoundError:
                pass
        self.log("stopped")


def main(args):
    os.makedirs(args.state_dir, exist_ok=True)
    sup = Supervisor(args.stack, args.state_dir, args.root, args.build_dir, prefix=args.prefix,
                     first_host=args.first_host, proxy_port=args.proxy_port,
                     dns_port=args.dns_port, refresh=args.refresh,
                     restart_delay=args.restart_delay)
    try:
        sup.run()
    except Exception:
        sup.log("supervisor failed:\n" + traceback.format_exc())
        raise
    return 0


if __name__ == "__main__":
    sys.exit("run through tools/local-run")
