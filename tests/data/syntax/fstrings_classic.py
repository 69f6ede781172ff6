"""f-string edge cases that Python 3.11 already accepts."""
x = y = w = p = 1
a = f"a{x}b"
b = f"a{{b}}c{x}"
c = f"{x=}"
d = f"a{ x = }b"
e = f"{x=!s}"
f = f"{x=:>4}"
g = f"{x:>{w}.{p}f}"
h = f"{x:}"
i = f"{x!r:}"
j = "a" f"b{x}c" "d"
k = f"a" "b"
l = f""
m = "" f""
n = f"{x}" ""
o = f"a\nb{x}"
q = f'''a
b{x}
c'''
r = f'{x:{{}}>10}'
s = rf"a\{x}"
t = f"{x:{y=}}"
u = f'a{{'
v = f'{{a'
z = f'}}a{{b}}'
aa = f'{x}' f'{y}'
bb = f'{x:abc\ndef}'
cc = f"{x!r}"
dd = f"{ x !r}"
ee = f"{x, y}"
ff = f"{x,}"
gg = u"u-first" f"{x}" "tail"
hh = f"{'quoted'}" rf'\d{x}' "\t"
ii = f"""{
x
}"""
jj = f"{x:{'>'}{10}}"
kk = f"{3.14:.{2}f}"
ll = f"{x=}" f"{y=}"
mm = f"\N{EM DASH}{x}\N{BULLET}"
nn = f"{x}" "" f"{y}"
oo = f"{'a' 'b'}"
pp = f"{x:%Y-%m-%d %H:%M}"
qq = f"{(lambda: 1)()}"
rr = f"{x!a}"
ss = f"{(x := 5)}"
