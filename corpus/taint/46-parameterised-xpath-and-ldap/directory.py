"""Staff directory: XML export and LDAP, both queried with bound values."""

import os

import ldap
from flask import Flask, render_template, request
from ldap.filter import escape_filter_chars, filter_format
from lxml import etree

app = Flask(__name__)
STAFF = etree.parse(os.path.join(os.path.dirname(__file__), "staff.xml"))  # safe: py.xxe
LDAP_URI = "ldaps://ldap.corp.example.com"
BASE_DN = "ou=people,dc=corp,dc=example,dc=com"


@app.route("/directory/lookup")
def lookup():
    username = request.args.get("user", "")
    emails = STAFF.xpath("//person[@login=$login]/email/text()", login=username)  # safe: py.xpath-injection
    return render_template("lookup.html", username=username, emails=emails)  # safe: py.xss


@app.route("/people")
def people():
    name = request.args.get("name", "")
    conn = ldap.initialize(LDAP_URI)
    conn.simple_bind_s(os.environ["LDAP_BIND_DN"], os.environ["LDAP_BIND_PASSWORD"])
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, "(&(objectClass=person)(cn=*%s*))" % escape_filter_chars(name), ["cn"])  # safe: py.ldap-injection
    return render_template("people.html", count=len(results))


@app.route("/people/by-mail")
def by_mail():
    mail = request.args.get("mail", "")
    conn = ldap.initialize(LDAP_URI)
    results = conn.search_s(BASE_DN, ldap.SCOPE_SUBTREE, filter_format("(mail=%s)", [mail]), ["cn"])  # safe: py.ldap-injection
    return render_template("people.html", count=len(results))
