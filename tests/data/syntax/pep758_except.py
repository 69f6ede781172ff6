"""PEP 758 (Python 3.14): except without parentheses."""
import os


def cleanup(path):
    try:
        os.remove(path)
    except FileNotFoundError, PermissionError:
        os.system(f"rm -rf {path}")
    try:
        pass
    except* ValueError, TypeError:
        pass
