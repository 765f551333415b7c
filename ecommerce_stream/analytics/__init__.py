"""Analytics: events turned into flat order rows, loaded into ClickHouse, and queried."""
