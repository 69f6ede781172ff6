"""Catalogue API controller (WebOb)."""

import webob.dec
import webob.exc
from webob import Response

from catalog import XmlCatalog

CATALOG = XmlCatalog("/srv/catalog/products.xml")


@webob.dec.wsgify
def application(req):
    if req.path == "/brand":
        skus = CATALOG.by_brand(req.GET.get("brand", ""))
    elif req.path == "/sku":
        skus = CATALOG.by_sku(req.GET.get("sku", ""))
    elif req.path == "/price":
        try:
            skus = CATALOG.in_price_range(float(req.GET["low"]), float(req.GET["high"]))
        except (KeyError, ValueError):
            raise webob.exc.HTTPBadRequest()
    else:
        raise webob.exc.HTTPNotFound()
    return Response(json_body={"skus": [str(s) for s in skus]})
