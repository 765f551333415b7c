"""What `reconcile` expects every analytics endpoint to answer, checked against figures worked
out by hand (not with the code's own helpers), in zones with a whole-hour, a half-hour and a
daylight-saving offset."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from ecommerce_stream.analytics.reconcile import Expected, LiveOrder, expected_answers


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


ORDERS = [
    LiveOrder("a", 1, "PENDING", Decimal("10.00"), _at("2026-03-01T03:30"), frozenset({101})),
    LiveOrder("b", 2, "SHIPPED", Decimal("25.50"), _at("2026-03-01T05:10"), frozenset({101, 102})),
    LiveOrder("c", 1, "SHIPPED", Decimal("4.50"), _at("2026-03-01T05:50"), frozenset({103})),
]


def _json(expected: Expected) -> dict[str, Any]:
    def dump(items: Any) -> Any:
        return [item.model_dump(mode="json", by_alias=True) for item in items]

    return {
        "stats": expected.stats.model_dump(mode="json", by_alias=True),
        "daily": dump(expected.daily),
        "hourly": dump(expected.hourly),
        "statuses": dump(expected.statuses),
        "users": dump(expected.users.values()),
    }


def test_new_york_in_winter_puts_the_first_order_on_the_day_before() -> None:
    # UTC-5: a at 22:30 on Feb 28; b at 00:10 and c at 00:50 on Mar 1, one local hour.
    got = _json(expected_answers(ORDERS, ZoneInfo("America/New_York"), user_ids=[1, 2, 3]))

    assert got["stats"] == {
        "totalOrders": 3,
        "totalRevenue": 40.0,
        "averageOrderValue": 13.33,
        "totalProducts": 3,
        "totalUsers": 2,
    }
    assert got["daily"] == [
        {
            "date": "2026-02-28",
            "orderCount": 1,
            "totalRevenue": 10.0,
            "averageOrderValue": 10.0,
            "uniqueCustomers": 1,
        },
        {
            "date": "2026-03-01",
            "orderCount": 2,
            "totalRevenue": 30.0,
            "averageOrderValue": 15.0,
            "uniqueCustomers": 2,
        },
    ]
    assert got["hourly"] == [
        {"hour": "2026-03-01T03:00:00.000Z", "orderCount": 1, "totalRevenue": 10.0},
        {"hour": "2026-03-01T05:00:00.000Z", "orderCount": 2, "totalRevenue": 30.0},
    ]
    assert got["statuses"] == [
        {"status": "PENDING", "orderCount": 1, "totalAmount": 10.0},
        {"status": "SHIPPED", "orderCount": 2, "totalAmount": 30.0},
    ]
    assert got["users"] == [
        {
            "userId": 1,
            "orderCount": 2,
            "totalSpent": 14.5,
            "firstOrderAt": "2026-03-01T03:30:00.000Z",
            "lastOrderAt": "2026-03-01T05:50:00.000Z",
        },
        {
            "userId": 2,
            "orderCount": 1,
            "totalSpent": 25.5,
            "firstOrderAt": "2026-03-01T05:10:00.000Z",
            "lastOrderAt": "2026-03-01T05:10:00.000Z",
        },
        {
            "userId": 3,
            "orderCount": 0,
            "totalSpent": 0.0,
            "firstOrderAt": None,
            "lastOrderAt": None,
        },
    ]


def test_a_half_hour_zone_starts_its_hours_at_half_past_utc() -> None:
    # UTC+5:30: a at 09:00, b at 10:40, c at 11:20, all on Mar 1.
    got = _json(expected_answers(ORDERS, ZoneInfo("Asia/Kolkata")))

    assert [(d["date"], d["orderCount"], d["totalRevenue"]) for d in got["daily"]] == [
        ("2026-03-01", 3, 40.0)
    ]
    assert got["hourly"] == [
        {"hour": "2026-03-01T03:30:00.000Z", "orderCount": 1, "totalRevenue": 10.0},
        {"hour": "2026-03-01T04:30:00.000Z", "orderCount": 1, "totalRevenue": 25.5},
        {"hour": "2026-03-01T05:30:00.000Z", "orderCount": 1, "totalRevenue": 4.5},
    ]


def test_hours_either_side_of_the_spring_forward_gap() -> None:
    # New York moves from 02:00 EST to 03:00 EDT on Mar 8: 06:30 UTC is 01:30 EST and 07:30 UTC
    # is 03:30 EDT, adjacent local hours one UTC hour apart.
    orders = [
        LiveOrder("d", 1, "PENDING", Decimal("1.00"), _at("2026-03-08T06:30"), frozenset({1})),
        LiveOrder("e", 1, "PENDING", Decimal("2.00"), _at("2026-03-08T07:30"), frozenset({1})),
        LiveOrder("f", 2, "PENDING", Decimal("3.00"), _at("2026-03-08T04:59"), frozenset({1})),
    ]
    expected = expected_answers(orders, ZoneInfo("America/New_York"))

    assert [(h.hour, h.order_count) for h in expected.hourly] == [
        (_at("2026-03-08T04:00"), 1),  # 23:59 EST on Mar 7
        (_at("2026-03-08T06:00"), 1),
        (_at("2026-03-08T07:00"), 1),
    ]
    assert [(d.date, d.order_count) for d in expected.daily] == [
        (date(2026, 3, 7), 1),
        (date(2026, 3, 8), 2),
    ]
