"""The offline generator's CPU per proposal at the longest input a writer may send (issue 55):
every Genesis stage, both languages, the idea and the feedback each MAX_TEXT characters with
no sentence end (the worst case for a clause reader), against the same stage's proposal for a
one-line idea measured in the same run (the floor), and the same length as one-line change
requests (each sentence a request the reader parses). Target: <= 5 ms of CPU per proposal.

Usage: .venv/bin/python bench/offline_generator.py   (prints one JSON line at the end;
BENCH_ROUNDS: proposals measured per figure, default 20, the median reported)
"""

import json
import os
import statistics
import time
import uuid

from infinite_scribe.agents.llm.language import CHINESE, writer_language
from infinite_scribe.agents.llm.offline import story
from infinite_scribe.agents.llm.offline.generator import draft
from infinite_scribe.agents.llm.offline.words import CHINESE as CHINESE_WORDS, ENGLISH
from infinite_scribe.agents.llm.port import GenerationRequest
from infinite_scribe.domain.commands import MAX_TEXT
from infinite_scribe.domain.genesis import STAGE_ORDER
from infinite_scribe.text import named, segment
from shared_types.enums import GenesisStage

LONG = {
    "en": ("make the hero older and wiser and kinder " * 400)[:MAX_TEXT],
    "zh": ("让主角更老练更沉稳也更善良" * 800)[:MAX_TEXT],
}
#: The longest input as many one-line change requests (each sentence read as a request).
MANY = {
    "en": ("Make the hero a ship's doctor. " * 400)[:MAX_TEXT],
    "zh": ("主角改成一名仵作。" * 1200)[:MAX_TEXT],
}
SHORT = {
    "en": "A lighthouse keeper gets a letter from next year.",
    "zh": "守灯人收到一封来自明年的信。",
}
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))


def forget() -> None:
    """Empty the readers' caches (what the writer named, the facts of a text)."""
    named.read.cache_clear()
    story._read.cache_clear()


def cpu_ms(request: GenerationRequest) -> float:
    """Median CPU milliseconds of one proposal for `request`."""
    words = CHINESE_WORDS if writer_language(request) == CHINESE else ENGLISH
    draft(request, words)  # warm
    spent = []
    for _ in range(ROUNDS):
        forget()  # cold: every text read as if new (a session's idea is read once, issue 69)
        started = time.process_time()
        draft(request, words)
        spent.append(1000 * (time.process_time() - started))
    return statistics.median(spent)


def main() -> None:
    segment.warm()
    figures: dict[str, dict[str, float]] = {}
    for language in ("en", "zh"):
        for stage in STAGE_ORDER:
            if stage is GenesisStage.FINISHED:
                continue
            floor = cpu_ms(GenerationRequest(uuid.uuid4(), stage, user_input=SHORT[language]))
            long = GenerationRequest(
                uuid.uuid4(), stage, user_input=LONG[language], feedback=LONG[language],
                previous_proposal={},
            )  # fmt: skip
            many = GenerationRequest(
                uuid.uuid4(), stage, user_input=SHORT[language], feedback=MANY[language],
                previous_proposal={},
            )  # fmt: skip
            worst = max(cpu_ms(long), requests := cpu_ms(many))
            met = "met" if worst <= 5 else "MISSED"
            print(
                f"{language} {stage.value}: {worst:.2f} ms at the longest input ({requests:.2f} "
                f"ms as one-line requests), {floor:.2f} ms for one line ({worst / floor:.1f}x) "
                f"({met}: <= 5 ms)",
                flush=True,
            )
            figures[f"{language}.{stage.value}"] = {
                "longest_ms": worst,
                "many_requests_ms": requests,
                "one_line_ms": floor,
            }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
