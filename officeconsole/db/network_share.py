"""Is a SQLite file on a network share? Then it is refused: SQLite's file locking is not reliable
over NFS or SMB, and its write-ahead log does not work across machines, so two PCs writing one
file can corrupt it. Several PCs share a clinic through PostgreSQL instead.

The file system is read from the mount table (psutil, on every platform): the mount holding the
folder, its type (nfs, cifs, sshfs...) or its "remote" flag (a Windows network drive), and a
Windows UNC path (\\\\server\\share) is a share by its name.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

NETWORK_TYPES = frozenset({
    "nfs", "nfs4", "cifs", "smbfs", "smb2", "smb3", "sshfs", "fuse.sshfs", "afpfs", "webdav", "davfs",
    "fuse.davfs2", "9p", "ceph", "fuse.ceph", "glusterfs", "fuse.glusterfs", "lustre", "ncpfs", "afs",
    "fuse.rclone", "fuse.s3fs", "fuse.gcsfuse", "fuse.smbnetfs",
})


def _resolved(path: Path) -> Path:
    """The absolute path with the links of its existing part followed (the rest may not exist yet)."""
    path = Path(os.path.abspath(path))
    head, tail = path, list[str]()
    while not head.exists() and head != head.parent:
        head, tail = head.parent, [head.name, *tail]
    return Path(os.path.realpath(head), *tail)


def network_filesystem(path: Path | str, partitions: Sequence[Any] | None = None) -> str | None:
    """The share's type ("nfs4", "cifs", "network drive") when `path` lives on one, else None."""
    text = str(path)
    if text.startswith(("\\\\", "//")) and not text.startswith("//?/"):
        return "network share"
    if partitions is None:
        try:
            import psutil

            partitions = psutil.disk_partitions(all=True)
        except (ImportError, OSError):
            return None
    where = str(_resolved(Path(path)))
    best = None
    for part in partitions:
        mount = part.mountpoint.rstrip("/\\") or part.mountpoint
        if where == mount or where.startswith(mount.rstrip("/\\") + os.sep) or mount in ("/", "\\"):
            if best is None or len(mount) > len(best.mountpoint.rstrip("/\\")):
                best = part
    if best is None:
        return None
    kind = (best.fstype or "").lower()
    if kind in NETWORK_TYPES or kind.startswith(("nfs", "smb", "cifs")):
        return kind
    if "remote" in (best.opts or "").lower().split(","):
        return "network drive"
    return None
