"""Exceptions (stand-in for nova.exception)."""


class NovaException(Exception):
    msg_fmt = "An unknown exception occurred."


class NoValidHost(NovaException):
    msg_fmt = "No valid host was found. %(reason)s"
