"""The web app's refusals: a status code and a Danish message shown on the error page."""

from __future__ import annotations


class WebError(Exception):
    """A request refused with `status` and a Danish `message` (never a DrejebogError: those
    come from the layers below and are translated in web/app.py)."""

    def __init__(self, status: int, message: str, back: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.back = back  # a link back (e.g. to the case), if there is one


class LoginRequired(Exception):
    """No logged-in worker: the page answers with a redirect to /login."""
