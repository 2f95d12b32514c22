"""The key store with real crypto: sealing, the master key, its file, and what errors reveal."""

from __future__ import annotations

import base64
import multiprocessing
import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from passport_vc.keys import SigningKey
from passport_vc.keystore import (
    SEALED_VERSION,
    MasterKey,
    MasterKeyError,
    load_master_key,
    open_private_key,
    seal_private_key,
)

POSIX = os.name == "posix"


def url_secret() -> bytes:
    """32 random bytes whose base64url text ends in "-_8": it differs from standard base64."""
    return os.urandom(30) + b"\xfb\xff"
REF = "did:web:passport.example:makerspaces:fablab#key-1"


def secret_forms(secret: bytes) -> list[str]:
    """Every text form in which a leaked secret could show up."""
    b64url = base64.urlsafe_b64encode(secret).decode()
    b64 = base64.b64encode(secret).decode()
    return [b64url, b64url.rstrip("="), b64, secret.hex(), secret.hex().upper(), repr(secret)]


def assert_hidden(text: str, secret: bytes) -> None:
    for form in secret_forms(secret):
        assert form not in text


def assert_error_hides(exc: BaseException, secret: bytes) -> None:
    """Neither the error nor anything chained to it mentions the secret."""
    seen: BaseException | None = exc
    while seen is not None:
        assert_hidden(str(seen), secret)
        assert_hidden(repr(seen), secret)
        assert_hidden(repr(seen.args), secret)
        seen = seen.__cause__ or seen.__context__


# --- sealing -------------------------------------------------------------------------------


def test_round_trip() -> None:
    master = MasterKey.generate()
    key = SigningKey.generate()
    sealed = seal_private_key(master, key, REF)
    assert sealed[0] == SEALED_VERSION
    assert len(sealed) == 1 + 24 + 32 + 16
    assert key.seed() not in sealed
    opened = open_private_key(master, sealed, REF)
    assert opened.seed() == key.seed()
    assert opened.public_key == key.public_key
    assert key.public_key.verify(b"badge", opened.sign(b"badge"))


def test_each_seal_uses_a_fresh_nonce() -> None:
    master = MasterKey.generate()
    key = SigningKey.generate()
    assert seal_private_key(master, key, REF) != seal_private_key(master, key, REF)


def test_sealed_key_from_database_buffer_types_opens() -> None:
    master = MasterKey.generate()
    key = SigningKey.generate()
    sealed = seal_private_key(master, key, REF)
    assert open_private_key(master, memoryview(sealed), REF).seed() == key.seed()  # type: ignore[arg-type]


def test_wrong_master_key_fails() -> None:
    master, other = MasterKey.generate(), MasterKey.generate()
    key = SigningKey.generate()
    sealed = seal_private_key(master, key, REF)
    with pytest.raises(MasterKeyError) as info:
        open_private_key(other, sealed, REF)
    assert REF in info.value.detail
    assert other.key_id in info.value.detail
    assert "wrong master key" in info.value.detail
    assert info.value.title == "Key store error"
    assert info.value.__cause__ is None and info.value.__context__ is None
    for secret in (master.secret(), other.secret(), key.seed()):
        assert_error_hides(info.value, secret)


@pytest.mark.parametrize("position", [0, 1, 12, 24, 25, 40, 56, 57, 72])
def test_tampered_byte_fails(position: int) -> None:
    master = MasterKey.generate()
    key = SigningKey.generate()
    sealed = bytearray(seal_private_key(master, key, REF))
    sealed[position] ^= 0x01
    with pytest.raises(MasterKeyError) as info:
        open_private_key(master, bytes(sealed), REF)
    if position == 0:
        assert "version" in info.value.detail
    else:
        assert "tampered" in info.value.detail
    assert_error_hides(info.value, master.secret())
    assert_error_hides(info.value, key.seed())


def test_blob_under_another_key_ref_fails() -> None:
    master = MasterKey.generate()
    key = SigningKey.generate()
    sealed = seal_private_key(master, key, REF)
    other_ref = "did:web:passport.example:makerspaces:hackerspace#key-1"
    with pytest.raises(MasterKeyError) as info:
        open_private_key(master, sealed, other_ref)
    assert other_ref in info.value.detail
    assert_error_hides(info.value, key.seed())


@pytest.mark.parametrize(
    ("blob", "words"),
    [
        (b"", "empty"),
        (bytes([2]) + bytes(72), "version 2"),
        (bytes([SEALED_VERSION]) + bytes(40), "41 bytes"),
        (bytes([SEALED_VERSION]) + bytes(80), "81 bytes"),
    ],
)
def test_malformed_blobs_say_what_is_wrong(blob: bytes, words: str) -> None:
    with pytest.raises(MasterKeyError, match=words):
        open_private_key(MasterKey.generate(), blob, REF)


def test_empty_key_ref_is_refused() -> None:
    with pytest.raises(MasterKeyError, match="key_ref"):
        seal_private_key(MasterKey.generate(), SigningKey.generate(), "")


# --- the master key ------------------------------------------------------------------------


def test_master_key_length() -> None:
    for bad in (b"", bytes(31), bytes(33)):
        with pytest.raises(MasterKeyError, match="32 bytes"):
            MasterKey(bad)


def test_key_id_is_a_short_fingerprint() -> None:
    secret = os.urandom(32)
    master = MasterKey(secret)
    assert len(master.key_id) == 16
    int(master.key_id, 16)
    assert master.key_id == MasterKey(secret).key_id
    assert master.key_id != MasterKey.generate().key_id
    assert master.key_id not in secret.hex()


def test_from_text_accepts_base64url_and_hex() -> None:
    secret = url_secret()
    padded = base64.urlsafe_b64encode(secret).decode()
    unpadded = padded.rstrip("=")
    master = MasterKey(secret)
    assert master.to_text() == unpadded
    for text in (unpadded, padded, secret.hex(), secret.hex().upper(), f"  {unpadded}\n"):
        assert MasterKey.from_text(text) == master
    assert MasterKey.from_text(master.to_text()).secret() == secret


@pytest.mark.parametrize(
    "make",
    [
        lambda s: "",
        lambda s: "not a key",
        lambda s: base64.b64encode(s).decode(),  # the standard alphabet, not base64url
        lambda s: base64.urlsafe_b64encode(s[:31]).decode(),  # 31 bytes
        lambda s: base64.urlsafe_b64encode(s + b"x").decode(),  # 33 bytes
        lambda s: s.hex()[:-1],  # 63 hex chars
        lambda s: s.hex() + "0",  # 65 hex chars
        lambda s: s.hex()[:-1] + "g",
        lambda s: base64.urlsafe_b64encode(s).decode().rstrip("=") + "==",
        lambda s: "z" + base64.urlsafe_b64encode(s).decode().rstrip("="),
    ],
)
def test_from_text_rejects_other_text_without_echoing_it(make: Callable[[bytes], str]) -> None:
    secret = url_secret()
    text = make(secret)
    with pytest.raises(MasterKeyError) as info:
        MasterKey.from_text(text)
    assert "PASSPORT_VC_MASTER_KEY" in info.value.detail
    assert info.value.__cause__ is None and info.value.__context__ is None
    if text.strip():
        assert text.strip() not in str(info.value)
        assert text.strip() not in repr(info.value)
    assert_error_hides(info.value, secret)


def test_repr_and_str_hide_the_secret() -> None:
    secret = os.urandom(32)
    master = MasterKey(secret)
    for text in (repr(master), str(master), f"{master}", f"{master!r}", repr([master])):
        assert_hidden(text, secret)
        assert master.key_id in text


# --- the key file --------------------------------------------------------------------------


def test_load_creates_a_0600_file_once_and_rereads_it(tmp_path: Path) -> None:
    key_file = tmp_path / "var" / "sub" / "master.key"
    first = load_master_key(None, key_file)
    assert key_file.is_file()
    if POSIX:
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert MasterKey.from_text(key_file.read_text()) == first
    before = key_file.read_bytes()
    second = load_master_key(None, key_file)
    assert second == first and second.key_id == first.key_id
    assert key_file.read_bytes() == before
    assert [p.name for p in key_file.parent.iterdir()] == ["master.key"]  # no temp files left


def test_env_wins_over_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    from_file = load_master_key(None, key_file)
    from_env = MasterKey.generate()
    assert load_master_key(from_env.to_text(), key_file) == from_env
    assert load_master_key(from_env.secret().hex(), key_file) == from_env
    assert load_master_key(None, key_file) == from_file


def test_env_does_not_create_a_file(tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    load_master_key(MasterKey.generate().to_text(), key_file)
    assert not key_file.exists()


def test_empty_env_is_refused(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError, match="empty"):
        load_master_key("  ", tmp_path / "master.key")
    assert not (tmp_path / "master.key").exists()


def test_bad_env_names_the_variable_without_echoing(tmp_path: Path) -> None:
    with pytest.raises(MasterKeyError) as info:
        load_master_key("hunter2-hunter2", tmp_path / "master.key")
    assert "PASSPORT_VC_MASTER_KEY" in info.value.detail
    assert "hunter2" not in str(info.value)


@pytest.mark.skipif(not POSIX, reason="file modes are POSIX")
@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o620])
def test_a_key_file_open_to_group_or_others_is_refused(tmp_path: Path, mode: int) -> None:
    key_file = tmp_path / "master.key"
    master = load_master_key(None, key_file)
    key_file.chmod(mode)
    with pytest.raises(MasterKeyError) as info:
        load_master_key(None, key_file)
    assert f"chmod 600 {key_file}" in info.value.detail
    assert_error_hides(info.value, master.secret())
    key_file.chmod(0o600)
    assert load_master_key(None, key_file) == master


def test_a_malformed_key_file_is_refused_without_echoing(tmp_path: Path) -> None:
    key_file = tmp_path / "master.key"
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    os.write(fd, b"\xffsecret-ish bytes\n")
    os.close(fd)
    with pytest.raises(MasterKeyError) as info:
        load_master_key(None, key_file)
    assert str(key_file) in info.value.detail
    assert "secret-ish" not in str(info.value)
    assert info.value.__context__ is None


def _race(key_file: str, barrier: object, results: object) -> None:
    barrier.wait()  # type: ignore[attr-defined]
    try:
        results.put(load_master_key(None, Path(key_file)).key_id)  # type: ignore[attr-defined]
    except Exception as exc:
        results.put(f"error: {exc!r}")  # type: ignore[attr-defined]


@pytest.mark.parametrize("round_", range(3))
def test_processes_racing_to_create_the_key_file_share_one_key(
    tmp_path: Path, round_: int
) -> None:
    key_file = tmp_path / "data" / "master.key"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(4)
    results = ctx.Queue()
    procs = [ctx.Process(target=_race, args=(str(key_file), barrier, results)) for _ in range(4)]
    for proc in procs:
        proc.start()
    ids = [results.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(timeout=60)
        assert proc.exitcode == 0
    assert not any(i.startswith("error") for i in ids), ids
    assert len(set(ids)) == 1
    assert load_master_key(None, key_file).key_id == ids[0]
    assert [p.name for p in key_file.parent.iterdir()] == ["master.key"]
