"""Figures over a sliding window of time, for the health report: the worst value seen lately,
and whether a value has kept rising. Pure logic: the caller passes the clock's readings."""

from __future__ import annotations

from collections import deque


class WorstOver:
    """The largest value observed over the last `window` seconds."""

    def __init__(self, window: float) -> None:
        self._window = window
        # (time, value), each later value smaller than the one before it: a larger value
        # observed later makes every smaller earlier one irrelevant for the maximum.
        self._peaks: deque[tuple[float, float]] = deque()

    def observe(self, at: float, value: float) -> None:
        while self._peaks and self._peaks[-1][1] <= value:
            self._peaks.pop()
        self._peaks.append((at, value))
        self._forget_before(at - self._window)

    def worst(self, now: float) -> float:
        self._forget_before(now - self._window)
        return self._peaks[0][1] if self._peaks else 0.0

    def _forget_before(self, moment: float) -> None:
        while self._peaks and self._peaks[0][0] < moment:
            self._peaks.popleft()


class RisingOver:
    """Whether a value kept rising over the last `window` seconds: the window is covered by
    samples, and the lowest value of its last third is above the highest of its first third.
    A value that rises and falls back (consumer lag between commits, a backlog between relay
    passes) never qualifies, however high its peaks; one that only climbs does."""

    def __init__(self, window: float) -> None:
        self._window = window
        self._samples: deque[tuple[float, float]] = deque()

    def observe(self, at: float, value: float) -> None:
        self._samples.append((at, value))
        while self._samples and self._samples[0][0] < at - self._window:
            self._samples.popleft()

    def forget(self) -> None:
        """A gap in the figures (the store could not be asked): start over."""
        self._samples.clear()

    def rising(self) -> bool:
        if len(self._samples) < 3:
            return False
        first_at, last_at = self._samples[0][0], self._samples[-1][0]
        if last_at - first_at < self._window * 0.9:
            return False
        third = (last_at - first_at) / 3
        early = [value for at, value in self._samples if at <= first_at + third]
        late = [value for at, value in self._samples if at >= last_at - third]
        return min(late) > max(early)

    @property
    def latest(self) -> float | None:
        return self._samples[-1][1] if self._samples else None
