"""Outgoing HTTP requests of the link checker."""

from urllib.parse import quote

import aiohttp

STATUS_API = "https://status.example.com/api/v1/components/"
TIMEOUT = aiohttp.ClientTimeout(total=5)


async def check_link(url):
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        async with session.head(url, allow_redirects=True) as resp:  # expect: py.ssrf
            return {"url": url, "status": resp.status}


async def component_status(component):
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        async with session.get(STATUS_API + quote(component, safe="")) as resp:  # safe: py.ssrf
            return await resp.json()
