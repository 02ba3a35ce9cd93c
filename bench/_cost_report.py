"""bench/cost_profile.py's report: markdown tables per measure, and one JSON line."""

import json
import os
from typing import Any

import _pyspy
from _pg_window import Window

#: A command's figures are the API's alone (the worker answers the mix's generation requests
#: meanwhile, its statements are the generation's).
_COMMAND_APPS = ("scribe-api",)


def _apps(name: str) -> tuple[str, ...] | None:
    return None if name == "generation" else _COMMAND_APPS


def _statements(logged: Window, units: int, apps: tuple[str, ...] | None) -> list[list[Any]]:
    rows = []
    for sql, found in logged.statements.items():
        count = sum(n for app, n in found.apps.items() if apps is None or app in apps)
        if count == 0 and (apps is not None or found.count == 0):
            continue
        share = count / found.count if found.count else 1.0
        who = ", ".join(sorted(found.apps))
        rows.append(
            [count / units, found.ms * share / units, found.ms / max(found.count, 1), who, sql]
        )
    return sorted(rows, key=lambda row: -row[1])


def _pg_cpu(window: Window, units: int, apps: tuple[str, ...] | None) -> dict[str, float]:
    found = {role: ms * 1000 / units for role, ms in window.cpu.items()}
    found["all"] = sum(ms for ms in found.values())
    if apps is not None:
        found["its clients"] = sum(ms for role, ms in found.items() if role in apps)
    return {role: round(ms, 3) for role, ms in sorted(found.items(), key=lambda kv: -kv[1]) if ms}


def measure_lines(name: str, measure: Any) -> tuple[list[str], dict[str, Any]]:
    apps = _apps(name)
    units, logged_units = measure.units, max(measure.logged_units, 1)
    rows = _statements(measure.logged, logged_units, apps)
    statements = sum(row[0] for row in rows)
    server_ms = sum(row[1] for row in rows)
    wal = {key: round(value / units, 2) for key, value in measure.quiet.wal.items()}
    pg = _pg_cpu(measure.quiet, units, apps)
    lines = [
        f"### {name}: {units} units (CPU window), {measure.logged_units} (statement window)",
        "",
        "CPU per unit by process (ms): "
        + ", ".join(f"{role} {ms:.3f}" for role, ms in measure.cpu.items()),
        "",
        "PostgreSQL CPU per unit by client (ms): "
        + ", ".join(f"{role} {ms:.3f}" for role, ms in pg.items()),
        "",
        "WAL per unit: " + ", ".join(f"{key} {value}" for key, value in wal.items()),
        "",
        f"SQL statements per unit {statements:.2f}, server time {server_ms:.3f} ms per unit",
        "",
        "| per unit | server ms/unit | ms/execution | clients | statement |",
        "| --- | --- | --- | --- | --- |",
    ]
    for count, ms, each, who, sql in rows[:24]:
        lines.append(f"| {count:.2f} | {ms:.3f} | {each:.3f} | {who} | `{sql[:150]}` |")
    kinds = measure.quiet.wal_kinds
    # pg_stat_wal's counters reach the view when a backend flushes its statistics (up to a
    # second late, longer when idle): pg_waldump's records over the LSN range are exact.
    dumped = {
        "records": sum(kinds.values()) / units,
        "index_entries": sum(n for k, n in kinds.items() if k.startswith("Btree/INSERT")) / units,
        "row_locks": sum(n for k, n in kinds.items() if k.startswith("Heap/LOCK")) / units,
    }
    if kinds:
        lines += [
            "",
            "WAL (pg_waldump) per unit: " + ", ".join(f"{k} {v:.2f}" for k, v in dumped.items()),
        ]
        lines += ["", "WAL records per unit by kind (pg_waldump):", ""]
        lines.append(", ".join(f"{kind} {n / units:.2f}" for kind, n in kinds.most_common(48)))
    for key, value in measure.extra.items():
        lines += ["", f"{key}: {value}"]
    for role, samples in measure.samples.items():
        lines += ["", *_pyspy.table(f"{name}, {role}: Python by function", samples, units)]
    figures = {
        "units": units,
        "statements_per_unit": round(statements, 2),
        "server_ms_per_unit": round(server_ms, 3),
        "pg_cpu_ms_per_unit": pg,
        "cpu_ms_per_unit": measure.cpu,
        "wal_per_unit": wal,
        "wal_dumped_per_unit": {key: round(value, 2) for key, value in dumped.items()},
        **measure.extra,
    }
    return lines, figures


def report(measures: dict[str, Any]) -> None:
    result: dict[str, Any] = {"bench": "cost_profile", "load": round(os.getloadavg()[0], 1)}
    for name, measure in measures.items():
        lines, figures = measure_lines(name, measure)
        print("\n".join(["", *lines]), flush=True)
        result[name] = figures
    keyed, unkeyed = result.get("keyed"), result.get("unkeyed")
    if keyed and unkeyed:
        result["keyed_api_cpu_ratio"] = round(
            keyed["cpu_ms_per_unit"]["api"] / unkeyed["cpu_ms_per_unit"]["api"], 3
        )
    print(json.dumps(result))
