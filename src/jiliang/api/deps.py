"""Request dependencies: database session, language, and the principal a request acts as."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from jiliang.core.db import get_session
from jiliang.core.errors import Forbidden, Unauthorized
from jiliang.core.security import Principal
from jiliang.people.models import User
from jiliang.people.service import principal_for, user_for_token

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def request_lang(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang")
    if lang in ("zh", "en"):
        return lang
    accept = request.headers.get("accept-language", "")
    return "en" if accept.startswith("en") else "zh"


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


# One session per request, committed before the response is sent (scope="function"), so a
# client that follows a redirect or reads right after a write always sees the write.
DB = Annotated[Session, Depends(get_session, scope="function")]


def optional_principal(request: Request, session: DB) -> Principal | None:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = user_for_token(session, auth[7:].strip())
        if user is None:
            raise Unauthorized()
        return principal_for(session, user)
    uid = request.session.get("uid") if "session" in request.scope else None
    if uid is None:
        return None
    user = session.get(User, uid)
    if user is None or user.status != "active":
        request.session.clear()
        return None
    if request.method not in SAFE_METHODS and request.url.path.startswith("/api/"):
        # cookie-authenticated API writes must prove they come from our own pages
        sent = request.headers.get("x-csrf-token")
        if not sent or sent != request.session.get("csrf"):
            raise Forbidden("缺少或错误的 CSRF 令牌", "Missing or wrong CSRF token")
    return principal_for(session, user)


def principal(p: Principal | None = Depends(optional_principal)) -> Principal:
    if p is None:
        raise Unauthorized()
    return p
