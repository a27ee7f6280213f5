"""backup (and Cloud Map): operations moto lacks, emulated by the harness (docs/testing.md).

moto 5.2.1 has AWS Backup's vaults and plans, but no UpdateBackupPlan, no
backup selections, no backup jobs, no recovery points and no restore jobs, and
it answers a few plan and vault calls unlike AWS. The handlers below do what
AWS does, around moto where moto holds the object (vaults, plans, their tags)
and on their own where it holds nothing (selections, jobs, recovery points).
What they remember lives in a BackupState per Emulator, emptied by
emu.reset(). Answers are shaped by botocore's model (boto3 parses them) and
errors carry AWS's codes.

Tests make recovery points without waiting for a schedule, and set how long
restore jobs run:

    arn = backupgaps.backup_now(emu, "vault", fs_arn)   # a completed backup
    backupgaps.set_restore_polls(emu, 2)                # RUNNING for 2 polls
    backupgaps.restore_directory(emu, job_id)           # "aws-backup-restore_<ts>"

A restore job of an EFS recovery point makes a real file system in moto's
EFS (or names the existing one), so what cairn does next sees it.

Cloud Map (servicediscovery), whose types the same helper wrote, needs less:
moto ignores the filters of ListNamespaces and ListServices, lets a name be
used twice in a namespace, makes a service in a namespace that does not
exist, and deletes services with registered instances and namespaces with
services; AWS does none of that.
"""

import datetime
import json
import secrets
import threading
import time
import uuid
import weakref

from . import efsdata

ACCOUNT = "123456789012"  # moto's default account

# What moto fills into every rule of a plan it stores; UpdateBackupPlan does the same.
_RULE_DEFAULTS = {
    "ScheduleExpression": "cron(0 5 ? * * *)",
    "StartWindowMinutes": 480,
    "CompletionWindowMinutes": 10080,
    "ScheduleExpressionTimezone": "Etc/UTC",
}


class BackupState:
    """What the emulated operations remember for one Emulator."""

    def __init__(self):
        self.lock = threading.RLock()
        self.restore_polls = 0  # DescribeRestoreJob answers RUNNING this many times first
        self._clients = {}
        self.clear()

    def client(self, emu, service):
        """A boto3 client of emu's moto (made once: making one takes a while)."""
        with self.lock:
            if service not in self._clients:
                self._clients[service] = emu.boto3_client(service)
            return self._clients[service]

    def clear(self):
        with self.lock:
            self.plans = {}  # plan id -> {"name", "doc", "version"}: what moto does not know
            self.selections = {}  # plan id -> {selection id -> selection}
            self.recovery_points = {}  # recovery point ARN -> recovery point
            self.backup_jobs = {}  # job id -> job
            self.restore_jobs = {}  # job id -> job


_STATES = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def state_of(emu):
    """The BackupState of emu, made (and hooked to emu.reset) on first use."""
    with _STATES_LOCK:
        state = _STATES.get(emu)
        if state is None:
            state = _STATES[emu] = BackupState()
            emu.on_reset(state.clear)
        return state


# ---------------------------------------------------------------- answers


def _answer(obj, status=200):
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    return status, headers, json.dumps(obj).encode("utf-8")


def _error(code, message, status=400):
    headers = [
        ("Content-Type", "application/json"),
        ("x-amzn-ErrorType", code),
        ("x-amzn-RequestId", str(uuid.uuid4())),
    ]
    body = {"__type": code, "Code": code, "Message": message}
    return status, headers, json.dumps(body).encode("utf-8")


def _not_found(message):
    return _error("ResourceNotFoundException", message, 404)


def _page(items, params, key):
    """One page of items as the List* operations give it (MaxResults, NextToken: an index)."""
    token = params.get("NextToken") or "0"
    start = int(token) if token.isdigit() else 0  # a token not from here: the first page
    size = params.get("MaxResults") or 1000
    out = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextToken"] = str(start + size)
    return out


def _public(item):
    """A remembered object without the harness's own keys (those starting with _)."""
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _stamp(dt):
    return dt.timestamp() if isinstance(dt, datetime.datetime) else dt


# ---------------------------------------------------------------- moto lookups


def _client(emu):
    return state_of(emu).client(emu, "backup")


def _moto_plan(emu, plan_id):
    """moto's GetBackupPlan answer for plan_id, or None when it has no such plan."""
    try:
        return _client(emu).get_backup_plan(BackupPlanId=plan_id)
    except _client(emu).exceptions.ResourceNotFoundException:
        return None


def _live_plan(emu, plan_id):
    """The plan, or None when it does not exist or was deleted."""
    got = _moto_plan(emu, plan_id)
    return got if got is not None and not got.get("DeletionDate") else None


def _moto_vault(emu, name):
    try:
        return _client(emu).describe_backup_vault(BackupVaultName=name)
    except _client(emu).exceptions.ResourceNotFoundException:
        return None


def _efs_file_system(emu, fs_id):
    efs = state_of(emu).client(emu, "efs")
    try:
        return efs.describe_file_systems(FileSystemId=fs_id)["FileSystems"][0]
    except efs.exceptions.FileSystemNotFound:
        return None


# ---------------------------------------------------------------- plans


def _fill_rules(rules, old_rules=()):
    """Rules as AWS stores them: defaults filled in, a RuleId each (kept for a rule whose name
    an older version had)."""
    old_ids = {r.get("RuleName"): r.get("RuleId") for r in old_rules}
    out = []
    for rule in rules:
        rule = {**_RULE_DEFAULTS, **rule}
        rule["RuleId"] = old_ids.get(rule.get("RuleName")) or str(uuid.uuid4())
        out.append(rule)
    return out


def _overlay(state, plan_id, answer):
    """A plan answer of moto's (GetBackupPlan or a ListBackupPlans item) with what the harness
    knows better: the current name, document and version."""
    extra = state.plans.get(plan_id)
    if not extra:
        return answer
    if extra.get("version"):
        answer["VersionId"] = extra["version"]
    if "BackupPlan" in answer:
        if extra.get("doc"):
            answer["BackupPlan"] = json.loads(json.dumps(extra["doc"]))
        answer["BackupPlan"]["BackupPlanName"] = extra["name"]
    elif "BackupPlanName" in answer:
        answer["BackupPlanName"] = extra["name"]
    return answer


def _create_backup_plan(emu):
    """AWS answers a CreateBackupPlan whose CreatorRequestId matches an existing plan with that
    plan; moto makes a second one (or refuses its name). AWS lets a deleted plan's name be used
    again; moto keeps deleted plans and refuses the name for good, so the harness makes the plan
    in moto under a stand-in name and answers with the real one everywhere."""
    state = state_of(emu)

    def handler(call):
        params = call.params
        name = params["BackupPlan"]["BackupPlanName"]
        crid = params.get("CreatorRequestId")
        b = _client(emu)
        with state.lock:
            plans = b.list_backup_plans(IncludeDeleted=True)["BackupPlansList"]
            if crid:
                for p in plans:
                    if p.get("CreatorRequestId") == crid and not p.get("DeletionDate"):
                        p = _overlay(state, p["BackupPlanId"], p)
                        return _answer({k: _stamp(p[k]) for k in (
                            "BackupPlanId", "BackupPlanArn", "CreationDate", "VersionId")})
            names = [(state.plans.get(p["BackupPlanId"], {}).get("name") or p["BackupPlanName"], p)
                     for p in plans]
            same = [p for n, p in names if n == name]
            if same and all(p.get("DeletionDate") for p in same):
                stand_in = dict(params)
                stand_in["BackupPlan"] = {**params["BackupPlan"],
                                          "BackupPlanName": f"{name[:40]}-{secrets.token_hex(4)}"}
                made = b.create_backup_plan(**stand_in)
                state.plans[made["BackupPlanId"]] = {"name": name, "doc": None, "version": None}
                return _answer({k: _stamp(made[k]) for k in (
                    "BackupPlanId", "BackupPlanArn", "CreationDate", "VersionId")})
            if same:
                return _error("AlreadyExistsException",
                              "Backup plan with the same plan document already exists")
        return None

    return handler


def _get_backup_plan(emu):
    """moto's answer, with the name, rules and version an UpdateBackupPlan gave the plan."""
    state = state_of(emu)

    def handler(call):
        plan_id = call.params["BackupPlanId"]
        with state.lock:
            if plan_id not in state.plans:
                return None
            got = _moto_plan(emu, plan_id)
            if got is None:
                return None
            version = call.params.get("VersionId")
            current = state.plans[plan_id].get("version") or got["VersionId"]
            if version and version != current:
                return _not_found("Failed reading Backup plan with provided version")
            got.pop("ResponseMetadata", None)
            got = _overlay(state, plan_id, got)
            return _answer({k: _stamp(v) for k, v in got.items()})

    return handler


def _list_backup_plans(emu):
    """moto's answer, with the names and versions UpdateBackupPlan gave the plans."""
    state = state_of(emu)

    def handler(call):
        answer = call.forward()
        if answer[0] != 200:
            return answer
        body = json.loads(answer[2] or b"{}")
        with state.lock:
            for item in body.get("BackupPlansList", []):
                _overlay(state, item.get("BackupPlanId"), item)
        return answer[0], answer[1], json.dumps(body).encode("utf-8")

    return handler


def _update_backup_plan(emu):
    """AWS replaces the plan's document with a new version (a new VersionId); rules keep their
    RuleId by name. moto has no UpdateBackupPlan."""
    state = state_of(emu)

    def handler(call):
        plan_id = call.params["BackupPlanId"]
        with state.lock:
            got = _live_plan(emu, plan_id)
            if got is None:
                return _not_found(f"Failed reading Backup plan {plan_id}")
            got = _overlay(state, plan_id, got)
            doc = dict(call.params["BackupPlan"])
            doc["Rules"] = _fill_rules(doc["Rules"], got["BackupPlan"].get("Rules", []))
            version = secrets.token_urlsafe(36)[:48]
            state.plans[plan_id] = {"name": doc["BackupPlanName"], "doc": doc, "version": version}
            return _answer({"BackupPlanId": plan_id, "BackupPlanArn": got["BackupPlanArn"],
                            "CreationDate": _stamp(got["CreationDate"]), "VersionId": version})

    return handler


def _delete_backup_plan(emu):
    """AWS refuses to delete a plan that still has selections."""
    state = state_of(emu)

    def handler(call):
        with state.lock:
            if state.selections.get(call.params["BackupPlanId"]):
                return _error("InvalidRequestException",
                              "Related backup plan selections must be deleted prior to backup "
                              "plan deletion")
        return None

    return handler


# ---------------------------------------------------------------- selections


def _create_backup_selection(emu):
    """A selection of resources in a plan. AWS answers a create whose CreatorRequestId matches
    a selection of the plan with that selection, and refuses a second selection of one name in a
    plan (AlreadyExistsException); an unknown or deleted plan is ResourceNotFoundException."""
    state = state_of(emu)

    def handler(call):
        plan_id = call.params["BackupPlanId"]
        sel = call.params["BackupSelection"]
        crid = call.params.get("CreatorRequestId")
        with state.lock:
            if _live_plan(emu, plan_id) is None:
                return _not_found(f"Failed reading Backup plan {plan_id}")
            mine = state.selections.setdefault(plan_id, {})
            for s in mine.values():
                if crid and s.get("CreatorRequestId") == crid:
                    return _answer({"SelectionId": s["SelectionId"], "BackupPlanId": plan_id,
                                    "CreationDate": s["CreationDate"]})
                if s["BackupSelection"]["SelectionName"] == sel["SelectionName"]:
                    return _error("AlreadyExistsException",
                                  f"Backup selection {sel['SelectionName']} already exists")
            made = {"SelectionId": str(uuid.uuid4()), "BackupPlanId": plan_id,
                    "CreationDate": time.time(), "BackupSelection": sel}
            if crid:
                made["CreatorRequestId"] = crid
            mine[made["SelectionId"]] = made
            return _answer({k: made[k] for k in ("SelectionId", "BackupPlanId", "CreationDate")})

    return handler


def _find_selection(state, params):
    return state.selections.get(params["BackupPlanId"], {}).get(params["SelectionId"])


def _get_backup_selection(emu):
    """The selection's document and metadata; ResourceNotFoundException when it is not there."""
    state = state_of(emu)

    def handler(call):
        with state.lock:
            s = _find_selection(state, call.params)
            if s is None:
                return _not_found(f"Failed reading selection {call.params['SelectionId']}")
            return _answer(s)

    return handler


def _list_backup_selections(emu):
    """The selections of a plan (metadata only: the resources need GetBackupSelection)."""
    state = state_of(emu)

    def handler(call):
        plan_id = call.params["BackupPlanId"]
        with state.lock:
            if _moto_plan(emu, plan_id) is None:
                return _not_found(f"Failed reading Backup plan {plan_id}")
            items = []
            for s in state.selections.get(plan_id, {}).values():
                item = {"SelectionId": s["SelectionId"],
                        "SelectionName": s["BackupSelection"]["SelectionName"],
                        "BackupPlanId": plan_id, "CreationDate": s["CreationDate"],
                        "IamRoleArn": s["BackupSelection"]["IamRoleArn"]}
                if s.get("CreatorRequestId"):
                    item["CreatorRequestId"] = s["CreatorRequestId"]
                items.append(item)
            return _answer(_page(items, call.params, "BackupSelectionsList"))

    return handler


def _delete_backup_selection(emu):
    """Deletes the selection; ResourceNotFoundException when it is not there."""
    state = state_of(emu)

    def handler(call):
        with state.lock:
            if _find_selection(state, call.params) is None:
                return _not_found(f"Failed reading selection {call.params['SelectionId']}")
            del state.selections[call.params["BackupPlanId"]][call.params["SelectionId"]]
            return _answer({})

    return handler


# ---------------------------------------------------------------- vaults


def _delete_backup_vault(emu):
    """AWS deletes only an empty vault: InvalidRequestException while it holds recovery
    points."""
    state = state_of(emu)

    def handler(call):
        with state.lock:
            name = call.params["BackupVaultName"]
            if any(rp["BackupVaultName"] == name for rp in state.recovery_points.values()):
                return _error("InvalidRequestException",
                              "Backup vault cannot be deleted because it contains recovery "
                              "points.")
        return None

    return handler


def _list_backup_vaults(emu):
    """moto's answer with NumberOfRecoveryPoints counting the harness's recovery points."""
    state = state_of(emu)

    def handler(call):
        answer = call.forward()
        if answer[0] != 200:
            return answer
        body = json.loads(answer[2] or b"{}")
        with state.lock:
            for v in body.get("BackupVaultList", []):
                v["NumberOfRecoveryPoints"] = sum(
                    1 for rp in state.recovery_points.values()
                    if rp["BackupVaultName"] == v.get("BackupVaultName"))
        return answer[0], answer[1], json.dumps(body).encode("utf-8")

    return handler


# ---------------------------------------------------------------- backups


def _efs_id(arn):
    """fs-... from an EFS file system ARN, or None for anything else."""
    parts = (arn or "").split(":")
    if len(parts) == 6 and parts[2] == "elasticfilesystem" and parts[5].startswith("file-system/"):
        return parts[5][len("file-system/"):]
    return None


def _start_backup(emu, state, params):
    """Make a completed backup job and its recovery point; returns (job, None) or
    (None, error answer). Only EFS file systems can be backed up here."""
    vault_name = params["BackupVaultName"]
    with state.lock:
        token = params.get("IdempotencyToken")
        if token:
            for job in state.backup_jobs.values():
                if job.get("_token") == token:
                    return job, None
        vault = _moto_vault(emu, vault_name)
        if vault is None:
            return None, _not_found(f"Backup vault {vault_name} not found")
        fs_id = _efs_id(params["ResourceArn"])
        if fs_id is None:
            return None, _error("InvalidParameterValueException",
                                f"the emulator backs up EFS file systems only, not "
                                f"{params['ResourceArn']}")
        fs = _efs_file_system(emu, fs_id)
        if fs is None:
            return None, _not_found(f"File system {fs_id} not found")
        now = time.time()
        life = params.get("Lifecycle") or {}
        rp = {
            "RecoveryPointArn": f"arn:aws:backup:{emu.region}:{ACCOUNT}:recovery-point:"
                                f"{str(uuid.uuid4()).upper()}",
            "BackupVaultName": vault_name,
            "BackupVaultArn": vault["BackupVaultArn"],
            "ResourceArn": params["ResourceArn"],
            "ResourceType": "EFS",
            "IamRoleArn": params["IamRoleArn"],
            "Status": "COMPLETED",
            "CreationDate": now,
            "InitiationDate": now,
            "CompletionDate": now,
            "BackupSizeInBytes": fs.get("SizeInBytes", {}).get("Value", 0),
            "IsEncrypted": bool(fs.get("Encrypted")),
            "StorageClass": "WARM",
            "VaultType": "BACKUP_VAULT",
            "_restore_metadata": {
                "file-system-id": fs_id,
                "Encrypted": "true" if fs.get("Encrypted") else "false",
                "PerformanceMode": fs.get("PerformanceMode", "generalPurpose"),
                "CreationToken": fs.get("CreationToken", ""),
                "newFileSystem": "false",
            },
            "_source_tags": [t for t in fs.get("Tags", []) if not t["Key"].startswith("aws:")],
        }
        if fs.get("KmsKeyId"):
            rp["_restore_metadata"]["KmsKeyId"] = fs["KmsKeyId"]
        if fs.get("Name"):
            rp["ResourceName"] = fs["Name"]
        if life:
            rp["Lifecycle"] = life
            if life.get("DeleteAfterDays"):
                rp["CalculatedLifecycle"] = {"DeleteAt": now + 86400 * life["DeleteAfterDays"]}
        job = {
            "AccountId": ACCOUNT,
            "BackupJobId": str(uuid.uuid4()).upper(),
            "BackupVaultName": vault_name,
            "BackupVaultArn": vault["BackupVaultArn"],
            "RecoveryPointArn": rp["RecoveryPointArn"],
            "ResourceArn": params["ResourceArn"],
            "ResourceType": "EFS",
            "IamRoleArn": params["IamRoleArn"],
            "CreationDate": now,
            "CompletionDate": now,
            "State": "COMPLETED",
            "PercentDone": "100.0",
            "BackupSizeInBytes": rp["BackupSizeInBytes"],
            "IsParent": False,
        }
        if token:
            job["_token"] = token
        # With a data directory, the file system's files are copied now (efsdata.py).
        try:
            size = efsdata.backup(emu, fs_id, vault_name, rp["RecoveryPointArn"])
        except OSError as e:
            return None, _error("InvalidRequestException", f"copying {fs_id}: {e}", 500)
        if size is not None:
            rp["BackupSizeInBytes"] = job["BackupSizeInBytes"] = size
        state.recovery_points[rp["RecoveryPointArn"]] = rp
        state.backup_jobs[job["BackupJobId"]] = job
        return job, None


def _start_backup_job(emu):
    """An on-demand backup (StartBackupJob). In AWS the job runs for minutes and then the
    recovery point is COMPLETED; here both are there at once. The same IdempotencyToken answers
    with the same job. Only EFS file systems: another resource is InvalidParameterValueException,
    an unknown vault or file system ResourceNotFoundException."""
    state = state_of(emu)

    def handler(call):
        job, err = _start_backup(emu, state, call.params)
        if err:
            return err
        return _answer({"BackupJobId": job["BackupJobId"],
                        "RecoveryPointArn": job["RecoveryPointArn"],
                        "CreationDate": job["CreationDate"], "IsParent": False})

    return handler


def _describe_backup_job(emu):
    """The job StartBackupJob made (COMPLETED); ResourceNotFoundException for any other id."""
    state = state_of(emu)

    def handler(call):
        with state.lock:
            job = state.backup_jobs.get(call.params["BackupJobId"])
            if job is None:
                return _not_found(f"Backup job {call.params['BackupJobId']} not found")
            return _answer(_public(job))

    return handler


# ---------------------------------------------------------------- recovery points

_BY_VAULT = ("RecoveryPointArn", "BackupVaultName", "BackupVaultArn", "ResourceArn",
             "ResourceType", "IamRoleArn", "Status", "CreationDate", "InitiationDate",
             "CompletionDate", "BackupSizeInBytes", "CalculatedLifecycle", "Lifecycle",
             "IsEncrypted", "LastRestoreTime", "ResourceName", "VaultType")
_BY_RESOURCE = ("RecoveryPointArn", "CreationDate", "Status", "BackupVaultName",
                "ResourceName", "VaultType")


def _pick(rp, keys):
    return {k: rp[k] for k in keys if k in rp}


def _list_recovery_points_by_backup_vault(emu):
    """The vault's recovery points, newest first, filtered by resource ARN and type and by
    creation date; ResourceNotFoundException for a vault that does not exist."""
    state = state_of(emu)

    def handler(call):
        p = call.params
        name = p["BackupVaultName"]
        if _moto_vault(emu, name) is None:
            return _not_found(f"Backup vault {name} not found")
        with state.lock:
            items = [rp for rp in state.recovery_points.values() if rp["BackupVaultName"] == name
                     and p.get("ByResourceArn") in (None, rp["ResourceArn"])
                     and p.get("ByResourceType") in (None, rp["ResourceType"])
                     and (p.get("ByCreatedBefore") is None
                          or rp["CreationDate"] < p["ByCreatedBefore"].timestamp())
                     and (p.get("ByCreatedAfter") is None
                          or rp["CreationDate"] > p["ByCreatedAfter"].timestamp())]
            items.sort(key=lambda rp: rp["CreationDate"], reverse=True)
            return _answer(_page([_pick(rp, _BY_VAULT) for rp in items], p, "RecoveryPoints"))

    return handler


def _list_recovery_points_by_resource(emu):
    """The recovery points of one resource, in every vault, newest first."""
    state = state_of(emu)

    def handler(call):
        p = call.params
        with state.lock:
            items = [rp for rp in state.recovery_points.values()
                     if rp["ResourceArn"] == p["ResourceArn"]]
            items.sort(key=lambda rp: rp["CreationDate"], reverse=True)
            out = []
            for rp in items:
                item = _pick(rp, _BY_RESOURCE)
                item["BackupSizeBytes"] = rp["BackupSizeInBytes"]
                out.append(item)
            return _answer(_page(out, p, "RecoveryPoints"))

    return handler


def _find_point(state, params):
    rp = state.recovery_points.get(params["RecoveryPointArn"])
    return rp if rp is not None and rp["BackupVaultName"] == params["BackupVaultName"] else None


def _describe_recovery_point(emu):
    """One recovery point of a vault; ResourceNotFoundException when the vault has no such
    point."""
    state = state_of(emu)

    def handler(call):
        with state.lock:
            rp = _find_point(state, call.params)
            if rp is None:
                return _not_found(f"Recovery point {call.params['RecoveryPointArn']} not found")
            return _answer(_public(rp))

    return handler


def _delete_recovery_point(emu):
    """Deletes a recovery point (in AWS it goes through DELETING for a while; here at once)."""
    state = state_of(emu)

    def handler(call):
        with state.lock:
            if _find_point(state, call.params) is None:
                return _not_found(f"Recovery point {call.params['RecoveryPointArn']} not found")
            del state.recovery_points[call.params["RecoveryPointArn"]]
            efsdata.drop_point(emu, call.params["BackupVaultName"],
                               call.params["RecoveryPointArn"])
            return _answer({})

    return handler


def _get_recovery_point_restore_metadata(emu):
    """What a restore of the point needs, as AWS gives it for EFS: file-system-id, Encrypted,
    KmsKeyId, PerformanceMode, CreationToken and newFileSystem ("false")."""
    state = state_of(emu)

    def handler(call):
        with state.lock:
            rp = _find_point(state, call.params)
            if rp is None:
                return _not_found(f"Recovery point {call.params['RecoveryPointArn']} not found")
            return _answer({"BackupVaultArn": rp["BackupVaultArn"],
                            "RecoveryPointArn": rp["RecoveryPointArn"],
                            "RestoreMetadata": dict(rp["_restore_metadata"]),
                            "ResourceType": "EFS"})

    return handler


# ---------------------------------------------------------------- restores


def _restore_efs(emu, rp, meta, copy_tags, directory):
    """Do what a restore of an EFS recovery point does to EFS; returns (file system ARN, None)
    or (None, why it failed). newFileSystem "true" makes a new file system with the metadata's
    CreationToken, Encrypted, KmsKeyId and PerformanceMode; otherwise the files go back into
    file-system-id. Either way AWS puts them in a directory aws-backup-restore_<time> off the
    root (with a data directory, efsdata.py copies the recovery point's files there)."""
    efs = state_of(emu).client(emu, "efs")
    if str(meta.get("newFileSystem", "")).lower() != "true":
        fs = _efs_file_system(emu, meta.get("file-system-id", ""))
        if fs is None:
            return None, f"File system {meta.get('file-system-id')} not found"
        return _restore_files(emu, rp, fs, directory)
    kwargs = {
        "CreationToken": meta.get("CreationToken") or str(uuid.uuid4()),
        "PerformanceMode": meta.get("PerformanceMode") or "generalPurpose",
        "Encrypted": str(meta.get("Encrypted", "false")).lower() == "true",
    }
    if meta.get("KmsKeyId"):
        kwargs["KmsKeyId"] = meta["KmsKeyId"]
    if copy_tags and rp.get("_source_tags"):
        kwargs["Tags"] = rp["_source_tags"]
    try:
        fs = efs.create_file_system(**kwargs)
    except efs.exceptions.ClientError as e:
        return None, f"{e.response['Error']['Code']}: {e.response['Error'].get('Message', '')}"
    return _restore_files(emu, rp, fs, directory)


def _restore_files(emu, rp, fs, directory):
    try:
        efsdata.restore(emu, rp["BackupVaultName"], rp["RecoveryPointArn"], fs["FileSystemId"],
                        directory)
    except OSError as e:
        return None, f"copying the files into {fs['FileSystemId']}: {e}"
    return fs["FileSystemArn"], None


def _start_restore_job(emu):
    """A restore of a recovery point (EFS only: ResourceType, if given, must be EFS). The
    metadata must name file-system-id, and KmsKeyId goes only with Encrypted "true"
    (InvalidParameterValueException otherwise); an unknown recovery point is
    ResourceNotFoundException. The same IdempotencyToken answers with the same job. The job is
    RUNNING for set_restore_polls() DescribeRestoreJob calls, then COMPLETED with the file
    system as CreatedResourceArn; when EFS refuses (a CreationToken already used), it FAILED
    with EFS's error as StatusMessage. restore_directory() says where the files went."""
    state = state_of(emu)

    def handler(call):
        p = call.params
        meta = p["Metadata"]
        with state.lock:
            token = p.get("IdempotencyToken")
            for job in state.restore_jobs.values():
                if token and job.get("_token") == token:
                    return _answer({"RestoreJobId": job["RestoreJobId"]})
            rp = state.recovery_points.get(p["RecoveryPointArn"])
            if rp is None:
                return _not_found(f"Recovery point {p['RecoveryPointArn']} not found")
            if p.get("ResourceType") not in (None, "EFS"):
                return _error("InvalidParameterValueException",
                              f"Resource type {p['ResourceType']} does not match the recovery "
                              f"point's (EFS)")
            if not meta.get("file-system-id"):
                return _error("InvalidParameterValueException",
                              "Metadata must contain file-system-id")
            if meta.get("KmsKeyId") and str(meta.get("Encrypted", "")).lower() != "true":
                return _error("InvalidParameterValueException",
                              "KmsKeyId requires Encrypted to be true")
            now = datetime.datetime.now(datetime.timezone.utc)
            directory = "aws-backup-restore_" + now.strftime("%Y-%m-%dT%H-%M-%S")
            arn, why = _restore_efs(emu, rp, meta, p.get("CopySourceTagsToRestoredResource"),
                                    directory)
            job = {
                "AccountId": ACCOUNT,
                "RestoreJobId": str(uuid.uuid4()).upper(),
                "RecoveryPointArn": rp["RecoveryPointArn"],
                "SourceResourceArn": rp["ResourceArn"],
                "BackupVaultArn": rp["BackupVaultArn"],
                "CreationDate": now.timestamp(),
                "Status": "PENDING",
                "PercentDone": "0.00%",
                "BackupSizeInBytes": rp["BackupSizeInBytes"],
                "ResourceType": "EFS",
                "RecoveryPointCreationDate": rp["CreationDate"],
                "_polls": state.restore_polls,
                "_arn": arn,
                "_why": why,
                "_directory": directory,
            }
            if p.get("IamRoleArn"):
                job["IamRoleArn"] = p["IamRoleArn"]
            if token:
                job["_token"] = token
            if job["_polls"] == 0:
                _finish(job)
            rp["LastRestoreTime"] = now.timestamp()
            state.restore_jobs[job["RestoreJobId"]] = job
            return _answer({"RestoreJobId": job["RestoreJobId"]})

    return handler


def _finish(job):
    job["CompletionDate"] = time.time()
    if job["_arn"]:
        job.update(Status="COMPLETED", PercentDone="100.00%", CreatedResourceArn=job["_arn"])
    else:
        job.update(Status="FAILED", StatusMessage=job["_why"])


def _advance(job):
    """One DescribeRestoreJob's worth of progress: RUNNING while polls are left, then done."""
    if job["Status"] in ("PENDING", "RUNNING"):
        if job["_polls"] > 0:
            job["_polls"] -= 1
            job.update(Status="RUNNING", PercentDone="50.00%")
        else:
            _finish(job)


def _describe_restore_job(emu):
    """The restore job's state (each call moves a RUNNING job on); ResourceNotFoundException
    for an unknown id."""
    state = state_of(emu)

    def handler(call):
        with state.lock:
            job = state.restore_jobs.get(call.params["RestoreJobId"])
            if job is None:
                return _not_found(f"Restore job {call.params['RestoreJobId']} not found")
            _advance(job)
            return _answer(_public(job))

    return handler


def _list_restore_jobs(emu):
    """Every restore job, newest first, filtered by status and resource type."""
    state = state_of(emu)

    def handler(call):
        p = call.params
        with state.lock:
            jobs = [j for j in state.restore_jobs.values()
                    if p.get("ByStatus") in (None, j["Status"])
                    and p.get("ByResourceType") in (None, j["ResourceType"])]
            jobs.sort(key=lambda j: j["CreationDate"], reverse=True)
            return _answer(_page([_public(j) for j in jobs], p, "RestoreJobs"))

    return handler


# ---------------------------------------------------------------- for tests


def backup_now(emu, vault_name, resource_arn, iam_role_arn=None, lifecycle=None):
    """Back resource_arn (an EFS file system) up into vault_name at once, without a request
    through the proxy; returns the recovery point ARN. Raises ValueError when the vault or file
    system does not exist."""
    params = {"BackupVaultName": vault_name, "ResourceArn": resource_arn,
              "IamRoleArn": iam_role_arn or f"arn:aws:iam::{ACCOUNT}:role/backup"}
    if lifecycle:
        params["Lifecycle"] = lifecycle
    job, err = _start_backup(emu, state_of(emu), params)
    if err:
        raise ValueError(json.loads(err[2])["Message"])
    return job["RecoveryPointArn"]


def set_restore_polls(emu, polls):
    """Restore jobs started from now on answer RUNNING to this many DescribeRestoreJob calls
    before they complete (0, the default: complete at once)."""
    state_of(emu).restore_polls = int(polls)


def restore_directory(emu, restore_job_id):
    """The directory off the file system's root where the restore put the files:
    aws-backup-restore_<the job's creation time, UTC, %Y-%m-%dT%H-%M-%S>."""
    with state_of(emu).lock:
        return state_of(emu).restore_jobs[restore_job_id]["_directory"]


# ---------------------------------------------------------------- Cloud Map


def _sd_answer(obj):
    headers = [("Content-Type", "application/x-amz-json-1.1"),
               ("x-amzn-RequestId", str(uuid.uuid4()))]
    return 200, headers, json.dumps(obj).encode("utf-8")


def _sd_error(code, message, **members):
    headers = [("Content-Type", "application/x-amz-json-1.1"),
               ("x-amzn-RequestId", str(uuid.uuid4()))]
    return 400, headers, json.dumps({"__type": code, "Message": message, **members}).encode()


def _filtered(emu, key, keep):
    """A handler that forwards the call and keeps the items of answer[key] keep(item, filters)
    accepts: AWS applies the filters moto ignores."""
    def handler(call):
        filters = call.params.get("Filters") or []
        answer = call.forward()
        if answer[0] != 200 or not filters:
            return answer
        body = json.loads(answer[2] or b"{}")
        body[key] = [item for item in body.get(key, []) if keep(item, filters)]
        return answer[0], answer[1], json.dumps(body).encode("utf-8")
    return handler


def _matches(value, f):
    values = f.get("Values") or []
    cond = f.get("Condition") or "EQ"
    if cond == "BEGINS_WITH":
        return any(str(value or "").startswith(v) for v in values)
    return value in values  # EQ and IN; BETWEEN is for dates, which cairn does not filter


def _list_namespaces(emu):
    """AWS lists only the namespaces that match every filter (TYPE, NAME); moto all of them."""
    fields = {"TYPE": "Type", "NAME": "Name"}
    return _filtered(emu, "Namespaces", lambda ns, filters: all(
        f["Name"] not in fields or _matches(ns.get(fields[f["Name"]]), f) for f in filters))


def _list_services(emu):
    """AWS lists only the services of the namespaces a NAMESPACE_ID filter names; moto all."""
    def keep(svc, filters):
        ns = svc.get("NamespaceId") or (svc.get("DnsConfig") or {}).get("NamespaceId")
        return all(f["Name"] != "NAMESPACE_ID" or _matches(ns, f) for f in filters)
    return _filtered(emu, "Services", keep)


def _services_in(sd, namespace_id):
    """The services of a namespace, from moto (whose ListServices items lose NamespaceId in
    botocore's parsing: GetService has it)."""
    services = (sd.get_service(Id=svc["Id"])["Service"] for svc in sd.list_services()["Services"])
    return [svc for svc in services if svc.get("NamespaceId") == namespace_id]


def _create_service(emu):
    """AWS refuses a service in a namespace that does not exist (NamespaceNotFound) and a
    second service of one name in a namespace (ServiceAlreadyExists, naming the first); moto
    makes both."""
    lock = threading.Lock()

    def handler(call):
        sd = state_of(emu).client(emu, "servicediscovery")
        ns = call.params.get("NamespaceId")
        with lock:  # two creates of one name at once: only one may win
            try:
                sd.get_namespace(Id=ns)
            except sd.exceptions.NamespaceNotFound:
                return _sd_error("NamespaceNotFound", f"Namespace {ns} not found")
            for svc in _services_in(sd, ns):
                if svc.get("Name") == call.params["Name"]:
                    return _sd_error("ServiceAlreadyExists",
                                     f"Service {call.params['Name']} already exists",
                                     CreatorRequestId=svc.get("CreatorRequestId", ""),
                                     ServiceId=svc["Id"], ServiceArn=svc["Arn"])
            return call.forward()

    return handler


def _delete_service(emu):
    """AWS refuses to delete a service while instances are registered (ResourceInUse)."""
    def handler(call):
        sd = state_of(emu).client(emu, "servicediscovery")
        try:
            instances = sd.list_instances(ServiceId=call.params["Id"])["Instances"]
        except sd.exceptions.ServiceNotFound:
            return _sd_error("ServiceNotFound", f"Service {call.params['Id']} not found")
        if instances:
            return _sd_error("ResourceInUse", f"Service {call.params['Id']} has "
                             f"{len(instances)} registered instances")
        return None

    return handler


def _delete_namespace(emu):
    """AWS refuses to delete a namespace that still has services (ResourceInUse)."""
    def handler(call):
        sd = state_of(emu).client(emu, "servicediscovery")
        ns = call.params["Id"]
        if _services_in(sd, ns):
            return _sd_error("ResourceInUse", f"Namespace {ns} has associated services")
        return None

    return handler


GAPS = {
    ("backup", "CreateBackupPlan"): _create_backup_plan,
    ("backup", "GetBackupPlan"): _get_backup_plan,
    ("backup", "ListBackupPlans"): _list_backup_plans,
    ("backup", "UpdateBackupPlan"): _update_backup_plan,
    ("backup", "DeleteBackupPlan"): _delete_backup_plan,
    ("backup", "CreateBackupSelection"): _create_backup_selection,
    ("backup", "GetBackupSelection"): _get_backup_selection,
    ("backup", "ListBackupSelections"): _list_backup_selections,
    ("backup", "DeleteBackupSelection"): _delete_backup_selection,
    ("backup", "DeleteBackupVault"): _delete_backup_vault,
    ("backup", "ListBackupVaults"): _list_backup_vaults,
    ("backup", "StartBackupJob"): _start_backup_job,
    ("backup", "DescribeBackupJob"): _describe_backup_job,
    ("backup", "ListRecoveryPointsByBackupVault"): _list_recovery_points_by_backup_vault,
    ("backup", "ListRecoveryPointsByResource"): _list_recovery_points_by_resource,
    ("backup", "DescribeRecoveryPoint"): _describe_recovery_point,
    ("backup", "DeleteRecoveryPoint"): _delete_recovery_point,
    ("backup", "GetRecoveryPointRestoreMetadata"): _get_recovery_point_restore_metadata,
    ("backup", "StartRestoreJob"): _start_restore_job,
    ("backup", "DescribeRestoreJob"): _describe_restore_job,
    ("backup", "ListRestoreJobs"): _list_restore_jobs,
    ("servicediscovery", "ListNamespaces"): _list_namespaces,
    ("servicediscovery", "ListServices"): _list_services,
    ("servicediscovery", "CreateService"): _create_service,
    ("servicediscovery", "DeleteService"): _delete_service,
    ("servicediscovery", "DeleteNamespace"): _delete_namespace,
}
