"""The writer's codex (issue 76): what it costs the API's loop and the worker.

- an `EditCodex` rename, which `evolve` makes in every confirmed stage and the proposal on the
  API's loop: CPU per rename for a session whose outline has 30, 300 and 1,000 chapters;
- the codex read from an idea (the worker, off its loop), warm, both languages.

Usage: .venv/bin/python bench/codex.py   (prints one JSON line at the end; BENCH_ROUNDS:
renames measured per figure, default 20, the median reported)
"""

import json
import os
import statistics
import time

from infinite_scribe.domain.renaming import renamed_everywhere
from infinite_scribe.text import segment
from infinite_scribe.text.codex_reading import read_codex

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "20"))
SUMMARY = "Isobel Reid meets Ann at Leith and they argue about the ledger for a long while. " * 3
IDEAS = {
    "en": "Isobel Reid, a pawnbroker's apprentice in Edinburgh, must find the stolen ledger "
    "before Midsummer; her nemesis, Mr Dunbar from Glasgow, wants it too.",
    "zh": "民国二十三年的苏州，女法医沈清秋在观前街的老宅里发现一具尸体，"  # noqa: RUF001
    "她必须在中秋节前找到凶手，宿敌是上海来的古董商白三爷。",  # noqa: RUF001
}


def _cpu_ms(work: object, *args: object) -> float:
    times = []
    for _ in range(ROUNDS):
        start = time.process_time()
        work(*args)  # type: ignore[operator]
        times.append((time.process_time() - start) * 1000)
    return round(statistics.median(times), 2)


def main() -> None:
    figures: dict[str, float] = {}
    renames = {"Isobel Reid": "Effie Reid", "Ann": "Morag"}
    for chapters in (30, 300, 1000):
        outline = [{"title": f"Chapter {i}", "summary": SUMMARY} for i in range(chapters)]
        state = {"PLOT_OUTLINE": {"chapters": outline}}
        kilobytes = len(json.dumps(state)) // 1000
        figures[f"rename_ms_{chapters}_chapters_{kilobytes}kb"] = _cpu_ms(
            renamed_everywhere, state, renames
        )
    segment.warm()
    for language, idea in IDEAS.items():
        read_codex(idea)  # cached after the first read: each round reads a new text
        texts = iter(f"{idea} {n}" for n in range(ROUNDS))
        figures[f"read_ms_{language}"] = _cpu_ms(lambda t=texts: read_codex(next(t)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
