"""The memory store's event pages cut like the SQL store's
(tests/support/memory/adapters.event_lines)."""

from dataclasses import dataclass

from tests.support.memory.adapters import event_lines


@dataclass
class Row:
    aggregate_version: int
    text: str

    def model_dump_json(self) -> str:
        return f'{{"v":{self.aggregate_version},"t":"{self.text}"}}'


ROWS = [Row(n, "x" * 100) for n in range(1, 6)]


def test_a_page_stops_at_its_limit_or_past_its_bytes() -> None:
    whole = event_lines(ROWS, 10, 10_000, "aggregate_version")
    assert len(whole.lines) == 5 and whole.next_after is None
    counted = event_lines(ROWS, 2, 10_000, "aggregate_version")
    assert len(counted.lines) == 2 and counted.next_after == 2
    sized = event_lines(ROWS, 10, 150, "aggregate_version")  # the second crosses 150 bytes
    assert len(sized.lines) == 2 and sized.next_after == 2
    assert event_lines([], 10, 150, "aggregate_version").lines == []
