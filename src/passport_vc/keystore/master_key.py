"""The master key that seals every makerspace's private key.

The master key is 32 random bytes. It comes from `PASSPORT_VC_MASTER_KEY` when that is set,
else from a key file that is created (mode 0600) on first start. Its text form is base64url
without padding; 64 hex characters are accepted too. Nothing here ever prints, logs or puts
the secret into an exception: errors name where the key came from, never its value.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import stat
import time
from pathlib import Path

from passport_vc.errors import PassportVcError

ENV_VAR = "PASSPORT_VC_MASTER_KEY"
MASTER_KEY_BYTES = 32
_KEY_ID_DOMAIN = b"passport-vc master key id"

_HEX = re.compile(r"[0-9A-Fa-f]{64}")
# 32 bytes are 43 base64url characters, plus one "=" of padding when padded.
_B64URL = re.compile(r"[A-Za-z0-9_-]{43}=?")

_FORMAT_HINT = "32 bytes as base64url (43 characters, padding optional) or 64 hex characters"


class MasterKeyError(PassportVcError):
    """The master key or a sealed key is missing, malformed, unreadable or does not fit."""

    title = "Key store error"


class MasterKey:
    """32 random bytes that seal every private key; never printed (repr hides it)."""

    __slots__ = ("_secret",)

    def __init__(self, secret: bytes) -> None:
        if not isinstance(secret, bytes | bytearray) or len(secret) != MASTER_KEY_BYTES:
            raise MasterKeyError(f"a master key is exactly {MASTER_KEY_BYTES} bytes")
        self._secret = bytes(secret)

    @property
    def key_id(self) -> str:
        """A short public fingerprint of the key (16 hex characters); reveals nothing of it."""
        digest = hashlib.blake2b(_KEY_ID_DOMAIN + self._secret, digest_size=32)
        return digest.hexdigest()[:16]

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        """Parse base64url (padding optional) or 64 hex characters; surrounding blanks ignored."""
        secret = _parse(text)
        if secret is None:
            raise MasterKeyError(f"{ENV_VAR} must be {_FORMAT_HINT}")
        return cls(secret)

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(secrets.token_bytes(MASTER_KEY_BYTES))

    def to_text(self) -> str:
        """The key as base64url without padding: only for writing the key file or the env."""
        return base64.urlsafe_b64encode(self._secret).rstrip(b"=").decode("ascii")

    def secret(self) -> bytes:
        """The 32 raw bytes: only for sealing and opening private keys."""
        return self._secret

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MasterKey):
            return NotImplemented
        return hmac.compare_digest(self._secret, other._secret)

    def __hash__(self) -> int:
        return hash(self.key_id)

    def __repr__(self) -> str:
        return f"MasterKey(key_id={self.key_id})"

    __str__ = __repr__


def _parse(text: object) -> bytes | None:
    """The 32 bytes `text` encodes, or None. Validates before decoding, so that no decoder
    exception (which could quote the input) is ever raised."""
    if not isinstance(text, str):
        return None
    text = text.strip()
    if _HEX.fullmatch(text):
        return bytes.fromhex(text)
    if _B64URL.fullmatch(text):
        raw = base64.urlsafe_b64decode(text.rstrip("=") + "=")
        return raw if len(raw) == MASTER_KEY_BYTES else None
    return None


def load_master_key(env_value: str | None, key_file: Path) -> MasterKey:
    """The master key: `env_value` (PASSPORT_VC_MASTER_KEY) wins; else `key_file` is read;
    else `key_file` is created with a new key (mode 0600, atomically: when several processes
    start at once they all end with the one key that reached the disk first).

    On POSIX a key file that group or others may access is refused.
    """
    if env_value is not None:
        if not env_value.strip():
            raise MasterKeyError(
                f"{ENV_VAR} is set but empty: set it to a master key, or unset it to use "
                "the key file"
            )
        return MasterKey.from_text(env_value)
    key_file = Path(key_file)
    # A file created by another process without hard-link support may be seen empty for a
    # moment; a few short retries cover that window.
    for _ in range(50):
        text = _read_key_file(key_file)
        if text is None:
            created = _create_key_file(key_file)
            if created is not None:
                return created
            continue  # another process created it first: read theirs
        if text.strip():
            return _key_from_file(text, key_file)
        time.sleep(0.02)
    raise MasterKeyError(f"the master key file {key_file} is empty")


def _key_from_file(text: str, key_file: Path) -> MasterKey:
    secret = _parse(text)
    if secret is None:
        raise MasterKeyError(f"the master key file {key_file} does not hold {_FORMAT_HINT}")
    return MasterKey(secret)


def _read_key_file(key_file: Path) -> str | None:
    """The key file's text, or None when it does not exist."""
    try:
        fd = os.open(key_file, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise MasterKeyError(
            f"cannot read the master key file {key_file}: {exc.strerror}"
        ) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MasterKeyError(f"the master key file {key_file} is not a regular file")
        if os.name == "posix" and info.st_mode & 0o077:
            mode = stat.S_IMODE(info.st_mode)
            raise MasterKeyError(
                f"the master key file {key_file} is accessible by group or others "
                f"(mode {mode:04o}): run `chmod 600 {key_file}`"
            )
        data = _read_all(fd, key_file)
    finally:
        os.close(fd)
    if not data.isascii():
        raise MasterKeyError(f"the master key file {key_file} does not hold {_FORMAT_HINT}")
    return data.decode("ascii")


def _read_all(fd: int, key_file: Path) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError as exc:
            raise MasterKeyError(
                f"cannot read the master key file {key_file}: {exc.strerror}"
            ) from None
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > 4096:
            raise MasterKeyError(f"the master key file {key_file} is far too long for a key")
        chunks.append(chunk)


def _create_key_file(key_file: Path) -> MasterKey | None:
    """Create `key_file` with a new key; None when another process created it meanwhile."""
    try:
        key_file.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise MasterKeyError(
            f"cannot create the directory of the master key file {key_file}: {exc.strerror}"
        ) from None
    key = MasterKey.generate()
    content = (key.to_text() + "\n").encode("ascii")
    tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}.{secrets.token_hex(8)}.tmp")
    try:
        _write_new(tmp, content)
        try:
            os.link(tmp, key_file)
        except FileExistsError:
            return None
        except OSError:
            # No hard links on this file system: create the key file itself exclusively.
            try:
                _write_new(key_file, content)
            except FileExistsError:
                return None
    except OSError as exc:
        raise MasterKeyError(
            f"cannot create the master key file {key_file}: {exc.strerror}"
        ) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
    _fsync_dir(key_file.parent)
    return key


def _write_new(path: Path, content: bytes) -> None:
    """Write `content` to a new file that is mode 0600 from its creation on."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags, 0o600)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, 0o600)  # whatever the umask
        view = memoryview(content)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(directory: Path) -> None:
    if os.name != "posix":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
