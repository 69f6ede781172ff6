"""A tiny DNS lookup service for the support team."""

import asyncio

from aiohttp import web


async def lookup(request: web.Request) -> web.Response:
    domain = request.query.get("domain", "")
    record = request.query.get("type", "A")
    proc = await asyncio.create_subprocess_shell(f"dig +short {record} {domain}", stdout=asyncio.subprocess.PIPE)  # expect: py.shell-injection
    out, _ = await proc.communicate()
    return web.json_response({"records": out.decode().split()})


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/lookup", lookup)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), port=8081)
