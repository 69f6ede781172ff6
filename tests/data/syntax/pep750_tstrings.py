"""PEP 750 (Python 3.14): template strings."""


def render(user_input, width):
    template = t"Hello {eval(user_input)!r:>{width}} and {user_input=}!"
    both = t"a{width}" t'b'
    return template, both
