"""Orders: taking, reading and changing orders in MySQL, each change with its outbox event."""
