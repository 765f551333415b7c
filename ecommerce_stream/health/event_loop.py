"""How late this process's event loop runs what is due: every request and record waits behind
a stall (a long computation, a blocking call, a garbage collection). A task asks to wake at a
steady pace and measures how late each wake-up came."""

from __future__ import annotations

import asyncio
from collections import deque

from ecommerce_stream import metrics
from ecommerce_stream.app import app

# Ten wake-ups a second: a stall of a few milliseconds shows within seconds, at a cost of
# microseconds a second.
PROBE_SECONDS = 0.1
# The panel's figure is the worst lag of the last window: a stall of one moment stays visible
# for a while (the histogram in /metrics keeps every one).
WINDOW_SECONDS = 30.0


class LagWindow:
    """The worst lag observed over the last `window` seconds (clock times passed in)."""

    def __init__(self, window: float = WINDOW_SECONDS) -> None:
        self._window = window
        # (time, lag), each newer sample's lag smaller than the one before it: a larger lag
        # observed later makes every smaller earlier one irrelevant for the maximum.
        self._peaks: deque[tuple[float, float]] = deque()

    def observe(self, at: float, lag: float) -> None:
        while self._peaks and self._peaks[-1][1] <= lag:
            self._peaks.pop()
        self._peaks.append((at, lag))
        self._forget_before(at - self._window)

    def worst(self, now: float) -> float:
        self._forget_before(now - self._window)
        return self._peaks[0][1] if self._peaks else 0.0

    def _forget_before(self, moment: float) -> None:
        while self._peaks and self._peaks[0][0] < moment:
            self._peaks.popleft()


recent_lag = LagWindow()


def worst_recent_lag() -> float:
    """Seconds: the event loop's worst lag over the last WINDOW_SECONDS."""
    return recent_lag.worst(asyncio.get_running_loop().time())


@app.task(role=None)
async def watch_event_loop() -> None:
    """Every process: ecommerce_event_loop_lag_seconds and the health report's figure."""
    loop = asyncio.get_running_loop()
    while True:
        due = loop.time() + PROBE_SECONDS
        await asyncio.sleep(PROBE_SECONDS)
        woke = loop.time()
        lag = max(0.0, woke - due)
        metrics.event_loop_lag_seconds.observe(lag)
        recent_lag.observe(woke, lag)
        metrics.event_loop_lag_worst_seconds.set(recent_lag.worst(woke))
