"""Link previews for the chat service."""

import re

import requests
from fastapi import FastAPI

app = FastAPI()

TITLE = re.compile(r"<title>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def extract_title(html):
    match = TITLE.search(html)
    return match.group(1).strip() if match else None


@app.get("/preview")
def link_preview(url: str):
    """Fetch a pasted link and return its title for the preview card."""
    resp = requests.get(url, timeout=5)  # expect: py.ssrf
    return {"url": url, "title": extract_title(resp.text)}
