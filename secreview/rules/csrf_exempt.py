"""CSRF protection switched off on a view that changes state.

## What it does
Finds Django's `@csrf_exempt` (also `csrf_exempt(view)` and
`@method_decorator(csrf_exempt, ...)` on a class-based view) and Flask-WTF's
`@csrf.exempt` on views that accept state-changing requests: the view checks
`request.method == "POST"` (or PUT/PATCH/DELETE), reads the request body
(`request.POST`, `request.body`, `request.FILES`, `request.data`,
`request.form`, `request.get_json()`...), is restricted to such methods
(`@require_POST`, `@require_http_methods(["POST"])`,
`@app.route(..., methods=["POST"])`, `@app.post`), or is a class with
`post`/`put`/`patch`/`delete` methods. Confidence is high when the view
also relies on the browser session (`request.user`, `@login_required`,
`current_user`), the case CSRF exploits.

Not reported: views that authenticate the request themselves, without
cookies: webhooks that verify a signature (`hmac.compare_digest`, a
`*signature*` helper, Stripe's `construct_event`, a `X-Hub-Signature` or
`Stripe-Signature` header read in the view) and APIs that read an
`Authorization` / API-key header or use a token decorator (`@token_required`,
`@jwt_required`); GET-only views (`@require_GET`, `@require_safe`); Django REST framework
views (`@api_view`, `APIView` and viewset subclasses), which are exempt
already and enforce CSRF in `SessionAuthentication` themselves; views
whose body shows no state-changing request handling; exempted views defined
in another module (`csrf_exempt(views.hook)` in `urls.py`), whose body cannot
be judged here; and test code.

## Why is this bad?
CSRF protection is what stops another web site from making the victim's
browser send a request to this one: the browser attaches the victim's
session cookie to a form post from `evil.example` as readily as to one from
the site itself. With the check off, any page the victim visits can submit
this view's form with the victim's rights: change their e-mail or password,
transfer money, delete data (CWE-352).

## Example
```python
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def change_email(request):
    if request.method == "POST":
        request.user.email = request.POST["email"]
        request.user.save()
```

## Use instead
Keep CSRF protection and send the token with the form (`{% csrf_token %}`)
or the `X-CSRFToken` header; exempt only views that authenticate each
request themselves, such as a webhook that checks its signature:
```python
from django.views.decorators.http import require_POST


@require_POST
def change_email(request):
    request.user.email = request.POST["email"]
    request.user.save()
```

## References
- https://cwe.mitre.org/data/definitions/352.html
- https://docs.djangoproject.com/en/stable/ref/csrf/
- https://flask-wtf.readthedocs.io/en/stable/csrf/#exclude-views-from-protection
- https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules.base import Rule

_DJANGO_EXEMPT = frozenset({"django.views.decorators.csrf.csrf_exempt"})
_METHOD_DECORATOR = frozenset({"django.utils.decorators.method_decorator"})
_CSRF_PROTECT = frozenset({
    "flask_wtf.csrf.CSRFProtect", "flask_wtf.CSRFProtect", "flask_wtf.csrf.CsrfProtect", "flask_wtf.CsrfProtect",
})
_UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Attributes of a request that hold its body.
_BODY_ATTRIBUTES = frozenset({"POST", "FILES", "body", "data", "form", "files", "json", "get_json", "stream",
                              "get_data"})
_STATE_METHODS = ("post", "put", "patch", "delete")
# Verifying a signature or a token inside the view: the request does not ride on cookies.
_SIGNATURE_CALLS = frozenset({
    "hmac.compare_digest", "hmac.new", "hmac.digest", "secrets.compare_digest",
    "stripe.Webhook.construct_event", "stripe.WebhookSignature.verify_header",
})
_SIGNATURE_WORDS = frozenset({"signature", "signatures", "hmac", "sig", "signed", "verifier"})
_TOKEN_DECORATOR_WORDS = frozenset({
    "token", "apikey", "jwt", "signature", "hmac", "oauth", "oauth2", "basic", "key", "bearer",
})
_SESSION_DECORATORS = frozenset({"login_required", "permission_required", "user_passes_test",
                                 "staff_member_required", "fresh_login_required"})
_REQUIRE_UNSAFE = frozenset({"django.views.decorators.http.require_POST"})
_REQUIRE_SAFE = frozenset({"django.views.decorators.http.require_GET", "django.views.decorators.http.require_safe"})
_REQUIRE_METHODS = frozenset({"django.views.decorators.http.require_http_methods"})
_ROUTE_VERBS = frozenset({"post", "put", "patch", "delete"})
# Django generic views that process a form on POST.
_FORM_VIEWS = frozenset({"FormView", "CreateView", "UpdateView", "DeleteView", "ProcessFormView",
                         "BaseFormView", "BaseCreateView", "BaseUpdateView", "BaseDeleteView"})

_DRF_BASES = ("APIView", "ViewSet", "GenericAPIView", "ModelViewSet", "ReadOnlyModelViewSet")

View = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef


class CsrfExempt(Rule):
    id = "py.csrf-exempt"
    name = "CSRF protection disabled on a state-changing view"
    cwe = (352,)
    severity = Severity.MEDIUM
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        if "exempt" not in ctx.module.text:
            return
        for node in ctx.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            for decorator in node.decorator_list:  # type: ignore[attr-defined]
                how = self._exemption(ctx, decorator, node)
                if how is not None:
                    view: View = node  # type: ignore[assignment]
                    klass = ctx.parent(node)
                    if isinstance(klass, ast.ClassDef) and getattr(node, "name", "") == "dispatch":
                        view = klass  # exempting dispatch exempts every method of the class
                    finding = self._judge(ctx, decorator, view, how)
                    if finding is not None:
                        yield finding
        for call, name in ctx.calls():
            # `csrf_exempt(view)` / `csrf.exempt(view)` called on a view of this module.
            if call.args and self._exempts(ctx, call.func, name) and not self._is_decorator(ctx, call):
                view = self._local_view(ctx, call.args[0])
                if view is not None:
                    finding = self._judge(ctx, call, view, f"`{ctx.source_of(call.func)}(...)`")
                    if finding is not None:
                        yield finding

    # ------------------------------------------------------- exemptions
    def _exemption(self, ctx: FileContext, decorator: ast.expr, node: View) -> str | None:
        """How `decorator` exempts `node` from CSRF checks, or None."""
        name = ctx.qualified_name(decorator) or ""
        if self._exempts(ctx, decorator, name):
            return f"`@{ctx.source_of(decorator)}`"
        if isinstance(decorator, ast.Call) and ctx.call_name(decorator) in _METHOD_DECORATOR and decorator.args:
            inner = decorator.args[0]
            if self._exempts(ctx, inner, ctx.qualified_name(inner) or "") or (
                    isinstance(inner, (ast.List, ast.Tuple))
                    and any(ctx.qualified_name(e) in _DJANGO_EXEMPT for e in inner.elts)):
                if isinstance(node, ast.ClassDef):
                    target = ctx.keyword(decorator, "name")
                    if target is None or ctx.literal_values(target) not in (
                            ["dispatch"], *([m] for m in _STATE_METHODS)):
                        return None
                return f"`@{ctx.source_of(decorator)}`"
        return None

    @staticmethod
    def _exempts(ctx: FileContext, expr: ast.expr, name: str) -> bool:
        if name in _DJANGO_EXEMPT:
            return True
        # Flask-WTF: `csrf = CSRFProtect(app)` ... `@csrf.exempt`
        if isinstance(expr, ast.Attribute) and expr.attr == "exempt":
            made_by = ctx.constructed_by(expr.value)
            if made_by is not None:
                return made_by in _CSRF_PROTECT
            return any(t.split(".")[0] == "flask_wtf" for t in ctx.imports.values())
        return False

    @staticmethod
    def _is_decorator(ctx: FileContext, call: ast.Call) -> bool:
        parent = ctx.parent(call)
        return isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and \
            call in parent.decorator_list

    @staticmethod
    def _local_view(ctx: FileContext, arg: ast.expr) -> View | None:
        """The function or class of this module that `arg` names (`view`, `View.as_view()`)."""
        if isinstance(arg, ast.Call) and isinstance(arg.func, ast.Attribute) and arg.func.attr == "as_view":
            arg = arg.func.value
        if not isinstance(arg, ast.Name):
            return None
        found = ctx.bindings_of(arg)
        if len(found) == 1 and isinstance(found[0], (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return found[0]
        return None

    # ---------------------------------------------------------- judging
    def _judge(self, ctx: FileContext, at: ast.AST, view: View, how: str) -> Finding | None:
        if isinstance(view, ast.ClassDef):
            handlers = [n for n in view.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
            state = [h for h in handlers if h.name in _STATE_METHODS]
            forms = [b for b in view.bases if ctx.source_of(b).split(".")[-1] in _FORM_VIEWS]
            if state:
                changes = f"it handles {', '.join(h.name.upper() for h in state)}"
            elif forms:
                changes = f"it handles POST (a `{ctx.source_of(forms[0])}`)"
            else:
                return None
            bodies: list[ast.AST] = handlers
            decorators: list[ast.expr] = [d for h in handlers for d in h.decorator_list] + view.decorator_list
        else:
            bodies = [view]
            decorators = list(view.decorator_list)
            changes = self._state_change(ctx, view, decorators)
            if changes is None:
                return None
        if self._authenticates_itself(ctx, bodies, decorators) or self._rest_framework(ctx, view, decorators):
            return None
        session = self._session_evidence(ctx, bodies, decorators)
        what = f"`{view.name}`"
        explanation = (
            f"{how} turns off the CSRF check for {what}, and {changes}. The browser attaches the "
            "user's cookies to a form that another site submits to this URL, so any page the user "
            "visits can make this request with their rights"
            + (f" ({session} shows the view acts as the logged-in user)." if session else
               ", unless the view authenticates each request some other way than the session cookie "
               "(nothing in it does).")
        )
        return self.finding(
            ctx, at,
            message=f"{how} disables CSRF protection on {what}, which changes state: {changes}.",
            explanation=explanation,
            fix=Fix("Remove the exemption and send the CSRF token with the request ({% csrf_token %} in "
                    "the form, or the X-CSRFToken header from JavaScript). Exempt only views that "
                    "authenticate every request without cookies (a verified webhook signature, an "
                    "API token in a header)."),
            confidence=Confidence.HIGH if session else Confidence.MEDIUM)

    def _state_change(self, ctx: FileContext, view: ast.FunctionDef | ast.AsyncFunctionDef,
                      decorators: list[ast.expr]) -> str | None:
        """Why the view changes state, or None when nothing shows it does
        (or it only accepts safe methods)."""
        for decorator in decorators:
            methods = self._declared_methods(ctx, decorator)
            if methods is not None:
                unsafe = sorted(methods & _UNSAFE_METHODS)
                if not unsafe:
                    return None  # GET-only
                return f"it accepts {'/'.join(unsafe)} (`@{ctx.source_of(decorator)}`)"
        request = self._request_names(ctx, view)
        for node in ast.walk(view):
            if isinstance(node, ast.Compare) and self._method_check(ctx, node, request):
                return f"it handles `{ctx.source_of(node)}`"
            if isinstance(node, ast.Attribute) and node.attr in _BODY_ATTRIBUTES and \
                    isinstance(node.value, ast.Name) and node.value.id in request:
                return f"it reads the request body (`{ctx.source_of(node)}`)"
        return None

    def _declared_methods(self, ctx: FileContext, decorator: ast.expr) -> set[str] | None:
        """The HTTP methods a decorator restricts the view to, if it does."""
        name = ctx.qualified_name(decorator.func if isinstance(decorator, ast.Call) else decorator) or ""
        if name in _REQUIRE_UNSAFE:
            return {"POST"}
        if name in _REQUIRE_SAFE:
            return {"GET"}
        if not isinstance(decorator, ast.Call):
            return None
        if name in _REQUIRE_METHODS and decorator.args:
            return self._literal_methods(ctx, decorator.args[0])
        func = decorator.func
        if isinstance(func, ast.Attribute):
            if func.attr in _ROUTE_VERBS:
                return {func.attr.upper()}
            if func.attr in ("route", "api_route", "add_url_rule"):
                methods = ctx.keyword(decorator, "methods")
                return self._literal_methods(ctx, methods) if methods is not None else {"GET"}
        return None

    @staticmethod
    def _literal_methods(ctx: FileContext, expr: ast.expr) -> set[str] | None:
        if isinstance(expr, (ast.List, ast.Tuple, ast.Set)):
            values = [ctx.literal_values(e) for e in expr.elts]
            if all(v and isinstance(v[0], str) for v in values):
                return {str(v[0]).upper() for v in values}  # type: ignore[index]
        return None

    @staticmethod
    def _request_names(ctx: FileContext, view: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
        """Names the request goes by in the view: Django's first parameter
        (second for a method), and Flask's imported `request`."""
        names = {local for local, target in ctx.imports.items()
                 if target in ("flask.request", "quart.request")}
        params = [a.arg for a in view.args.args]
        if params and params[0] in ("self", "cls"):
            params = params[1:]
        if params:
            names.add(params[0])
        names.add("request")
        return names

    @staticmethod
    def _method_check(ctx: FileContext, compare: ast.Compare, request: set[str]) -> bool:
        """`request.method == "POST"`, `request.method in ("PUT", "PATCH")`, `!= "GET"`."""
        operands = [compare.left, *compare.comparators]
        if not any(isinstance(o, ast.Attribute) and o.attr == "method" and isinstance(o.value, ast.Name)
                   and o.value.id in request for o in operands):
            return False
        for operand in operands:
            for node in ast.walk(operand):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    method = node.value.upper()
                    if method in _UNSAFE_METHODS:
                        return True
                    if method in _SAFE_METHODS and any(isinstance(op, (ast.NotEq, ast.NotIn)) for op in compare.ops):
                        return True
        return False

    @staticmethod
    def _authenticates_itself(ctx: FileContext, bodies: list[ast.AST], decorators: list[ast.expr]) -> bool:
        """The view checks a signature or a token itself, so the request is
        not authorised by the session cookie a forged request would carry."""
        for name in _decorator_names(decorators):
            words = _words(name)
            if words & _TOKEN_DECORATOR_WORDS or {"api", "key"} <= words:
                return True
        for body in bodies:
            for node in ast.walk(body):
                if isinstance(node, ast.Call):
                    name = ctx.call_name(node) or ""
                    if name in _SIGNATURE_CALLS:
                        return True
                    last = name.split(".")[-1] if name else ""
                    if _words(last) & _SIGNATURE_WORDS or last == "construct_event":
                        return True
                elif isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) < 60:
                    header = node.value.lower().replace("_", "-")
                    words = _words(node.value)
                    if "signature" in words and (header.startswith(("x-", "http-")) or "-" in header):
                        return True  # X-Hub-Signature-256, Stripe-Signature, HTTP_X_SIGNATURE
                    if header in ("authorization", "http-authorization", "proxy-authorization"):
                        return True
                    if header.startswith(("x-", "http-x-")) and (
                            words & {"token", "apikey"} or {"api", "key"} <= words):
                        return True  # X-API-Key, X-Auth-Token
                elif isinstance(node, ast.Attribute) and node.attr in ("authorization", "auth") and \
                        isinstance(node.value, ast.Name) and node.value.id == "request":
                    return True  # Flask's request.authorization
        return False

    @staticmethod
    def _rest_framework(ctx: FileContext, view: View, decorators: list[ast.expr]) -> bool:
        """Django REST framework views are exempt already and enforce CSRF in
        `SessionAuthentication` themselves, so `csrf_exempt` changes nothing."""
        if any(name == "api_view" for name in _decorator_names(decorators)):
            return True
        if isinstance(view, ast.ClassDef):
            return any(ctx.source_of(b).split(".")[-1].endswith(_DRF_BASES) for b in view.bases)
        return False

    @staticmethod
    def _session_evidence(ctx: FileContext, bodies: list[ast.AST], decorators: list[ast.expr]) -> str | None:
        for name in _decorator_names(decorators):
            if name in _SESSION_DECORATORS:
                return f"`{name}`"
        for body in bodies:
            for node in ast.walk(body):
                if isinstance(node, ast.Attribute) and node.attr == "user" and \
                        ctx.source_of(node.value).split(".")[-1] in ("request", "req"):
                    return f"`{ctx.source_of(node)}`"
                if isinstance(node, ast.Name) and node.id == "current_user":
                    return "`current_user`"
        return None


def _decorator_names(decorators: list[ast.expr]) -> Iterator[str]:
    """The functions a view's decorators name: `login_required` in
    `@login_required`, `@method_decorator([csrf_exempt, login_required])`,
    `@auth.token_required()` (the last part of dotted names; string
    arguments such as URLs are not names)."""
    for decorator in decorators:
        for node in ast.walk(decorator):
            if isinstance(node, ast.Name):
                yield node.id
            elif isinstance(node, ast.Attribute):
                yield node.attr


RULE = CsrfExempt()
