"""OpenStack API controller action with no policy check on its path.

## What it does
Finds actions of OpenStack-style API controllers (Nova, Cinder, Manila...:
classes derived from `wsgi.Controller`, resolved through the module's imports
such as `from nova.api.openstack import wsgi`, and their subclasses in the same
module) that read or change resources without any authorisation check. An
action is a method decorated with `@wsgi.expected_errors(...)`,
`@wsgi.action(...)`, `@wsgi.response(...)`, `@validation.schema(...)` or
`@validation.query_schema(...)`, or one of the standard resource methods
`index`, `show`, `create`, `update`, `delete`, `detail`. A check is a call
such as `context.can(...)`, `policy.authorize(...)`, `authorize(context, ...)`,
`context.authorize(...)`, `self.authorize(...)`, `enforce(...)` or
`check_policy(...)`, a decorator that authorises, or an explicit
`raise ...Forbidden` guard, in the action itself or in a method of the same
class or a function of the same module that the action calls directly.

The rule judges an action by its controller's own convention: it reports an
unchecked write when at least as many of the controller's actions authorise
as lack a check, and an unchecked read when at least as many of its reads do.
That is how a forgotten check shows up in review: a new action next to
siblings that all call `context.can(...)`.

Not reported, because a reviewer would not raise them:
- controllers that do not authorise in the controller as a rule (most of
  their actions check nothing): proxies whose backing service authorises with
  the caller's token (Nova's image API), deliberately public documents (API
  versions), or projects that check policy in the service layer the
  controller calls; calls through `self.x = <cinder|manila>.<...>.API()`
  objects count as checked, since Cinder's and Manila's service APIs
  authorise on entry;
- unchecked reads next to checked writes: public reads of a catalogue whose
  changes are guarded (Nova's flavors) is a design, not an omission;
- actions whose author decided who may call them: a `fatal=False` check
  (it chooses what to show, so it does not count as a check of a sibling
  either) or a test of `context.is_admin`;
- actions that only raise (removed APIs answering 410 Gone, unsupported
  commands) or only return constants;
- actions that delegate to the parent class (`super().show(...)`), whose
  check this file cannot see;
- `@wsgi.extends` methods, which add fields to the response of an action
  that has already been authorised.

The confidence is medium: the rule infers the controller's convention from
its shape, and a check can live further down than one call.

## Why is this bad?
OpenStack APIs authenticate every request, but authentication only says who
is calling: whether this caller may see or change this server, volume or
host is decided by the policy check in the controller. An action without one
lets any authenticated user of any project perform it (CWE-862), and policy
files written by operators have no rule to tighten.

## Example
```python
from nova.api.openstack import wsgi
from nova.policies import servers as server_policies


class ServerTagsController(wsgi.Controller):
    @wsgi.expected_errors(404)
    def show(self, req, server_id, id):
        context = req.environ["nova.context"]
        context.can(server_policies.SERVERS % "show", target={})
        return self.compute_api.get_tag(context, server_id, id)

    @wsgi.response(204)
    @wsgi.expected_errors((404, 409))
    def delete(self, req, server_id, id):
        context = req.environ["nova.context"]
        self.compute_api.delete_tag(context, server_id, id)
```

## Use instead
```python
from nova.api.openstack import wsgi
from nova.policies import servers as server_policies


class ServerTagsController(wsgi.Controller):
    @wsgi.expected_errors(404)
    def show(self, req, server_id, id):
        context = req.environ["nova.context"]
        context.can(server_policies.SERVERS % "show", target={})
        return self.compute_api.get_tag(context, server_id, id)

    @wsgi.response(204)
    @wsgi.expected_errors((404, 409))
    def delete(self, req, server_id, id):
        context = req.environ["nova.context"]
        context.can(server_policies.SERVERS % "delete", target={})
        self.compute_api.delete_tag(context, server_id, id)
```

## References
- https://cwe.mitre.org/data/definitions/862.html
- https://docs.openstack.org/oslo.policy/latest/user/usage.html
- https://docs.openstack.org/nova/latest/configuration/policy-concepts.html
"""

from __future__ import annotations

import ast
from typing import Iterator

from secreview.model import Confidence, Finding, Fix, Severity
from secreview.python.context import FileContext
from secreview.rules._vocabulary import words as _words
from secreview.rules._openstack import (
    Function, controller_classes, decorator_name, ends_with, is_action)
from secreview.rules.base import Rule

# Words of a callee or decorator name that perform an authorisation check.
_CHECK_WORDS = frozenset({"authorize", "authorise", "authorized", "authorised", "enforce", "policy"})
# What the name of an exception a guard raises when the caller may not act holds.
_DENIAL_WORDS = ("forbidden", "notauthorized", "unauthorized")
_MIN_PEERS = 1
# Projects whose service layer checks policy in its own methods, so a
# controller action that calls it is authorised out of this file's sight:
# Cinder's `cinder.volume.API`, `cinder.backup.API`, `cinder.group.API`...
# (`context.authorize(...)` on entry) and Manila's `manila.share.API`
# (`policy.check_policy(...)`). Nova's compute API checks nothing: its
# controllers authorise.
_AUTHORISING_SERVICE_LAYERS = ("cinder.", "manila.")
_HTTP_VERBS = {"index": "GET (list)", "detail": "GET (list)", "show": "GET", "create": "POST",
               "update": "PUT", "delete": "DELETE"}


class _Module:
    """What one file offers an action: its classes' methods and its functions."""

    def __init__(self, ctx: FileContext):
        self.ctx = ctx
        self.functions: dict[str, Function] = {
            s.name: s for s in ctx.tree.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
        self.classes: dict[str, ast.ClassDef] = {
            c.name: c for c in ctx.nodes(ast.ClassDef) if isinstance(c, ast.ClassDef)}

    def method(self, klass: ast.ClassDef, name: str, _depth: int = 0) -> Function | None:
        """`name` defined in `klass` or in a base class of the same module."""
        for stmt in klass.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
                return stmt
        if _depth > 5:
            return None
        for base in klass.bases:
            if isinstance(base, ast.Name) and base.id in self.classes and self.classes[base.id] is not klass:
                found = self.method(self.classes[base.id], name, _depth + 1)
                if found is not None:
                    return found
        return None

    def authorising_services(self, klass: ast.ClassDef, _depth: int = 0) -> set[str]:
        """Attributes `self.x` of the class (or its bases in this file) bound
        to a service object whose methods check policy themselves."""
        found: set[str] = set()
        for node in ast.walk(klass):
            if not (isinstance(node, ast.Assign) and isinstance(node.value, ast.Call)):
                continue
            name = self.ctx.call_name(node.value) or ""
            if not (name.startswith(_AUTHORISING_SERVICE_LAYERS) and name.endswith(".API")):
                continue  # the service classes are all called `API`; views, RPC clients... are not
            for target in node.targets:
                if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) \
                        and target.value.id == "self":
                    found.add(target.attr)
        if _depth < 5:
            for base in klass.bases:
                if isinstance(base, ast.Name) and base.id in self.classes and self.classes[base.id] is not klass:
                    found |= self.authorising_services(self.classes[base.id], _depth + 1)
        return found

    def callees(self, klass: ast.ClassDef, func: Function) -> Iterator[tuple[ast.Call, Function | None, bool]]:
        """(call, the function it runs when defined in this file, is `super()`)
        for calls of `self.x(...)`, `cls.x(...)`, `super().x(...)` and `f(...)`."""
        for node in (n for stmt in func.body for n in ast.walk(stmt)):
            if not isinstance(node, ast.Call):
                continue
            target = node.func
            if isinstance(target, ast.Attribute):
                receiver = target.value
                if isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Name) \
                        and receiver.func.id == "super":
                    yield node, None, True
                elif isinstance(receiver, ast.Name) and receiver.id in ("self", "cls"):
                    yield node, self.method(klass, target.attr), False
            elif isinstance(target, ast.Name) and target.id in self.functions:
                yield node, self.functions[target.id], False


def _service_call(func: Function, services: set[str]) -> ast.Call | None:
    """The first `self.<service>.<method>(...)` call of `func` on a service
    object that authorises."""
    for node in (n for stmt in func.body for n in ast.walk(stmt)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Attribute) and node.func.value.attr in services
                and isinstance(node.func.value.value, ast.Name) and node.func.value.value.id == "self"):
            return node
    return None


def _is_soft(ctx: FileContext, call: ast.Call) -> bool:
    """`context.can(..., fatal=False)`: decides what to show, not whether to act."""
    fatal = ctx.keyword(call, "fatal")
    return fatal is not None and ctx.literal_values(fatal) == [False]


def _callee_name(call: ast.Call) -> str:
    target = call.func
    return target.attr if isinstance(target, ast.Attribute) else target.id if isinstance(target, ast.Name) else ""


def _is_check_call(call: ast.Call) -> bool:
    name = _callee_name(call)
    words = _words(name)
    return name == "can" or bool(words & _CHECK_WORDS) or {"require", "admin"} <= words


def authorisation(ctx: FileContext, func: Function) -> tuple[ast.AST | None, ast.AST | None]:
    """(the first enforcing check written in `func` or its decorators, the
    first sign that the author decided who may call it: an enforcing check,
    a `fatal=False` check, a test of `is_admin`)."""
    enforcing: ast.AST | None = None
    aware: ast.AST | None = None
    for decorator in func.decorator_list:
        if _words(decorator_name(ctx, decorator)) & _CHECK_WORDS:
            return decorator, decorator
    for node in ast.walk(func):
        if isinstance(node, ast.Call) and _is_check_call(node):
            aware = aware or node
            if not _is_soft(ctx, node):
                return node, aware
        elif isinstance(node, ast.Raise) and node.exc is not None and _is_guard(ctx, node):
            return node, aware or node
        elif isinstance(node, ast.Attribute) and node.attr == "is_admin" and _in_condition(ctx, node):
            aware = aware or node
    return enforcing, aware


def _in_condition(ctx: FileContext, node: ast.AST) -> bool:
    parent = ctx.parent(node)
    while isinstance(parent, (ast.UnaryOp, ast.BoolOp, ast.Compare)):
        node, parent = parent, ctx.parent(parent)
    return isinstance(parent, (ast.If, ast.IfExp, ast.While)) and getattr(parent, "test", None) is node


def _is_guard(ctx: FileContext, raise_: ast.Raise) -> bool:
    """`if not context.is_admin: raise HTTPForbidden()`: a denial raised
    under a condition; not one re-raised from an `except` block (that only
    translates a check made elsewhere)."""
    raised = raise_.exc.func if isinstance(raise_.exc, ast.Call) else raise_.exc
    if raised is None:
        return False
    text = ctx.source_of(raised, 200).lower()
    if not any(word in text for word in _DENIAL_WORDS):
        return False
    for ancestor in ctx.ancestors(raise_):
        if isinstance(ancestor, ast.ExceptHandler):
            return False
        if isinstance(ancestor, ast.If):
            return True
        if isinstance(ancestor, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            return False
    return False


_GETTEXT = frozenset({"_", "_LE", "_LW", "_LI", "gettext", "ugettext"})


def _does_nothing(module: _Module, klass: ast.ClassDef, func: Function, depth: int = 0) -> bool:
    """Only raises, formats messages or returns constants: no call but
    building the raised exception, gettext, or a function of this file that
    does nothing either."""
    ctx = module.ctx
    local = {id(call): callee for call, callee, _ in module.callees(klass, func)}
    for node in (n for stmt in func.body for n in ast.walk(stmt)):
        if isinstance(node, ast.Return) and node.value is not None and not ctx.is_constant(node.value):
            return False
        if isinstance(node, (ast.Yield, ast.YieldFrom, ast.Await)):
            return False
        if not isinstance(node, ast.Call):
            continue
        parent = ctx.parent(node)
        if isinstance(parent, ast.Raise) and parent.exc is node:
            continue
        if _callee_name(node) in _GETTEXT:
            continue
        callee = local.get(id(node))
        if callee is not None and callee is not func and depth == 0 \
                and _does_nothing(module, klass, callee, depth + 1):
            continue
        return False
    return True


def _is_read(ctx: FileContext, action: Function) -> bool:
    """A GET action: `index`/`show`/`detail`, a `get_`/`list_`/`show_`
    name, or one validated by a query-string schema and no body schema."""
    if action.name in ("index", "show", "detail"):
        return True
    if action.name in ("create", "update", "delete") or \
            action.name.lstrip("_").startswith(("create_", "update_", "delete_")):
        return False
    if action.name.lstrip("_").startswith(("get_", "list_", "show_")):
        return True
    names = [decorator_name(ctx, d) for d in action.decorator_list]
    if any(ends_with(n, "wsgi.action") or ends_with(n, "validation.schema") for n in names):
        return False
    return any(ends_with(n, "validation.query_schema") for n in names)


class MissingAuthorization(Rule):
    id = "py.missing-authorization"
    name = "API controller action without a policy check"
    cwe = (862,)
    severity = Severity.HIGH
    harmless_in_tests = True
    mechanical_fixes = False

    def check(self, ctx: FileContext) -> Iterator[Finding]:
        module = _Module(ctx)
        for klass in controller_classes(ctx):
            actions = [s for s in klass.body
                       if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and is_action(ctx, s)]
            enforced: dict[str, tuple[ast.AST, bool]] = {}  # action -> (check, is a read)
            unchecked: list[Function] = []
            for action in actions:
                check, aware = self._on_path(module, klass, action)
                if check is not None:
                    enforced[action.name] = (check, _is_read(ctx, action))
                elif aware is None and not _does_nothing(module, klass, action):
                    unchecked.append(action)
            for action in unchecked:
                read = _is_read(ctx, action)
                # A read is compared with the other reads (public reads next to
                # guarded writes is a design); a write with every action.
                peers = {name: check for name, (check, is_read) in enforced.items() if is_read or not read}
                lacking = [a for a in unchecked if not read or _is_read(ctx, a)]
                # The controller's convention is to authorise in the controller
                # only when most of these actions, and at least two, do it there;
                # otherwise the checks live in the service layer it calls
                # (Cinder's volume API), which this file does not show.
                if len(peers) >= _MIN_PEERS and len(peers) >= len(lacking):
                    yield self._report(ctx, klass, action, peers, read)

    @staticmethod
    def _on_path(module: _Module, klass: ast.ClassDef, action: Function) -> tuple[ast.AST | None, ast.AST | None]:
        """(enforcing check, sign of a decision) that the action makes itself
        or through one direct call; a `super()` delegation and a call into a
        service layer that authorises count as both (the check is out of
        sight, but on the path)."""
        check, aware = authorisation(module.ctx, action)
        if check is not None:
            return check, aware
        services = module.authorising_services(klass)
        for func in (action, *(c for _, c, _ in module.callees(klass, action) if c is not None and c is not action)):
            delegated = _service_call(func, services)
            if delegated is not None:
                return delegated, delegated
        for call, callee, is_super in module.callees(klass, action):
            if is_super:
                return call, call
            if callee is not None and callee is not action:
                inner, inner_aware = authorisation(module.ctx, callee)
                if inner is not None:
                    return call, call
                if inner_aware is not None:
                    aware = aware or call
        return None, aware

    def _report(self, ctx: FileContext, klass: ast.ClassDef, action: Function,
                peers: dict[str, ast.AST], read: bool) -> Finding:
        others = sorted(peers)
        shown = ", ".join(f"`{name}`" for name in others[:4]) + (" ..." if len(others) > 4 else "")
        example = peers[others[0]]
        example_code = ctx.source_of(example, 70)
        verb = _HTTP_VERBS.get(action.name)
        what = f"`{klass.name}.{action.name}`" + (f" ({verb})" if verb else "")
        kind = "read actions" if read else "actions"
        explanation = (
            f"{what} runs without a policy check: neither the method nor the methods and "
            f"functions of this file it calls directly call `context.can(...)` or another "
            f"authorisation check, and no decorator does. The other {kind} of `{klass.name}` "
            f"({shown}) {'does' if len(others) == 1 else 'do'}, e.g. `{example_code}` (line {getattr(example, 'lineno', 0)}), so "
            "any authenticated user of any project can perform this one, and operators cannot "
            "restrict it in their policy file."
        )
        finding = self.finding(
            ctx, action,
            message=f"API action {what} {'reads' if read else 'acts on'} resources "
                    "without a policy check.",
            explanation=explanation,
            fix=Fix("Authorise the caller first: `context.can(<policy name for this action>, "
                    "target={...})` with a policy rule registered for the action (project-scoped "
                    "target for project resources), before any resource is read or changed.", None),
            confidence=Confidence.MEDIUM,
        )
        # Point at the `def` line, not the whole method body.
        finding.end_line = finding.line
        finding.code = ctx.module.line(finding.line)
        finding.scope = f"{ctx.scope_name(action)}.{action.name}".lstrip(".")
        return finding


RULE = MissingAuthorization()
