"""A ClickHouse HTTP endpoint served by chDB, for local drills that need several workers to
share one ClickHouse (as a ClickHouse server would; no server package runs on these machines).

It understands what clickhouse-connect sends: the query in the body, or in the `query`
parameter with the data (e.g. an INSERT's rows) in the body, optionally lz4-compressed, and the
`default_format` parameter. Other parameters (HTTP-only settings) are ignored. One thread runs
every query, in arrival order.

    python devstack/clickhouse_http.py DATA_DIR PORT
"""

from __future__ import annotations

import asyncio
import json
import sys
from concurrent.futures import ThreadPoolExecutor

import lz4.frame
from aiohttp import web
from chdb import session

DEFAULT_FORMAT = "TabSeparated"


class ChdbEndpoint:
    def __init__(self, data_dir: str) -> None:
        self._session = session.Session(data_dir)
        self._lane = ThreadPoolExecutor(max_workers=1)

    def _run(self, sql: str, output_format: str) -> bytes:
        result: bytes = self._session.query(sql, output_format).bytes()
        return result

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        if request.headers.get("Content-Encoding") == "lz4":
            body = lz4.frame.decompress(body)
        if "query" in request.query:
            sql = request.query["query"] + ("\n" + body.decode() if body else "")
        else:
            sql = body.decode()
        output_format = request.query.get("default_format", DEFAULT_FORMAT)
        loop = asyncio.get_running_loop()
        try:
            out = await loop.run_in_executor(self._lane, self._run, sql, output_format)
        except Exception as error:  # ClickHouse's own message, as a server would answer it
            return web.Response(
                status=500, text=str(error), headers={"X-ClickHouse-Exception-Code": "1"}
            )
        return web.Response(
            body=out,
            headers={
                "X-ClickHouse-Format": output_format,
                "X-ClickHouse-Timezone": "UTC",
                "X-ClickHouse-Summary": json.dumps({"read_rows": "0", "written_rows": "0"}),
            },
        )


async def ping(request: web.Request) -> web.Response:
    return web.Response(text="Ok.\n")


def main() -> None:
    data_dir, port = sys.argv[1], int(sys.argv[2])
    endpoint = ChdbEndpoint(data_dir)
    app = web.Application(client_max_size=1 << 30)
    app.router.add_get("/ping", ping)
    app.router.add_route("*", "/", endpoint.handle)
    web.run_app(app, host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
