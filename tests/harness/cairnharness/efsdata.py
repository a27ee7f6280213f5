"""EFS file systems with content: what AWS Backup copies and restores, on disk.

moto's EFS holds no files. When the emulator is given a data directory (serve.py --data-dir,
tools/emulator start --data-dir, or set_data_dir(emu, path)), a file system's content is the
directory DATA/efs/<file-system-id>/ (the local target, tools/local-run, mounts its access
points there) and the emulated AWS Backup (backupgaps.py) works on it:

  StartBackupJob of a file system      copies DATA/efs/<fs-id>/ to
                                       DATA/backup/<vault>/<recovery point id>/ before it
                                       answers: the recovery point is COMPLETED with the files
                                       as they were at that moment, BackupSizeInBytes their size
  StartRestoreJob of that point        copies it to DATA/efs/<target fs-id>/
                                       aws-backup-restore_<job's creation time>/, into a new or
                                       the existing file system alike, as AWS does for a full
                                       restore (AWS Backup developer guide, "Restore an Amazon
                                       EFS file system": a recovery directory off the root)
  DeleteRecoveryPoint                  removes the copy
  DeleteFileSystem (efs)               removes DATA/efs/<fs-id>/ once EFS has deleted it

Copies keep modes, times and (as root) owners, copy symbolic links as links, and leave out
sockets, named pipes and devices, which AWS Backup omits too. A file that vanishes while it is
copied (a live database compacting) is left out, as from a crash-consistent copy. A copy is
made under a temporary name and renamed when complete, so a half copy is never a recovery
point or a restore directory. Without a data directory nothing here happens.
"""

import os
import shutil
import stat
import threading
import uuid
import weakref

_DIRS = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def set_data_dir(emu, path):
    """Give emu a data directory (None: no content, the default)."""
    with _LOCK:
        if path is None:
            _DIRS.pop(emu, None)
        else:
            _DIRS[emu] = os.path.abspath(path)


def data_dir(emu):
    with _LOCK:
        return _DIRS.get(emu)


def fs_dir(emu, fs_id):
    base = data_dir(emu)
    return os.path.join(base, "efs", fs_id) if base else None


def point_dir(emu, vault, rp_arn):
    """DATA/backup/<vault>/<the recovery point ARN's last part>."""
    base = data_dir(emu)
    return os.path.join(base, "backup", vault, rp_arn.rsplit(":", 1)[-1]) if base else None


def _copy_entry(src, dst, st):
    """One entry of a tree; returns its size in bytes (0 for anything but a file)."""
    if stat.S_ISLNK(st.st_mode):
        os.symlink(os.readlink(src), dst)
    elif stat.S_ISREG(st.st_mode):
        with open(src, "rb") as fi, open(dst, "wb") as fo:
            shutil.copyfileobj(fi, fo, 1 << 20)
    else:
        return -1  # a socket, a FIFO, a device: not backed up
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _keep_attrs(path, st):
    if os.geteuid() == 0:
        os.chown(path, st.st_uid, st.st_gid, follow_symlinks=False)
    if not stat.S_ISLNK(st.st_mode):
        os.chmod(path, stat.S_IMODE(st.st_mode))
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def copy_tree(src, dst):
    """Copy the directory src to dst (which must not exist): a temporary name, then a rename.
    Returns the bytes of file content copied. A missing src copies as an empty directory."""
    tmp = f"{dst}.tmp-{uuid.uuid4().hex[:8]}"
    total = 0
    dirs = []  # (path, stat): their modes and times once their content is in
    try:
        os.makedirs(tmp, mode=0o700)
        try:
            dirs.append((tmp, os.stat(src)))
        except FileNotFoundError:
            pass
        stack = [(src, tmp)]
        while stack:
            s, d = stack.pop()
            try:
                entries = list(os.scandir(s))
            except (FileNotFoundError, NotADirectoryError):
                continue
            for e in entries:
                sp, dp = e.path, os.path.join(d, e.name)
                try:
                    st = os.lstat(sp)
                    if stat.S_ISDIR(st.st_mode):
                        os.mkdir(dp, 0o700)
                        dirs.append((dp, st))
                        stack.append((sp, dp))
                        continue
                    n = _copy_entry(sp, dp, st)
                    if n >= 0:
                        total += n
                        _keep_attrs(dp, st)
                except FileNotFoundError:  # vanished meanwhile: left out
                    if os.path.lexists(dp) and not os.path.isdir(dp):
                        os.unlink(dp)
        for path, st in reversed(dirs):
            _keep_attrs(path, st)
        os.rename(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return total


def backup(emu, fs_id, vault, rp_arn):
    """Copy the file system's content into the recovery point; its size, or None without a
    data directory."""
    src = fs_dir(emu, fs_id)
    if src is None:
        return None
    dst = point_dir(emu, vault, rp_arn)
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    return copy_tree(src, dst)


def restore(emu, vault, rp_arn, fs_id, directory):
    """Copy the recovery point's content to DATA/efs/<fs_id>/<directory>; the path, or None
    without a data directory (or when the point has no copy: it was made without one)."""
    src = point_dir(emu, vault, rp_arn)
    if src is None or not os.path.isdir(src):
        return None
    root = fs_dir(emu, fs_id)
    os.makedirs(root, exist_ok=True)
    os.chmod(root, os.stat(root).st_mode | 0o111)  # the access points' users pass through
    dst = os.path.join(root, directory)
    copy_tree(src, dst)
    os.chmod(dst, 0o755)  # AWS Backup makes it root's, open to traverse
    if os.geteuid() == 0:
        os.chown(dst, 0, 0)
    return dst


def drop_point(emu, vault, rp_arn):
    path = point_dir(emu, vault, rp_arn)
    if path:
        shutil.rmtree(path, ignore_errors=True)


def _delete_file_system(emu):
    """After EFS deleted a file system, its content goes too."""
    def handler(call):
        fs_id = call.params.get("FileSystemId")
        path = fs_dir(emu, fs_id) if fs_id else None
        if path is None:
            return None  # no content: moto as usual
        answer = call.forward()
        if 200 <= answer[0] < 300:
            shutil.rmtree(path, ignore_errors=True)
        return answer
    return handler


GAPS = {
    ("efs", "DeleteFileSystem"): _delete_file_system,
}
