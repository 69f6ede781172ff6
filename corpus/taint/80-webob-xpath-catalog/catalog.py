"""Read access to the product catalogue, kept as one XML document."""

from lxml import etree


class XmlCatalog:
    def __init__(self, path):
        self.tree = etree.parse(path)  # safe: py.xxe

    def by_brand(self, brand):
        return self.tree.xpath("//product[brand='" + brand + "']/@sku")  # expect: py.xpath-injection

    def by_sku(self, sku):
        return self.tree.xpath("//product[@sku=$sku]/name/text()", sku=sku)  # safe: py.xpath-injection

    def in_price_range(self, low, high):
        return self.tree.xpath(f"//product[price >= {low} and price <= {high}]/@sku")  # safe: py.xpath-injection
