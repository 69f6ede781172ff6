"""Sign-in of the customer dashboard (FastAPI)."""

from fastapi import FastAPI, Form
from fastapi.responses import RedirectResponse

from accounts import check_credentials
from navigation import tidy_next

app = FastAPI()
LANDING_PAGES = ("/", "/dashboard", "/settings", "/billing")


@app.post("/login")
def login(username: str = Form(...), password: str = Form(...), next: str = "/"):
    if not check_credentials(username, password):
        return RedirectResponse("/login?failed=1", status_code=303)
    return RedirectResponse(tidy_next(next), status_code=303)  # expect: py.open-redirect


@app.get("/welcome")
def welcome(page: str = "/"):
    if page not in LANDING_PAGES:
        page = "/"
    return RedirectResponse(page)  # safe: py.open-redirect


@app.get("/orders/{order_id}/open")
def open_order(order_id: str):
    return RedirectResponse(f"/orders/{order_id}")  # safe: py.open-redirect
