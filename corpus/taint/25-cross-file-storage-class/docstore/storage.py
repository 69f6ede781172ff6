"""Plain file storage for uploaded documents."""

import os


class FileStore:
    """Keeps documents as files under one root folder."""

    def __init__(self, root):
        self.root = root
        os.makedirs(root, exist_ok=True)  # safe: py.path-traversal

    def path_for(self, name):
        return os.path.join(self.root, name)

    def save(self, name, content):
        with open(self.path_for(name), "wb") as fh:  # expect: py.path-traversal
            fh.write(content)
        return len(content)
