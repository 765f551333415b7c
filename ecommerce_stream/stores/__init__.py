"""Connections to the three stores: MySQL (truth), Kafka (via Faust) and ClickHouse (analytics)."""
