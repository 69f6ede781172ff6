"""SQL for the catalogue views."""


def book_by_id(book_id):
    return f"SELECT id, title, author FROM books WHERE id = {book_id}"


def books_by_title(fragment):
    return "SELECT id, title, author FROM books WHERE title LIKE ?", (f"%{fragment}%",)
