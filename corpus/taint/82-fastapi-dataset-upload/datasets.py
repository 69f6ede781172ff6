"""Dataset folders and archive handling."""

import os
import re
import tarfile

DATA_ROOT = "/srv/labelling/datasets"


def dataset_dir(name):
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):  # safe: py.regex-injection
        raise ValueError("bad dataset name")
    path = os.path.join(DATA_ROOT, name)
    os.makedirs(path, exist_ok=True)  # safe: py.path-traversal
    return path


def unpack(dest, fileobj):
    with tarfile.open(fileobj=fileobj, mode="r:*") as archive:
        archive.extractall(dest)  # expect: py.archive-extraction
        return len(archive.getnames())


def unpack_checked(dest, fileobj):
    with tarfile.open(fileobj=fileobj, mode="r:*") as archive:
        archive.extractall(dest, filter="data")  # safe: py.archive-extraction
        return len(archive.getnames())
