"""Short links and post-action redirects of the wiki (Pecan on WebOb)."""

import pecan
import webob.exc
from pecan import expose
from urllib.parse import quote

PAGES = ("home", "recent", "random")


class LinksController(object):
    @expose()
    def page(self, title):
        """/go/page?title=Release notes -> /wiki/Release%20notes"""
        pecan.redirect("/wiki/" + quote(title, safe=""))  # safe: py.open-redirect

    @expose()
    def revision(self, number):
        raise webob.exc.HTTPFound(location="/wiki/revisions/%d" % int(number))  # safe: py.open-redirect

    @expose()
    def special(self, name):
        if name not in PAGES:
            raise webob.exc.HTTPNotFound()
        raise webob.exc.HTTPSeeOther(location=f"/wiki/special/{name}")  # safe: py.open-redirect
