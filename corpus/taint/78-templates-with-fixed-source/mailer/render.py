"""Mail bodies: the template text is ours, the customer data only fills it in."""

from jinja2 import Environment, PackageLoader, Template, select_autoescape

ENV = Environment(loader=PackageLoader("mailer"), autoescape=select_autoescape())
RECEIPT_SUBJECT = Template("Receipt for order {{ order_id }}", autoescape=True)  # safe: py.template-injection
GREETINGS = {
    "en": "Hello {{ name }},",
    "fr": "Bonjour {{ name }},",
    "de": "Hallo {{ name }},",
}


def subject(order_id):
    return RECEIPT_SUBJECT.render(order_id=order_id)


def greeting(language, name):
    if language not in GREETINGS:
        language = "en"
    return ENV.from_string(GREETINGS[language]).render(name=name)  # safe: py.template-injection


def body(template_name, **context):
    return ENV.get_template(template_name + ".html").render(**context)  # safe: py.template-injection
