"""Building lp command lines: every user-supplied word goes through quote()."""

import shlex


def quoted(word):
    return shlex.quote(str(word))


def option(name, value):
    return f"-o {quoted(name)}={quoted(value)}"


def print_command(printer, path, copies, options):
    words = ["lp", "-d", quoted(printer), "-n", str(int(copies))]
    words.extend(option(k, v) for k, v in sorted(options.items()))
    words.append(quoted(path))
    return " ".join(words)
