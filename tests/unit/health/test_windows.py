"""The health report's windows: the worst event loop lag lately, and a committed lag that
keeps rising (not one that rises and falls between commits)."""

from __future__ import annotations

from ecommerce_stream.health.windows import RisingOver, WorstOver


def test_the_worst_value_is_kept_for_the_window_then_forgotten() -> None:
    worst = WorstOver(window=30)
    worst.observe(0, 0.002)
    worst.observe(1, 0.040)
    worst.observe(2, 0.003)
    assert worst.worst(now=20) == 0.040
    assert worst.worst(now=31.5) == 0.003
    assert worst.worst(now=100) == 0.0


def test_a_sawtooth_never_counts_as_rising() -> None:
    """Faust commits every 2.8 s: between commits the lag climbs, at each commit it falls."""
    rising = RisingOver(window=30)
    for second in range(120):
        rising.observe(second, (second % 3) * 200)
        assert not rising.rising(), second


def test_a_lag_that_only_climbs_is_rising_once_the_window_is_covered() -> None:
    rising = RisingOver(window=30)
    for second in range(40):
        rising.observe(second, 20 * second)
        assert rising.rising() == (second >= 27), second


def test_a_gap_in_the_figures_starts_the_window_over() -> None:
    rising = RisingOver(window=30)
    for second in range(40):
        rising.observe(second, 20 * second)
    rising.forget()
    rising.observe(41, 900)
    assert not rising.rising()
    assert rising.latest == 900


def test_a_climb_that_levels_off_stops_being_rising() -> None:
    rising = RisingOver(window=30)
    for second in range(60):
        rising.observe(second, 20 * min(second, 20))
    assert not rising.rising()
