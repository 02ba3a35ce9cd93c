"""What the next generation of a stage will cost, before it runs (issue 55), pure.

A model is billed by tokens; a token is about four characters of English and about one Chinese
character (the tokenizers of the common open models come close to that; exact counts are the
server's, and the history shows them after: provenance `tokens_in` / `tokens_out`). The prompt
of the next generation is estimated from the last prompt of the stage that was recorded
(decision 5502), the tokens out from the last proposal: a regeneration sends the same prompt
again, a revision adds the proposal and the feedback, a new stage's first proposal the stage
confirmed last. With no prompt recorded (the offline generator sends none) there is nothing to
bill.
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infinite_scribe.domain.language import HAN

#: Characters per token of text that is not Chinese.
_CHARACTERS_PER_TOKEN = 4


def tokens(text: str) -> int:
    """About how many tokens `text` is."""
    han = len(HAN.findall(text))
    return han + math.ceil((len(text) - han) / _CHARACTERS_PER_TOKEN)


@dataclass(frozen=True)
class Pricing:
    """The configured model and what it costs per million tokens (None: no price set)."""

    model: str | None
    input_per_million: float | None = None
    output_per_million: float | None = None


@dataclass(frozen=True)
class Estimate:
    model: str | None
    tokens_in: int
    tokens_out: int
    #: In the price's currency; None when no price is set.
    cost: float | None
    #: What the figures come from, in words.
    basis: str


def estimate(
    pricing: Pricing,
    messages: Sequence[Mapping[str, str]] | None,
    last_result: Mapping[str, Any] | None,
    extra: Mapping[str, Any] | None = None,
) -> Estimate:
    """The next generation's estimate from the stage's last recorded `messages`, the proposal
    it would revise or follow (`last_result`) and what is new since (`extra`: a confirmed
    stage, a feedback)."""
    if pricing.model is None or not messages:
        basis = "the offline generator: no model call" if pricing.model is None else (
            "no prompt of this session was sent to a model yet"
        )  # fmt: skip
        return Estimate(pricing.model, 0, 0, 0.0 if pricing.model is None else None, basis)
    sent = sum(tokens(str(message.get("content", ""))) for message in messages)
    added = tokens(_text(extra)) if extra else 0
    # A stage's first proposal has none before it: a quarter of its prompt, as a stage's
    # proposal is a fraction of the context it is written from.
    out = tokens(_text(last_result)) if last_result else sent // 4
    cost = None
    if pricing.input_per_million is not None and pricing.output_per_million is not None:
        cost = round((sent + added) * pricing.input_per_million / 1e6
                     + out * pricing.output_per_million / 1e6, 6)  # fmt: skip
    basis = "the last prompt sent for this session, plus what is new since; the last proposal"
    return Estimate(pricing.model, sent + added, out, cost, basis)


def _text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
