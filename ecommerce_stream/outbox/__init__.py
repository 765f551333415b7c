"""Outbox: events written beside each order change, relayed to Kafka by the leader worker."""
