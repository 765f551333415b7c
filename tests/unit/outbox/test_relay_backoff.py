"""The relay's retry schedule."""

from datetime import timedelta

from ecommerce_stream.outbox.relay import MAX_BACKOFF_SECONDS, retry_delay


def test_backoff_doubles_and_is_capped() -> None:
    assert retry_delay(1) == timedelta(seconds=0.5)
    assert retry_delay(2) == timedelta(seconds=1)
    assert retry_delay(5) == timedelta(seconds=8)
    assert retry_delay(50) == timedelta(seconds=MAX_BACKOFF_SECONDS)
