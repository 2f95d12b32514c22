"""Building the unsigned `BitstringStatusListCredential` (BSL §2.2, §3.1)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from passport_vc.errors import MalformedValueError
from passport_vc.status.bitstring import BitstringStatusList
from passport_vc.status.entry import STATUS_PURPOSES
from passport_vc.status.values import format_date_time_stamp, is_absolute_url

VC_V2_CONTEXT: Final = "https://www.w3.org/ns/credentials/v2"
LIST_CREDENTIAL_TYPE: Final = "BitstringStatusListCredential"
LIST_SUBJECT_TYPE: Final = "BitstringStatusList"


def build_status_list_credential(
    *,
    list_url: str,
    issuer: str,
    purpose: str,
    status_list: BitstringStatusList,
    valid_from: datetime | None = None,
    valid_until: datetime | None = None,
    ttl_ms: int | None = None,
) -> dict[str, Any]:
    """An UNSIGNED status list credential for `status_list`, published at `list_url`.

    Shaped like the REC's Example 3: the VC 2.0 context alone (its terms include the
    status list vocabulary), `id` = `list_url` (which entries name as
    statusListCredential), and a subject `list_url#list`. `issuer` is a plain DID or URL
    string. Datetimes must be timezone-aware; they are written in UTC to the second.
    `ttl_ms` should match the Cache-Control max-age the list is served with (BSL §2.2).
    The caller signs the result (e.g. eddsa-rdfc-2022).
    """
    if not is_absolute_url(list_url) or "#" in list_url:
        raise MalformedValueError(
            f"list_url must be an absolute URL without fragment: {list_url!r}"
        )
    if not is_absolute_url(issuer):
        raise MalformedValueError(f"issuer must be a DID or URL string: {issuer!r}")
    if purpose not in STATUS_PURPOSES:
        raise MalformedValueError(
            f"purpose must be one of {', '.join(sorted(STATUS_PURPOSES))}, got {purpose!r}"
        )
    if ttl_ms is not None and (
        isinstance(ttl_ms, bool) or not isinstance(ttl_ms, int) or ttl_ms <= 0
    ):
        raise MalformedValueError(f"ttl_ms must be a positive integer, got {ttl_ms!r}")

    credential: dict[str, Any] = {
        "@context": [VC_V2_CONTEXT],
        "id": list_url,
        "type": ["VerifiableCredential", LIST_CREDENTIAL_TYPE],
        "issuer": issuer,
    }
    try:
        if valid_from is not None:
            credential["validFrom"] = format_date_time_stamp(valid_from)
        if valid_until is not None:
            credential["validUntil"] = format_date_time_stamp(valid_until)
    except ValueError as exc:
        raise MalformedValueError(f"valid_from/valid_until: {exc}") from None
    # Both are known to be aware here, so comparing them cannot raise TypeError.
    if valid_from is not None and valid_until is not None and valid_until <= valid_from:
        raise MalformedValueError("valid_until must be later than valid_from")
    subject: dict[str, Any] = {
        "id": f"{list_url}#list",
        "type": LIST_SUBJECT_TYPE,
        "statusPurpose": purpose,
        "encodedList": status_list.encode(),
    }
    if ttl_ms is not None:
        subject["ttl"] = ttl_ms
    credential["credentialSubject"] = subject
    return credential
