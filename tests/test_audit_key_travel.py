"""The audit key wrapped beside a backup: only the passphrase or the recovery code unwraps it, a
tampered or foreign file is refused, and installing never overwrites another key."""

from __future__ import annotations

import json
import secrets

import pytest

from officeconsole.services.security import audit_key_travel as travel
from officeconsole.services.security.audit_chain import AuditKey, load_key


@pytest.fixture
def key_file(tmp_path, monkeypatch):
    path = tmp_path / "pc" / "audit.key"
    path.parent.mkdir()
    path.write_bytes(secrets.token_bytes(32))
    monkeypatch.setenv("OFFICECONSOLE_AUDIT_KEY_FILE", str(path))
    return path


def test_wrapped_under_the_passphrase_and_the_code(key_file, tmp_path):
    key = load_key(key_file)
    code = travel.new_recovery_code()
    assert travel.recovery_wrap_path(key_file).stat().st_mode & 0o077 == 0
    backup = tmp_path / "officeconsole-20261204-230000.db.enc"
    backup.write_bytes(b"...")
    carried = travel.carry(backup, "birch lane backups")
    assert carried.by == (travel.BY_PASSPHRASE, travel.BY_RECOVERY_CODE)
    assert key.secret not in travel.sidecar(backup).read_bytes()
    assert travel.unwrap(backup, key.id, passphrase="birch lane backups") == key.secret
    assert travel.unwrap(backup, key.id, code=code) == key.secret
    with pytest.raises(travel.AuditKeyTravelError, match="Neither the passphrase nor the recovery code"):
        travel.unwrap(backup, key.id, passphrase="another passphrase")
    with pytest.raises(travel.AuditKeyTravelError, match="carries key"):
        travel.unwrap(backup, "0" * 16, passphrase="birch lane backups")
    record = json.loads(travel.sidecar(backup).read_text())
    record["wraps"][0]["wrapped"] = record["wraps"][1]["wrapped"]  # tampered: authenticated, so refused
    travel.sidecar(backup).write_text(json.dumps(record))
    with pytest.raises(travel.AuditKeyTravelError):
        travel.unwrap(backup, key.id, passphrase="birch lane backups")


def test_installing_sets_another_key_aside(key_file, tmp_path):
    other = secrets.token_bytes(32)
    other_id = AuditKey(key_file, other).id
    installed = travel.install(other, other_id)
    assert installed == key_file and load_key(key_file).secret == other
    assert len(list(key_file.parent.glob("audit.key.replaced-*"))) == 1
    assert travel.install(other, other_id) == key_file  # already there: nothing moves
    assert len(list(key_file.parent.glob("audit.key.replaced-*"))) == 1


def test_nothing_to_carry_is_said(key_file, tmp_path):
    carried = travel.carry(tmp_path / "officeconsole-20261204-230000.db", None)
    assert carried.path is None and "does not carry the audit key" in carried.problem
