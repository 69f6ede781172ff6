"""Django reporting views for the same inventory."""

from django.db import connection
from django.http import JsonResponse


def movements(request):
    sku = request.GET.get("sku", "")
    since = request.GET.get("since", "1970-01-01")
    with connection.cursor() as cursor:
        cursor.execute(  # safe: py.sql-injection
            "SELECT moved_at, qty FROM inventory_movement WHERE sku = %s AND moved_at >= %s ORDER BY moved_at",
            [sku, since],
        )
        rows = cursor.fetchall()
    return JsonResponse({"movements": [[str(r[0]), r[1]] for r in rows]})
