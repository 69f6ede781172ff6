import os


def broken(:
    os.system("ls")
