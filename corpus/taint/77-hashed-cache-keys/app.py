"""Sales dashboard: expensive aggregates are cached on disk between requests."""

from flask import Flask, request

import cache
from aggregates import compute

app = Flask(__name__)


@app.route("/dashboard/aggregate")
def aggregate():
    region = request.args.get("region", "all")
    period = request.args.get("period", "month")
    key = f"{region}:{period}"
    result = cache.load(key)
    if result is None:
        result = compute(region, period)
        cache.store(key, result)
    return {"region": region, "period": period, "rows": result}
