"""A small keep-alive HTTP client for the benchmarks: cookies, CSRF tokens, login. Standard library only."""
from __future__ import annotations

import http.client
import re
import time
from urllib.parse import urlencode, urlsplit

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


class Browser:
    """One connection and one cookie jar, like one person's browser tab (not thread-safe: one per thread)."""

    def __init__(self, port: int, host: str = "127.0.0.1", headers: dict | None = None):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.headers = dict(headers or {})
        self.connection: http.client.HTTPConnection | None = None
        self.csrf_token = ""

    def _connect(self) -> http.client.HTTPConnection:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        return self.connection

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, dict, bytes, float]:
        """(status, headers, body, seconds). Retries once on a connection the server closed while idle."""
        body = urlencode(form, doseq=True).encode() if form is not None else None
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        for retry in (True, False):
            started = time.perf_counter()
            try:
                connection = self._connect()
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, http.client.CannotSendRequest, ConnectionResetError, BrokenPipeError):
                self.close()
                if retry:
                    continue
                raise
            elapsed = time.perf_counter() - started
            for header in response.headers.get_all("Set-Cookie") or []:
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if value and "expires=thu, 01 jan 1970" not in header.lower():
                    self.cookies[name.strip()] = value
                else:
                    self.cookies.pop(name.strip(), None)
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, dict(response.headers), data, elapsed
        raise AssertionError("unreachable")

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, form: dict):
        return self.request("POST", path, {**form, "csrf_token": self.csrf_token})

    def remember_csrf(self, html: bytes) -> None:
        match = _CSRF.search(html.decode("utf-8", "replace"))
        if match:
            self.csrf_token = match.group(1) or match.group(2)

    def login(self, login: str, password: str) -> None:
        status, _, html, _ = self.get("/login")
        self.remember_csrf(html)
        status, headers, _, _ = self.post("/login", {"login": login, "password": password})
        if status != 302 or "/login" in urlsplit(headers.get("Location", "")).path:
            raise RuntimeError(f"login of {login} failed with HTTP {status}")

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None
