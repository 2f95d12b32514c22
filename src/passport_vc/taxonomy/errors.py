"""Errors raised by the skills taxonomy: a bad data file, or a skill or level that is not in it."""

from __future__ import annotations

from passport_vc.errors import PASSPORT_ERRORS, PassportVcError

INVALID_TAXONOMY_ERROR = PASSPORT_ERRORS + "INVALID_TAXONOMY"
UNKNOWN_SKILL_ERROR = PASSPORT_ERRORS + "UNKNOWN_SKILL"
UNKNOWN_LEVEL_ERROR = PASSPORT_ERRORS + "UNKNOWN_LEVEL"
UNKNOWN_CATEGORY_ERROR = PASSPORT_ERRORS + "UNKNOWN_CATEGORY"


class TaxonomyError(PassportVcError):
    """Base of the taxonomy's errors."""


class InvalidTaxonomyError(TaxonomyError):
    """The taxonomy file breaks one or more of its invariants; `problems` lists each one."""

    problem_type = INVALID_TAXONOMY_ERROR
    title = "Invalid skills taxonomy"

    def __init__(self, source: str, problems: list[str]) -> None:
        self.problems = tuple(problems)
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"taxonomy {source} is invalid ({len(problems)} problem(s)):\n{listed}")


# LookupError as a second base lets callers treat these like any failed lookup.
class UnknownSkillError(TaxonomyError, LookupError):
    problem_type = UNKNOWN_SKILL_ERROR
    title = "Unknown skill"


class UnknownLevelError(TaxonomyError, LookupError):
    problem_type = UNKNOWN_LEVEL_ERROR
    title = "Unknown skill level"


class UnknownCategoryError(TaxonomyError, LookupError):
    problem_type = UNKNOWN_CATEGORY_ERROR
    title = "Unknown skill category"
