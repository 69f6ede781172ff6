"""Status badges service: build results as embeddable HTML."""

from fastapi import FastAPI

import badges

app = FastAPI(title="badges")
app.include_router(badges.router)
