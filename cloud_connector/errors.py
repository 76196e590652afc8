"""Errors the cloud connector turns into 4xx answers; messages never carry secrets."""

from typing import ClassVar


class RequestRefused(Exception):
    """A request the connector refuses; ``status`` is its HTTP status."""

    status: ClassVar[int] = 400
    reason: ClassVar[str] = "bad_request"


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


class Conflict(RequestRefused):
    """The request clashes with what is stored (a used enrolment token, a meter of another hub)."""

    status = 409
    reason = "conflict"
