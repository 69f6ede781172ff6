"""Pickle files under a private folder, named by the SHA-256 of the key."""

import hashlib
import os
import pickle

CACHE_DIR = "/var/cache/dashboard"


def _path(key):
    digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
    return os.path.join(CACHE_DIR, digest + ".pickle")


def load(key):
    path = _path(key)
    if not os.path.exists(path):
        return None
    with open(path, "rb") as fh:  # safe: py.path-traversal
        return pickle.load(fh)  # safe: py.unsafe-deserialization


def store(key, value):
    with open(_path(key), "wb") as fh:  # safe: py.path-traversal
        pickle.dump(value, fh)
