"""The processes the benchmark runs: `ecommerce-stream` commands, and workers it starts, waits
for and stops itself (one layout at a time: they would share topics, the outbox and the
group)."""

from __future__ import annotations

import asyncio
import signal
import sys
import time
from pathlib import Path

import aiohttp

from ecommerce_stream.settings import PROJECT_ROOT

CLI = [sys.executable, "-m", "ecommerce_stream"]
WORKER_START_TIMEOUT_SECONDS = 180.0
WORKER_STOP_TIMEOUT_SECONDS = 30.0


async def run_command(args: list[str], env: dict[str, str], log_path: Path) -> str:
    """Run `ecommerce-stream ARGS`; its progress bars (stderr) show, its stdout is returned."""
    process = await asyncio.create_subprocess_exec(
        *CLI, *args, env=env, cwd=PROJECT_ROOT, stdout=asyncio.subprocess.PIPE
    )
    stdout, _ = await process.communicate()
    output = stdout.decode(errors="replace")
    with log_path.open("a") as log:
        log.write(output)
    if process.returncode != 0:
        raise RuntimeError(f"ecommerce-stream {' '.join(args)} failed; see {log_path}")
    return output


class Worker:
    """One `ecommerce-stream worker`, ready once it serves, answers analytics and (if `leads`)
    leads the stream group."""

    def __init__(
        self, name: str, env: dict[str, str], base_url: str, run_dir: Path, *, leads: bool = True
    ) -> None:
        self.name = name
        self._env = env
        self._base_url = base_url
        self._leads = leads
        self._log_path = run_dir / f"worker-{name}.log"
        self._pid_file: Path | None = None
        self._process: asyncio.subprocess.Process | None = None
        self.start_seconds = 0.0

    @property
    def pid(self) -> int:
        assert self._process is not None, "worker not started"
        return self._process.pid

    async def start(self, pid_file: Path | None) -> None:
        started = time.perf_counter()
        with self._log_path.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                *CLI,
                "worker",
                "-l",
                "warn",
                env=self._env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        if pid_file is not None:
            # One file per process: devstack/bench.sh stops every one left behind.
            self._pid_file = pid_file.with_name(f"{pid_file.stem}-{self.name}{pid_file.suffix}")
            self._pid_file.write_text(f"{self._process.pid}\n")
        try:
            await self._wait_ready(started + WORKER_START_TIMEOUT_SECONDS)
        except BaseException:
            await self.stop()
            raise
        self.start_seconds = time.perf_counter() - started

    async def _wait_ready(self, deadline: float) -> None:
        assert self._process is not None
        async with aiohttp.ClientSession(self._base_url) as http:
            while not await self._ready(http):
                if self._process.returncode is not None:
                    raise RuntimeError(f"worker {self.name} exited; see {self._log_path}")
                if time.perf_counter() > deadline:
                    raise TimeoutError(f"worker {self.name} not ready; see {self._log_path}")
                await asyncio.sleep(0.25)

    async def _ready(self, http: aiohttp.ClientSession) -> bool:
        try:
            async with http.get("/api/health") as response:
                health = await response.json()
                if response.status != 200 or (self._leads and not health["worker"]["leader"]):
                    return False
            async with http.get("/api/analytics/stats") as response:
                return response.status == 200
        except (aiohttp.ClientError, OSError, ValueError, KeyError):
            return False

    async def stop(self) -> None:
        process, self._process = self._process, None
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), WORKER_STOP_TIMEOUT_SECONDS)
            except TimeoutError:
                process.kill()
                await process.wait()
        if self._pid_file is not None:
            self._pid_file.unlink(missing_ok=True)
            self._pid_file = None
