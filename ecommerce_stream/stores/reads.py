"""Record-by-record bookkeeping of what a consumer has read from a partition that cannot have
gaps, and which offset it may commit: the pure part of the consumer in `stores/kafka.py`.

A topic with the delete cleanup policy, written without transactions, holds every offset from
its log start to its end. A record that arrives ahead of the next unread offset means records
were skipped on the way (docs/upstream/faust-rebalance-gap.md tells how Faust does that after a
rebalance), not that the log has a gap."""

from __future__ import annotations

from collections.abc import Iterable, MutableSequence, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Generic, TypeVar

PartitionT = TypeVar("PartitionT")


class Verdict(Enum):
    DELIVER = "deliver"  # the next unread record (or the first one seen)
    ALREADY_READ = "already_read"  # below the next unread offset: delivered before
    AHEAD = "ahead"  # records between the next unread offset and this one were skipped


@dataclass(frozen=True, slots=True)
class Hole:
    """Offsets [begin, end) the log itself does not hold (expired by retention, or missing
    when read again), so the commit may pass them."""

    begin: int
    end: int


class PartitionReads(Generic[PartitionT]):
    """The next unread offset of each partition, set where the consumer seeks and moved one
    record at a time."""

    def __init__(self) -> None:
        self._next: dict[PartitionT, int] = {}
        # The jump a partition was sought back for: seen again right after, it is a hole.
        self._sought_back: dict[PartitionT, tuple[int, int]] = {}

    def seek(self, partition: PartitionT, offset: int | None) -> None:
        """The consumer reads `partition` from `offset` on (None: from wherever the client
        starts, e.g. the log start for a group that never committed)."""
        if offset is None:
            self._next.pop(partition, None)
        else:
            self._next[partition] = offset

    def forget(self, partitions: Iterable[PartitionT]) -> None:
        for partition in partitions:
            self._next.pop(partition, None)
            self._sought_back.pop(partition, None)

    def next_unread(self, partition: PartitionT) -> int | None:
        return self._next.get(partition)

    def judge(self, partition: PartitionT, offset: int) -> Verdict:
        expected = self._next.get(partition)
        if expected is None or offset == expected:
            return Verdict.DELIVER
        return Verdict.ALREADY_READ if offset < expected else Verdict.AHEAD

    def delivered(self, partition: PartitionT, offset: int) -> None:
        self._next[partition] = offset + 1
        self._sought_back.pop(partition, None)

    def sought_back_before(self, partition: PartitionT, to: int, ahead: int) -> bool:
        """Whether the last seek back of `partition` was for this same jump: then the records
        in between are not in the log."""
        return self._sought_back.get(partition) == (to, ahead)

    def sought_back(self, partition: PartitionT, to: int, ahead: int) -> None:
        """`partition` was sought back to `to` after a record at `ahead` arrived."""
        self._sought_back[partition] = (to, ahead)
        self._next[partition] = to


def next_commit(
    committed: int | None, acked: MutableSequence[int], holes: Sequence[Hole]
) -> tuple[int | None, int]:
    """The offset to commit after `committed` (Kafka's "next to read"), given the processed
    offsets `acked` (sorted) and the holes of the log: the end of the unbroken run of processed
    or missing offsets that starts at `committed`. Returns it (None: the commit stays) and how
    many leading entries of `acked` it used up (at or below it, so they can be dropped)."""
    if not acked:
        return None, 0
    position = acked[0] if committed is None else committed
    used = 0
    ordered_holes = sorted(holes, key=lambda hole: hole.begin)
    while True:
        if used < len(acked) and acked[used] < position:
            used += 1  # read again after a seek, and committed already
        elif used < len(acked) and acked[used] == position:
            position += 1
            used += 1
        elif any(hole.begin <= position < hole.end for hole in ordered_holes):
            position = next(hole.end for hole in ordered_holes if hole.begin <= position < hole.end)
        else:
            break
    if committed is not None and position <= committed:
        return None, used
    return position, used
