"""secreview: a security code reviewer for Python projects.

The library never prints and never exits; `secreview.cli` is the only place
that talks to a terminal.
"""

__version__ = "0.1.0"
