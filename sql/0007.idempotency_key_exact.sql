-- Idempotency keys are opaque and compared byte for byte: under the table's case- and
-- accent-insensitive collation "order-1" and "ORDER-1" were one key, and a client could be
-- answered with another client's order. The API takes visible ASCII only, so ascii_bin holds
-- every key there is.
-- depends: 0004.idempotency
ALTER TABLE idempotency_keys
    MODIFY idempotency_key VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL;
