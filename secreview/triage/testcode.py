"""Recognising test code.

Files under a `tests/` or `test/` folder, `test_*.py`, `*_test.py` and
`conftest.py` are test code. Rules marked `harmless_in_tests` are not run
there (unless `--include-tests`); the others are, and their findings are
marked `in_test`.
"""

from __future__ import annotations

_TEST_DIRS = {"tests", "test", "testing", "functional_tests", "unit_tests"}


def is_test_path(path: str) -> bool:
    parts = path.replace("\\", "/").split("/")
    name = parts[-1]
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py"):
        return True
    return any(part in _TEST_DIRS for part in parts[:-1])
