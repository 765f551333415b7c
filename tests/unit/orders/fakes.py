"""An in-memory unit of work for the order use cases: the same protocol as MySQLUnitOfWork,
with a commit that keeps what the transaction wrote and an outbox that is a list."""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from types import TracebackType
from typing import Self

from ecommerce_stream.catalog.repository import OrderCatalog
from ecommerce_stream.catalog.schemas import Product
from ecommerce_stream.events.records import OrderEvent
from ecommerce_stream.orders.domain import Order
from ecommerce_stream.orders.repository import AdminAction, IdempotencyRecord

USERS = {1: "Kim Minjun", 2: "Lee Jiwoo"}
_ADDED = datetime(2026, 1, 1, tzinfo=UTC)
PRODUCTS = {
    product.id: product
    for product in (
        Product(
            id=101, name="Laptop", price=Decimal("1250000.00"), category="IT", created_at=_ADDED
        ),
        Product(id=102, name="Mouse", price=Decimal("25000.00"), category="IT", created_at=_ADDED),
    )
}


@dataclass
class Database:
    """What the fake keeps between units of work: the committed state."""

    orders: dict[str, Order] = field(default_factory=dict)
    idempotency: dict[str, IdempotencyRecord] = field(default_factory=dict)
    audit: list[tuple[AdminAction, str, str, int]] = field(default_factory=list)
    outbox: list[OrderEvent] = field(default_factory=list)
    commits: int = 0


class FakeOrders:
    def __init__(self, db: Database) -> None:
        self._db = db
        self.changed: dict[str, Order] = {}
        self.keys: dict[str, IdempotencyRecord] = {}
        self.audit: list[tuple[AdminAction, str, str, int]] = []
        self.deleted: list[str] = []
        self.seen: list[Order] = []

    async def add(self, order: Order) -> None:
        assert order.id not in self._db.orders
        self.changed[order.id] = order
        self.seen.append(order)

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        stored = self.changed.get(order_id) or self._db.orders.get(order_id)
        if stored is None:
            return None
        order = copy.deepcopy(stored)  # as a database would hand out a fresh row
        self.seen.append(order)
        return order

    async def save(self, order: Order) -> None:
        self.changed[order.id] = order

    async def list_for_user(self, user_id: int, *, limit: int, offset: int) -> list[Order]:
        live = [o for o in self._db.orders.values() if o.user_id == user_id and not o.is_deleted]
        live.sort(key=lambda order: (order.created_at, order.id), reverse=True)
        return live[offset : offset + limit]

    async def add_idempotency_key(
        self, key: str, request_hash: str, order_id: str, at: datetime
    ) -> None:
        self.keys[key] = IdempotencyRecord(request_hash, order_id)

    async def idempotency_record(self, key: str) -> IdempotencyRecord | None:
        return self._db.idempotency.get(key)

    async def record_admin_actions(
        self, action: AdminAction, admin_id: str, versions: Sequence[tuple[str, int]], at: datetime
    ) -> None:
        self.audit += [(action, admin_id, order_id, version) for order_id, version in versions]

    async def lock_deleted_before(self, cutoff: datetime, limit: int) -> list[tuple[str, int]]:
        old = [
            o
            for o in self._db.orders.values()
            if o.deleted_at is not None and o.deleted_at <= cutoff
        ]
        return [(order.id, order.version) for order in old[:limit]]

    async def delete(self, order_ids: Sequence[str]) -> None:
        self.deleted += order_ids


class FakeCatalog:
    async def user_name(self, user_id: int) -> str | None:
        return USERS.get(user_id)

    async def order_catalog(self, user_id: int, product_ids: Iterable[int]) -> OrderCatalog:
        found = {pid: PRODUCTS[pid] for pid in product_ids if pid in PRODUCTS}
        return OrderCatalog(user_name=USERS.get(user_id), products=found)


class FakeUnitOfWork:
    def __init__(self, db: Database, *, read_only: bool = False) -> None:
        self._db = db
        self._read_only = read_only
        self.orders = FakeOrders(db)
        self.catalog = FakeCatalog()

    async def __aenter__(self) -> Self:
        return self

    async def commit(self) -> None:
        assert not self._read_only
        self._db.outbox += [event for order in self.orders.seen for event in order.pull_events()]
        self._db.orders.update(copy.deepcopy(self.orders.changed))
        self._db.idempotency.update(self.orders.keys)
        self._db.audit += self.orders.audit
        for order_id in self.orders.deleted:
            del self._db.orders[order_id]
        self._db.commits += 1

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Without a commit, nothing of the transaction is kept."""
