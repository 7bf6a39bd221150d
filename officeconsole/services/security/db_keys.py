"""The key of an encrypted database: its key file, passphrases, the recovery code, the OS keyring.

The database is encrypted (SQLCipher) under a random 32-byte key. The key file beside it
(`officeconsole.db.keys`, JSON, never inside the database) holds that key wrapped once per
named passphrase ("clinic", and any a manager adds: one per manager, one for the scheduled
close-out): AES-256-GCM under a key derived from the passphrase with Argon2id and the slot's
own salt. The recovery code printed by `db encrypt` and `db rekey` is the key itself (with a
checksum), to keep on paper away from the PC: it opens the database even without the key file.

At start the key comes from the OS keyring (only when the clinic stored it there), else
$OFFICECONSOLE_DB_PASSPHRASE (the scheduled close-out), else a prompt. A passphrase prompt
also takes the recovery code.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from officeconsole.db import cipher
from officeconsole.services.common.errors import DatabaseLocked, OfficeError, WrongDatabaseKey

ENV_DB_PASSPHRASE = "OFFICECONSOLE_DB_PASSPHRASE"
KEYS_SUFFIX = ".keys"
FORMAT = "officeconsole-keys/1"
KEYRING_SERVICE = "officeconsole-database"
MIN_PASSPHRASE = 12
WRONG_PASSPHRASE = "The database is encrypted and that passphrase does not open it."


@dataclass(frozen=True)
class KdfParams:
    time_cost: int
    memory_cost: int  # KiB
    parallelism: int


KDF = KdfParams(time_cost=3, memory_cost=64 * 1024, parallelism=4)  # argon2-cffi's RFC 9106 low-memory profile


def use_fast_kdf() -> None:
    """Cheap Argon2id for tests; never for a real clinic (each slot records its own parameters)."""
    global KDF
    KDF = KdfParams(time_cost=1, memory_cost=8, parallelism=1)


class KeyringUnavailable(OfficeError):
    """No usable OS keyring for this user."""


# ----- the key file ---------------------------------------------------------------------------
def keys_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + KEYS_SUFFIX)


def key_id(key: bytes) -> str:
    """A short public name for a key, so a slot says which key it wraps (not a secret)."""
    return hashlib.sha256(b"officeconsole key id\x00" + key).hexdigest()[:16]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class Slot:
    name: str
    kid: str
    salt: str
    nonce: str
    wrapped: str
    kdf: KdfParams
    added: str

    def _kek(self, passphrase: str) -> bytes:
        from argon2.low_level import Type, hash_secret_raw

        return hash_secret_raw(passphrase.encode(), base64.b64decode(self.salt), time_cost=self.kdf.time_cost,
                               memory_cost=self.kdf.memory_cost, parallelism=self.kdf.parallelism,
                               hash_len=32, type=Type.ID)

    def unwrap(self, passphrase: str) -> bytes | None:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            return AESGCM(self._kek(passphrase)).decrypt(base64.b64decode(self.nonce), base64.b64decode(self.wrapped),
                                                         _aad(self.name, self.kid))
        except InvalidTag:
            return None

    @classmethod
    def wrap(cls, name: str, key: bytes, passphrase: str) -> Slot:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        salt, nonce = os.urandom(16), os.urandom(12)
        slot = cls(name, key_id(key), _b64(salt), _b64(nonce), "", KDF,
                   dt.datetime.now(dt.UTC).isoformat(timespec="seconds"))
        slot.wrapped = _b64(AESGCM(slot._kek(passphrase)).encrypt(nonce, key, _aad(name, slot.kid)))
        return slot


def _aad(name: str, kid: str) -> bytes:
    return f"officeconsole database key|{name}|{kid}".encode()


@dataclass
class KeyFile:
    """What `<database>.keys` holds: which key is current, its wrapped copies, keyring use."""

    path: Path
    kid: str
    slots: list[Slot] = field(default_factory=list)
    keyring: bool = False
    problem: str = ""  # why the file could not be read: then only the recovery code opens the database

    @classmethod
    def load(cls, path: Path) -> KeyFile:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise ValueError(data.get("format"))
            slots = [Slot(s["name"], s["kid"], s["salt"], s["nonce"], s["wrapped"], KdfParams(**s["kdf"]), s["added"])
                     for s in data["slots"]]
            return cls(path, data["kid"], slots, bool(data.get("keyring")))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            return cls(path, "", problem=f"The key file {path} cannot be read ({type(exc).__name__}): "
                                         "type the recovery code, then `officeconsole db recover`.")

    def save(self, mode: int = 0o600) -> None:
        """Atomically: a crash leaves the old file or the new one, never half of one."""
        data = {"format": FORMAT, "cipher": "sqlcipher4", "kid": self.kid, "keyring": self.keyring,
                "slots": [{"name": s.name, "kid": s.kid, "salt": s.salt, "nonce": s.nonce, "wrapped": s.wrapped,
                           "kdf": {"time_cost": s.kdf.time_cost, "memory_cost": s.kdf.memory_cost,
                                   "parallelism": s.kdf.parallelism},
                           "added": s.added} for s in self.slots]}
        staged = self.path.with_name(f".{self.path.name}.new")
        staged.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
        os.chmod(staged, mode)
        cipher.fsync(staged)
        os.replace(staged, self.path)
        cipher.fsync(self.path)

    def names(self) -> list[str]:
        return [s.name for s in self.slots if s.kid == self.kid]

    def set_slot(self, name: str, key: bytes, passphrase: str) -> None:
        self.slots = [s for s in self.slots if s.name != name or s.kid != key_id(key)]
        self.slots.append(Slot.wrap(name, key, passphrase))

    def candidates(self, passphrase: str) -> list[bytes]:
        """Every key this passphrase unwraps, the current key's slots first."""
        found: list[bytes] = []
        for slot in sorted(self.slots, key=lambda s: s.kid != self.kid):
            key = slot.unwrap(passphrase)
            if key is not None and key not in found:
                found.append(key)
        return found


def encrypted_keys(db_path: Path) -> KeyFile | None:
    """The key file of an encrypted database; None for a plain one (or one that does not exist).

    A key file beside a plain database is what an interrupted `db encrypt` leaves: the
    database is still plain, and encrypting again replaces the key file.
    """
    path = keys_path(db_path)
    if not path.exists() or not db_path.exists() or cipher.looks_plain(db_path):
        return None
    return KeyFile.load(path)


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL or an in-memory database."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


# ----- passphrases and the recovery code --------------------------------------------------------
def check_new_passphrase(passphrase: str) -> str:
    if len(passphrase) < MIN_PASSPHRASE:
        raise OfficeError(f"A database passphrase has at least {MIN_PASSPHRASE} characters "
                          "(a few unrelated words are easy to type and hard to guess).")
    if parse_recovery_code(passphrase) is not None:
        raise OfficeError("That is a recovery code, not a passphrase: choose words of your own.")
    return passphrase


def recovery_code(key: bytes) -> str:
    """The key and a 3-byte checksum in base32: 14 groups of 4 letters and digits."""
    text = base64.b32encode(key + hashlib.sha256(key).digest()[:3]).decode()
    return "-".join(text[i:i + 4] for i in range(0, len(text), 4))


def parse_recovery_code(text: str) -> bytes | None:
    """The key in a recovery code (spaces, dashes and case ignored); None when `text` is not one.

    WrongDatabaseKey when it has the shape of a code but the checksum fails (a typo).
    """
    compact = "".join(text.split()).replace("-", "").upper().translate(str.maketrans("018", "OIB"))
    if len(compact) != 56 or any(c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for c in compact):
        return None
    raw = base64.b32decode(compact)
    key, check = raw[:cipher.KEY_BYTES], raw[cipher.KEY_BYTES:]
    if hashlib.sha256(key).digest()[:3] != check:
        raise WrongDatabaseKey("That recovery code has a typo: compare each group with the paper copy.")
    return key


# ----- the OS keyring ---------------------------------------------------------------------------
def _keyring_account(db_path: Path) -> str:
    return str(db_path.resolve())


def _keyring_problem(exc: Exception) -> str:
    if isinstance(exc, ImportError):
        return 'The keyring package is not installed (pip install "officeconsole[encryption]")'
    from keyring.errors import KeyringLocked, NoKeyringError

    if isinstance(exc, NoKeyringError):
        return ("No OS keyring is available to this user (a computer without a desktop session, "
                "such as a Linux server, has none)")
    if isinstance(exc, KeyringLocked):
        return "The OS keyring is locked"
    return f"The OS keyring did not answer ({type(exc).__name__})"


def keyring_get(db_path: Path, keys: KeyFile) -> tuple[bytes | None, str]:
    """The key from the OS keyring, or None and the reason why not (for the prompt to show)."""
    try:
        import keyring

        stored = keyring.get_password(KEYRING_SERVICE, _keyring_account(db_path))
    except Exception as exc:  # noqa: BLE001 - every backend raises its own errors; none may stop the start
        return None, f"{_keyring_problem(exc)}: type the database passphrase."
    if stored is None:
        return None, "The database key is not in this user's OS keyring: type the database passphrase."
    try:
        key = bytes.fromhex(stored)
    except ValueError:
        key = b""
    if key_id(key) != keys.kid:
        return None, ("The key in the OS keyring is not the database's current key (was it rekeyed?): "
                      "type the database passphrase, then `officeconsole db keyring store`.")
    return key, ""


def keyring_set(db_path: Path, key: bytes) -> None:
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, _keyring_account(db_path), key.hex())
    except Exception as exc:  # noqa: BLE001
        raise KeyringUnavailable(f"{_keyring_problem(exc)}: the key was not stored. "
                                 f"Use ${ENV_DB_PASSPHRASE} or the passphrase prompt instead.") from None


def keyring_delete(db_path: Path) -> bool:
    """Remove the key from the keyring; False when it was not there or there is no keyring."""
    try:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(KEYRING_SERVICE, _keyring_account(db_path))
        except PasswordDeleteError:
            return False
        return True
    except Exception:  # noqa: BLE001 - no keyring: nothing of ours can be in it
        return False


# ----- unlocking --------------------------------------------------------------------------------
def key_for(db_path: Path, keys: KeyFile | None, secret: str, *, source: str = "that passphrase") -> bytes:
    """The key that `secret` (a passphrase or the recovery code) gives for this database."""
    key = parse_recovery_code(secret)
    if key is not None:
        if cipher.key_opens(db_path, key):
            return key
        raise WrongDatabaseKey("The database is encrypted and that recovery code does not open it "
                               "(is it an earlier key's code?).")
    if keys is not None:
        found = keys.candidates(secret)  # more than one only after a rekey was cut short
        for key in found:
            if cipher.key_opens(db_path, key):
                return key
        for key in found:
            if key_id(key) == keys.kid:
                return key  # the right passphrase over a damaged file: opening it will say what is wrong
    if source != "that passphrase":
        raise WrongDatabaseKey(f"The database is encrypted and {source} does not open it.")
    raise WrongDatabaseKey(WRONG_PASSPHRASE)


def unlock(url: str, *, passphrase: str | None = None, ask: Callable[[str], str] | None = None) -> bytes | None:
    """The key of the database at `url`: None when it is not encrypted.

    `passphrase` when given is the only thing tried. Otherwise: the OS keyring (when the
    clinic stored the key there), $OFFICECONSOLE_DB_PASSPHRASE, then `ask(note)` (the note
    says why the keyring did not help, or is empty). Without `ask`: DatabaseLocked.
    """
    db_path = sqlite_path(url)
    if db_path is None:
        return None
    keys = encrypted_keys(db_path)
    if keys is None:
        return None
    if passphrase is not None:
        return key_for(db_path, keys, passphrase)
    note = keys.problem
    if keys.keyring and not note:
        key, note = keyring_get(db_path, keys)
        if key is not None and cipher.key_opens(db_path, key):
            return key
    env = os.environ.get(ENV_DB_PASSPHRASE)
    if env:
        return key_for(db_path, keys, env, source=f"${ENV_DB_PASSPHRASE}")
    if ask is None:
        raise DatabaseLocked(note or "The database is encrypted: type its passphrase, or the recovery code.")
    return key_for(db_path, keys, ask(note))
