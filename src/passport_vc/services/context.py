"""Everything a use case needs, built once per process from the settings."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from passport_vc.keys import SigningKey
from passport_vc.keystore import MasterKey, load_master_key, open_private_key
from passport_vc.settings import Settings
from passport_vc.store import Database
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


@dataclass
class ServiceContext:
    settings: Settings
    db: Database
    master_key: MasterKey
    taxonomy: Taxonomy
    keys: _KeyCache = field(default_factory=_KeyCache)

    @property
    def public_url(self) -> str:
        return self.settings.public_url

    def close(self) -> None:
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
