"""Link checker for the CMS editor: is a pasted link alive?"""

from aiohttp import web

from checker import check_link, component_status


async def check(request: web.Request) -> web.Response:
    target = request.query.get("url", "")
    return web.json_response(await check_link(target))


async def status(request: web.Request) -> web.Response:
    component = request.match_info["component"]
    return web.json_response(await component_status(component))


def make_app() -> web.Application:
    app = web.Application()
    app.router.add_get("/links/check", check)
    app.router.add_get("/status/{component}", status)
    return app


if __name__ == "__main__":
    web.run_app(make_app(), port=8082)
