"""People directory API (Pecan): search by name, login or mail."""

from pecan import expose

from people import lookups


class PeopleController(object):
    @expose("json")
    def search(self, q=""):
        return {"names": lookups.names_matching(q)}

    @expose("json")
    def login(self, login):
        return {"mail": lookups.mail_of(login)}

    @expose("json")
    def mail(self, address):
        return {"entries": lookups.ldap_by_mail(address)}
