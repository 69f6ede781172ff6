"""Redirect to a URL taken from the request.

## What it does
Follows request data to the target of an HTTP redirect: `flask.redirect()`
(Werkzeug's `redirect()`), Django's `redirect()`, `HttpResponseRedirect` and
`HttpResponsePermanentRedirect`, FastAPI / Starlette's `RedirectResponse`,
aiohttp's `web.HTTPFound` (and the other 3xx exceptions), WebOb's
`HTTPFound(location=...)` and Pecan's `redirect()`. Sources are request data:
`flask.request` (`args`, `form`, `json`, `cookies`, `headers` such as
`Referer`, ...), Flask and FastAPI route parameters, a Django view's
`request.GET` / `POST` and an aiohttp `request.query`, followed through
assignments, string building, containers, helpers and attributes of `self`.

Not reported: a target checked with Django's
`url_has_allowed_host_and_scheme(url, allowed_hosts=...)`, inside the branch
where the check holds or after `if not ...: return` / `abort()`; a target
checked against a constant allow-list (`if target not in ALLOWED:
abort(400)`); a URL built by `url_for()` or Django's `reverse()`, which only
name the application's own endpoints; and a relative URL built behind a
fixed path prefix, such as `redirect(f"/profile/{name}")`: the browser
resolves it against the current site, whatever the name holds.
`redirect("/" + target)` is still reported: with `target = "/evil.example"`
it becomes `//evil.example`, a protocol-relative URL that leaves the site
(browsers read `/\\evil.example` the same way).

## Why is this bad?
An open redirect lends the site's name to the attacker (CWE-601): a link to
`https://bank.example/login?next=https://bank-login.example` looks like the
bank, passes link checks and spam filters, and after the login lands the
victim on a copy of the site that asks for their password again or for a
payment. In OAuth and single sign-on flows an open redirect on the trusted
domain can also carry the authorisation code or token to the attacker's
site. Django's `HttpResponseRedirect` refuses schemes other than http, https
and ftp, but accepts any host.

## Example
```python
from django.shortcuts import redirect


def login_done(request):
    target = request.GET.get("next", "/")
    return redirect(target)
```

## Use instead
Check the target with `url_has_allowed_host_and_scheme`, which accepts only
relative URLs and URLs on the hosts you list (and, with `require_https`,
only https), and fall back to a fixed page otherwise:
```python
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme


def login_done(request):
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return redirect("/")
    return redirect(target)
```

## References
- https://cwe.mitre.org/data/definitions/601.html
- https://docs.djangoproject.com/en/stable/topics/http/shortcuts/#redirect
- https://docs.djangoproject.com/en/stable/releases/3.0/#deprecated-features-3-0
- https://flask.palletsprojects.com/en/stable/api/#flask.redirect
- https://cheatsheetseries.owasp.org/cheatsheets/Unvalidated_Redirects_and_Forwards_Cheat_Sheet.html
"""

from __future__ import annotations

from secreview.model import Severity
from secreview.rules.base import TaintRule


class OpenRedirect(TaintRule):
    id = "py.open-redirect"
    name = "Redirect to a URL from the request"
    cwe = (601,)
    severity = Severity.MEDIUM
    taint_kinds = ("redirect",)
    impact = "can send the site's users to a page of their choosing under the site's name"
    fix_description = (
        "Redirect only to relative paths or hosts you allow: check the target with "
        "url_has_allowed_host_and_scheme() or a constant allow-list, or build it from a fixed "
        "path prefix such as f\"/profile/{name}\"; fall back to a fixed page otherwise.")


RULE = OpenRedirect()
