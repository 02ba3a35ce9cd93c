"""What an idle `scribe up` costs (decision 8007): `scribe up` on its embedded defaults (the offline
writer), nobody using it, BENCH_SECONDS (20) of CPU per process once it has settled (10 s after
its /health first answers), in ms of CPU a second. The limit, measured in the same run: the same
embedded broker with no client at all (its own floor).

Usage: python bench/idle.py   (BENCH_SECONDS; prints a JSON line last)
"""

import json
import os
import sys
import time
from pathlib import Path

import psutil

from infinite_scribe.embedded.kafka import EmbeddedKafka

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "apps" / "backend"))
from tests.support.scribe_up import ScribeUp

SECONDS = float(os.environ.get("BENCH_SECONDS", "20"))
SETTLE = 10.0


def cpu_ms_per_second(processes: dict[str, psutil.Process], seconds: float) -> dict[str, float]:
    before = {name: sum(p.cpu_times()[:2]) for name, p in processes.items()}
    time.sleep(seconds)
    return {
        name: round((sum(p.cpu_times()[:2]) - before[name]) * 1000 / seconds, 1)
        for name, p in processes.items()
    }


def named(root: psutil.Process, data_dir: Path) -> dict[str, psutil.Process]:
    """`scribe up` and its children by role: the broker, PostgreSQL's server and its backends
    (summed; the server is found by its data directory), the other children."""
    found = {"scribe up": root}
    for child in root.children(recursive=True):
        line = " ".join(child.cmdline())
        found["broker" if "tansu" in line else f"other {child.pid}"] = child
    for process in psutil.process_iter(["cmdline"]):
        if str(data_dir) in " ".join(process.info["cmdline"] or ()) and "postgres" in str(
            process.info["cmdline"]
        ):
            found.pop(f"other {process.pid}", None)
            for each in (process, *process.children()):
                found[f"postgres {each.pid}"] = each
    return found


def scribe_up_idle() -> dict[str, float]:
    with ScribeUp() as up:
        services = up.wait_healthy(180)
        time.sleep(SETTLE)
        root = psutil.Process(int(services["pid"]))
        figures = cpu_ms_per_second(named(root, up.data_dir), SECONDS)
    postgres = sum(v for k, v in figures.items() if k.startswith("postgres"))
    others = sum(v for k, v in figures.items() if k.startswith("other"))
    return {
        "scribe_up": figures["scribe up"],
        "broker": figures.get("broker", 0.0),
        "postgres": round(postgres, 1),
        "others": round(others, 1),
    }


def broker_alone() -> float:
    broker = EmbeddedKafka()
    broker.start()
    try:
        time.sleep(SETTLE / 2)
        assert broker.pid is not None
        return cpu_ms_per_second({"broker": psutil.Process(broker.pid)}, SECONDS)["broker"]
    finally:
        broker.stop()


def main() -> None:
    floor = broker_alone()
    idle = scribe_up_idle()
    total = round(sum(idle.values()), 1)
    print(
        f"idle `scribe up`, ms of CPU a second over {SECONDS:g} s: "
        + ", ".join(f"{name} {value}" for name, value in idle.items())
        + f"; all {total}"
    )
    print(
        f"the broker alone with no client: {floor} ms/s; the broker in `scribe up`: "
        f"{idle['broker'] - floor:+.1f} ms/s over it"
    )
    print(
        json.dumps(
            {"bench": "idle", "seconds": SECONDS, **idle, "all": total, "broker_alone": floor}
        )
    )


if __name__ == "__main__":
    main()
