"""Pure ASGI middleware: request ids and access logs, security headers, the anonymous CSRF cookie."""

from __future__ import annotations

import logging
import re
import secrets
import time
import uuid
from http.cookies import SimpleCookie

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lantern.logs import request_id_var

log = logging.getLogger("lantern.access")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CSRF_COOKIE = "lantern_csrf"


class RequestIdMiddleware:
    """Take a well-formed X-Request-ID from the client or make one; echo it on the response.

    The access log holds method, path (never the query string, which may carry a purpose
    reason), status and duration.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            log.info(
                "%s %s %s",
                scope.get("method"),
                scope.get("path"),
                status,
                extra={
                    "fields": {
                        "method": scope.get("method"),
                        "path": scope.get("path"),
                        "status": status,
                        "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                },
            )
            request_id_var.reset(token)


class SecurityHeadersMiddleware:
    """Content-Security-Policy without inline script, no framing, nosniff; HSTS under https."""

    def __init__(self, app: ASGIApp, *, https: bool, tile_origin: str = "") -> None:
        self.app = app
        connect = "'self'" + (f" {tile_origin}" if tile_origin else "")
        images = "'self' data: blob:" + (f" {tile_origin}" if tile_origin else "")
        policy = (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src {images}; connect-src {connect}; worker-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
        )
        self.headers = [
            (b"content-security-policy", policy.encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(self)"),
            (b"cross-origin-opener-policy", b"same-origin"),
        ]
        if https:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.setdefault("headers", [])
                names = {name for name, _ in headers}
                headers.extend(h for h in self.headers if h[0] not in names)
                if not path.startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CsrfCookieMiddleware:
    """Give every browser an anonymous CSRF token cookie (double submit for public forms)."""

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.secure = "; Secure" if https else ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = dict(scope["headers"]).get(b"cookie", b"").decode("latin-1")
        cookies = SimpleCookie()
        try:
            cookies.load(raw)
        except Exception:
            cookies = SimpleCookie()
        existing = cookies.get(CSRF_COOKIE)
        token = existing.value if existing and _SAFE_ID.match(existing.value) else ""
        fresh = not token
        if fresh:
            token = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_cookie"] = token

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and fresh:
                headers = message.setdefault("headers", [])
                already = any(n == b"set-cookie" and v.startswith(CSRF_COOKIE.encode() + b"=") for n, v in headers)
                if not already:
                    cookie = f"{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{self.secure}"
                    headers.append((b"set-cookie", cookie.encode()))
            await send(message)

        await self.app(scope, receive, send_with_cookie)


NUL_REFUSAL = (
    b'{"error":"validation_failed","message":"the request contains a NUL character, which is never valid input"}'
)


class RejectNulMiddleware:
    """Refuse any request whose path, query, form or JSON body carries a NUL character.

    NUL is never valid input here, and PostgreSQL refuses it in text (found by schemathesis:
    ``?category=%00`` was a 500 on PostgreSQL). Multipart uploads are not inspected.
    """

    MAX_INSPECTED = 2 * 1024 * 1024

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    @staticmethod
    def _has_nul(raw: bytes) -> bool:
        lowered = raw.lower()
        return b"\x00" in raw or b"%00" in lowered or b"\\u0000" in lowered

    async def _refuse(self, send: Send) -> None:
        body = NUL_REFUSAL
        await send(
            {
                "type": "http.response.start",
                "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._has_nul(scope.get("raw_path") or scope["path"].encode()) or self._has_nul(
            scope.get("query_string", b"")
        ):
            await self._refuse(send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
        if not content_type.startswith((b"application/json", b"application/x-www-form-urlencoded")):
            await self.app(scope, receive, send)
            return
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > self.MAX_INSPECTED:
                break
        body = b"".join(chunks)
        if self._has_nul(body):
            await self._refuse(send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": more}
            return await receive()

        await self.app(scope, replay, send)
