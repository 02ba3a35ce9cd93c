"""A generation's counts (issue 68): the calls' tokens summed, the speed of the writing, and the
worker's /metrics naming the model with its tokens, speed, seconds per stage and count ratio."""

from infinite_scribe.agents.llm.port import (
    Usage,
    metering,
    report_prompt,
    report_usage,
    report_writing,
)
from infinite_scribe.agents.metrics import AgentMetrics


def test_a_generations_calls_are_summed_and_its_speed_computed() -> None:
    with metering() as usage:
        report_prompt(900, ["earlier"])
        report_usage(1000, 120)
        report_writing(3.0)
        report_prompt(950, ["earlier", "memory"])
        report_usage(1100, None)  # a server that did not say: nothing added
        report_usage(None, 60)
        report_writing(3.0)
    assert (usage.tokens_in, usage.tokens_out, usage.tokens_counted) == (2100, 180, 1850)
    assert usage.cuts == ["earlier", "memory"] and usage.tokens_per_second == 30.0
    assert Usage().tokens_per_second is None and Usage(tokens_out=5).tokens_per_second is None


def test_outside_a_meter_nothing_is_counted() -> None:
    report_usage(1, 1)
    report_prompt(1, ["x"])
    report_writing(1.0)  # no meter: ignored, no error


def test_the_metrics_name_the_model_and_count_its_work() -> None:
    metrics = AgentMetrics()
    metrics.model_info.labels("openai", "smollm2").set(1)
    usage = Usage(tokens_in=500, tokens_out=200, tokens_counted=520, writing_seconds=10.0)
    metrics.observe_usage("smollm2", "CONCEPT_SELECTION", usage, 12.5)
    metrics.observe_usage(None, "CHAPTER", Usage(), 1.0)  # the offline writer: seconds only
    value = metrics.registry.get_sample_value
    assert value("agent_model_info", {"provider": "openai", "model": "smollm2"}) == 1
    assert value("agent_model_tokens_total", {"model": "smollm2", "direction": "in"}) == 500
    assert value("agent_model_tokens_total", {"model": "smollm2", "direction": "out"}) == 200
    assert value("agent_model_tokens_per_second_sum", {"model": "smollm2"}) == 20.0
    seconds = {"stage": "CONCEPT_SELECTION", "model": "smollm2"}
    assert value("agent_stage_seconds_sum", seconds) == 12.5
    assert value("agent_stage_seconds_count", {"stage": "CHAPTER", "model": "unknown"}) == 1
    assert value("agent_prompt_tokens_reported_per_counted_sum") == 500 / 520
