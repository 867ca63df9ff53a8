"""Helpers the web tests share (importable: this folder is on sys.path while they run)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"


def sign_up(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, Any]:
    """Register and log in through the API; returns the login answer (id, csrf_token…)."""
    r = client.post("/api/auth/register", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    r = client.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def csrf_of(html: str) -> str:
    """The CSRF token in a rendered page's forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)
