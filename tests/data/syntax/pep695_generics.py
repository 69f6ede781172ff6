"""PEP 695 (Python 3.12) generics and PEP 696 (Python 3.13) type parameter defaults."""
import os
from typing import Callable

type Command[T] = list[T]
type Handler[**P, R = None] = Callable[P, R]


class Box[T: (int, str) = int, *Ts]:
    def __init__(self, item: T) -> None:
        self.item = item


def execute[T: str, *Ts, **P](cmd: T, *args: *Ts) -> int:
    return os.system(cmd)
