"""Error pages (HTML, or JSON for API paths) in the user's language; the session rolls back on errors."""
from __future__ import annotations

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from lms.api.problems import problem
from lms.extensions import db


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path in {"/healthz"}


def _titles() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The request could not be understood. Please go back and try again.")),
        403: (_("Access denied"), _("Your account does not have permission to open this page.")),
        404: (_("Page not found"), _("We could not find that page. Check the address or go back to the home page.")),
        405: (_("Method not allowed"), _("This page cannot be used that way.")),
        413: (_("Upload too large"), _("The file or form you sent is too large.")),
        429: (_("Too many requests"), _("Please wait a moment before trying again.")),
        500: (_("Something went wrong"), _("An unexpected error happened. Nothing was saved. Please try again later.")),
    }


def render_error(code: int, message: str | None = None):
    if request.path.startswith("/api/"):
        return problem(code, message)
    title, default_message = _titles().get(code, (str(code), ""))
    if _wants_json():
        return jsonify(error=title, detail=message or default_message, status=code), code
    return render_template("errors/error.html", code=code, title=title, message=message or default_message), code


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def _csrf(error):
        db.session.rollback()
        return render_error(400, _("Your form expired or was sent from another page. Please reload and try again."))

    @app.errorhandler(HTTPException)
    def _http(error: HTTPException):
        db.session.rollback()
        code = error.code or 500
        if code in (301, 302, 303, 307, 308):
            return error
        response = render_error(code)
        if code == 405 and error.valid_methods:
            return response[0], code, {"Allow": ", ".join(error.valid_methods)}
        return response

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        db.session.rollback()
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)
