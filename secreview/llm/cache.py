"""A response cache in SQLite, so re-reviewing unchanged code costs nothing.

The key hashes everything that can change an answer: the model (and the
server it runs on), the messages, the schema and the call settings. Only
answers that were read successfully are stored. A cache that cannot be
opened or written (read-only folder, corrupt file, locked by another
process for too long) is bypassed with a warning; it never stops a review.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from typing import Any

from secreview.cache import close_quietly, open_database
from secreview.llm.providers import Completion

SCHEMA_VERSION = 1


def default_path() -> str:
    base = os.environ.get("SECREVIEW_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "secreview")
    return os.path.join(base, "llm-responses.sqlite")


def cache_key(**parts: Any) -> str:
    text = json.dumps({"v": SCHEMA_VERSION, **parts}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, path: str) -> None:
        self.path = path
        self.warning: str | None = None
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        try:
            self._db = open_database(path, threads=True)
            self._db.execute("CREATE TABLE IF NOT EXISTS responses (key TEXT PRIMARY KEY, model TEXT, "
                             "created REAL, text TEXT, finish_reason TEXT, prompt_tokens INTEGER, "
                             "completion_tokens INTEGER, cost REAL, format TEXT)")
        except (OSError, sqlite3.Error) as exc:
            self._disable(exc)

    def get(self, key: str) -> Completion | None:
        with self._lock:
            if self._db is None:
                return None
            try:
                row = self._db.execute("SELECT text, finish_reason, prompt_tokens, completion_tokens, cost, format "
                                       "FROM responses WHERE key = ?", (key,)).fetchone()
            except sqlite3.Error as exc:
                self._disable(exc)
                return None
        if row is None:
            return None
        text, finish, prompt, completion, cost, form = row
        return Completion(text=text, finish_reason=finish, prompt_tokens=prompt, completion_tokens=completion,
                          cost=cost, cached=True, format=form)

    def put(self, key: str, model: str, completion: Completion) -> None:
        with self._lock:
            if self._db is None:
                return
            try:
                self._db.execute("INSERT OR REPLACE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                 (key, model, time.time(), completion.text, completion.finish_reason,
                                  completion.prompt_tokens, completion.completion_tokens, completion.cost,
                                  completion.format))
            except sqlite3.Error as exc:
                self._disable(exc)

    def close(self) -> None:
        with self._lock:
            close_quietly(self._db)
            self._db = None

    def _disable(self, exc: Exception) -> None:
        self.warning = f"response cache {self.path} not used: {exc}"
        close_quietly(self._db)
        self._db = None
