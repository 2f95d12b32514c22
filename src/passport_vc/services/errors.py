"""Errors of the use cases, each with the HTTP status the edge answers with."""

from __future__ import annotations

from passport_vc.errors import PASSPORT_ERRORS, PassportVcError


class ServiceError(PassportVcError):
    status: int = 400
    title = "Bad request"
    problem_type = PASSPORT_ERRORS + "BAD_REQUEST"

    def __init__(self, detail: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.field = field


class InvalidFieldError(ServiceError):
    """A field of the request is wrong; `field` names it (a JSON path or a CSV column)."""

    status = 422
    title = "Invalid field"
    problem_type = PASSPORT_ERRORS + "INVALID_FIELD"


class AuthenticationError(ServiceError):
    status = 401
    title = "Authentication required"
    problem_type = PASSPORT_ERRORS + "UNAUTHENTICATED"


class ForbiddenError(ServiceError):
    status = 403
    title = "Forbidden"
    problem_type = PASSPORT_ERRORS + "FORBIDDEN"


class NotFoundError(ServiceError):
    status = 404
    title = "Not found"
    problem_type = PASSPORT_ERRORS + "NOT_FOUND"


class ConflictError(ServiceError):
    status = 409
    title = "Conflict"
    problem_type = PASSPORT_ERRORS + "CONFLICT"
