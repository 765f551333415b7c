"""Which records a gapless partition delivers, and how far its commit may move."""

from __future__ import annotations

from ecommerce_stream.stores.reads import Hole, PartitionReads, Verdict, next_commit


def test_the_commit_moves_through_processed_offsets_from_the_committed_one() -> None:
    acked = [10, 11, 12, 14]

    assert next_commit(10, acked, []) == (13, 3)


def test_the_first_record_after_the_commit_unprocessed_holds_the_commit() -> None:
    # Faust's own check (min(acked) - committed > 1) lets this one through (#606).
    assert next_commit(10, [11, 12, 13], []) == (None, 0)


def test_offsets_processed_again_below_the_commit_are_used_up() -> None:
    acked = [7, 8, 10, 11]

    assert next_commit(10, acked, []) == (12, 4)


def test_nothing_processed_commits_nothing() -> None:
    assert next_commit(10, [], [Hole(10, 20)]) == (None, 0)


def test_holes_are_passed_over_only_where_they_join_the_run() -> None:
    assert next_commit(10, [10, 15, 16], [Hole(11, 15)]) == (17, 3)
    assert next_commit(10, [10, 16], [Hole(12, 15)]) == (11, 1)


def test_a_group_that_never_committed_starts_at_its_first_processed_record() -> None:
    assert next_commit(None, [3, 4, 6], []) == (5, 2)


def test_records_are_delivered_in_offset_order_only() -> None:
    reads: PartitionReads[str] = PartitionReads()

    assert reads.judge("p", 7) is Verdict.DELIVER  # nothing known: the client's start
    reads.seek("p", 10)
    assert reads.judge("p", 9) is Verdict.ALREADY_READ
    assert reads.judge("p", 11) is Verdict.AHEAD
    assert reads.judge("p", 10) is Verdict.DELIVER
    reads.delivered("p", 10)
    assert reads.next_unread("p") == 11
    assert reads.judge("p", 12) is Verdict.AHEAD


def test_the_same_jump_right_after_a_seek_back_is_a_hole() -> None:
    reads: PartitionReads[str] = PartitionReads()
    reads.seek("p", 10)

    assert not reads.sought_back_before("p", 10, 20)
    reads.sought_back("p", 10, 20)
    assert reads.sought_back_before("p", 10, 20)
    reads.delivered("p", 10)  # it was read after all
    assert not reads.sought_back_before("p", 10, 20)


def test_a_revoked_partition_is_forgotten() -> None:
    reads: PartitionReads[str] = PartitionReads()
    reads.seek("p", 10)
    reads.forget(["p"])

    assert reads.next_unread("p") is None
    assert reads.judge("p", 99) is Verdict.DELIVER
