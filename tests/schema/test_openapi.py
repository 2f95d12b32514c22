"""Schemathesis against the service's own OpenAPI schema, in process (ASGI, no network).

Every operation of /openapi.json is called with the examples the schema declares, the
coverage phase's boundary and wrong-type values, and a bounded number of generated cases
(valid and invalid), reproducibly (fixed seed, derandomized, no example database). Each
response must not be a 5xx, must have a status code, a content type and a body that the
schema declares for the operation."""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.schema.conftest import SLUG, FuzzTarget, openapi_document

from passport_vc.api.problems import PROBLEM_JSON

# Bounded, so the suite stays quick on two cores; raise it (and change the seed) to hunt:
# PASSPORT_VC_FUZZ_EXAMPLES=500 PASSPORT_VC_FUZZ_SEED=7 pytest tests/schema
EXAMPLES_PER_OPERATION = int(os.environ.get("PASSPORT_VC_FUZZ_EXAMPLES", "20"))
SEED = int(os.environ.get("PASSPORT_VC_FUZZ_SEED", "20240601"))

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": SEED,
        # The only health check that depends on the machine's load (two busy CI cores).
        "suppress-health-check": ["too_slow"],
        "generation": {
            "mode": "all",  # valid inputs and invalid ones: both must be answered, never a 5xx
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "database": "none",
        },
        # The registered makerspace: without it every /makerspaces/{slug}/… case would stop
        # at 403 (another makerspace's slug) or 404.
        "parameters": {"path.slug": SLUG},
        # Stateful links are not declared; pytest runs the other phases.
        "phases": {"stateful": {"enabled": False}},
    }
)

schema = schemathesis.openapi.from_dict(openapi_document(), config=CONFIG)


def bad_input_is_a_problem_naming_the_field(
    ctx: schemathesis.CheckContext, response: schemathesis.Response, case: schemathesis.Case[Any]
) -> bool | None:
    """A 400 or 422 is problem+json whose `field` names what is wrong (the verification
    result a verifier answers 400 with is JSON, and its own business)."""
    if response.status_code not in (400, 422):
        return None
    content_type = (response.headers.get("content-type") or [""])[0]
    if content_type.startswith("application/json") and case.path.endswith("/verify"):
        return None
    assert content_type.startswith(PROBLEM_JSON), f"{response.status_code} as {content_type!r}"
    field = response.json().get("field")
    assert isinstance(field, str), f"the problem names no field: {response.text}"
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    bad_input_is_a_problem_naming_the_field,
]


# Parameter name -> ids of objects that exist in the backend under test, for the hooks below
# (they run while Hypothesis generates a case, outside any fixture).
KNOWN: dict[str, list[Any]] = {}


@pytest.fixture(autouse=True)
def _known_objects(fuzz_target: FuzzTarget) -> None:
    KNOWN.clear()
    KNOWN.update(fuzz_target.known)


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """About half the cases name objects that exist (seeded in conftest), so the handlers run
    past their 404."""
    return _sometimes_known(path_parameters)


@schema.hook
def flatmap_query(
    context: schemathesis.HookContext, query: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """A live share token, the maker's DID as a filter, some of the time."""
    return _sometimes_known(query)


def _sometimes_known(values: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    if not isinstance(values, dict):
        return st.just(values)
    choices: dict[str, st.SearchStrategy[Any]] = {}
    for name, value in values.items():
        known = KNOWN.get(name)
        choices[name] = st.sampled_from([value, *known]) if known else st.just(value)
    return st.fixed_dictionaries(choices)


@schema.parametrize()
def test_operation_conforms_to_its_schema(
    case: schemathesis.Case[Any], fuzz_target: FuzzTarget
) -> None:
    case.call_and_validate(
        app=fuzz_target.app,
        headers=fuzz_target.headers_for(case.method, case.path),
        checks=CHECKS,
    )
    assert fuzz_target.guard.attempts == [], f"network access: {fuzz_target.guard.attempts}"
