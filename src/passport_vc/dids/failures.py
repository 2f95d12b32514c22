"""Re-raising an engine error with more context, keeping its class and problem type."""

from __future__ import annotations

from passport_vc.errors import DidResolutionError, PassportVcError


def rebuild(cls: type[PassportVcError], detail: str, problem_type: str) -> PassportVcError:
    """`cls(detail, problem_type=...)`, or a DidResolutionError if `cls` is built differently."""
    try:
        return cls(detail, problem_type=problem_type)
    except TypeError:  # a plug-in's subclass with its own constructor
        return DidResolutionError(detail, problem_type=problem_type)


def prefixed(error: PassportVcError, prefix: str) -> PassportVcError:
    """A copy of `error` whose detail starts with `prefix: ` (e.g. the DID or URL concerned)."""
    return rebuild(type(error), f"{prefix}: {error.detail}", error.problem_type)
