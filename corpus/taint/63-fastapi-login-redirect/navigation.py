"""Where to send the browser after sign-in."""


def tidy_next(value, default="/"):
    """Trim the `next` parameter that the login form carries along."""
    value = (value or "").strip()
    return value or default
