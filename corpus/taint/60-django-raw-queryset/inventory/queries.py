"""Hand-written SQL for the stock reports (the ORM cannot express the window)."""


def low_stock_sql(threshold, order):
    return (
        "SELECT id, name, stock, RANK() OVER (ORDER BY stock) AS urgency "
        f"FROM inventory_product WHERE stock < {threshold} ORDER BY {order}"
    )


def by_supplier_sql():
    return "SELECT id, name, stock FROM inventory_product WHERE supplier_id = %s ORDER BY name"
