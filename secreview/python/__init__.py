"""Python front end: reading, parsing, per-file context."""
