"""Domain errors: each carries its HTTP status; one handler turns them into responses."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a user may see; the message says what was wrong and what to do."""

    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        """JSON body of the error response."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.details is not None:
            body["details"] = self.details
        return body


class ValidationFailed(DomainError):
    status_code = 422
    code = "validation_failed"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class NotAuthenticated(DomainError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


class StoreError(DomainError):
    status_code = 503
    code = "store_unavailable"
