"""`scribe up` picks its metrics ports at once (embedded/net.py `free_ports`): a clean-clone run
once gave the API's and the worker's metrics one port, and the worker's was not served. A port
picked and released is the kernel's to give out again: picked one after another, 1,000 ports
held 31-36 repeats on this machine."""

from infinite_scribe.cli.up import _side_by_side
from infinite_scribe.embedded.net import free_ports
from infinite_scribe.settings.settings import Settings


def test_ports_picked_together_are_all_different() -> None:
    ports = free_ports(["127.0.0.1"] * 1000)
    assert len(set(ports)) == 1000 and all(port > 0 for port in ports)


def test_up_picks_three_metrics_ports_unless_one_is_named() -> None:
    picked = _side_by_side(Settings(_env_file=None))  # type: ignore[call-arg]
    assert set(picked) == {"api_metrics_port", "relay_metrics_port", "worker_metrics_port"}
    assert len(set(picked.values())) == 3
    named = _side_by_side(Settings(_env_file=None, worker_metrics_port=9999))  # type: ignore[call-arg]
    assert set(named) == {"api_metrics_port", "relay_metrics_port"}
