"""Persistence helpers: users, caches and sessions."""

import hashlib
import pickle

import redis

_cache = redis.Redis()


def store_user(db, name, password):
    digest = hashlib.md5(password.encode()).hexdigest()  # planted: py.weak-hash
    db.execute("INSERT INTO users (name, pw) VALUES (?, ?)", (name, digest))


def thumbnail_path(image_id):
    # safe: MD5 of an id for a cache file name is not a security use.
    name = hashlib.md5(image_id.encode()).hexdigest()
    return f"/var/cache/thumbs/{name}.png"


def etag_for(body):
    # safe: an ETag only has to change when the body changes.
    return hashlib.sha1(body, usedforsecurity=False).hexdigest()


def load_session(session_id):
    blob = _cache.get(f"session:{session_id}")
    return pickle.loads(blob)  # planted: py.unsafe-deserialization


def save_session(session_id, data):
    # safe: serialising is not the dangerous direction.
    _cache.set(f"session:{session_id}", pickle.dumps(data))
