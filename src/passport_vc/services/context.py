"""Everything a use case needs, built once per process from the settings."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from passport_vc.keys import SigningKey
from passport_vc.keystore import MasterKey, load_master_key, open_private_key
from passport_vc.settings import Settings
from passport_vc.store import Database
from passport_vc.store.group_commit import GroupCommitWriter
from passport_vc.store.status_claims import taken_status_indices
from passport_vc.taxonomy import Taxonomy, load_taxonomy


class _KeyCache:
    """Opened signing keys by verification method id. Safe across workers: a key's bytes never
    change under its id; which key is *active* is always read from the database."""

    def __init__(self, size: int = 1024) -> None:
        self._keys: OrderedDict[str, SigningKey] = OrderedDict()
        self._lock = threading.Lock()
        self._size = size

    def get(self, master: MasterKey, verification_method: str, sealed: bytes) -> SigningKey:
        with self._lock:
            key = self._keys.get(verification_method)
            if key is not None:
                self._keys.move_to_end(verification_method)
                return key
        key = open_private_key(master, sealed, verification_method)
        with self._lock:
            self._keys[verification_method] = key
            while len(self._keys) > self._size:
                self._keys.popitem(last=False)
        return key


class TtlCache:
    """A small per-process cache whose entries expire after `ttl` seconds.

    Only for values that may be a little stale without harm (see issuance's issuing state);
    anything that must agree across workers is read from the database.
    """

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._items: dict[object, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self._lock:
            found = self._items.get(key)
        if found is None or time.monotonic() - found[0] > self.ttl:
            return None
        return found[1]

    def put(self, key: object, value: object) -> None:
        with self._lock:
            if len(self._items) > 4096:
                self._items.clear()
            self._items[key] = (time.monotonic(), value)

    def drop(self, key: object) -> None:
        with self._lock:
            self._items.pop(key, None)


# How long a worker may go on signing with the key and status lists it read last. A rotation
# reaches every worker within this time; retire-key waits twice as long after a rotation.
ISSUING_STATE_TTL = 1.0


@dataclass
class ServiceContext:
    settings: Settings
    db: Database
    master_key: MasterKey
    taxonomy: Taxonomy
    keys: _KeyCache = field(default_factory=_KeyCache)
    issuing_state: TtlCache = field(default_factory=lambda: TtlCache(ISSUING_STATE_TTL))
    # Signed status lists by (list id, version, key): identical in every worker for a version.
    rendered_lists: TtlCache = field(default_factory=lambda: TtlCache(3600.0))
    # API key -> makerspace. Keys are 256-bit random and never reassigned; a makerspace's
    # profile seen by a worker may lag its registration data by this TTL.
    callers: TtlCache = field(default_factory=lambda: TtlCache(5.0))
    writer: GroupCommitWriter = field(init=False)

    def __post_init__(self) -> None:
        self.writer = GroupCommitWriter(self.db, probe=taken_status_indices)

    @property
    def public_url(self) -> str:
        return self.settings.public_url

    def close(self) -> None:
        self.writer.close()
        self.db.dispose()


def open_service(settings: Settings, *, migrate: bool = True) -> ServiceContext:
    """Connect to the database (migrating it to the latest schema) and load the master key."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.effective_database_url, pool_size=settings.database_pool_size)
    if migrate:
        db.migrate()
    secret = settings.master_key.get_secret_value() if settings.master_key is not None else None
    master = load_master_key(secret, settings.master_key_file)
    return ServiceContext(settings=settings, db=db, master_key=master, taxonomy=load_taxonomy())
