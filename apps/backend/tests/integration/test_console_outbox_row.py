"""The operator's outbox row page (issue 38): a row's key, headers and payload, escaped,
indented and bounded, and a discard of a FAILED row that asks first, is audited and acts once."""

import uuid

import asyncpg
import httpx
import pytest

from infinite_scribe.application.operator import PAYLOAD_SHOWN
from infinite_scribe.settings.settings import Settings
from tests.support.console import action, console, console_settings, failed_row, operator, writer

pytestmark = pytest.mark.kafka

__all__ = ["console", "console_settings", "operator", "writer"]  # fixtures used below

HOSTILE = "<script>alert('x')</script>"


async def _hostile_row(pool: asyncpg.Pool, topic: str, key: str) -> uuid.UUID:
    payload = {
        "event_type": "Genesis.Session.Created",
        "title": HOSTILE,
        "zz_long_body_text": "字" * 30_000,
    }
    row_id: uuid.UUID = await pool.fetchval(
        "INSERT INTO event_outbox (event_id, topic, key, payload, headers, status, attempts, "
        "last_error, last_error_class) VALUES ($1, $2, $3, $4, $5, 'FAILED', 3, $6, 'KafkaError') "
        "RETURNING id",
        uuid.uuid4(),
        topic,
        key,
        payload,
        {"ce_type": "<img src=x onerror=alert(1)>"},
        "</pre><b>error</b>",
    )
    return row_id


async def test_a_row_shows_its_payload_escaped_and_bounded(
    operator: httpx.AsyncClient, clean_db: asyncpg.Pool, console_settings: Settings
) -> None:
    row = await _hostile_row(clean_db, console_settings.kafka_topic, "key-<i>")
    listing = await operator.get("/console/ops/outbox")
    assert f'data-row-link="{row}"' in listing.text
    page = await operator.get(f"/console/ops/outbox/{row}")
    assert page.status_code == 200, page.text
    text = page.text
    assert HOSTILE not in text and "<img src=x" not in text and "</pre><b>" not in text
    assert "&lt;script&gt;" in text and "key-&lt;i&gt;" in text
    assert "&#34;title&#34;: " in text  # indented JSON (autoescaped quotes)
    size = len(str(await clean_db.fetchval("SELECT payload::text FROM event_outbox")).encode())
    assert f"{size} bytes" in text and f"the first {PAYLOAD_SHOWN} characters shown" in text
    assert text.count("字") <= PAYLOAD_SHOWN
    assert 'id="discard-row"' in text  # FAILED: it may be discarded

    for bad, status in (
        (f"/console/ops/outbox/{uuid.uuid4()}", 404),
        ("/console/ops/outbox/x", 422),
    ):
        assert (await operator.get(bad)).status_code == status


async def test_discard_asks_first_is_audited_and_acts_once(
    operator: httpx.AsyncClient,
    writer: httpx.AsyncClient,
    clean_db: asyncpg.Pool,
    console_settings: Settings,
) -> None:
    topic = console_settings.kafka_topic
    row = await failed_row(clean_db, topic, "key-a", "broker said no")
    other = await failed_row(clean_db, topic, "key-b")
    form = {"action_id": action(), "row_id": str(row)}
    refused = await writer.post("/console/ops/outbox/discard", data=form)
    assert refused.status_code == 403
    assert await clean_db.fetchval("SELECT count(*) FROM event_outbox") == 2

    first = await operator.post("/console/ops/outbox/discard", data=form)
    assert first.status_code == 303 and form["action_id"] in first.headers["location"]
    again = await operator.post("/console/ops/outbox/discard", data=form)  # a double submit
    assert again.status_code == 303
    ids = [r["id"] for r in await clean_db.fetch("SELECT id FROM event_outbox")]
    assert ids == [other]
    audit = await clean_db.fetch("SELECT * FROM operator_audit")
    assert [(r["action"], r["row_count"]) for r in audit] == [("outbox.discard", 1)]
    assert audit[0]["target"]["row_id"] == str(row) and audit[0]["target"]["key"] == "key-a"
    shown = await operator.get(first.headers["location"])
    assert f'data-done="{form["action_id"]}"' in shown.text
    assert "Discarded an outbox row" in (await operator.get("/console/ops/audit")).text

    # Gone, not FAILED, or not a row id: a clear 4xx and nothing changes.
    gone = await operator.post("/console/ops/outbox/discard", data={**form, "action_id": action()})
    assert gone.status_code == 404
    await clean_db.execute("UPDATE event_outbox SET status = 'PENDING' WHERE id = $1", other)
    pending = {"action_id": action(), "row_id": str(other)}
    assert (await operator.post("/console/ops/outbox/discard", data=pending)).status_code == 404
    bad = {"action_id": action(), "row_id": "1; DROP TABLE event_outbox"}
    assert (await operator.post("/console/ops/outbox/discard", data=bad)).status_code == 422
    assert await clean_db.fetchval("SELECT count(*) FROM event_outbox") == 1
    assert await clean_db.fetchval("SELECT count(*) FROM operator_audit") == 1
