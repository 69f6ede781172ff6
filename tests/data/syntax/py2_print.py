import os


def main():
    print "hello"
    os.system("ls")
