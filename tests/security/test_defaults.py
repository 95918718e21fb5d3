"""Secure defaults: headers, no inline script, refused default secrets, nothing secret in logs."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from lantern.config import Settings
from lantern.web.templating import TEMPLATE_DIR
from tests.factories.security import make_user, sign_in
from tests.support.app import app_for


def test_security_headers_on_pages_and_api(client):
    for path in ("/login", "/healthz"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in headers  # plain http


def test_hsts_and_secure_cookies_under_https(session, settings, engine, clock):
    https = settings.model_copy(update={"public_url": "https://lantern.example"})
    account = make_user(session, https, "tls", ["analyst"])
    with TestClient(app_for(session, https, engine, clock), base_url="https://testserver") as client:
        assert "max-age=31536000" in client.get("/login").headers["strict-transport-security"]
        page = client.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = client.post(
            "/login",
            data={"username": "tls", "password": account.password, "csrf_token": token},
            follow_redirects=False,
        )
        cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "lantern_session" in v)
        assert "Secure" in cookie


def test_templates_have_no_inline_script():
    for template in Path(TEMPLATE_DIR).glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r"\son[a-z]+=", text), f"inline event handler in {template.name}"


def test_production_refuses_the_default_secret(tmp_path):
    with pytest.raises(ValidationError, match="production refuses"):
        Settings(env="production", data_dir=tmp_path)


def test_secrets_never_reach_the_logs(client, session, settings, caplog):
    account = make_user(session, settings, "quiet", ["dispatcher"])
    with caplog.at_level(logging.DEBUG):
        sign_in(client, account, session)
        client.get("/api/incidents", headers={"X-Lantern-Purpose-Reason": "a private reason"})
    logged = "\n".join(r.getMessage() + str(getattr(r, "fields", "")) for r in caplog.records)
    assert account.password not in logged
    assert "lantern_session" not in logged
    assert "a private reason" not in logged
    assert settings.secret_key.get_secret_value() not in logged
    assert "**********" in repr(settings.secret_key)


def test_nul_characters_are_refused_everywhere(client, session):
    from tests.factories.security import bearer

    headers = bearer(session, ["incident:read", "party:write"])
    assert client.get("/api/incidents.geojson?category=%00", headers=headers).status_code == 400
    assert (
        client.post(
            "/api/incidents/1/parties", headers=headers, json={"role": "caller", "name": "a\u0000b", "phone": "123456"}
        ).status_code
        == 400
    )
    assert client.post("/login", data={"username": "x\x00", "password": "y"}).status_code == 400
