"""Ordinary Python (valid on 3.11): one of (nearly) every statement and expression."""
# -*- a comment -*-
from __future__ import annotations

import os, sys as system
import os.path as osp
from . import sibling
from ..pkg.mod import (a as b,
                       c,)
from .mod import *

GLOBAL: int = 0
x = y = 1; z = -x + ~y ** 2 // 3 % 4 @ z << 1 >> 2 & 3 | 4 ^ 5
a, *rest = b, = [1, 2]
(p), [q, r] = 1, (2, 3)
del x, (y), [z]
x += 1; x -= 1; x *= 2; x /= 2; x //= 2; x %= 3; x **= 2; x <<= 1; x >>= 1
x &= 1; x |= 1; x ^= 1; x @= 1
obj.attr: "annotation" = None
(obj).attr = obj[1:2, ::3, ...]
n = 1_000 + 0x_FF + 0o17 + 0b1010 + 1.5e-3 + 2j + 3.j + .5 + 1_0.0_1
s = "plain" 'single' """triple""" u"unicode" r"raw\d" "\N{EM DASH}\x41\101\n"
bs = b"bytes" rb"\d" B'\x00\xff'
joined = ("implicit "
          "concatenation"
          f"{n}")
e = ...
t = (); t1 = (1,); t2 = 1, 2,; l = []; d = {}; st = {1, 2}
d2 = {"k": 1, **d, 2: [*t, *l]}
cmp = 1 < x <= 2 != 3 == 4 >= 5 > 6 in t not in l is None is not True
b1 = not x and y or z and (x or y) or False
ife = x if y else z
lam = lambda a, /, b=1, *args, c, d=2, **kw: (a, b, args, c, d, kw)
lam2 = lambda: 0
lam3 = lambda *, k: k
comp = [i * j for i in range(3) if i for j in range(i) if j if not j]
scomp = {i for i in range(3)}
dcomp = {k: v for k, v in d.items()}
gen = (i for i in range(3))
call = sum(i for i in range(3))
call2 = print(*t, sep="", **d)
if (walrus := len(t)) > 1:
    pass
elif walrus:
    pass
else:
    pass
sub = l[0]; sub2 = d["k"]; sub3 = l[1:]; sub4 = l[:-1]; sub5 = l[::2]; sub6 = d[1, 2]


@decorator
@decorator.with_args(1, key="v")
def func(a: int, b: "str" = "x", *args: int, kw_only: bool = False, **kwargs) -> None:
    """Docstring."""
    global GLOBAL
    def inner():
        nonlocal a
        a = 1
    yield a
    yield
    x = yield from range(3)
    return


async def coro(session):
    async with session.get("u") as resp, session.get("v"):
        pass
    async for item in resp:
        await item
    result = [i async for i in resp]
    return await session.close()


class Klass(Base, metaclass=Meta, **extra):
    attr = 1

    @property
    def prop(self):
        return self.attr

    class Nested:
        pass


for i, (j, k) in enumerate(d.items()):
    if i:
        continue
    break
else:
    pass

while x:
    x -= 1
else:
    pass

try:
    raise ValueError("boom") from None
except (ValueError, TypeError) as exc:
    raise
except Exception:
    pass
else:
    pass
finally:
    pass

try:
    pass
except* OSError as eg:
    pass

with open("f") as fh, open("g") as (gh):
    pass

with (open("f") as fh,
      open("g")):
    pass

assert x, "message"
assert x

match command.split():
    case [action]:
        pass
    case [action, obj]:
        pass
    case ["go", direction] | ["move", direction]:
        pass
    case Point(x=0, y=0):
        pass
    case Point(1, y=_) as point if point:
        pass
    case {"key": value, **others}:
        pass
    case [1, 2, *rest]:
        pass
    case (1 | 2) as num:
        pass
    case (x, y, *_):
        pass
    case -1 | 1.5 | -2j | 1 + 2j | "str" | b"bytes" | None | True | False:
        pass
    case Color.RED:
        pass
    case _:
        pass

if x: pass; y = 2;
print(f"{x!r:>10} {y=} {z:{w}.{p}f} {{literal}} {'nested'!s}")
