"""Product widgets that shops embed: HTML fragments built from query values."""

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

import fragments

app = FastAPI()
templates = Jinja2Templates(directory="templates")
SWATCH_DIR = "/srv/widgets/swatches"


@app.get("/widgets/price", response_class=HTMLResponse)
def price_widget(name: str, price: str):
    return HTMLResponse(fragments.price_tag(name, price))  # safe: py.xss


@app.get("/widgets/review", response_class=HTMLResponse)
def review_widget(request: Request, author: str, text: str):
    return templates.TemplateResponse(request, "review.html", {"author": author, "text": text})  # safe: py.xss


@app.get("/widgets/stars", response_class=HTMLResponse)
def stars_widget(rating: str):
    return HTMLResponse(fragments.stars(int(rating)))  # safe: py.xss


@app.get("/widgets/swatch/{colour}")
def swatch(colour: str):
    return FileResponse(fragments.swatch_path(SWATCH_DIR, colour), media_type="image/png")  # safe: py.path-traversal


@app.get("/widgets/go/{product_id}")
def go_to_product(product_id: int):
    return RedirectResponse(f"/products/{product_id}")  # safe: py.open-redirect
