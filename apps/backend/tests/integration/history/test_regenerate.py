"""A proposal generated again with another model, and the prompt each was generated from
(issue 55), over real HTTP with the outbox, the relay, the broker, an agent worker and a fake
OpenAI-compatible model server (the one faked part): the regeneration reads the same recorded
request, its provenance names its model and the proposal it replays; the prompt view shows the
messages the model got; bad input is refused before anything is written."""

import uuid
from typing import Any

import asyncpg
import httpx
import pytest

from infinite_scribe.domain.estimates import tokens
from infinite_scribe.settings.settings import Settings
from tests.support.agent_stack import agent_stack, client, model_stack, stack_settings, wait_task
from tests.support.console import action, signed_in

pytestmark = [pytest.mark.kafka, pytest.mark.slow]
SESSIONS = "/api/v1/genesis/sessions"
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


async def _answered(http: httpx.AsyncClient, reply: httpx.Response) -> None:
    assert reply.status_code == 202, reply.text
    assert (await wait_task(http, reply.json()["task_id"]))["status"] == "COMPLETED"


async def _proposals(http: httpx.AsyncClient, sid: str) -> list[dict[str, Any]]:
    history = (await http.get(f"{SESSIONS}/{sid}/history")).json()
    versions: list[dict[str, Any]] = history["stages"][0]["versions"]
    return [v for v in versions if v["kind"] == "proposed"]


async def _events(pool: asyncpg.Pool, sid: str) -> int:
    count: int = await pool.fetchval(
        "SELECT count(*) FROM domain_events WHERE aggregate_id = $1", sid
    )
    return count


async def test_a_proposal_again_with_another_model_from_the_same_inputs(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    prices = {"llm_price_input_per_million": 2.0, "llm_price_output_per_million": 8.0}
    async with model_stack(settings, **prices) as stack:
        llm, http = stack.llm, stack.http
        idea = {"initial_user_input": {"idea": "灯塔看守人收到一封来自明年的信"}}
        sid = (await http.post(SESSIONS, json=idea)).json()["session_id"]
        ask = {"command_type": "RequestConceptGeneration"}
        await _answered(http, await http.post(f"{SESSIONS}/{sid}/commands", json=ask))
        [first] = await _proposals(http, sid)
        # Before the next generation: about what it costs, from the prompt just sent.
        ahead = (await http.get(f"{SESSIONS}/{sid}/estimate")).json()
        sent_tokens = sum(tokens(m["content"]) for m in llm.requests[0].body["messages"])
        assert ahead["model"] == llm.MODEL and ahead["tokens_in"] > sent_tokens
        assert ahead["tokens_out"] > 0 and ahead["cost"] == pytest.approx(
            ahead["tokens_in"] * 2 / 1e6 + ahead["tokens_out"] * 8 / 1e6
        )
        shown = await http.get(f"{SESSIONS}/{sid}/versions/{first['event_id']}/prompt")
        assert shown.status_code == 200, shown.text
        sent = shown.json()
        # The messages the model got, as it got them (the fake server saw the same).
        assert sent["messages"] == llm.requests[0].body["messages"]
        assert [m["role"] for m in sent["messages"]] == ["system", "user"]
        assert sent["request"]["stage"] == "CONCEPT_SELECTION"

        again = f"{SESSIONS}/{sid}/versions/{first['event_id']}/regenerate"
        await _answered(http, await http.post(again, json={"model": "offline"}))
        first_again, second = await _proposals(http, sid)
        assert first_again["event_id"] == first["event_id"]
        assert second["provenance"]["model"] == "offline-generator"
        assert second["provenance"]["replay_of"] == first["event_id"]
        assert first["provenance"]["model"] == llm.MODEL
        replayed = await http.get(f"{SESSIONS}/{sid}/versions/{second['event_id']}/prompt")
        # The same recorded inputs; the offline generator sends no messages.
        assert replayed.json()["request"] == sent["request"]
        assert replayed.json()["messages"] is None

        # Back to the model, from the offline proposal: the model gets the same prompt.
        back = f"{SESSIONS}/{sid}/versions/{second['event_id']}/regenerate"
        await _answered(http, await http.post(back, json={"model": llm.MODEL}))
        assert llm.requests[-1].body["messages"] == llm.requests[0].body["messages"]
        # It samples as the first did (the seed recorded with the request); a new ask draws
        # its own, so asking again is not the same answer again.
        seed = llm.requests[0].body["seed"]
        assert isinstance(seed, int) and llm.requests[-1].body["seed"] == seed
        await _answered(http, await http.post(f"{SESSIONS}/{sid}/commands", json=ask))
        assert llm.requests[-1].body["seed"] != seed
        *_, third = await _proposals(http, sid)
        assert third["provenance"]["model"] == llm.MODEL


async def test_a_bad_regeneration_is_refused_and_writes_nothing(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    config = stack_settings(settings)
    async with agent_stack(config) as server, client(server, config, uuid.uuid4()) as http:
        sid = (await http.post(SESSIONS, json={})).json()["session_id"]
        ask = {"command_type": "RequestConceptGeneration"}
        await _answered(http, await http.post(f"{SESSIONS}/{sid}/commands", json=ask))
        [proposal] = await _proposals(http, sid)
        offline = (await http.get(f"{SESSIONS}/{sid}/estimate")).json()
        assert (offline["model"], offline["tokens_in"], offline["cost"]) == (None, 0, 0.0)
        before = await _events(clean_db, sid)
        path = f"{SESSIONS}/{sid}/versions/{proposal['event_id']}/regenerate"
        unknown = await http.post(path, json={"model": "gpt-99"})
        assert unknown.status_code == 422 and unknown.json()["error_code"] == "UNKNOWN_MODEL"
        odd = await http.post(path, json={"model": "x" * 201})
        assert odd.status_code == 422
        # Through the commands endpoint too.
        command = {"event_id": proposal["event_id"], "model": "gpt-99"}
        body = {"command_type": "RegenerateProposal", "payload": command}
        generic = await http.post(f"{SESSIONS}/{sid}/commands", json=body)
        assert generic.status_code == 422 and generic.json()["error_code"] == "UNKNOWN_MODEL"
        created = await clean_db.fetchval(
            "SELECT event_id FROM domain_events WHERE aggregate_id = $1 AND aggregate_version = 1",
            sid,
        )
        not_a_proposal = f"{SESSIONS}/{sid}/versions/{created}/regenerate"
        refused = await http.post(not_a_proposal, json={"model": "offline"})
        assert refused.status_code == 422 and refused.json()["error_code"] == "INVALID_VERSION"
        assert await _events(clean_db, sid) == before
        # Another writer sees neither the prompt nor may regenerate.
        async with client(server, config, uuid.uuid4()) as stranger:
            prompt = f"{SESSIONS}/{sid}/versions/{proposal['event_id']}/prompt"
            assert (await stranger.get(prompt)).status_code == 404
            assert (await stranger.post(path, json={"model": "offline"})).status_code == 404
        # A proposal of a stage the session has left: roll back to it first.
        confirm = {
            "command_type": "ConfirmStage",
            "payload": {"stage": "CONCEPT_SELECTION", "choice": 0},
        }
        assert (await http.post(f"{SESSIONS}/{sid}/commands", json=confirm)).status_code == 200
        moved = await http.post(path, json={"model": "offline"})
        assert moved.status_code == 409 and moved.json()["error_code"] == "INVALID_STATE"


async def test_the_console_regenerates_and_shows_the_prompt(
    settings: Settings, clean_db: asyncpg.Pool
) -> None:
    async with model_stack(settings) as stack:
        llm, http = stack.llm, stack.http
        sid = (await http.post(SESSIONS, json={})).json()["session_id"]
        ask = {"command_type": "RequestConceptGeneration"}
        await _answered(http, await http.post(f"{SESSIONS}/{sid}/commands", json=ask))
        [first] = await _proposals(http, sid)
        async with signed_in(stack.server.url, stack.settings, stack.user_id) as console:
            page = await console.get(f"/console/sessions/{sid}/history", headers=ZH)
            assert f'data-regenerate="{first["event_id"]}"' in page.text
            assert "换一个模型重新生成" in page.text and llm.MODEL in page.text
            prompt = await console.get(
                f"/console/sessions/{sid}/versions/{first['event_id']}/prompt", headers=ZH
            )
            assert prompt.status_code == 200 and 'data-role="system"' in prompt.text
            form = {"action_id": action(), "event_id": first["event_id"], "model": "nope"}
            refused = await console.post(f"/console/sessions/{sid}/regenerate", data=form)
            assert refused.status_code == 422
            form |= {"action_id": action(), "model": "offline"}
            sent = await console.post(f"/console/sessions/{sid}/regenerate", data=form)
            assert sent.status_code == 303, sent.text
            [task] = await clean_db.fetch(
                "SELECT id FROM async_tasks WHERE session_id = $1 AND status <> 'COMPLETED'",
                uuid.UUID(sid),
            )
            assert (await wait_task(http, str(task["id"])))["status"] == "COMPLETED"
            _, second = await _proposals(http, sid)
            page = await console.get(f"/console/sessions/{sid}/history", headers=ZH)
            assert "重新生成自" in page.text
            # In words, with no internal values (issue 55).
            assert "离线草稿" in page.text and "offline_draft" not in page.text
            assert ">None<" not in page.text
            offline = await console.get(
                f"/console/sessions/{sid}/versions/{second['event_id']}/prompt", headers=ZH
            )
            assert 'id="no-messages"' in offline.text
