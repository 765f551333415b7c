"""CPU time by process over a stretch of load: where the machine's cores went while a rung ran
(the worker, MariaDB, Kafka, the load generator itself, everything else)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psutil

OTHER = "everything else"


def listening_on(ports: Iterable[int]) -> list[psutil.Process]:
    """The processes that listen on these TCP ports (the stack's MariaDB and Kafka brokers)."""
    wanted = set(ports)
    pids = {
        conn.pid
        for conn in psutil.net_connections(kind="tcp")
        if conn.status == psutil.CONN_LISTEN and conn.laddr and conn.laddr.port in wanted
    }
    return [psutil.Process(pid) for pid in sorted(pid for pid in pids if pid is not None)]


def _busy_seconds(times: Any) -> float:
    return float(sum(times) - times.idle - getattr(times, "iowait", 0.0))


def _process_seconds(process: psutil.Process) -> float:
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return float(times.user + times.system)


@dataclass
class CpuMeter:
    """Named groups of processes; `start()` then `stop(orders)` gives CPU ms per order by group,
    the rest of the machine's busy time as OTHER, and how busy the machine was."""

    groups: dict[str, list[psutil.Process]]
    _start: dict[str, float] = field(default_factory=dict)
    _machine_start: Any = None

    @classmethod
    def for_stack(
        cls, worker_pids: dict[str, int], mysql_port: int, kafka_ports: Iterable[int]
    ) -> CpuMeter:
        """`worker_pids`: the app's processes by the name they are reported under."""
        return cls(
            {
                **{name: [psutil.Process(pid)] for name, pid in worker_pids.items()},
                "MariaDB": listening_on([mysql_port]),
                "Kafka": listening_on(kafka_ports),
                "load generator": [psutil.Process(os.getpid())],
            }
        )

    def _sample(self) -> dict[str, float]:
        return {
            name: sum(_process_seconds(process) for process in processes)
            for name, processes in self.groups.items()
        }

    def start(self) -> None:
        self._start = self._sample()
        self._machine_start = psutil.cpu_times()

    def stop(self, orders: int) -> dict[str, float]:
        """CPU ms per order by group (OTHER included), plus `busy_share`: the machine's busy
        time over its capacity in the interval (1.0: every core busy all the time)."""
        assert self._machine_start is not None, "stop() before start()"
        end = self._sample()
        machine_end = psutil.cpu_times()
        used = {name: end[name] - self._start[name] for name in self.groups}
        busy = _busy_seconds(machine_end) - _busy_seconds(self._machine_start)
        capacity = sum(machine_end) - sum(self._machine_start)
        used[OTHER] = max(0.0, busy - sum(used.values()))
        per_order = {name: 1000 * seconds / max(1, orders) for name, seconds in used.items()}
        return {**per_order, "busy_share": busy / capacity if capacity else 0.0}
