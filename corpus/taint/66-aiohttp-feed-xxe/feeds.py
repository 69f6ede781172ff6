"""RSS parsing for uploaded feeds."""

from lxml import etree


def import_feed(data):
    """Some publishers still declare their HTML entities in an internal DTD."""
    parser = etree.XMLParser(resolve_entities=True, load_dtd=True)
    root = etree.fromstring(data, parser)  # expect: py.xxe
    return [item.findtext("title") for item in root.iter("item")]


def import_partner_feed(data):
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)  # safe: py.xxe
    return [item.findtext("title") for item in root.iter("item")]
