"""Stock report pages for the warehouse staff."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from inventory import queries
from inventory.models import Product

SORTABLE = ("name", "stock", "price")


@login_required
def low_stock(request):
    threshold = int(request.GET.get("below", "10"))
    order = request.GET.get("order", "stock")
    products = Product.objects.raw(queries.low_stock_sql(threshold, order))  # expect: py.sql-injection
    return render(request, "inventory/low_stock.html", {"products": products})


@login_required
def by_supplier(request):
    supplier = request.GET["supplier"]
    products = Product.objects.raw(queries.by_supplier_sql(), [supplier])  # safe: py.sql-injection
    return render(request, "inventory/by_supplier.html", {"products": products})


@login_required
def sorted_stock(request):
    order = request.GET.get("order", "name")
    if order not in SORTABLE:
        order = "name"
    products = Product.objects.raw(f"SELECT id, name, stock, price FROM inventory_product ORDER BY {order}")  # safe: py.sql-injection
    return render(request, "inventory/stock.html", {"products": products})


@login_required
def reorder_list(request):
    threshold = int(request.GET.get("below", "5"))
    products = Product.objects.raw(queries.low_stock_sql(threshold, "urgency, name"))  # safe: py.sql-injection
    return render(request, "inventory/reorder.html", {"products": products})
