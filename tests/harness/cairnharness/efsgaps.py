"""efs: operations moto lacks, emulated by the harness (docs/testing.md)."""

import json
import threading
import uuid
import weakref

# Per emulator: file system ID -> the backup policy status PutBackupPolicy set.
_POLICIES = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def _policies(emu):
    with _LOCK:
        return _POLICIES.setdefault(emu, {})


def _fs_id(value):
    """AWS takes a file system's ID or its ARN (...:file-system/fs-1)."""
    return value.rsplit("file-system/", 1)[-1] if value.startswith("arn:") else value


def _answer(status, body, error=None):
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    if error:
        headers.append(("x-amzn-ErrorType", error))
    return status, headers, json.dumps(body).encode()


def _error(status, code, message):
    """An EFS error as AWS sends it: the code in x-amzn-ErrorType and ErrorCode."""
    return _answer(status, {"ErrorCode": code, "Message": message}, error=code)


def _exists(emu, fs_id):
    from botocore.exceptions import ClientError

    try:
        emu.boto3_client("efs").describe_file_systems(FileSystemId=fs_id)
        return True
    except ClientError as e:
        if e.response["Error"]["Code"] == "FileSystemNotFound":
            return False
        raise


def _not_found(fs_id):
    return _error(404, "FileSystemNotFound", f"File system '{fs_id}' does not exist.")


def _put_backup_policy(emu):
    """PutBackupPolicy turns EFS's automatic backups of a file system on (ENABLED) or off
    (DISABLED) and answers the policy; ENABLING and DISABLING are states AWS reports, which it
    refuses as requests (ValidationException). An unknown file system is FileSystemNotFound
    (404). moto has no PutBackupPolicy: the status is kept here per file system."""
    policies = _policies(emu)

    def handler(call):
        fs_id = _fs_id(call.params["FileSystemId"])
        status = call.params["BackupPolicy"]["Status"]
        if status not in ("ENABLED", "DISABLED"):
            return _error(400, "ValidationException",
                          "Backup policy status must be ENABLED or DISABLED.")
        if not _exists(emu, fs_id):
            with _LOCK:
                policies.pop(fs_id, None)
            return _not_found(fs_id)
        with _LOCK:
            policies[fs_id] = status
        return _answer(200, {"BackupPolicy": {"Status": status}})
    return handler


def _describe_backup_policy(emu):
    """DescribeBackupPolicy answers a file system's backup policy: what PutBackupPolicy set,
    else DISABLED for a Regional file system made without Backup=true (ENABLED with it, or for
    One Zone). moto answers only the ENABLED case, says PolicyNotFound for the rest, knows
    nothing of PutBackupPolicy, and fails with a 500 for an unknown file system, where AWS says
    FileSystemNotFound (404)."""
    policies = _policies(emu)

    def handler(call):
        fs_id = _fs_id(call.params["FileSystemId"])
        if not _exists(emu, fs_id):
            with _LOCK:
                policies.pop(fs_id, None)
            return _not_found(fs_id)
        with _LOCK:
            status = policies.get(fs_id)
        if status is None:
            answer = call.forward()  # ENABLED when made with Backup=true
            if answer[0] == 200:
                return answer
            status = "DISABLED"
        return _answer(200, {"BackupPolicy": {"Status": status}})
    return handler


GAPS = {
    ("efs", "PutBackupPolicy"): _put_backup_policy,
    ("efs", "DescribeBackupPolicy"): _describe_backup_policy,
}
