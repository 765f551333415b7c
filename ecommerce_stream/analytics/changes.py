"""The notice the sink publishes after each batch it committed to ClickHouse, and what a process
does with one it reads: tell the dashboards connected to it that the figures changed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

import pydantic

from ecommerce_stream import metrics
from ecommerce_stream.web.push import PushHub
from ecommerce_stream.wire import ApiModel, UtcTimestamp

log = logging.getLogger(__name__)

# The message type dashboards get on their channel (web/static/dashboard.js).
CHANGED = "changed"


class AnalyticsChanged(ApiModel):
    """A sink batch reached ClickHouse: `rows` ledger rows, in ledger `generation` (which grows
    when the ledger is emptied and rebuilt), committed at `committed_at`."""

    generation: int
    rows: int
    committed_at: UtcTimestamp


def change_notice(generation: int, rows: int) -> bytes:
    notice = AnalyticsChanged(generation=generation, rows=rows, committed_at=datetime.now(UTC))
    return notice.model_dump_json(by_alias=True).encode()


def tell_dashboards(hub: PushHub) -> Callable[[bytes], None]:
    """What to do with each notice read: push it to `hub`'s channels (coalesced there)."""

    def forward(notice: bytes) -> None:
        metrics.analytics_change_notices.inc()
        try:
            changed = AnalyticsChanged.model_validate_json(notice)
        except pydantic.ValidationError as error:
            log.warning("ignoring a malformed analytics change notice: %s", error)
            return
        hub.publish(CHANGED, changed.model_dump(mode="json", by_alias=True))

    return forward
