"""Who relays after a commit: the relaying process itself, or (a process that does not relay,
such as an API process) the relaying one, woken by a notice; a notice never travels on."""

from __future__ import annotations

from typing import Any

import pytest

from ecommerce_stream.outbox.relay import OutboxRelay


def _relay(*, leader: bool, wake_up: bool = True) -> tuple[OutboxRelay, list[str]]:
    calls: list[str] = []

    async def publish(key: str, value: bytes) -> Any:
        raise AssertionError("nothing is published here")

    relay = OutboxRelay(
        None,  # type: ignore[arg-type]  # never reached: poll is replaced below
        publish,
        100,
        lambda: leader,
        wake_up=wake_up,
        wake_elsewhere=lambda: calls.append("notice"),
    )
    relay.poll = lambda: calls.append("poll")  # type: ignore[method-assign]
    return relay, calls


def test_the_relaying_process_relays_its_own_commits_at_once() -> None:
    relay, calls = _relay(leader=True)
    relay.notify()
    assert calls == ["poll"]


def test_a_process_that_does_not_relay_sends_a_notice() -> None:
    relay, calls = _relay(leader=False)
    relay.notify()
    assert calls == ["notice"]


@pytest.mark.parametrize("leader", [True, False])
def test_a_notice_wakes_only_the_relaying_process_and_goes_no_further(leader: bool) -> None:
    relay, calls = _relay(leader=leader)
    relay.wake()
    assert calls == (["poll"] if leader else [])


@pytest.mark.parametrize("leader", [True, False])
def test_without_wake_ups_only_the_poll_relays(leader: bool) -> None:
    relay, calls = _relay(leader=leader, wake_up=False)
    relay.notify()
    relay.wake()
    assert calls == []
