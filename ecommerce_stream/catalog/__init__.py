"""Catalog: the shop's customers and products (demo data seeded by `ecommerce-stream seed`)."""
