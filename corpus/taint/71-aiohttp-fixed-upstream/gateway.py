"""Weather gateway: our clients ask us, we ask the one upstream we trust."""

import logging
import os

from aiohttp import web

from upstream import WeatherClient

log = logging.getLogger("gateway")
ICON_DIR = "/srv/gateway/icons"
CLIENT = WeatherClient(timeout=5)


async def forecast(request: web.Request) -> web.Response:
    city = request.query.get("city", "")
    days = int(request.query.get("days", "3"))
    log.info("forecast for %d days", days)  # safe: py.log-injection
    return web.json_response(await CLIENT.forecast(city, days))


async def icon(request: web.Request) -> web.FileResponse:
    name = os.path.basename(request.match_info["name"])
    return web.FileResponse(os.path.join(ICON_DIR, name + ".svg"))  # safe: py.path-traversal


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/forecast", forecast)
    app.router.add_get("/icons/{name}", icon)
    return app
