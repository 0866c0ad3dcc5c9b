"""Who may do what: users from `ASSISTANT_USERS` / `ASSISTANT_AUTH_FILE`, and password checks.

`ASSISTANT_USERS="alice:pw:admin,bob:pw"` or `ASSISTANT_AUTH_FILE=users.yaml`
({name: {password, role}}). With no users configured there is no login and
everyone may upload and remove documents. With users, the UI asks for a login,
`/api/ask` wants HTTP Basic credentials, and uploading / removing / re-indexing /
exporting feedback need role `admin`.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from pathlib import Path

from fastapi import Depends, HTTPException
from fastapi.security import HTTPBasic, HTTPBasicCredentials

from assistant.config import Settings


def auth_users(settings: Settings) -> dict[str, tuple[str, str]]:
    """{user: (password, role)} from ASSISTANT_USERS ("user:password[:admin],...") and/or ASSISTANT_AUTH_FILE."""
    users: dict[str, tuple[str, str]] = {}
    if settings.auth_file:
        raw = Path(settings.auth_file).read_text(encoding="utf-8")
        if Path(settings.auth_file).suffix.lower() in (".yaml", ".yml"):
            import yaml
            data = yaml.safe_load(raw) or {}
        else:
            data = json.loads(raw or "{}")
        if not isinstance(data, dict):
            raise ValueError(f"{settings.auth_file}: expected a mapping of user names to {{password, role}}.")
        for name, entry in data.items():
            if isinstance(entry, dict):
                pw, role = entry.get("password"), entry.get("role") or "user"
            else:
                pw, role = entry, "user"
            if not name or pw in (None, ""):
                raise ValueError(f"{settings.auth_file}: user {name!r} has no password.")
            users[str(name)] = (str(pw), "admin" if str(role).lower() == "admin" else "user")
    for item in (settings.users or "").split(","):
        item = item.strip()
        if not item:
            continue
        parts = item.split(":")
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError("ASSISTANT_USERS entries look like user:password or user:password:admin.")
        role = "admin" if len(parts) > 2 and parts[-1].lower() == "admin" else "user"
        pw = ":".join(parts[1:-1]) if len(parts) > 2 and parts[-1].lower() in ("admin", "user") else ":".join(parts[1:])
        users[parts[0]] = (pw, role)
    return users


def check_password(users: dict[str, tuple[str, str]], username: str, password: str) -> bool:
    entry = users.get(username or "")
    ok = hmac.compare_digest((entry[0] if entry else "\0").encode(), (password or "").encode())
    return bool(entry) and ok


def api_user(users: Callable[[], dict[str, tuple[str, str]]]):
    """A FastAPI dependency: the HTTP Basic user of a request, or 401 (None when there is no login)."""
    basic = HTTPBasic(realm="assistant", auto_error=False)

    def user(credentials: HTTPBasicCredentials | None = Depends(basic)) -> str | None:
        known = users()
        if not known:
            return None
        if credentials is None or not check_password(known, credentials.username, credentials.password):
            raise HTTPException(401, "Authentication required (HTTP Basic).",
                                headers={"WWW-Authenticate": 'Basic realm="assistant"'})
        return credentials.username

    return user


def request_user(request, credentials: HTTPBasicCredentials | None, users: dict[str, tuple[str, str]],
                 gradio_app=None) -> str | None:
    """Who sends a request to one of our own routes: the user of Gradio's login cookie (read the way
    Gradio's own routes read it), else valid HTTP Basic credentials; None for nobody we know."""
    if gradio_app is not None:
        cid = gradio_app.cookie_id
        token = request.cookies.get(f"access-token-{cid}") or request.cookies.get(f"access-token-unsecure-{cid}")
        if token and (name := gradio_app.tokens.get(token)) in users:
            return name
    if credentials is not None and check_password(users, credentials.username, credentials.password):
        return credentials.username
    return None
