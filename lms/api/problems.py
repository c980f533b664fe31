"""RFC 9457 problem details with stable codes, for every error under /api/."""
from __future__ import annotations

from flask import current_app, jsonify

# status -> (stable code, title)
PROBLEMS = {
    400: ("bad_request", "The request is malformed."),
    401: ("unauthorized", "A valid bearer token is required."),
    403: ("forbidden", "The token does not allow this call."),
    404: ("not_found", "No such resource."),
    405: ("method_not_allowed", "This method is not allowed here."),
    413: ("payload_too_large", "The request body is too large."),
    415: ("unsupported_media_type", "Send JSON (Content-Type: application/json)."),
    429: ("too_many_requests", "Too many requests: slow down and retry after the time in Retry-After."),
    500: ("server_error", "An unexpected error happened; nothing was changed."),
    503: ("unavailable", "The service is temporarily unavailable."),
}


def problem(status: int, detail: str | None = None, code: str | None = None, headers: dict | None = None):
    default_code, title = PROBLEMS.get(status, ("error", "Error"))
    code = code or default_code
    body = {
        "type": f"{current_app.config['PUBLIC_URL'].rstrip('/')}/api#problem-{code}",
        "title": title,
        "status": status,
        "detail": detail or title,
        "code": code,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = "application/problem+json"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
