"""How late this process's event loop runs what is due: every request and record waits behind
a stall (a long computation, a blocking call, a garbage collection). A task asks to wake at a
steady pace and measures how late each wake-up came."""

from __future__ import annotations

import asyncio

from ecommerce_stream import metrics
from ecommerce_stream.app import app
from ecommerce_stream.health.windows import WorstOver

# Ten wake-ups a second: a stall of a few milliseconds shows within seconds, at a cost of
# microseconds a second.
PROBE_SECONDS = 0.1
# The panel's figure is the worst lag of the last window: a stall of one moment stays visible
# for a while (the histogram in /metrics keeps every one).
WINDOW_SECONDS = 30.0


recent_lag = WorstOver(WINDOW_SECONDS)


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
