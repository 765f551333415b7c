"""ecommerce-stream: orders in MySQL, an outbox relayed through Kafka by Faust, analytics in ClickHouse."""
