-- The outbox audit is an alarm: when it has to relay an event again, it names the Kafka record
-- that was lost (partition and offset from the brokers' ack, kept by the relay) and keeps a
-- tally every worker's health reads, whichever worker was the leader at the time.
-- depends: 0008.outbox_audit
ALTER TABLE outbox
    ADD COLUMN published_partition INT UNSIGNED NULL,
    ADD COLUMN published_offset    BIGINT UNSIGNED NULL;
ALTER TABLE outbox_audit
    ADD COLUMN requeued_total   BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN last_requeued_at DATETIME(6) NULL;
