"""Errors the cloud connector turns into 4xx answers; messages never carry secrets."""


class RequestRefused(Exception):
    """A request the connector refuses; ``status`` is its HTTP status, ``reason`` its code."""

    status: int = 400
    reason: str = "bad_request"

    def __init__(self, message: str, *, reason: str | None = None, status: int | None = None):
        """A refusal; reason and status default to the class's."""
        super().__init__(message)
        if reason is not None:
            self.reason = reason
        if status is not None:
            self.status = status


class Malformed(RequestRefused):
    """The body is not what the endpoint takes."""

    reason = "malformed"


class Unauthorized(RequestRefused):
    """Unknown or badly signed caller."""

    status = 401
    reason = "unauthorized"


class Forbidden(RequestRefused):
    """A known caller asking for something outside its scope."""

    status = 403
    reason = "forbidden"


class NotFound(RequestRefused):
    """Nothing stored under that name (or nothing the caller may see)."""

    status = 404
    reason = "not_found"


class Conflict(RequestRefused):
    """The request clashes with what is stored (a used enrolment token, a meter of another hub)."""

    status = 409
    reason = "conflict"
