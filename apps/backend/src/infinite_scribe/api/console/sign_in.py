"""Signing in to the console: paste a token, or (on the embedded default only) take the
development token `scribe up` prints; the token is kept in an HttpOnly, SameSite=Strict cookie
scoped to /console (docs/console.md)."""

import time
from typing import Annotated

import jwt
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from infinite_scribe.api.auth import create_access_token
from infinite_scribe.api.console.web import (
    COOKIE,
    PREFIX,
    SameOrigin,
    SignInRequired,
    current_principal,
    form_of,
    one,
    principal_of_token,
    render,
)
from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import services_of
from infinite_scribe.api.dev_credential import (
    DEV_NAME,
    DEV_TOKEN_TTL,
    DEV_USER_ID,
    carries_dev_key,
    development_token,
    offers_dev_token,
)
from infinite_scribe.domain.errors import AuthenticationError
from infinite_scribe.settings.settings import Settings

router = APIRouter(prefix=PREFIX)


def safe_next(target: str | None) -> str | None:
    """Only console paths of this origin (no open redirect)."""
    if target and target.startswith(f"{PREFIX}/") and "//" not in target and "\\" not in target:
        return target
    return None


@router.get("")
@router.get("/")  # `/console/` is the home too (a 404 before: people type the slash)
async def console_home(request: Request) -> Response:
    try:
        principal = await current_principal(request)
    except SignInRequired:
        return RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    home = "/ops" if principal.is_operator else "/sessions"
    return RedirectResponse(f"{PREFIX}{home}", status_code=303)


@router.get("/sign-in")
async def sign_in_page(
    request: Request, next_page: Annotated[str | None, Query(alias="next", max_length=300)] = None
) -> Response:
    settings = services_of(request.app).settings
    context = {"dev": offers_dev_token(settings), "next": safe_next(next_page) or ""}
    return render(request, "sign_in.html", context)


@router.post("/sign-in", dependencies=[SameOrigin])
async def sign_in(request: Request) -> Response:
    services = services_of(request.app)
    fields = await form_of(request)
    pasted = (one(fields, "token") or "").strip()  # a bare token, or `Bearer <token>`
    token = pasted[7:].strip() if pasted.lower().startswith("bearer ") else pasted
    try:
        token = _development_token(services.settings, one(fields, "dev"), token, services)
        principal = principal_of_token(services, token)
    except AuthenticationError as error:
        context = {"dev": offers_dev_token(services.settings), "error": error.message}
        return render(request, "sign_in.html", context, status_code=401)
    home = f"{PREFIX}/ops" if principal.is_operator else f"{PREFIX}/sessions"
    response = RedirectResponse(safe_next(one(fields, "next")) or home, status_code=303)
    expires = jwt.decode(token, options={"verify_signature": False}).get("exp")
    response.set_cookie(
        COOKIE,
        token,
        max_age=max(int(float(expires) - time.time()), 0) if expires else None,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


def _development_token(
    settings: Settings, dev: str | None, token: str, services: ApiServices
) -> str:
    """The token a development button signs in with. The writer's needs nothing (the embedded
    default is a laptop's, and the Host check keeps other sites' pages out); the operator's
    needs the development token `scribe up` printed, since it can act on every writer's
    sessions (issue 28). Being the development user's is not enough: the writer's cookie is,
    and so is any token signed with the secret in the source (issue 41); the printed token
    also carries the data directory's key."""
    if dev not in ("writer", "operator") or not offers_dev_token(settings):
        return token
    if dev == "writer":
        return create_access_token(settings, DEV_USER_ID, DEV_TOKEN_TTL, extra={"name": DEV_NAME})
    if not token:
        raise AuthenticationError("paste the development token scribe up printed")
    principal = principal_of_token(services, token)
    if principal.user_id != DEV_USER_ID or not carries_dev_key(settings, token):
        raise AuthenticationError("that is not the development token scribe up printed")
    return development_token(settings, operator=True)


@router.post("/sign-out", dependencies=[SameOrigin])
async def sign_out() -> Response:
    response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
    response.delete_cookie(COOKIE, path=PREFIX)
    return response
