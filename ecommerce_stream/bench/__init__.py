"""`ecommerce-stream bench`: freshness, throughput, latency and rebuild figures, measured beside
the original design and the raw limits of MariaDB, Kafka and chDB in the same run."""
