"""The stream admission's counting, without a server (the real-process tests are in
tests/integration/test_stream_admission.py)."""

import uuid

import pytest

from infinite_scribe.api.stream_admission import Refused, StreamAdmission, descriptor_cap


def test_a_place_is_given_back_once() -> None:
    admission = StreamAdmission(per_user=1, total=10, fd_reserve=16, tickets_per_minute=1)
    user = uuid.uuid4()
    place = admission.admit(user)
    with pytest.raises(Refused):
        admission.admit(user)
    place.release()
    place.release()  # the generator's finally and the background task both call it
    assert admission.open_total == 0 and user not in admission.open_by_user
    admission.admit(user)


def test_ticket_window_restarts_after_a_minute() -> None:
    admission = StreamAdmission(per_user=1, total=10, fd_reserve=16, tickets_per_minute=2)
    user = uuid.uuid4()
    admission.mint(user, now=100.0)
    admission.mint(user, now=110.0)
    with pytest.raises(Refused) as refused:
        admission.mint(user, now=130.0)
    assert refused.value.retry_after == 30  # the window began at 100
    admission.mint(user, now=160.0)


def test_the_total_never_exceeds_what_the_descriptors_allow() -> None:
    admission = StreamAdmission(per_user=1, total=10**9, fd_reserve=16, tickets_per_minute=1)
    assert admission.total == descriptor_cap(16) < 10**9
