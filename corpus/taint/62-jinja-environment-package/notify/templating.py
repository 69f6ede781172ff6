"""The Jinja2 environment of the notification mails."""

from jinja2 import Environment, FileSystemLoader, select_autoescape

ENV = Environment(loader=FileSystemLoader("/srv/notify/templates"), autoescape=select_autoescape())


def render_named(name, **context):
    return ENV.get_template(name).render(**context)  # safe: py.template-injection


def render_source(source, **context):
    return ENV.from_string(source).render(**context)  # expect: py.template-injection
