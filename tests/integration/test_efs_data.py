"""The emulator's EFS file systems with content (cairnharness/efsdata.py), through AWS Backup's
API as cairn and tools/dr-drill call it: StartBackupJob copies the file system's files into the
recovery point at once (later writes are not in it), StartRestoreJob into a new file system puts
them under aws-backup-restore_<the job's time>/ with their owners and modes, sockets are left
out, DeleteRecoveryPoint and DeleteFileSystem remove the copies.
"""
import os
import shutil
import socket
import tempfile

import cairnharness
from cairnharness import backupgaps, efsdata


class EfsData(cairnharness.CairnTestCase):
    def setUp(self):
        super().setUp()
        self.emu.reset()
        self.data = tempfile.mkdtemp(prefix="cairn-efsdata-")
        self.addCleanup(shutil.rmtree, self.data, True)
        efsdata.set_data_dir(self.emu, self.data)
        self.addCleanup(efsdata.set_data_dir, self.emu, None)

    def test_backup_restore_delete(self):
        efs = self.emu.boto3_client("efs", via_proxy=True)
        backup = self.emu.boto3_client("backup", via_proxy=True)
        backup.create_backup_vault(BackupVaultName="v")
        fs = efs.create_file_system(CreationToken="src")
        root = os.path.join(self.data, "efs", fs["FileSystemId"])
        os.makedirs(os.path.join(root, "prometheus", "wal"))
        with open(os.path.join(root, "prometheus", "wal", "00000000"), "wb") as f:
            f.write(b"x" * 1000)
        os.chmod(os.path.join(root, "prometheus"), 0o750)
        if os.geteuid() == 0:
            os.chown(os.path.join(root, "prometheus"), 65534, 65534)
        sock = socket.socket(socket.AF_UNIX)
        sock.bind(os.path.join(root, "prometheus", "sock"))
        self.addCleanup(sock.close)

        job = backup.start_backup_job(BackupVaultName="v", ResourceArn=fs["FileSystemArn"],
                                      IamRoleArn="arn:aws:iam::123456789012:role/b")
        rp = job["RecoveryPointArn"]
        with open(os.path.join(root, "prometheus", "later"), "w") as f:
            f.write("after the backup")
        point = backup.describe_recovery_point(BackupVaultName="v", RecoveryPointArn=rp)
        self.assertEqual(point["BackupSizeInBytes"], 1000)

        meta = backup.get_recovery_point_restore_metadata(
            BackupVaultName="v", RecoveryPointArn=rp)["RestoreMetadata"]
        meta.update(newFileSystem="true", CreationToken="restored")
        rj = backup.start_restore_job(RecoveryPointArn=rp, Metadata=meta,
                                      IamRoleArn="arn:aws:iam::123456789012:role/b")
        done = backup.describe_restore_job(RestoreJobId=rj["RestoreJobId"])
        self.assertEqual(done["Status"], "COMPLETED")
        new_id = done["CreatedResourceArn"].rsplit("/", 1)[-1]
        self.assertNotEqual(new_id, fs["FileSystemId"])
        directory = backupgaps.restore_directory(self.emu, rj["RestoreJobId"])
        self.assertRegex(directory, r"^aws-backup-restore_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d$")
        got = os.path.join(self.data, "efs", new_id, directory, "prometheus")
        self.assertEqual(sorted(os.listdir(got)), ["wal"])  # no socket, nothing later
        with open(os.path.join(got, "wal", "00000000"), "rb") as f:
            self.assertEqual(f.read(), b"x" * 1000)
        st = os.stat(got)
        self.assertEqual(st.st_mode & 0o777, 0o750)
        if os.geteuid() == 0:
            self.assertEqual((st.st_uid, st.st_gid), (65534, 65534))
        self.assertEqual(os.stat(os.path.dirname(got)).st_mode & 0o777, 0o755)

        backup.delete_recovery_point(BackupVaultName="v", RecoveryPointArn=rp)
        self.assertEqual(os.listdir(os.path.join(self.data, "backup", "v")), [])
        efs.delete_file_system(FileSystemId=new_id)
        self.assertFalse(os.path.exists(os.path.join(self.data, "efs", new_id)))
        self.assertTrue(os.path.isdir(root))
