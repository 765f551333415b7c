"""The benchmark (`python -m bench`, run by `make bench`): freshness, throughput, latency and
rebuild figures, measured beside the original design and the raw limits of MariaDB, Kafka and
chDB in the same run. Kept out of the app package: a production install ships none of it."""
