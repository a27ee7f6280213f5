"""ecs: where moto behaves unlike AWS in a way cairn depends on (docs/testing.md)."""

import json

# CreateService members moto ignores although its UpdateService keeps them.
_DROPPED_AT_CREATE = (
    "healthCheckGracePeriodSeconds",
    "deploymentConfiguration",
    "enableExecuteCommand",
    "enableECSManagedTags",
)


def _create_service(emu):
    """AWS keeps every member of CreateService and starts the service's tasks until
    runningCount reaches desiredCount (a steady state, which cairn waits for). moto drops the
    members above, and starts no task: runningCount stays 0 (or MOTO_ECS_SERVICE_RUNNING), so
    no service ever becomes stable. After moto's create, the members it dropped and the
    desiredCount are sent again through moto's UpdateService, which keeps them and sets
    runningCount to desiredCount as if the tasks had started, and the answer says so too."""

    def handler(call):
        status, headers, body = call.forward()
        if status != 200:
            return status, headers, body
        answer = json.loads(body)
        service = answer.get("service", {})
        extra = {k: call.params[k] for k in _DROPPED_AT_CREATE if k in call.params}
        emu.boto3_client("ecs").update_service(
            cluster=service["clusterArn"], service=service["serviceName"],
            desiredCount=service.get("desiredCount", 0), **extra)
        service.update(extra)
        service["runningCount"] = service.get("desiredCount", 0)
        service["pendingCount"] = 0
        return status, headers, json.dumps(answer).encode()

    return handler


GAPS = {
    ("ecs", "CreateService"): _create_service,
}
