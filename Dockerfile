# The app image used by docker-compose.yml: the Faust worker serving the API and pages.

# The chart library the dashboard serves itself (never from a CDN), pinned by the lock file.
FROM node:20-slim AS web-assets
WORKDIR /web
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci --omit=dev

FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY ecommerce_stream ./ecommerce_stream
COPY sql ./sql
COPY clickhouse ./clickhouse
COPY web ./web
COPY --from=web-assets /web/node_modules ./web/node_modules
# Editable: the app finds sql/, clickhouse/ and web/ beside its package, in /app.
RUN pip install --no-cache-dir -e .
EXPOSE 3000
# Schema and demo data are idempotent, so every start may apply them.
CMD ["sh", "-c", "ecommerce-stream migrate && ecommerce-stream seed && exec ecommerce-stream worker -l info"]
