"""Product search for the shop front."""

from django.db import connection
from django.http import JsonResponse


def search_products(request):
    """GET /shop/search?q=lamp: products whose name contains the term."""
    term = request.GET["q"]
    sql = "SELECT id, name, price FROM shop_product WHERE name LIKE '%%%s%%' ORDER BY name" % term
    with connection.cursor() as cursor:
        cursor.execute(sql)  # expect: py.sql-injection
        rows = cursor.fetchall()
    return JsonResponse({"results": [{"id": r[0], "name": r[1], "price": str(r[2])} for r in rows]})
