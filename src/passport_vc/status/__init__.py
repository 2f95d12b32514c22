"""Bitstring Status List v1.0 (W3C REC 2025-05-15): status lists, entries and checks.

- `BitstringStatusList`: the bits, with encode/decode of `encodedList`.
- `parse_status_entry` / `build_status_entry`: `credentialStatus` items.
- `build_status_list_credential`: the unsigned list credential to sign and publish.
- `check_status`: an entry's status from an already-verified list credential.
- `random_free_index`: random index assignment (BSL §2.1).
"""

from passport_vc.status.allocation import random_free_index
from passport_vc.status.bitstring import MAX_STATUS_SIZE, MIN_ENTRIES, BitstringStatusList
from passport_vc.status.check import StatusResult, check_status
from passport_vc.status.compression import DEFAULT_MAX_DECOMPRESSED_BYTES
from passport_vc.status.entry import (
    ENTRY_TYPE,
    STATUS_PURPOSES,
    StatusEntry,
    StatusMessage,
    build_status_entry,
    is_bitstring_status_entry,
    parse_status_entry,
)
from passport_vc.status.list_credential import (
    LIST_CREDENTIAL_TYPE,
    LIST_SUBJECT_TYPE,
    build_status_list_credential,
)

__all__ = [
    "DEFAULT_MAX_DECOMPRESSED_BYTES",
    "ENTRY_TYPE",
    "LIST_CREDENTIAL_TYPE",
    "LIST_SUBJECT_TYPE",
    "MAX_STATUS_SIZE",
    "MIN_ENTRIES",
    "STATUS_PURPOSES",
    "BitstringStatusList",
    "StatusEntry",
    "StatusMessage",
    "StatusResult",
    "build_status_entry",
    "build_status_list_credential",
    "check_status",
    "is_bitstring_status_entry",
    "parse_status_entry",
    "random_free_index",
]
