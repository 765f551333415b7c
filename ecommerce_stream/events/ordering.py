"""Which of several versions of an order counts: the newest, by the per-order `version`.

Every consumer of the contract applies this rule (the analytics ledger, the outbox audit), so
it is written once, here."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar


class Versioned(Protocol):
    """Anything describing one version of an order: an analytics row, a relayed event."""

    @property
    def order_id(self) -> str: ...

    @property
    def version(self) -> int: ...


VersionedT = TypeVar("VersionedT", bound=Versioned)


def newest_per_order(items: Iterable[VersionedT]) -> dict[str, VersionedT]:
    """Of several versions of an order only the newest counts: the version decides."""
    newest: dict[str, VersionedT] = {}
    for item in items:
        kept = newest.get(item.order_id)
        if kept is None or item.version > kept.version:
            newest[item.order_id] = item
    return newest
