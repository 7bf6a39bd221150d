"""A SQLite file on a network share is refused with a pointer to PostgreSQL: SQLite's locking is
unreliable over NFS and SMB, and its write-ahead log does not span machines."""

from __future__ import annotations

from collections import namedtuple

import pytest

from officeconsole.db.engine import make_engine
from officeconsole.db.network_share import network_filesystem
from officeconsole.errors import DatabaseUnavailable

Part = namedtuple("Part", "device mountpoint fstype opts")
MOUNTS = [Part("/dev/sda1", "/", "ext4", "rw"), Part("server:/clinic", "/mnt/clinic", "nfs4", "rw"),
          Part("//nas/office", "/mnt/office", "cifs", "rw"), Part("user@host:", "/home/me/remote", "fuse.sshfs", "rw"),
          Part("Z:\\", "Z:\\", "NTFS", "rw,remote")]


@pytest.mark.parametrize(("path", "expected"), [
    ("/mnt/clinic/officeconsole.db", "nfs4"),
    ("/mnt/clinic/sub/new-folder/clinic.db", "nfs4"),
    ("/mnt/office/clinic.db", "cifs"),
    ("/home/me/remote/clinic.db", "fuse.sshfs"),
    ("/mnt/clinical/clinic.db", None),  # a sibling folder whose name starts the same is local
    ("/home/me/clinic.db", None),
    ("\\\\nas\\office\\clinic.db", "network share"),
])
def test_shares_are_told_from_local_disks(path, expected):
    assert network_filesystem(path, MOUNTS) == expected


def test_a_sqlite_file_on_a_share_is_refused(monkeypatch):
    import officeconsole.db.engine as engine

    monkeypatch.setattr(engine, "network_filesystem", lambda path: "nfs4")
    with pytest.raises(DatabaseUnavailable, match=r"network share \(nfs4\).*PostgreSQL"):
        make_engine("sqlite:////mnt/clinic/officeconsole.db")


def test_this_machines_own_disk_is_not_a_share(tmp_path):
    assert network_filesystem(tmp_path / "clinic.db") is None
