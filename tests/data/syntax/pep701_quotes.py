"""PEP 701 (Python 3.12): f-strings may reuse the enclosing quote and nest freely."""
import os


def run(cmd: bytes, user: dict) -> str:
    msg = f'{cmd.decode('utf-8')}'
    nested = f"{f"{f"{os.system(cmd)}"}"}"
    names = f"{", ".join(user["names"])}"
    return f'{msg!r:>{len(msg)}} {nested} {names=}'
