"""Client of the upstream weather API (the host is fixed)."""

from urllib.parse import quote

import aiohttp

WEATHER_API = "https://api.weather.example.net/v3"


class WeatherClient:
    def __init__(self, timeout=5):
        self.timeout = aiohttp.ClientTimeout(total=timeout)

    async def forecast(self, city, days):
        url = f"{WEATHER_API}/forecast/{quote(city, safe='')}"
        async with aiohttp.ClientSession(timeout=self.timeout) as session:
            async with session.get(url, params={"days": days}) as resp:  # safe: py.ssrf
                return await resp.json()
