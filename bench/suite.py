"""`make bench`: every figure of issues 13, 18 and 20 in one run, each beside its ratio and target.

1. bench/limit.py   the one-statement write limit (pgbench, 16 clients, no NOTIFY), and the same
                    with NOTIFY in every statement (what a NOTIFY per transaction costs);
2. bench/roundtrips.py round trips per command, counted, without and with an idempotency key;
3. bench/commands.py 32 closed-loop HTTP clients, paired rounds with a fresh idempotency key;
4. bench/openloop.py open-loop latency at half the measured capacity and at 100/s offered;
5. bench/relay.py   drain vs raw producer, commit -> consumer at 1,000 commands/s (agent worker on);
6. bench/worker.py  agent worker end to end with the offline generator (issue 18: >= 300/s);
7. bench/agents.py  N writers at once, a streaming model taking D s (issue 18 targets).

Each runs as its own process (on its own fresh database, DATABASE_URL's server or embedded) and
ends with one JSON line, read here. BENCH_QUICK=1 shortens every phase (a smoke run, not a
measurement). The machine's load average is printed with the figures: on a shared machine they
are only comparable within one run.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

QUICK = {
    "BENCH_LIMIT_SECONDS": "5",
    "BENCH_SECONDS": "8",
    "BENCH_PAIRS": "2",
    "BENCH_PAIR_SECONDS": "3",
    "BENCH_OPEN_SECONDS": "5",
    "BENCH_ROWS": "20000",
    "BENCH_RAW_SECONDS": "1",
}


def run(script: str, *args: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run one bench script, echo its output, return its last JSON line."""
    print(f"\n== {script} {' '.join(args)} (load average {os.getloadavg()[0]:.1f})", flush=True)
    started = time.monotonic()
    completed = subprocess.run(
        [sys.executable, str(HERE / script), *args],
        env=os.environ | (env or {}),
        capture_output=True,
        text=True,
        check=False,
    )
    lines = completed.stdout.strip().splitlines()
    for line in lines[:-1]:
        print("   " + line)
    if completed.returncode != 0 or not lines:
        print(completed.stderr[-3000:])
        raise SystemExit(f"{script} failed with exit code {completed.returncode}")
    print(f"   ({time.monotonic() - started:.0f} s)", flush=True)
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def verdict(value: float, target: float, at_least: bool) -> str:
    ok = value >= target if at_least else value <= target
    return "met" if ok else "MISSED"


def main() -> None:
    if os.environ.get("BENCH_QUICK"):
        os.environ.update({k: v for k, v in QUICK.items() if k not in os.environ})
    loads = [os.getloadavg()[0]]
    limit = run("limit.py")
    limit_notify = run("limit.py", "--notify")
    env = {"BENCH_LIMIT_TPS": str(limit["tps"])}
    trips = run("roundtrips.py")
    commands = run("commands.py", env=env)
    loads.append(os.getloadavg()[0])
    # Half of the capacity this run measured (issue 20), and the quiet 100/s of issue 13.
    half = max(1.0, round(commands["commands_per_s"] / 2))
    openloop = run("openloop.py", env=env | {"BENCH_RATES": f"{half:.0f},100"})
    relay = run("relay.py", env=env)
    loads.append(os.getloadavg()[0])
    worker = run("worker.py")
    agents = run("agents.py", *(["50:1"] if os.environ.get("BENCH_QUICK") else []))
    loads.append(os.getloadavg()[0])

    tps = limit["tps"]
    rows: list[tuple[str, str, str, str]] = [
        ("limit: one statement, 16 clients", f"{tps:,.0f} tps", "1.00", ""),
        (
            "limit with NOTIFY in each statement",
            f"{limit_notify['tps']:,.0f} tps",
            f"{limit_notify['tps'] / tps:.2f}",
            "(what the coalesced wake-up avoids)",
        ),
        (
            "HTTP commands, 32 closed-loop clients",
            f"{commands['commands_per_s']:,.0f}/s p50 {commands['p50_ms']:.1f} "
            f"p99 {commands['p99_ms']:.1f} ms",
            f"{commands['commands_per_s'] / tps:.2f}",
            f">= 0.20 {verdict(commands['commands_per_s'] / tps, 0.20, True)}",
        ),
        (
            "API transaction from asyncpg, 32 tasks",
            f"{commands['raw_sql_tps']:,.0f} tps",
            f"{commands['raw_sql_tps'] / tps:.2f}",
            "",
        ),
    ]
    for mode in ("unkeyed", "keyed"):
        rows.append(
            (
                f"round trips per command, {mode}",
                f"{trips[mode]:.2f} (counted on the API's connections)",
                "",
                f"<= 2 {verdict(trips[mode], 2.0, False)}",
            )
        )
    if "keyed_drop" in commands:
        rows.append(
            (
                "fresh idempotency key on every request",
                f"{commands['keyed_commands_per_s']:,.0f}/s, {commands['keyed_drop']:.1%} fewer",
                f"{commands['keyed_commands_per_s'] / tps:.2f}",
                f"<= 10% {verdict(commands['keyed_drop'], 0.10, False)}",
            )
        )
    targets = {half: 25.0, 100.0: 10.0}
    for result in openloop["results"]:
        target = targets.get(result["rate"])
        rows.append(
            (
                f"open loop {result['rate']:,.0f}/s offered",
                f"p50 {result['p50_ms']:.1f} p99 {result['p99_ms']:.1f} ms",
                "",
                f"p99 <= {target:.0f} ms {verdict(result['p99_ms'], target, False)}"
                if target
                else "",
            )
        )
    rows += [
        (
            "relay drain vs raw producer (median of 3)",
            f"{relay['drain_events_per_s']:,.0f} vs {relay['raw_produce_per_s']:,.0f} msg/s",
            f"{relay['ratio']:.2f}",
            f">= 0.20 {verdict(relay['ratio'], 0.20, True)}",
        ),
        (
            "commit -> consumer at 1,000 commands/s",
            f"p50 {relay['latency_p50_ms']:.1f} p99 {relay['latency_p99_ms']:.1f} ms",
            "",
            f"p99 <= 20 ms {verdict(relay['latency_p99_ms'], 20.0, False)}",
        ),
    ]
    rows += agent_rows(worker, agents)
    print("\n== issues 13, 18 and 20 figures (ratios to the one-statement limit of this run)")
    for name, value, ratio, target in rows:
        print(f"  {name:<42} {value:<38} {ratio:>5}  {target}")
    print(
        f"  load average during the run: {', '.join(f'{x:.1f}' for x in loads)} on "
        f"{os.cpu_count()} cores (other work on the machine makes every figure lower)"
    )
    summary = {
        "bench": "suite",
        "limit": limit,
        "limit_notify": limit_notify,
        "roundtrips": trips,
        "commands": commands,
        "openloop": openloop,
        "relay": relay,
        "worker": worker,
        "agents": agents,
        "load": loads,
    }
    print(json.dumps(summary))


def agent_rows(worker: dict[str, Any], agents: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Issue 18's figures: the worker end to end, and each agents scenario beside its targets."""
    rate = worker["e2e_requests_per_s"]
    rows = [
        (
            "agent worker end to end (offline)",
            f"{rate:,.0f}/s (API accepted {worker['accepted_per_s']:,.0f}/s)",
            f"{worker['ratio']:.2f}",
            f">= 300/s {verdict(rate, 300, True)}",
        )
    ]
    for r in agents["results"]:
        target = {2.0: "max <= 4 s", 5.0: "p99 <= 10 s"}.get(r["d"], "")
        ok = r["max_s"] <= 4.0 if r["d"] == 2.0 else r["p99_s"] <= 10.0
        done = r["completed"] == r["n"]
        rows.append(
            (
                f"agents N={r['n']} D={r['d']:g} s, 202 -> COMPLETED",
                f"p50 {r['p50_s']:.2f} p99 {r['p99_s']:.2f} max {r['max_s']:.2f} s",
                "",
                f"{target} {verdict(float(ok and done), 1.0, True)}" if target else "",
            )
        )
        rows.append(
            (
                f"agents N={r['n']} first draft, model peak",
                f"p50 {r['first_draft_p50_ms']:.0f} p99 {r['first_draft_p99_ms']:.0f} ms, "
                f"{r['model_peak_in_flight']} calls",
                "",
                f"p99 <= 300 ms {verdict(r['first_draft_p99_ms'], 300, False)}"
                if r["d"] == 2.0
                else "",
            )
        )
    return rows


if __name__ == "__main__":
    main()
