"""Errors the query and registration layers raise; the API maps each to one status code."""
from __future__ import annotations


class QueryError(Exception):
    status = 400
    code = "bad_request"

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(QueryError):
    status = 404
    code = "not_found"


class Ambiguous(QueryError):
    status = 409
    code = "ambiguous_prefix"

    def __init__(self, message: str, candidates: list[str]) -> None:
        super().__init__(message)
        self.candidates = candidates


class Conflict(QueryError):
    """A write that names an existing record the writer may not touch (e.g. a job uid
    registered privately by someone else). Says only that the name is taken."""

    status = 409
    code = "conflict"


class Invalid(QueryError):
    status = 422
    code = "invalid"


class Forbidden(QueryError):
    """Only for things that are not records (e.g. writing without the write scope)."""

    status = 403
    code = "forbidden"


class Unauthorized(QueryError):
    status = 401
    code = "unauthorized"


class RateLimited(QueryError):
    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
