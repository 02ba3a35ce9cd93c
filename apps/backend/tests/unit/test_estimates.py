"""The estimate before a generation (issue 55): tokens by about four characters of English and
one Chinese character, from the last prompt sent, what is new since, and the last proposal."""

import pytest

from infinite_scribe.domain.estimates import Pricing, estimate, tokens

MESSAGES = [{"role": "system", "content": "x" * 400}, {"role": "user", "content": "灯塔" * 50}]


def test_tokens_count_chinese_by_character_and_english_by_four() -> None:
    assert tokens("") == 0 and tokens("abcd") == 1 and tokens("abcde") == 2
    assert tokens("灯塔看守人") == 5 and tokens("灯塔 keeper") == 2 + 2


def test_the_offline_generator_costs_nothing() -> None:
    found = estimate(Pricing(None), None, {"premise": "p"})
    assert (found.model, found.tokens_in, found.tokens_out, found.cost) == (None, 0, 0, 0.0)


def test_no_prompt_yet_says_so_and_guesses_nothing() -> None:
    found = estimate(Pricing("qwen"), None, None)
    assert found.tokens_in == 0 and found.cost is None and "no prompt" in found.basis


# 213 tokens in at 2 per million, 13 out at 8 per million.
@pytest.mark.parametrize(("prices", "cost"), [((None, None), None), ((2.0, 8.0), 0.00053)])
def test_a_revision_adds_the_proposal_and_prices_the_tokens(
    prices: tuple[float | None, float | None], cost: float | None
) -> None:
    proposal = {"premise": "y" * 36}  # {"premise": "yyy..."}: 50 characters, 13 tokens
    found = estimate(Pricing("qwen", *prices), MESSAGES, proposal, proposal)
    assert found.tokens_in == 100 + 100 + 13 and found.tokens_out == 13
    assert found.cost == cost
