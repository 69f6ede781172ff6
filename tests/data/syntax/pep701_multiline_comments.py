"""PEP 701 (Python 3.12): multi-line replacement fields with comments and backslashes."""
import os


def report(user_input, items):
    return f"result: {
        eval(user_input)  # evaluated on purpose
    } and {
        '\n'.join(items)
    } done {
        os.getcwd() = }"
