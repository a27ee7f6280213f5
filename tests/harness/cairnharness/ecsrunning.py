"""Running counts from the local target: DescribeServices as the local run sees its tasks.

moto starts no task; the harness sets a service's runningCount to its desiredCount when it is
created or updated (ecsgaps.py), as if its tasks had started. When the emulator's data
directory is also the state directory of a running tools/local-run (DATA/pid exists, as for
elbhealth.py), the supervisor's count of live tasks is the truth: DATA/state.json "services",
per service name, {"desired": n, "running": n}. A service of moto's answer that the local run
runs, at the desiredCount moto holds (a count the run has not caught up with yet keeps moto's
answer), gets its runningCount from there, and pendingCount the tasks still missing. The
answer stays moto's JSON (Amazon ECS API reference, "DescribeServices").
"""

import json
import os

from . import efsdata


def local_services(emu):
    """{service name: {"desired": n, "running": n}} of a running local run, or None."""
    base = efsdata.data_dir(emu)
    if not base or not os.path.exists(os.path.join(base, "pid")):
        return None
    try:
        with open(os.path.join(base, "state.json")) as f:
            return json.load(f).get("services") or None
    except (OSError, ValueError):
        return None  # a run that has not written its state yet


def _describe_services(emu):
    def handler(call):
        answer = call.forward()
        if answer[0] != 200:
            return answer
        local = local_services(emu)
        if not local:
            return answer
        status, headers, body = answer
        doc = json.loads(body)
        changed = False
        for svc in doc.get("services", []):
            run = local.get(svc.get("serviceName"))
            if run is None or run.get("desired") != svc.get("desiredCount"):
                continue
            svc["runningCount"] = run["running"]
            svc["pendingCount"] = max(0, run["desired"] - run["running"])
            changed = True
        if not changed:
            return answer
        body = json.dumps(doc).encode()
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v)
                   for k, v in headers]
        return status, headers, body
    return handler


GAPS = {
    ("ecs", "DescribeServices"): _describe_services,
}
