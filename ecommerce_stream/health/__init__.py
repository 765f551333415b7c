"""Health: whether MySQL, Kafka and ClickHouse answer, and how far behind the pipeline is."""
