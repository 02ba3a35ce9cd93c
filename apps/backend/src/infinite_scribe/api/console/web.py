"""What every console page shares: templates, the Content-Security-Policy, the signed-in
principal (a JWT kept in an HttpOnly cookie), the same-origin check on every form post and
form parsing (docs/console.md)."""

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import parse_qs
from uuid import UUID, uuid4

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from infinite_scribe.api.auth import OPERATOR_ROLE, name_of_verified, roles_of_verified
from infinite_scribe.api.console.card_lists import blank_of
from infinite_scribe.api.console.labels import (
    LANGUAGE_COOKIE,
    event_label,
    language_of,
    status_label,
    translate,
    value_label,
)
from infinite_scribe.api.container import ApiServices
from infinite_scribe.api.deps import services_of
from infinite_scribe.api.dev_credential import carries_dev_key, offers_dev_token
from infinite_scribe.api.field_names import field_label, path_label, trait_label
from infinite_scribe.domain.errors import AuthenticationError, InvalidPayload, ScribeError

PREFIX = "/console"
COOKIE = "scribe_console"
HERE = Path(__file__).parent
# Starlette turns autoescaping on: every value in a template is HTML-escaped.
templates = Jinja2Templates(directory=HERE / "templates")


def compile_templates() -> None:
    """Compile every page's template now (the API's start calls it on a thread): a template's
    first render compiled it on the loop, 142 ms for the session's panel. Jinja keeps each
    compiled template (its cache holds 400; the console has fewer)."""
    for name in templates.env.list_templates(extensions=["html"]):
        templates.env.get_template(name)


#: No inline script or style, nothing from another origin; htmx and the stream talk to 'self'.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class SignInRequired(ScribeError):
    """No (valid) console cookie: the page answers with the sign-in page."""

    error_code = "SIGN_IN_REQUIRED"


class OperatorOnly(ScribeError):  # 403
    """A signed-in user without the operator role asked for an operator page."""

    error_code = "OPERATOR_ROLE_REQUIRED"


class CrossSiteForm(ScribeError):  # 403
    """A form post that did not come from a console page of this origin."""

    error_code = "CROSS_SITE_REQUEST"


@dataclass(frozen=True)
class Principal:
    user_id: UUID
    roles: frozenset[str]
    #: The writer's name from the token (None: it names none; the page says "writer").
    name: str | None = None

    @property
    def is_operator(self) -> bool:
        return OPERATOR_ROLE in self.roles


def principal_of_token(services: ApiServices, token: str) -> Principal:
    """Verify a pasted or stored token (AuthenticationError when it is not acceptable). On the
    embedded default the signing secret is public, so the operator role counts only in a token
    that carries the data directory's development key (api/dev_credential.py, issue 41)."""
    user_id = services.verified_tokens.user_id(token)
    roles = roles_of_verified(token)
    settings = services.settings
    public_secret = offers_dev_token(settings)
    if OPERATOR_ROLE in roles and public_secret and not carries_dev_key(settings, token):
        raise AuthenticationError(
            "on the development default only the token scribe up printed is an operator's"
        )
    return Principal(user_id, roles, name_of_verified(token))


async def current_principal(request: Request) -> Principal:
    token = request.cookies.get(COOKIE)
    if not token:
        raise SignInRequired("Sign in to use the console")
    try:
        return principal_of_token(services_of(request.app), token)
    except AuthenticationError as error:
        raise SignInRequired(error.message) from error


async def current_operator(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if not principal.is_operator:
        raise OperatorOnly("This page needs a token with the operator role")
    return principal


async def same_origin(request: Request) -> None:
    """Form posts must come from this origin: the cookie is SameSite=Strict already, and the
    Origin header (sent by browsers on every POST) must name this host (CSRF defence)."""
    origin = request.headers.get("origin")
    site = request.headers.get("sec-fetch-site")
    expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
    if origin == expected or (origin is None and site == "same-origin"):
        return
    raise CrossSiteForm("Console forms are accepted from console pages only")


Writer = Annotated[Principal, Depends(current_principal)]
Operator = Annotated[Principal, Depends(current_operator)]
SameOrigin = Depends(same_origin)

#: How long the language chosen with the page's switch is kept (seconds: a year).
LANGUAGE_KEPT = 365 * 24 * 3600

#: Longest form field the console accepts (the body limit bounds the whole request already).
MAX_FIELD = 10_000


async def form_of(request: Request, max_field: int = MAX_FIELD) -> dict[str, list[str]]:
    """An `application/x-www-form-urlencoded` body (the only kind console forms send); a field
    longer than `max_field` characters is refused (a chapter's text may be longer)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise InvalidPayload("Console forms are sent as application/x-www-form-urlencoded")
    try:
        text = (await request.body()).decode("utf-8")
        fields = parse_qs(text, keep_blank_values=True, strict_parsing=False, max_num_fields=200)
    except (UnicodeDecodeError, ValueError) as error:
        raise InvalidPayload("The form could not be read") from error
    if any(len(value) > max_field for values in fields.values() for value in values):
        raise InvalidPayload(f"A form field is longer than {max_field} characters")
    return fields


def one(fields: dict[str, list[str]], name: str, default: str | None = None) -> str | None:
    values = [value.strip() for value in fields.get(name, []) if value.strip()]
    return values[-1] if values else default


def action_id(fields: dict[str, list[str]]) -> UUID:
    """The form's idempotency id (minted when the page was rendered)."""
    try:
        return UUID(one(fields, "action_id") or "")
    except ValueError as error:
        raise InvalidPayload("The form has no valid action_id; reload the page") from error


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    principal: Principal | None = None,
) -> HTMLResponse:
    language = language_of(request)
    values = {
        "principal": principal,
        "new_action_id": uuid4,
        "prefix": PREFIX,
        "lang": language,
        "t": lambda text: translate(text, language),
        "event_label": event_label,
        "field_label": lambda key: field_label(str(key), language),
        "path_label": lambda path: path_label(str(path), language),
        "trait_label": lambda key: trait_label(str(key), language),
        "status_label": lambda status: status_label(str(status), language),
        "value_label": lambda key, value: value_label(str(key), value, language),
        "blank_of": blank_of,
        **(context or {}),
    }
    response = templates.TemplateResponse(request, template, values, status_code=status_code)
    response.headers.update(SECURITY_HEADERS)
    if request.query_params.get("lang") == language:  # the page's language switch: kept
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=LANGUAGE_KEPT, path=PREFIX, samesite="strict"
        )
    return response
