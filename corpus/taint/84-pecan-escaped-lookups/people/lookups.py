"""Directory lookups: user input is escaped or bound, never spliced."""

import re

import ldap
from ldap.filter import filter_format
from lxml import etree

STAFF = etree.parse("/srv/directory/staff.xml")  # safe: py.xxe
LDAP_URI = "ldaps://ldap.corp.example.com"
BASE_DN = "ou=people,dc=corp,dc=example,dc=com"


def names_matching(text):
    pattern = re.compile(re.escape(text.strip()), re.IGNORECASE)  # safe: py.regex-injection
    return [name for name in STAFF.xpath("//person/name/text()") if pattern.search(name)]  # safe: py.xpath-injection


def mail_of(login):
    return STAFF.xpath("string(//person[@login=$login]/mail)", login=login)  # safe: py.xpath-injection


def ldap_by_mail(address):
    conn = ldap.initialize(LDAP_URI)
    conn.simple_bind_s()
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, filter_format("(mail=%s)", [address]), ["cn"])  # safe: py.ldap-injection
    return [attrs["cn"][0].decode() for _, attrs in results]
