"""Errors that services raise and the API and pages turn into clear 4xx answers."""


class ServiceError(Exception):
    """A refusal a user can act on: a stable ``code``, a message, and the field at fault."""

    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code:
            self.code = code


class ValidationFailed(ServiceError):
    status = 422
    code = "validation_error"


class NotFound(ServiceError):
    """Missing and not-yours are the same answer, so ids from other brands leak nothing."""

    status = 404
    code = "not_found"


class Forbidden(ServiceError):
    status = 403
    code = "forbidden"


class Conflict(ServiceError):
    status = 409
    code = "conflict"


class TooManyAttempts(ServiceError):
    status = 429
    code = "too_many_attempts"
