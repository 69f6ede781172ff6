"""SQL text for the catalogue listings."""


def build_query(category, order="name"):
    query = "SELECT id, name, price FROM products"
    if category != "all":
        query += f" WHERE category = '{category}'"
    return query + " ORDER BY " + order
