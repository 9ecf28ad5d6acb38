"""The hub's refusals: each carries the HTTP status and a message safe to show the caller."""

from __future__ import annotations


class HubError(Exception):
    status = 400

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class BadRequest(HubError):
    status = 400


class Unauthenticated(HubError):
    status = 401


class Forbidden(HubError):
    status = 403


class NotFound(HubError):
    status = 404


class Conflict(HubError):
    status = 409


class TooLarge(HubError):
    status = 413


class Unavailable(HubError):
    status = 503
