"""People search on the intranet, backed by the corporate LDAP."""

import os

import ldap
from flask import Flask, render_template, request

app = Flask(__name__)
LDAP_URI = "ldaps://ldap.corp.example.com"
BASE_DN = "ou=people,dc=corp,dc=example,dc=com"


@app.route("/people")
def search_people():
    name = request.args.get("name", "")
    conn = ldap.initialize(LDAP_URI)
    conn.simple_bind_s(os.environ["LDAP_BIND_DN"], os.environ["LDAP_BIND_PASSWORD"])
    search_filter = "(&(objectClass=person)(cn=*" + name + "*))"
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, search_filter, ["cn", "mail"])  # expect: py.ldap-injection
    conn.unbind_s()
    people = [{"name": attrs["cn"][0].decode(), "mail": attrs.get("mail", [b""])[0].decode()} for _, attrs in results]
    return render_template("people.html", people=people)  # safe: py.xss
