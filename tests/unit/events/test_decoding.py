"""Decoding `order.events` messages of every schema version ever produced, without any service:
current events round-trip, version-1 messages (kept as fixtures, exactly as the old code wrote
them) come out current and complete, and anything else is refused for the dead-letter topic."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from ecommerce_stream.events.decoding import InvalidEvent, decode_event
from ecommerce_stream.events.records import (
    EVENT_TYPES,
    SCHEMA_VERSION,
    OrderCreated,
    OrderDeleted,
    OrderEvent,
    OrderRestored,
    OrderStatusChanged,
)
from ecommerce_stream.events.upcasting import Upcaster
from tests.events_support import NOW, order_event

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "events"
ORDER_ID = "4b1e0f3c-0000-4000-8000-000000000001"


def _fixtures(version: int) -> list[bytes]:
    return [path.read_bytes() for path in sorted((FIXTURES / f"v{version}").glob("*.json"))]


@pytest.mark.parametrize("event_type", list(EVENT_TYPES.values()))
def test_every_current_event_round_trips_through_json(event_type: type[OrderEvent]) -> None:
    event = order_event(event_type, ORDER_ID, 3)
    decoded = decode_event(event.dumps(), Upcaster({}))
    assert type(decoded) is event_type
    assert decoded.schemaVersion == SCHEMA_VERSION
    assert decoded.asdict() == event.asdict()
    assert decoded.totalAmount == Decimal("50000.00")
    assert decoded.items[0].productName == "Wireless Mouse"
    assert decoded.occurredAt == NOW


def test_version_1_messages_of_one_order_are_upcast_in_order() -> None:
    legacy: dict[str, str] = {}
    upcaster = Upcaster(legacy)
    created, confirmed, deleted, restored = (decode_event(raw, upcaster) for raw in _fixtures(1))

    assert isinstance(created, OrderCreated)
    assert created.schemaVersion == SCHEMA_VERSION
    assert (created.userName, created.totalAmount) == ("Lee Jiwoo", Decimal("51200.50"))
    assert created.updatedAt == created.createdAt == created.occurredAt
    assert [line.quantity for line in created.items] == [1, 2]

    # The changes carried only themselves; they come out with the order's whole state.
    assert isinstance(confirmed, OrderStatusChanged)
    assert (confirmed.status, confirmed.fromStatus, confirmed.version) == (
        "CONFIRMED",
        "PENDING",
        2,
    )
    assert confirmed.userName == "Lee Jiwoo" and confirmed.items == created.items
    assert confirmed.createdAt == created.createdAt and confirmed.updatedAt == confirmed.occurredAt

    assert isinstance(deleted, OrderDeleted)
    assert (deleted.status, deleted.deletedBy) == ("CONFIRMED", "admin-kim")
    assert deleted.deletedAt == datetime(2026, 12, 1, 0, 1, 12, 345678, tzinfo=UTC)

    assert isinstance(restored, OrderRestored)
    assert (restored.deletedAt, restored.deletedBy, restored.restoredBy) == (
        None,
        None,
        "admin-park",
    )
    assert (restored.status, restored.totalAmount) == ("CONFIRMED", Decimal("51200.50"))

    # A current event of the order ends the need for its kept state.
    assert set(legacy) == {created.orderId}
    decode_event(order_event(OrderStatusChanged, created.orderId, 5).dumps(), upcaster)
    assert legacy == {}


def test_a_version_1_change_without_its_earlier_state_is_refused() -> None:
    _, confirmed, *_ = _fixtures(1)
    with pytest.raises(InvalidEvent, match="earlier state is unknown"):
        decode_event(confirmed, Upcaster({}))


def test_an_older_version_1_duplicate_does_not_replace_the_kept_state() -> None:
    legacy: dict[str, str] = {}
    upcaster = Upcaster(legacy)
    created, confirmed, deleted, _ = _fixtures(1)
    for raw in (created, confirmed, deleted, confirmed):
        decode_event(raw, upcaster)
    [kept] = legacy.values()
    assert json.loads(kept)["version"] == 3


@pytest.mark.parametrize(
    ("schema_version", "reason"),
    [
        (SCHEMA_VERSION + 1, "newer than this consumer knows"),
        (0, "not a positive integer"),
        ("2", "not a positive integer"),
        (True, "not a positive integer"),
    ],
)
def test_unknown_schema_versions_are_refused(schema_version: object, reason: str) -> None:
    document = json.loads(order_event(OrderCreated, ORDER_ID, 1).dumps())
    document["schemaVersion"] = schema_version
    with pytest.raises(InvalidEvent, match=reason):
        decode_event(json.dumps(document).encode(), Upcaster({}))


@pytest.mark.parametrize(
    "raw",
    [
        None,
        b"",
        b"\xff\xfe not utf-8",
        b"not json",
        b"[1, 2]",
        b'{"eventType": "OrderExploded"}',
        b'{"eventType": "OrderStatusChanged", "orderId": "o", "schemaVersion": 2}',
        # Version 1 with a bad field: refused, and nothing kept for the order.
        b'{"eventType": "OrderCreated", "eventId": "e", "orderId": "o", "version": "x",'
        b' "occurredAt": "2026-01-01T00:00:00Z"}',
    ],
)
def test_poison_messages_raise_invalid_event(raw: bytes | None) -> None:
    legacy: dict[str, str] = {}
    with pytest.raises(InvalidEvent):
        decode_event(raw, Upcaster(legacy))
    assert legacy == {}


def test_a_current_event_with_a_bad_version_is_refused() -> None:
    document = json.loads(order_event(OrderStatusChanged, ORDER_ID, 2).dumps())
    document["version"] = 0
    with pytest.raises(InvalidEvent, match="version >= 1"):
        decode_event(json.dumps(document).encode(), Upcaster({}))


def test_a_fixture_of_every_schema_version_ever_written_decodes() -> None:
    """tests/fixtures/events/v<N>/ holds one history per version ever produced; a new version
    adds its folder, and every older one must still decode."""
    versions = sorted(int(path.name[1:]) for path in FIXTURES.glob("v*"))
    assert versions == list(range(1, SCHEMA_VERSION + 1))
    for version in versions:
        upcaster = Upcaster({})
        decoded = [decode_event(raw, upcaster) for raw in _fixtures(version)]
        assert [type(event) for event in decoded] == [
            OrderCreated,
            OrderStatusChanged,
            OrderDeleted,
            OrderRestored,
        ]
        assert {event.schemaVersion for event in decoded} == {SCHEMA_VERSION}
        assert [event.version for event in decoded] == [1, 2, 3, 4]
        assert decoded[-1].deletedAt is None and decoded[2].deletedAt is not None
