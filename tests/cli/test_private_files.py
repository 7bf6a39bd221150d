"""What the product writes holds patient data: owner-only files and folders, a warning for a folder
others can list, and a command refused for lack of permission is written to the audit trail."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.factories import PASSWORD

posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX mode bits (Windows keeps the profile's ACLs)")


def test_a_command_refused_for_lack_of_permission_is_audited(cli, seeded_url):
    refused = cli("--db", seeded_url, "user", "list", "--as", "desk")
    assert refused.exit_code == 1 and "Permission denied" in refused.stderr
    events = json.loads(cli("--db", seeded_url, "audit", "list", "--as", "manager", "--format", "json").stdout)
    [denied] = [e for e in events if e["action"] == "permission.denied"]
    assert denied["user"] == "desk" and "user list" in denied["entity"]
    assert "may not manage users" in denied["summary"]


def test_a_refusal_that_is_not_about_permission_is_not_audited_as_one(cli, seeded_url):
    wrong = cli("--db", seeded_url, "user", "list", "--as", "desk", env={"OFFICECONSOLE_PASSWORD": "wrong"})
    assert wrong.exit_code == 1
    events = json.loads(cli("--db", seeded_url, "audit", "list", "--as", "manager", "--format", "json").stdout)
    assert not [e for e in events if e["action"] == "permission.denied"]


@posix_only
def test_a_backup_folder_others_can_list_is_warned_about(cli, seeded_url, tmp_path):
    shared, private = tmp_path / "shared", tmp_path / "private"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    made = cli("--db", seeded_url, "backup", "--to", str(shared), "--as", "manager")
    assert made.exit_code == 0, made.text
    assert f"warning: other accounts on this PC can list {shared}" in made.stderr and "chmod 700" in made.stderr
    quiet = cli("--db", seeded_url, "backup", "--to", str(private), "--as", "manager")
    assert quiet.exit_code == 0 and "other accounts" not in quiet.stderr
    assert private.stat().st_mode & 0o777 == 0o700  # made here: owner-only


@posix_only
def test_files_the_product_writes_are_owner_only_whatever_the_umask(seeded_url, tmp_path):
    folder = tmp_path / "nightly"
    env = {**os.environ, "OFFICECONSOLE_HOME": str(tmp_path / "home"), "OFFICECONSOLE_PASSWORD": PASSWORD}
    done = subprocess.run([sys.executable, "-c", "import os, sys; os.umask(0o022); sys.argv[0] = 'officeconsole'; "
                           "from officeconsole.cli import main; main()",
                           "--db", seeded_url, "backup", "--to", str(folder), "--as", "manager"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    [backup] = folder.glob("officeconsole-*")
    assert folder.stat().st_mode & 0o777 == 0o700
    assert backup.stat().st_mode & 0o777 == 0o600
