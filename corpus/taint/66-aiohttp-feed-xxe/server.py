"""Feed intake of the news aggregator (aiohttp)."""

from aiohttp import web

from feeds import import_feed, import_partner_feed


async def upload_feed(request: web.Request) -> web.Response:
    body = await request.content.read()
    return web.json_response({"titles": import_feed(body)})


async def upload_partner_feed(request: web.Request) -> web.Response:
    body = await request.content.read()
    return web.json_response({"titles": import_partner_feed(body)})


def make_app() -> web.Application:
    app = web.Application(client_max_size=4 * 1024 * 1024)
    app.router.add_post("/feeds", upload_feed)
    app.router.add_post("/partner-feeds", upload_partner_feed)
    return app
