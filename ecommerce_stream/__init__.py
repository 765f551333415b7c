"""ecommerce-stream: orders in MySQL, relayed through Kafka by Faust, analytics in ClickHouse."""
