# The app image used by docker-compose.yml: the Faust worker serving the API and pages.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ecommerce_stream ./ecommerce_stream
COPY sql ./sql
COPY clickhouse ./clickhouse
COPY web ./web
RUN pip install --no-cache-dir .
EXPOSE 3000
# Schema and demo data are idempotent, so every start may apply them.
CMD ["sh", "-c", "ecommerce-stream migrate && ecommerce-stream seed && exec ecommerce-stream worker -l info"]
