"""Configuration from the environment (PASSPORT_VC_*), shared by the CLI and the server."""

from __future__ import annotations

import hmac
import os
import secrets
from functools import cached_property
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from passport_vc.errors import PassportVcError


class SettingsError(PassportVcError):
    title = "Configuration error"


class Rate(BaseModel):
    """A token bucket: `per_minute` tokens a minute, at most `burst` saved up."""

    per_minute: float = Field(gt=0)
    burst: int = Field(ge=1)


class RateLimits(BaseModel):
    """Requests per minute, per worker process (with N workers a client may get up to N times
    as many). Set as JSON, e.g. PASSPORT_VC_RATE_LIMITS='{"challenge_per_address":
    {"per_minute": 60, "burst": 10}}'; the fields not given keep their defaults."""

    issue_per_key: Rate = Rate(per_minute=6_000, burst=600)
    issue_per_address: Rate = Rate(per_minute=12_000, burst=1_200)
    verify_per_address: Rate = Rate(per_minute=6_000, burst=600)
    challenge_per_address: Rate = Rate(per_minute=1_200, burst=200)
    # Failed API keys, admin tokens, console sign-ins and share tokens; once spent, every
    # request from the address that carries a credential is refused until a token returns.
    auth_failures_per_address: Rate = Rate(per_minute=30, burst=30)


class Settings(BaseSettings):
    """Every knob of the service; safe defaults that run on one machine."""

    model_config = SettingsConfigDict(env_prefix="PASSPORT_VC_", extra="ignore")

    data_dir: Path = Path("./var")
    database_url: str | None = None
    public_url: str = "http://127.0.0.1:8000"
    admin_token: SecretStr | None = None
    master_key: SecretStr | None = None
    did_method: Literal["web", "key"] = "web"
    # Bits per status list (BSL §2.2 requires at least 131,072) and how many of them are handed
    # out before a fresh list starts (the rest stay decoys; tests use a small capacity).
    status_list_length: int = Field(default=131_072, ge=131_072)
    status_list_capacity: int | None = Field(default=None, ge=1)
    status_list_ttl_seconds: int = Field(default=60, ge=1)
    challenge_ttl_seconds: int = Field(default=600, ge=10)
    # How old the last good copy of a remote status list may be and still stand in for it
    # while its host is unreachable; older copies fail closed.
    status_list_max_age_seconds: int = Field(default=86_400, ge=0)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_batch_body_bytes: int = Field(default=33_554_432, ge=1024)
    max_batch_rows: int = Field(default=10_000, ge=1)
    # Hosts whose did:web documents and status lists may be fetched over HTTPS (empty: any
    # public host). Makerspaces hosted here are always resolved locally, without HTTP.
    did_web_allowlist: list[str] = Field(default_factory=list)
    # Database connections per worker; request threads are capped at the same number, so
    # a burst queues for a thread instead of opening and closing extra connections.
    database_pool_size: int = Field(default=16, ge=1)
    # A qualification check record is a decision at one moment: it expires after this many days
    # (sooner if a badge it relied on expires first), so a later verifier asks for a new check.
    qualification_record_days: int = Field(default=30, ge=1, le=3650)
    rate_limits_enabled: bool = True
    rate_limits: RateLimits = Field(default_factory=RateLimits)

    @field_validator("public_url")
    @classmethod
    def _check_public_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                "PASSPORT_VC_PUBLIC_URL must be an http(s) URL such as https://hub.example"
            )
        if parts.query or parts.fragment:
            raise ValueError("PASSPORT_VC_PUBLIC_URL must not have a query or fragment")
        return value.rstrip("/")

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'passport-vc.sqlite3').resolve()}"

    @property
    def master_key_file(self) -> Path:
        return self.data_dir / "master.key"

    @property
    def admin_token_file(self) -> Path:
        return self.data_dir / "admin.token"

    @property
    def effective_status_list_capacity(self) -> int:
        capacity = self.status_list_capacity or self.status_list_length
        return min(capacity, self.status_list_length)

    @cached_property
    def resolved_admin_token(self) -> str:
        """PASSPORT_VC_ADMIN_TOKEN, else the token in the data dir (created on first use)."""
        if self.admin_token is not None:
            token = self.admin_token.get_secret_value()
            if len(token) < 16:
                raise SettingsError("PASSPORT_VC_ADMIN_TOKEN must be at least 16 characters")
            return token
        return _read_or_create_secret(self.admin_token_file)

    def is_admin_token(self, candidate: str) -> bool:
        return hmac.compare_digest(candidate.encode(), self.resolved_admin_token.encode())


def _read_or_create_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    token = "pvca_" + secrets.token_urlsafe(32)
    with os.fdopen(fd, "w") as handle:
        handle.write(token + "\n")
    return token


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (tests, CLI flags)."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise SettingsError(str(exc).splitlines()[0] + ": " + str(exc).splitlines()[-1]) from None
