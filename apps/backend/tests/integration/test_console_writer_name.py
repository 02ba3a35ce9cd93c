"""The console's header names the writer, not an id (issue 55): the token's `name` claim,
escaped and bounded, else "writer" in the page's language."""

import re
import uuid

import httpx
import pytest

from infinite_scribe.api.auth import create_access_token
from infinite_scribe.settings.settings import Settings
from tests.conftest import LiveServer
from tests.support.console import console, console_settings, signed_in

pytestmark = pytest.mark.kafka

__all__ = ["console", "console_settings"]  # fixtures used below


async def test_the_header_names_the_writer_not_an_id(
    console: LiveServer, console_settings: Settings
) -> None:
    """Issue 55: the writer's name (the token's `name` claim, escaped and bounded), else
    "writer" in the page's language; never the id."""
    user = uuid.uuid4()
    named = create_access_token(
        console_settings, user, 3600, extra={"name": "<b>林远</b>\x07" + "x" * 500}
    )
    async with httpx.AsyncClient(base_url=console.url, headers={"Origin": console.url}) as client:
        assert (await client.post("/console/sign-in", data={"token": named})).status_code == 303
        page = (await client.get("/console/sessions")).text
    shown = re.search(r'id="writer-name">(.*?)</span>', page)
    assert shown is not None and shown.group(1).startswith("&lt;b&gt;林远&lt;/b&gt;")
    assert len(shown.group(1)) < 150 and str(user)[:8] not in shown.group(1)
    async with signed_in(console.url, console_settings, uuid.uuid4()) as writer_client:
        plain = await writer_client.get("/console/sessions", headers={"Accept-Language": "zh"})
    assert 'id="writer-name">作者' in plain.text
