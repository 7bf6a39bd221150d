"""Backup files on disk: their names, which ones a rotation keeps, and passphrase encryption.

Encryption streams (a database can be gigabytes): AES-256-CTR with a key from scrypt over the
passphrase and a random salt, then HMAC-SHA-256 over the header and the ciphertext
(encrypt-then-MAC, separate keys). Decrypting checks the MAC over the whole file before
writing a byte, so a wrong passphrase or a damaged file is refused, never half-restored.
"""

from __future__ import annotations

import datetime as dt
import hmac
import os
import re
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

MAGIC = b"OCBACKUP1"
CHUNK = 1 << 20
NAME = re.compile(r"^officeconsole-(\d{8})-(\d{6})\.(db|dump)(\.enc)?$")


class BackupFileError(ValueError):
    pass


def backup_name(at: dt.datetime, kind: str, encrypted: bool) -> str:
    """'officeconsole-20261123-184500.db' (SQLite) or '.dump' (pg_dump), '.enc' when encrypted."""
    return f"officeconsole-{at:%Y%m%d-%H%M%S}.{kind}" + (".enc" if encrypted else "")


def taken_at(path: Path) -> dt.datetime | None:
    match = NAME.match(path.name)
    return dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S") if match else None


@dataclass(frozen=True)
class Rotation:
    daily: int = 14
    weekly: int = 8
    monthly: int = 12


def to_keep(paths: list[Path], rotation: Rotation) -> set[Path]:
    """The newest backup of each of the last `daily` days, `weekly` ISO weeks and `monthly` months."""
    dated = sorted(((taken_at(p), p) for p in paths if taken_at(p) is not None), reverse=True)
    keep: set[Path] = set()
    for count, period in ((rotation.daily, lambda t: t.date()),
                          (rotation.weekly, lambda t: t.isocalendar()[:2]),
                          (rotation.monthly, lambda t: (t.year, t.month))):
        seen: list[object] = []
        for at, path in dated:
            key = period(at)
            if key not in seen:
                if len(seen) == count:
                    break
                seen.append(key)
                keep.add(path)
    return keep


def _keys(passphrase: str, salt: bytes) -> tuple[bytes, bytes]:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    material = Scrypt(salt=salt, length=64, n=2**15, r=8, p=1).derive(passphrase.encode())
    return material[:32], material[32:]


def encrypt_file(source: Path, target: Path, passphrase: str) -> None:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    salt, nonce = os.urandom(16), os.urandom(16)
    cipher_key, mac_key = _keys(passphrase, salt)
    header = MAGIC + salt + nonce
    mac = hmac.new(mac_key, header, sha256)
    encryptor = Cipher(algorithms.AES(cipher_key), modes.CTR(nonce)).encryptor()
    with source.open("rb") as src, target.open("wb") as out:
        out.write(header)
        while chunk := src.read(CHUNK):
            data = encryptor.update(chunk)
            mac.update(data)
            out.write(data)
        out.write(encryptor.finalize())
        out.write(mac.digest())
        out.flush()
        os.fsync(out.fileno())


def decrypt_file(source: Path, target: Path, passphrase: str) -> None:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    size = source.stat().st_size
    header_size = len(MAGIC) + 32
    with source.open("rb") as src:
        header = src.read(header_size)
        if not header.startswith(MAGIC) or size < header_size + 32:
            raise BackupFileError(f"{source.name} is not an encrypted Office Console backup.")
        salt, nonce = header[len(MAGIC):len(MAGIC) + 16], header[len(MAGIC) + 16:]
        cipher_key, mac_key = _keys(passphrase, salt)
        mac = hmac.new(mac_key, header, sha256)
        body = size - header_size - 32
        left = body
        while left:
            chunk = src.read(min(CHUNK, left))
            mac.update(chunk)
            left -= len(chunk)
        if not hmac.compare_digest(mac.digest(), src.read(32)):
            raise BackupFileError("Wrong passphrase, or the backup file is damaged: nothing was restored.")
        src.seek(header_size)
        decryptor = Cipher(algorithms.AES(cipher_key), modes.CTR(nonce)).decryptor()
        left = body
        with target.open("wb") as out:
            while left:
                chunk = src.read(min(CHUNK, left))
                left -= len(chunk)
                out.write(decryptor.update(chunk))
            out.write(decryptor.finalize())


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(MAGIC)) == MAGIC
