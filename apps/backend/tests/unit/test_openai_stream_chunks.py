"""The streamed chunks of an OpenAI-protocol reply, read without the SDK's chunk objects
(agents/llm/openai_provider.py, decision 2700): what a server may send besides text."""

import pytest

from infinite_scribe.agents.llm.openai_provider import _chunk
from infinite_scribe.agents.llm.port import InvalidOutput
from infinite_scribe.agents.llm.streamed_reply import StreamedReply


def test_text_refusal_and_finish_reason_are_taken_and_drafts_see_the_text_so_far() -> None:
    reply, drafts = StreamedReply(2048), []
    for data in (
        '{"choices": [{"delta": {"role": "assistant", "content": "{\\"a\\""}}]}',
        '{"choices": []}',  # usage-only chunks have no choice
        '{"choices": [{"delta": {"content": ": 1}"}, "finish_reason": null}]}',
        '{"choices": [{"delta": {}, "finish_reason": "stop"}]}',
    ):
        reply.take(_chunk(data), lambda text: drafts.append(text()))
    assert reply.checked() == '{"a": 1}'
    assert drafts == ['{"a"', '{"a": 1}']
    refused = StreamedReply(2048)
    refused.take(_chunk('{"choices": [{"delta": {"refusal": "no"}}]}'), None)
    with pytest.raises(InvalidOutput, match="refused"):
        refused.checked()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("{not json", "unexpected reply"),
        ("[1, 2]", "not an object"),
        ('{"error": {"message": "overloaded"}}', "sent an error"),
    ],
)
def test_a_chunk_that_is_not_one_is_invalid_output(data: str, message: str) -> None:
    with pytest.raises(InvalidOutput, match=message):
        _chunk(data)


def test_odd_shapes_are_ignored_not_fatal() -> None:
    reply = StreamedReply(2048)
    for data in ('{"choices": "x"}', '{"choices": [1]}', '{"choices": [{"delta": null}]}'):
        reply.take(_chunk(data), None)
    with pytest.raises(InvalidOutput, match="no content"):
        reply.checked()


def test_a_reply_past_its_bound_in_bytes_is_invalid_output() -> None:
    # Issue 79: a server that ignores max_tokens streamed 10 MB; 64 tokens allow 2 KiB of text.
    reply = StreamedReply(64)
    piece = '{"choices": [{"delta": {"content": "%s"}}]}' % ("x" * 1000)
    reply.take(_chunk(piece), None)
    reply.take(_chunk(piece), None)
    with pytest.raises(InvalidOutput, match="passed 2048 bytes"):
        reply.take(_chunk(piece), None)
    framed = StreamedReply(64)  # lines that carry no text count too (their frames)
    with pytest.raises(InvalidOutput, match="frames"):
        for _ in range(200):
            framed.received(1000)
