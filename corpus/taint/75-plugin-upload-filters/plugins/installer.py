"""Installs uploaded plugin bundles into the plugin folder."""

import os
import re
import shutil
import tarfile
import tempfile

PLUGIN_ROOT = "/srv/app/plugins"


def plugin_dir(name, *parts):
    if not re.fullmatch(r"[a-z][a-z0-9_-]{0,63}", name):  # safe: py.regex-injection
        raise ValueError("plugin names are lowercase letters, digits, '_' and '-'")
    return os.path.join(PLUGIN_ROOT, *parts, name)


def install_bundle(upload, name):
    dest = plugin_dir(name)
    with tempfile.NamedTemporaryFile(suffix=".tar.gz") as tmp:
        upload.save(tmp)
        tmp.flush()
        shutil.unpack_archive(tmp.name, dest, format="gztar", filter="data")  # safe: py.archive-extraction
    return dest


def install_theme(stream, name):
    dest = plugin_dir(name, "themes")
    with tarfile.open(fileobj=stream, mode="r:*") as archive:
        archive.extractall(dest, filter=tarfile.data_filter)  # safe: py.archive-extraction
    return dest


def remove_plugin(name):
    shutil.rmtree(plugin_dir(name))  # safe: py.path-traversal
