"""Line filters for the log viewer."""

import re


def build_filter(expression, whole_words=False):
    """Staff type a regular expression; `whole_words` wraps it in word boundaries."""
    if whole_words:
        expression = r"\b(?:" + expression + r")\b"
    return re.compile(expression, re.IGNORECASE)  # expect: py.regex-injection


def literal_filter(text):
    return re.compile(re.escape(text), re.IGNORECASE)  # safe: py.regex-injection


def matching_lines(lines, pattern):
    return [line for line in lines if pattern.search(line)]
