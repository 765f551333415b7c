"""The transformer's Faust tables: changelog-backed state that survives a restarted worker."""

from __future__ import annotations

from ecommerce_stream.app import app
from ecommerce_stream.settings import Role

# Order id → the highest version the transformer turned into an analytics row: stale versions
# are dropped before they cost anything downstream. Inspectable at /api/analytics/versions/{id}.
transformed_versions = app.Table(
    "order-versions",
    role=Role.TRANSFORM,
    key_type=str,
    value_type=int,
    default=int,
    help="Last version per order.",
)

# Order id → the order's state after its newest version-1 event, while version-1 events of it
# are being read (events/upcasting.py); empty once the topic holds current events only.
legacy_order_states = app.Table(
    "legacy-order-states",
    role=Role.TRANSFORM,
    key_type=str,
    value_type=str,
    help="Order state kept to complete version-1 events.",
)
