"""Paging and search helpers for raw SQL listings."""

ORDERS = {"newest": "published DESC", "oldest": "published ASC", "title": "title ASC"}


class Paginator:
    def __init__(self, page, per_page):
        self.page = int(page)
        self.per_page = min(int(per_page), 100)
        self.order = ORDERS["newest"]

    def set_order(self, name):
        if name in ORDERS:
            self.order = ORDERS[name]

    def sql(self, base):
        offset = (self.page - 1) * self.per_page
        return f"{base} ORDER BY {self.order} LIMIT {self.per_page} OFFSET {offset}"


def search_clause(term):
    if not term:
        return "", ()
    return " WHERE title LIKE ?", ("%" + term + "%",)
