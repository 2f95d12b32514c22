"""The one error an OKW record raises: what is wrong, and where (a JSON path)."""

from __future__ import annotations

from passport_vc.errors import PASSPORT_ERRORS, PassportVcError

INVALID_OKW_RECORD = PASSPORT_ERRORS + "INVALID_OKW_RECORD"
ROOT = "(record)"


class OkwError(PassportVcError):
    """A malformed OKW record; `field` is the JSON path of the bad value, e.g.
    `equipment[2].skillsRequired[0].skill`, and the detail starts with it."""

    problem_type = INVALID_OKW_RECORD
    title = "Invalid OKW record"

    def __init__(self, field: str, reason: str) -> None:
        self.field = field or ROOT
        self.reason = reason
        super().__init__(f"{self.field}: {reason}")


def join(path: str, key: str | int) -> str:
    """`path` extended by an object key or a list index."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key
