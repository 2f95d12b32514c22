"""The key store: makerspaces' Ed25519 private keys, sealed at rest under one master key.

See keys/README.md for the operator's view (where keys live, backups, rotation).
"""

from passport_vc.keystore.master_key import MasterKey, MasterKeyError, load_master_key
from passport_vc.keystore.sealing import SEALED_VERSION, open_private_key, seal_private_key

__all__ = [
    "SEALED_VERSION",
    "MasterKey",
    "MasterKeyError",
    "load_master_key",
    "open_private_key",
    "seal_private_key",
]
