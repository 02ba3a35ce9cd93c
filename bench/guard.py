# ruff: noqa: RUF001 - Chinese text uses full-width punctuation on purpose
"""The guard's CPU per proposal (issue 76, target < 5 ms): domain/proposal_guard.py reading
every Genesis stage's offline proposal for a codex of five entries, in both languages, a
30-chapter outline, a model's largest concept and cast replies, and a chapter of about 3,000
words (or 5,000 characters) with a book of five earlier summaries; the median and the worst of
each, in milliseconds of CPU.

Usage: .venv/bin/python bench/guard.py   (prints one JSON line at the end; BENCH_ROUNDS:
checks measured per figure, default 50, the median reported)
"""

import json
import os
import statistics
import time
import uuid
from typing import Any

from infinite_scribe.agents.llm.offline.generator import draft
from infinite_scribe.agents.llm.offline.words import CHINESE, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.agents.llm.prompts import prompt_echoes
from infinite_scribe.domain.codex import Codex, CodexEntry
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.domain.proposal_guard import Asked, check_chapter, check_stage
from infinite_scribe.text import segment
from shared_types.enums import GenesisStage

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "50"))
IDEAS = {
    "en": (
        "In 1920 Leith, the pawnbroker's apprentice Isobel Grant must redeem her mother's "
        "ring before Hogmanay, while the Collector Mr Vane wants it sold."
    ),
    "zh": "民国二十三年的苏州，当铺学徒沈青必须在除夕前赎回母亲的戒指，宿敌顾三爷却想把它卖掉。",
}
CODEXES = {
    "en": Codex(
        (
            CodexEntry("person", "Isobel Grant", "hero"),
            CodexEntry("person", "Mr Vane", "rival"),
            CodexEntry("place", "Leith"),
            CodexEntry("time", "Hogmanay", "deadline"),
            CodexEntry("object", "ring"),
        ),
        "en",
    ),
    "zh": Codex(
        (
            CodexEntry("person", "沈青", "hero"),
            CodexEntry("person", "顾三爷", "rival"),
            CodexEntry("place", "苏州"),
            CodexEntry("time", "除夕", "deadline"),
            CodexEntry("object", "戒指"),
        ),
        "zh",
    ),
}


def _cpu_ms(call: Any) -> tuple[float, float]:
    """(median, worst) CPU milliseconds of `call()` over ROUNDS calls."""
    times = []
    for _ in range(ROUNDS):
        started = time.process_time()
        call()
        times.append((time.process_time() - started) * 1000)
    return round(statistics.median(times), 3), round(max(times), 3)


def _proposals(language: str) -> dict[str, dict[str, Any]]:
    words = CHINESE if language == "zh" else ENGLISH
    confirmed: dict[str, Any] = {}
    found = {}
    for stage in STAGE_ORDER:
        if stage is GenesisStage.FINISHED:
            continue
        request = GenerationRequest(
            uuid.uuid4(),
            stage,
            dict(confirmed),
            user_input=IDEAS[language],
            preferences={"chapters": 30},
            codex=CODEXES[language].as_json(),
        )
        content = draft(request, words).model_dump(mode="json")
        found[stage.value] = content
        confirmed[stage.value] = content["concepts"][0] if "concepts" in content else content
    return found


def _chapter(language: str) -> str:
    if language == "zh":
        return "".join(f"沈青在第{n}个路口停下，听见当铺的门响了{n}次。" for n in range(200))
    said = "Isobel stopped at corner {n} and heard the shop door {n} times."
    return " ".join(said.format(n=n) for n in range(250))


#: The prompts' words, as the worker's guard holds them.
ECHOES = prompt_echoes()


def main() -> None:
    segment.warm()
    figures: dict[str, Any] = {}
    for language in ("en", "zh"):
        codex, asked = CODEXES[language], Asked(language, chapters=30, options=3)
        for stage, content in _proposals(language).items():
            key = f"{language}.{stage}"
            figures[key] = _cpu_ms(
                lambda s=stage, c=content, x=codex, a=asked: check_stage(s, c, x, a, ECHOES)
            )
        text, book = _chapter(language), [IDEAS[language]] * 5
        beats = [IDEAS[language]] * 6
        figures[f"{language}.chapter"] = _cpu_ms(
            lambda t=text, b=book, bt=beats, x=codex, lg=language: check_chapter(
                t, bt, x, lg, b, ECHOES
            )
        )
    worst = max(worst for _, worst in figures.values())
    median = max(median for median, _ in figures.values())
    for key, (med, top) in figures.items():
        print(f"{key:28s} median {med:7.3f} ms  worst {top:7.3f} ms")
    print(json.dumps({"guard_ms_median_max": median, "guard_ms_worst": worst, "target_ms": 5}))


if __name__ == "__main__":
    main()
