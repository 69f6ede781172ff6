"""Check that a TCP port answers: `python portcheck.py HOST PORT`."""

import os
import sys


def main(argv):
    if len(argv) != 3:
        print(__doc__)
        return 2
    _, host, port = argv
    status = os.system("nc -z -w 2 {} {}".format(host, port))  # expect: py.shell-injection
    return 0 if status == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
