"""The relay's wake-up from other processes: an API process commits orders it does not relay,
and its notice on `outbox.commits` brings the relaying process to the outbox at once, so the
relay's poll is only the fallback for a notice lost on the way."""

from __future__ import annotations

from ecommerce_stream.app import app
from ecommerce_stream.retry import retry_until_done
from ecommerce_stream.settings import Role
from ecommerce_stream.topics import outbox_commits_topic
from ecommerce_stream.wiring import outbox_commit_reader


@app.task(role=Role.RELAY)
async def read_outbox_commits() -> None:
    """Every relay process reads every notice; only the one that relays acts on it."""
    await retry_until_done("declaring the outbox.commits topic", outbox_commits_topic.maybe_declare)
    await retry_until_done("reading outbox commit notices", outbox_commit_reader.run)
