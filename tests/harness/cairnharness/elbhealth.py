"""Target health from the local target: DescribeTargetHealth as the health checks see it.

moto answers `healthy` for every registered target: nothing checks them. When the emulator has
a data directory (efsdata.set_data_dir, tools/emulator start --data-dir) that is also the state
directory of a running tools/local-run (DATA/pid exists), the supervisor's own health checks
are the truth: it writes them to DATA/state.json under "target_health", per target group ARN in
DescribeTargetHealth's shape. Each target of moto's answer that the local run checks gets its
State, Reason and Description from there; a target it does not know keeps moto's answer. The
answer stays moto's XML (the query protocol, Elastic Load Balancing API reference,
"DescribeTargetHealth"), so every client parses it as before.
"""

import json
import os
import xml.etree.ElementTree as ET

from . import efsdata


def local_health(emu):
    """{target group ARN: {(id, port): TargetHealth}} of a running local run, or None."""
    base = efsdata.data_dir(emu)
    if not base or not os.path.exists(os.path.join(base, "pid")):
        return None
    try:
        with open(os.path.join(base, "state.json")) as f:
            state = json.load(f)
    except (OSError, ValueError):
        return None  # a run that has not written its state yet
    return {arn: {(d["Target"]["Id"], str(d["Target"]["Port"])): d["TargetHealth"]
                  for d in descs}
            for arn, descs in state.get("target_health", {}).items()}


def _rewrite(body, health):
    root = ET.fromstring(body)
    ns = root.tag[:root.tag.index("}") + 1] if root.tag.startswith("{") else ""
    ET.register_namespace("", ns.strip("{}"))
    changed = False
    for member in root.iter(ns + "member"):
        target, th = member.find(ns + "Target"), member.find(ns + "TargetHealth")
        if target is None or th is None:
            continue
        key = (target.findtext(ns + "Id"), target.findtext(ns + "Port"))
        want = health.get(key)
        if want is None:
            continue
        for child in list(th):
            th.remove(child)
        for name in ("State", "Reason", "Description"):
            if name in want:
                ET.SubElement(th, ns + name).text = want[name]
        changed = True
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) if changed else body


def _describe_target_health(emu):
    def handler(call):
        answer = call.forward()
        if answer[0] != 200:
            return answer
        groups = local_health(emu)
        health = groups.get(call.params.get("TargetGroupArn")) if groups else None
        if not health:
            return answer
        status, headers, body = answer
        body = _rewrite(body, health)
        headers = [(k, str(len(body)) if k.lower() == "content-length" else v)
                   for k, v in headers]
        return status, headers, body
    return handler


GAPS = {
    ("elbv2", "DescribeTargetHealth"): _describe_target_health,
}
