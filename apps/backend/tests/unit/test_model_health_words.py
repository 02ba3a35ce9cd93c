"""The model server's status in words (runtime/model_health.py): what each answer means."""

import aiohttp

from infinite_scribe.runtime.model_health import _answered, connection_failure


def test_an_answer_is_ok_unless_the_key_is_refused_or_the_server_errs() -> None:
    assert _answered(200).ok and _answered(404).ok  # a server without /models still answers
    refused = _answered(401)
    assert not refused.ok and "refuses the API key (401)" in refused.detail
    assert not _answered(503).ok and "(503)" in _answered(503).detail


def test_connection_failures_are_sentences() -> None:
    disconnected = aiohttp.ServerDisconnectedError()
    assert connection_failure(disconnected) == (
        "the model server closed the connection before it answered"
    )
    assert "broke off" in connection_failure(aiohttp.ClientPayloadError("cut"))
    other = connection_failure(aiohttp.ClientOSError(5, "io"))
    assert other == "the connection to the model server failed (ClientOSError)"
