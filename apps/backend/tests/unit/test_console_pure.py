"""The console's pure parts: form payloads (the ConfirmStage switch point), the SVG layout,
role claims, the development sign-in rule, redirects and dead-letter filters."""

import asyncio
import uuid

import jwt
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from infinite_scribe.api.app import _warm_up, create_app
from infinite_scribe.api.auth import OPERATOR_ROLE, create_access_token, roles_of_verified
from infinite_scribe.api.console.chain_svg import BOX_WIDTH, COLUMN, layout
from infinite_scribe.api.console.genesis_forms import (
    confirm_payload,
    options_of,
    request_command,
    split_list,
)
from infinite_scribe.api.console.sign_in import DEV_USER_ID, offers_dev_token, safe_next
from infinite_scribe.api.console.web import compile_templates, templates
from infinite_scribe.application.ports.operator import DeadLetterFilter, DeadLetterView
from infinite_scribe.settings.settings import DEV_JWT_SECRET, Settings
from shared_types import GenesisStage

CONCEPTS = {
    "source": "offline_draft",
    "note": "n",
    "concepts": [{"title": "A", "logline": "a"}, {"title": "B", "logline": "b"}],
}
STORY = {"source": "llm", "note": "n", "title": "T", "premise": "p"}


def test_options_are_the_concepts_or_the_proposal_itself() -> None:
    assert options_of(GenesisStage.CONCEPT_SELECTION, CONCEPTS) == CONCEPTS["concepts"]
    assert options_of(GenesisStage.STORY_CONCEPTION, STORY) == [{"title": "T", "premise": "p"}]
    assert options_of(GenesisStage.WORLDVIEW, None) == []
    assert options_of(GenesisStage.CONCEPT_SELECTION, {"concepts": "nope"}) == []


def test_confirm_sends_the_chosen_option() -> None:
    payload = confirm_payload(GenesisStage.CONCEPT_SELECTION, CONCEPTS, 1)
    assert payload == {"stage": "CONCEPT_SELECTION", "choice": 1}
    with pytest.raises(IndexError):
        confirm_payload(GenesisStage.CONCEPT_SELECTION, CONCEPTS, 2)
    with pytest.raises(IndexError):
        confirm_payload(GenesisStage.STORY_CONCEPTION, STORY, -1)


CAST = {
    "source": "offline_draft",
    "characters": [
        {"name": "林舟", "role": "protagonist", "traits": ["brave", "stubborn"], "age": 30},
        {"name": "苏晚", "role": "mentor", "traits": []},
    ],
    "relationships": ["林舟 owes 苏晚 a debt"],
}


def test_edited_fields_replace_the_options_before_confirming() -> None:
    """Issue 29: the writer edits the proposal's texts on the page; what changed is sent as
    `data` beside the choice (the API merges it over the option)."""
    fields = {
        "f:characters.0.name": ["  林舟舟 "],
        "f:characters.1.traits": ["wise\n\n patient "],
        "f:relationships": ["林舟 owes 苏晚 a life"],
        "f:characters.0.age": ["31"],  # not a text: left as it is
        "f:characters.9.name": ["ghost"],  # no such card
        "f:invented": ["x"],  # no such field
        "action_id": ["a"],
    }
    payload = confirm_payload(GenesisStage.CHARACTERS, CAST, 0, fields)
    assert payload["stage"] == "CHARACTERS" and payload["choice"] == 0
    assert payload["data"] == {
        "characters": [
            {"name": "林舟舟", "role": "protagonist", "traits": ["brave", "stubborn"], "age": 30},
            {"name": "苏晚", "role": "mentor", "traits": ["wise", "patient"]},
        ],
        "relationships": ["林舟 owes 苏晚 a life"],
    }
    unchanged = {"f:characters.0.name": ["林舟"], "f:relationships": ["林舟 owes 苏晚 a debt"]}
    assert confirm_payload(GenesisStage.CHARACTERS, CAST, 0, unchanged) == {
        "stage": "CHARACTERS",
        "choice": 0,
    }
    assert CAST["characters"][0]["name"] == "林舟"  # the proposal itself is not changed


def test_requests_follow_the_stage() -> None:
    command, payload = request_command(GenesisStage.CONCEPT_SELECTION, "科幻, 悬疑", "快节奏", "x")
    assert command == "RequestConceptGeneration"
    assert payload == {
        "theme_preferences": ["科幻", "悬疑"],
        "style_preferences": ["快节奏"],
        "user_input": "x",
    }
    command, payload = request_command(GenesisStage.WORLDVIEW, "dark", None, None)
    assert command == "RequestStageGeneration"
    assert payload == {"stage": "WORLDVIEW", "preferences": {"themes": ["dark"]}}
    assert split_list(",".join(["x" * 300] * 30)) == ["x" * 200] * 20
    assert split_list(" , \n ,") == []


def _tree() -> dict:
    def node(event_id: str, *children: dict) -> dict:
        event = {"event_id": event_id, "event_type": f"Genesis.Session.{event_id}", "id": 1}
        return {"event": event, "children": list(children)}

    return node("root", node("a", node("b"), node("c")), node("d"))


def test_the_tree_is_laid_out_left_to_right() -> None:
    drawn = layout(_tree(), highlight="c")
    by_id = {n.event_id: n for n in drawn.nodes}
    assert by_id[None].detail == "the first command"  # the root links nowhere
    assert by_id["a"].x == by_id[None].x + COLUMN and by_id["b"].x == by_id["a"].x + COLUMN
    assert by_id["a"].y == (by_id["b"].y + by_id["c"].y) / 2  # centred on its children
    assert len({by_id[k].y for k in ("b", "c", "d")}) == 3  # one row per leaf
    assert [n.event_id for n in drawn.nodes if n.highlighted] == ["c"]
    assert len(drawn.edges) == 4 and drawn.width >= by_id["b"].x + BOX_WIDTH


def test_roles_come_from_a_list_or_a_single_claim() -> None:
    settings = Settings(jwt_secret_key=SecretStr("s" * 40))
    user = uuid.uuid4()
    assert roles_of_verified(create_access_token(settings, user, roles=["operator"])) == {
        OPERATOR_ROLE
    }
    assert roles_of_verified(create_access_token(settings, user)) == frozenset()
    for claims, expected in (
        ({"role": "operator"}, {"operator"}),
        ({"roles": "operator"}, set()),  # not a list: grants nothing
        ({"roles": [1, {"x": 1}, "operator"]}, {"operator"}),
    ):
        token = jwt.encode({"sub": str(user), **claims}, "k" * 40, algorithm="HS256")
        assert roles_of_verified(token) == expected


def test_the_development_token_is_offered_only_with_the_development_secret() -> None:
    from infinite_scribe.cli.up import DEV_USER_ID as PRINTED

    assert DEV_USER_ID == PRINTED
    assert offers_dev_token(Settings(jwt_secret_key=SecretStr(DEV_JWT_SECRET)))
    assert not offers_dev_token(Settings(jwt_secret_key=SecretStr("x" * 40)))


def test_only_console_paths_are_followed_after_sign_in() -> None:
    assert safe_next("/console/ops/audit") == "/console/ops/audit"
    for bad in ("https://evil.example/", "//evil.example/console/", "/console//x", "/api/v1", None):
        assert safe_next(bad) is None


def test_dead_letter_filters() -> None:
    letter = DeadLetterView(0, 5, "k", "Boom", "model said no", "t/0/1", "X.Requested")
    assert DeadLetterFilter().matches(letter)
    assert DeadLetterFilter(text="SAID").matches(letter)
    assert not DeadLetterFilter(key="other").matches(letter)
    assert not DeadLetterFilter(error_class="Other").matches(letter)
    settled = DeadLetterView(**{**vars(letter), "disposition": "REPLAYED"})
    assert not DeadLetterFilter().matches(settled) and DeadLetterFilter(settled=True).matches(
        settled
    )
    assert DeadLetterFilter(key="k", settled=True).as_target() == {"key": "k"}


def test_scribe_token_can_carry_the_operator_role(monkeypatch: pytest.MonkeyPatch) -> None:
    from infinite_scribe.cli import app

    secret = "cli-test-secret-0123456789-0123456789"
    monkeypatch.setenv("JWT_SECRET_KEY", secret)
    monkeypatch.setenv("SCRIBE_ENV_FILE", "")
    result = CliRunner().invoke(app, ["token", "--user", str(uuid.uuid4()), "--operator"])
    assert result.exit_code == 0, result.output
    assert jwt.decode(result.output.strip(), secret, algorithms=["HS256"])["roles"] == ["operator"]


def test_the_bibles_history_follows_every_version() -> None:
    from datetime import UTC, datetime

    from infinite_scribe.api.console.bible_history import bible_history

    at = datetime(2026, 11, 22, tzinfo=UTC)
    story = "STORY_CONCEPTION"
    events = [
        {"event_type": "Genesis.Session.Created", "payload": {}, "created_at": at},
        {
            "event_type": "Genesis.Session.StageContent.Proposed",
            "payload": {"stage": story, "result": {"title": "A", "premise": "p", "source": "x"}},
            "created_at": at,
        },
        {
            "event_type": "Genesis.Session.FeedbackSubmitted",
            "payload": {"stage": story, "feedback": "darker"},
            "created_at": at,
        },
        {
            "event_type": "Genesis.Session.StageContent.Proposed",
            "payload": {"stage": story, "revision": True, "result": {"title": "A", "premise": "q"}},
            "created_at": at,
        },
        {
            "event_type": "Genesis.Session.StageConfirmed",
            "payload": {"stage": story, "data": {"title": "B", "premise": "q"}},
            "created_at": at,
        },
        {
            "event_type": "Genesis.Session.StageConfirmed",
            "payload": {"stage": "NOPE"},
            "created_at": at,
        },
    ]
    [history] = bible_history(events)
    assert history.stage is GenesisStage.STORY_CONCEPTION
    kinds = [(v.kind, v.changed, v.feedback) for v in history.versions]
    assert kinds == [
        ("proposed", ["title", "premise"], None),
        ("revised", ["premise"], "darker"),
        ("confirmed", ["title"], None),
    ]


def test_after_the_start_compiles_them_no_page_compiles_its_template_on_the_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The API's start compiles every console template on a thread (api/app.py `_warm_up`):
    a page's first render had compiled its own on the loop (142 ms for the session's panel)."""
    compile_templates()
    names = templates.env.list_templates(extensions=["html"])
    assert len(names) > 20

    def compiles(*args: object, **kwargs: object) -> None:
        raise AssertionError("a template was compiled at render")

    monkeypatch.setattr(templates.env, "compile", compiles)
    for name in names:
        templates.env.get_template(name)


def test_the_apis_start_compiles_the_console_templates() -> None:
    app = create_app(Settings(database_url="postgresql://unused/db"))
    templates.env.cache.clear()
    asyncio.run(_warm_up(app))
    assert len(templates.env.cache) == len(templates.env.list_templates(extensions=["html"]))
