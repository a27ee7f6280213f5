"""tools/local-run: run a stack's ECS services for real on this machine, after `cairn up`
against the emulator (tools/emulator, AWS_ENDPOINT_URL).

  tools/local-run start [STACK]   start the supervisor (or make it re-read the stack), wait until
                                  every service runs its desired tasks healthy, print the URLs
  tools/local-run status          the services, tasks, addresses, health, DNS and proxy
  tools/local-run stop            stop every task, deregister them, stop the supervisor
  tools/local-run drift           services whose running tasks differ from desired: exit 2
                                  (0 all in step, 3 nothing running), as `cairn drift` exits

STACK is a stack file (its `stack:` name is read) or a stack name; default
stacks/dev-davidshaevel.yaml. See docs/local.md for what is emulated and what is not.
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def stack_name(arg):
    if arg.endswith((".yaml", ".yml")) or os.path.isfile(arg):
        with open(arg) as f:
            for line in f:
                m = re.match(r"stack:\s*([A-Za-z0-9-]+)\s*(#.*)?$", line)
                if m:
                    return m.group(1)
        sys.exit(f"local-run: {arg}: no 'stack:' line")
    return arg


def read_state(state_dir):
    try:
        with open(os.path.join(state_dir, "state.json")) as f:
            return json.load(f)
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def supervisor_pid(state_dir):
    try:
        with open(os.path.join(state_dir, "pid")) as f:
            pid = int(f.read())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError):
        return None


def print_status(st, out=sys.stdout):
    if not st:
        print("local-run: nothing running", file=out)
        return
    print(f"stack {st['stack']}: supervisor pid {st['pid']}, "
          f"{'converged' if st['converged'] else 'converging'}, {st['restarts']} restarts",
          file=out)
    for ls in st["listeners"]:
        print(f"load balancer listener :{ls['port']} -> {ls['url']}", file=out)
        for r in ls.get("routes", []):
            for path in r["paths"]:
                print(f"  {ls['url']}{path.rstrip('*')} -> {r['target_group']}", file=out)
    print(f"cloud map dns: {st['dns']} (udp)", file=out)
    for name, s in st["services"].items():
        revision = s["task_definition"].split("/")[-1]
        line = f"  {name}: {s['running']}/{s['desired']} running ({revision})"
        if s["problem"]:
            line += f"; NOT RUNNING: {s['problem']}"
        print(line, file=out)
        for t in st["tasks"]:
            if t["service"] == name:
                print(f"    task {t['id'][:12]} {t['address']}:{t['port']} pid {t['pid']} "
                      f"{'healthy' if t['healthy'] else 'alive' if t['alive'] else 'stopped'}"
                      f"{', in cloud map' if t['cloud_map'] else ''}", file=out)


def cmd_start(a):
    a.stack = stack_name(a.stack)
    os.makedirs(a.state_dir, exist_ok=True)
    if not os.environ.get("AWS_ENDPOINT_URL"):
        sys.exit("local-run: AWS_ENDPOINT_URL is not set: run it against the emulator "
                 "(eval \"$(tools/emulator start)\"), after cairn up")
    pid = supervisor_pid(a.state_dir)
    before = read_state(a.state_dir)
    if pid:
        if before and before["stack"] != a.stack:
            sys.exit(f"local-run: {a.state_dir} runs stack {before['stack']}; stop it first")
        gen = before["served"] if before else 0
        os.kill(pid, signal.SIGHUP)
    else:
        gen = -1
        try:
            os.unlink(os.path.join(a.state_dir, "state.json"))
        except FileNotFoundError:
            pass
        if a.foreground:
            from . import supervisor
            return supervisor.main(a)
        cmd = [sys.executable, "-m", "localrun", "--state-dir", a.state_dir, "supervise",
               a.stack, "--build-dir", a.build_dir, "--prefix", a.prefix,
               "--first-host", str(a.first_host), "--proxy-port", str(a.proxy_port),
               "--dns-port", str(a.dns_port), "--refresh", str(a.refresh),
               "--restart-delay", str(a.restart_delay)]
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "tools"))
        with open(os.path.join(a.state_dir, "supervisor.out"), "ab") as out:
            proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=out, start_new_session=True)
        pid = proc.pid
    deadline = time.monotonic() + a.timeout
    st = None
    while True:
        st = read_state(a.state_dir)
        if st and st["served"] > gen and st["converged"]:
            break
        try:
            os.kill(pid, 0)
            if gen < 0 and proc.poll() is not None:
                raise ProcessLookupError
        except ProcessLookupError:
            try:
                with open(os.path.join(a.state_dir, "supervisor.log")) as f:
                    errors = [x for x in f if " error: " in x]
            except FileNotFoundError:
                errors = []
            sys.exit((errors[-1].split(" ", 1)[1].strip() + "\n" if errors else "") +
                     "local-run: the supervisor exited; see "
                     f"{a.state_dir}/supervisor.log and supervisor.out")
        if time.monotonic() > deadline:
            print_status(st, sys.stderr)
            sys.exit(f"local-run: not converged after {a.timeout:g}s; tasks keep starting "
                     "(tools/local-run status)")
        time.sleep(0.2)
    if st["actions"]:
        for line in st["actions"]:
            print(line)
    else:
        print("no change: every service already runs its desired tasks")
    print_status(st)
    bad = [n for n, s in st["services"].items() if s["problem"]]
    return 4 if bad else 0


def cmd_stop(a):
    pid = supervisor_pid(a.state_dir)
    if not pid:
        print("local-run: nothing running")
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + a.timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            print("stopped; tasks deregistered from Cloud Map and the target groups")
            return 0
        time.sleep(0.1)
    sys.exit(f"local-run: supervisor {pid} still running after {a.timeout:g}s")


def cmd_status(a):
    st = read_state(a.state_dir) if supervisor_pid(a.state_dir) else None
    if a.json:
        print(json.dumps(st, indent=1))
    else:
        print_status(st)
    return 0 if st else 3


def service_drift(st):
    """One line per service whose tasks differ from what ECS wants: fewer or more running or
    healthy tasks than desired, or tasks of an older task definition (a roll under way)."""
    out = []
    for name, s in sorted(st["services"].items()):
        mine = [t for t in st["tasks"] if t["service"] == name]
        healthy = sum(1 for t in mine if t["healthy"])
        old = sum(1 for t in mine if t["task_definition"] != s["task_definition"])
        if s["running"] != s["desired"] or healthy != s["desired"] or old:
            line = (f"{name}: {s['running']} running, {healthy} healthy, desired "
                    f"{s['desired']}")
            if old:
                line += f", {old} of an older task definition"
            if s["problem"]:
                line += f" ({s['problem']})"
            out.append(line)
    return out


def cmd_drift(a):
    st = read_state(a.state_dir) if supervisor_pid(a.state_dir) else None
    if not st:
        print("local-run: nothing running", file=sys.stderr)
        return 3
    lines = service_drift(st)
    for line in lines:
        print(line)
    if a.json:
        print(json.dumps({"stack": st["stack"], "drift": lines}))
    elif not lines:
        print(f"stack {st['stack']}: every service runs its desired tasks, healthy")
    return 2 if lines else 0


def main(argv=None):
    default_dir = os.environ.get("CAIRN_LOCAL_DIR") or os.path.join(
        os.environ.get("XDG_RUNTIME_DIR") or "/tmp", "cairn-local")
    p = argparse.ArgumentParser(prog="tools/local-run", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--state-dir", default=default_dir,
                   help="state, logs and EFS data (default: $CAIRN_LOCAL_DIR or "
                   "${XDG_RUNTIME_DIR:-/tmp}/cairn-local)")
    sub = p.add_subparsers(dest="cmd", required=True, metavar="{start,stop,status,drift}")
    for name in ("start", "supervise"):
        s = sub.add_parser(name, help="start, or re-read the stack" if name == "start"
                           else argparse.SUPPRESS)
        s.add_argument("stack", nargs="?",
                       default=os.path.join(ROOT, "stacks", "dev-davidshaevel.yaml"))
        s.add_argument("--state-dir", default=argparse.SUPPRESS)
        s.add_argument("--build-dir", default=os.environ.get("CAIRN_BUILD_DIR") or
                       os.path.join(ROOT, "build"),
                       help="where cairn-tsdb and cairn-dash are (default: build/)")
        s.add_argument("--prefix", default="127.0.0",
                       help="tasks get addresses PREFIX.N, N from --first-host (default 127.0.0)")
        s.add_argument("--first-host", type=int, default=10)
        s.add_argument("--proxy-port", type=int, default=0,
                       help="the load balancer's port (default: a free one)")
        s.add_argument("--dns-port", type=int, default=0,
                       help="the Cloud Map DNS server's UDP port (default: a free one)")
        s.add_argument("--refresh", type=float, default=10.0,
                       help="re-read the stack from AWS every this many seconds (default 10)")
        s.add_argument("--restart-delay", type=float, default=5.0,
                       help="seconds before a task that exited is replaced, as ECS takes a "
                       "while to place another (default 5)")
        s.add_argument("--timeout", type=float, default=120.0,
                       help="how long start waits for the services (default 120)")
        s.add_argument("--foreground", action="store_true",
                       help="run the supervisor in this process")
    for name in ("stop", "status", "drift"):
        s = sub.add_parser(name)
        s.add_argument("--state-dir", default=argparse.SUPPRESS)
        s.add_argument("--timeout", type=float, default=120.0)
        if name in ("status", "drift"):
            s.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    a.state_dir = os.path.abspath(a.state_dir)
    a.root = ROOT
    if a.cmd == "supervise":
        from . import supervisor
        a.stack = stack_name(a.stack)
        return supervisor.main(a)
    return {"start": cmd_start, "stop": cmd_stop, "status": cmd_status,
            "drift": cmd_drift}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
