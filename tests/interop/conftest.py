"""Fixtures for the interop tests: the reference JavaScript implementation, running once.

``jsref`` skips when node or interop/node_modules is missing, except under CI=true,
where it fails: CI must run the interop tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from jsref import INSTALL_HINT, JsReference, ci_requires_interop, missing_prerequisite


@pytest.fixture(scope="session")
def jsref() -> Iterator[JsReference]:
    problem = missing_prerequisite()
    if problem is not None:
        message = f"reference JS implementation unavailable: {problem}; {INSTALL_HINT}"
        if ci_requires_interop():
            pytest.fail(f"CI=true: {message}", pytrace=False)
        pytest.skip(message)
    reference = JsReference().start()
    try:
        yield reference
    finally:
        reference.close()
