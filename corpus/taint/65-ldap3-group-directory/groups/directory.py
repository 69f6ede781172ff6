"""Group memberships from the corporate directory (ldap3)."""

from ldap3 import SUBTREE, Connection, Server
from ldap3.utils.conv import escape_filter_chars

GROUPS_BASE = "ou=groups,dc=corp,dc=example,dc=com"
PEOPLE_BASE = "ou=people,dc=corp,dc=example,dc=com"


class GroupDirectory:
    def __init__(self, uri, bind_dn, bind_password):
        self.server = Server(uri, use_ssl=True)
        self.bind_dn = bind_dn
        self.bind_password = bind_password

    def groups_of(self, uid):
        """Names of the groups whose `member` is this person."""
        conn = Connection(self.server, self.bind_dn, self.bind_password, auto_bind=True)
        member = "uid=" + uid + "," + PEOPLE_BASE
        conn.search(GROUPS_BASE, f"(&(objectClass=groupOfNames)(member={member}))", search_scope=SUBTREE, attributes=["cn"])  # expect: py.ldap-injection
        return [entry.cn.value for entry in conn.entries]

    def members_of(self, group):
        conn = Connection(self.server, self.bind_dn, self.bind_password, auto_bind=True)
        conn.search(GROUPS_BASE, f"(cn={escape_filter_chars(group)})", search_scope=SUBTREE, attributes=["member"])  # safe: py.ldap-injection
        return [str(dn) for entry in conn.entries for dn in entry.member.values]
