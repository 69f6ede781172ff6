"""The project-wide step: combine every function's facts into summaries and
report the flows from sources to sinks.

A summary says, for one function, which of its parameters reach its return
value and which reach which sinks (directly or through the functions it
calls), with the hops on the way. Summaries are computed to a fixpoint with a
worklist: when a function's summary changes, its callers are looked at again.
Call results are substituted per call site (a helper that returns its
argument returns tainted data only where it is given tainted data), so a
helper used with both trusted and untrusted values is not confused.

Attributes of project classes (`self.x = value` in one method, read in
another) and module variables are stores shared by the whole program: data
written into them by any code is what every reader sees.

Work is bounded (`MAX_EVALUATIONS_PER_FUNCTION`): if the fixpoint has not
settled by then, the flows found so far are reported and the limit is
counted in the statistics.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from secreview.model import TraceStep
from secreview.taint.extract import ClassInfo, ModuleFacts
from secreview.taint.facts import (
    EMPTY, Attr, CallSite, Flow, FunctionFacts, Global, Labels, Opaque, Param, Ret, SinkSite, Source,
    add_step, shorter, union,
)

MAX_EVALUATIONS_PER_FUNCTION = 12
_MAX_MRO = 12


@dataclass
class TaintResult:
    flows: list[Flow] = field(default_factory=list)
    functions: int = 0
    bounded_functions: int = 0
    fixpoint_limited: bool = False
    # (path, line, kind) of sinks the engine saw and proved no untrusted data
    # reaches: no source, and any parameter involved belongs to a function
    # whose every caller in the project was checked.
    covered: set[tuple[str, int, str]] = field(default_factory=set)


def solve(modules: list[ModuleFacts], quiet_sources: frozenset[str] = frozenset()) -> TaintResult:
    """Combine the modules' facts to a fixpoint. Sources in the files named
    by `quiet_sources` (test code) start no flow; data passing through those
    files is still followed."""
    return _Solver(modules, quiet_sources).run()


class _Solver:
    def __init__(self, modules: list[ModuleFacts], quiet_sources: frozenset[str] = frozenset()):
        self.quiet_sources = quiet_sources
        self.functions: dict[str, FunctionFacts] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.exports: dict[tuple[str, str], tuple[str, Labels]] = {}
        self.bounded = 0
        self.clean: set[tuple[str, int, str]] = set()
        for facts in modules:
            self.bounded += facts.bounded
            self.clean.update((facts.path, line, kind) for line, kind in facts.clean_sinks)
            for function in facts.functions:
                self.functions.setdefault(function.qualname, function)
            self.classes.update(facts.classes)
            for name, labels in facts.exports.items():
                self.exports[(facts.module, name)] = (facts.module_function, labels)
        self.ret: dict[str, Labels] = {}
        self.ret_items: dict[str, list[Labels]] = {}
        self.sinks: dict[str, dict[tuple, tuple[SinkSite, Labels]]] = {}
        self.attr_store: dict[tuple[str, str], Labels] = {}
        self.global_store: dict[tuple[str, str], Labels] = {}
        self.callers: dict[str, set[str]] = {}
        self.readers: dict[tuple, set[str]] = {}
        self.flows: dict[tuple, Flow] = {}
        self._lookup_cache: dict[tuple[str, bool], list[tuple[FunctionFacts, int]]] = {}
        self._family: dict[str, list[str]] = {}
        self._subclasses: dict[str, set[str]] = {}
        for qual, info in self.classes.items():
            for base in info.bases:
                resolved = self.canonical_class(base)
                if resolved is not None:
                    self._subclasses.setdefault(resolved, set()).add(qual)

    # ---------------------------------------------------------------- run
    def run(self) -> TaintResult:
        queue = deque(self.functions)
        queued = set(queue)
        evaluations: dict[str, int] = {}
        limited = False
        while queue:
            name = queue.popleft()
            queued.discard(name)
            count = evaluations.get(name, 0)
            if count >= MAX_EVALUATIONS_PER_FUNCTION:
                limited = True
                continue
            evaluations[name] = count + 1
            for dependent in self.evaluate(self.functions[name]):
                if dependent not in queued and dependent in self.functions:
                    queued.add(dependent)
                    queue.append(dependent)
        flows = sorted(self.flows.values(), key=lambda f: (f.site.path, f.site.line, f.site.column, f.site.kind))
        return TaintResult(flows, len(self.functions), self.bounded, limited, self.covered_sites())

    def covered_sites(self) -> set[tuple[str, int, str]]:
        seen: set[tuple[str, int, str]] = set(self.clean)
        open_: set[tuple[str, int, str]] = {(f.site.path, f.site.line, f.site.kind) for f in self.flows.values()}
        for function in self.functions.values():
            called = bool(self.callers.get(function.qualname))
            for site, labels in function.sinks:
                if site.attr is not None:
                    continue
                seen.add((site.path, site.line, site.kind))
                # Attributes and module variables are shared stores that code
                # outside the project may write; closures are not followed.
                if any(isinstance(origin, (Attr, Global, Opaque)) and site.kind not in cleared
                       for (origin, cleared) in labels):
                    open_.add((site.path, site.line, site.kind))
            if called:
                continue
            # An entry point (nothing in the project calls it): whatever its
            # parameters reach is decided by unknown callers.
            for site, labels in self.sinks.get(function.qualname, {}).values():
                if site.attr is None and any(
                        site.kind not in cleared for (_, cleared) in labels):
                    open_.add((site.path, site.line, site.kind))
        return seen - open_

    # ----------------------------------------------------------- evaluate
    def evaluate(self, function: FunctionFacts) -> set[str]:
        """Recompute one function's summary; the functions to look at again."""
        name = function.qualname
        memo: dict = {}
        changed: set[str] = set()
        returns = self.resolve(function, function.returns, memo)
        items = None
        if function.return_items is not None:
            items = [self.resolve(function, labels, memo) for labels in function.return_items]
        sinks: dict[tuple, tuple[SinkSite, Labels]] = {}
        for site, labels in function.sinks:
            changed |= self.reach(function, site, self.resolve(function, labels, memo), sinks)
        for call in function.calls:
            for callee, offset in self.lookup(call):
                self.callers.setdefault(callee.qualname, set()).add(name)
                for site, labels in self.sinks.get(callee.qualname, {}).values():
                    mapped = self.substitute(function, call, callee, offset, labels, memo)
                    changed |= self.reach(function, site, mapped, sinks)
        if function.qualname.endswith(".<module>"):
            changed |= self.update_globals(function, memo)
        # Callers look again when anything in the summary changed, a shorter
        # trace included: the fixpoint then does not depend on the order in
        # which functions were evaluated (a caller never keeps a trace its
        # callee has since improved on).
        if self.ret.get(name, EMPTY) != returns or _sink_labels(self.sinks.get(name, {})) != _sink_labels(sinks) \
                or (items is not None and self.ret_items.get(name) != items):
            changed |= self.callers.get(name, set())
        if items is not None:
            self.ret_items[name] = items
        self.ret[name] = returns
        self.sinks[name] = sinks
        return changed

    def reach(self, function: FunctionFacts, site: SinkSite, labels: Labels,
              sinks: dict[tuple, tuple[SinkSite, Labels]]) -> set[str]:
        """Labels reaching a sink: flows for real sources, summary entries for
        parameters. Returns the functions affected by a changed store."""
        changed: set[str] = set()
        params: Labels = {}
        for key, trace in labels.items():
            origin, cleared = key
            if isinstance(origin, Param):
                params[key] = trace
            elif isinstance(origin, Source):
                if site.attr is not None:
                    changed |= self.store(site.attr, key, trace)
                elif site.kind not in cleared:
                    self.add_flow(site, origin, trace)
        if params:
            entry = sinks.get(site.key + (site.attr,))
            sinks[site.key + (site.attr,)] = (site, union(entry[1], params) if entry else params)
        return changed

    def add_flow(self, site: SinkSite, source: Source, trace: tuple[TraceStep, ...]) -> None:
        if trace and trace[0].path in self.quiet_sources:
            return
        key = site.key
        old = self.flows.get(key)
        if old is None or shorter(trace, old.trace):
            self.flows[key] = Flow(site, source.label, source.code, trace, source.confidence)

    def store(self, attr: Attr, key: tuple, trace: tuple[TraceStep, ...]) -> set[str]:
        slot = (attr.owner, attr.name)
        labels = self.attr_store.get(slot, EMPTY)
        if key in labels:
            return set()
        self.attr_store[slot] = union(labels, {key: trace})
        changed: set[str] = set()
        for owner in self.family(attr.owner):
            changed |= self.readers.get(("attr", owner, attr.name), set())
        return changed

    def update_globals(self, function: FunctionFacts, memo: dict) -> set[str]:
        module = function.qualname[: -len(".<module>")]
        changed: set[str] = set()
        for (mod, name), (owner, labels) in self.exports.items():
            if mod != module:
                continue
            resolved = {k: t for k, t in self.resolve(function, labels, memo).items() if isinstance(k[0], Source)}
            old = self.global_store.get((mod, name), EMPTY)
            if resolved.keys() - old.keys():
                self.global_store[(mod, name)] = union(old, resolved)
                changed |= self.readers.get(("global", mod, name), set())
        return changed

    # ------------------------------------------------------------ resolve
    def resolve(self, function: FunctionFacts, labels: Labels, memo: dict) -> Labels:
        """The labels in terms of real sources and the function's parameters."""
        if not labels:
            return labels
        out: Labels = {}
        for (origin, cleared), trace in labels.items():
            if isinstance(origin, (Source, Param, Opaque)):
                _put(out, (origin, cleared), trace)
                continue
            if isinstance(origin, Ret):
                base = self.call_result(function, origin.call, memo, origin.item)
            elif isinstance(origin, Attr):
                base = EMPTY
                for owner in self.family(origin.owner):
                    self.readers.setdefault(("attr", owner, origin.name), set()).add(function.qualname)
                    base = union(base, self.attr_store.get((owner, origin.name), EMPTY))
            elif isinstance(origin, Global):
                self.readers.setdefault(("global", origin.module, origin.name), set()).add(function.qualname)
                base = self.global_store.get((origin.module, origin.name), EMPTY)
            else:  # pragma: no cover - every origin kind is handled above
                continue
            for (inner, inner_cleared), inner_trace in base.items():
                combined = inner_trace
                for step in trace:
                    combined = add_step(combined, step)
                _put(out, (inner, inner_cleared | cleared), combined)
        return out

    def call_result(self, function: FunctionFacts, index: int, memo: dict, item: int = -1) -> Labels:
        key = (index, item)
        cached = memo.get(key)
        if cached is not None:
            return cached
        memo[key] = EMPTY  # a call whose arguments use its own result (loops) stops here
        call = function.calls[index]
        callees = self.lookup(call)
        if not callees:
            result = self.resolve(function, union(*call.args.values()), memo)
        else:
            parts = []
            for callee, offset in callees:
                self.callers.setdefault(callee.qualname, set()).add(function.qualname)
                items = self.ret_items.get(callee.qualname)
                returned = items[item] if items is not None and 0 <= item < len(items) else self.ret.get(
                    callee.qualname, EMPTY)
                parts.append(self.substitute(function, call, callee, offset, returned, memo))
            result = union(*parts)
        memo[key] = result
        return result

    def substitute(self, function: FunctionFacts, call: CallSite, callee: FunctionFacts, offset: int,
                   labels: Labels, memo: dict) -> Labels:
        """The callee's labels (sources and its parameters) seen from the call
        site: each parameter replaced by what the call passes for it."""
        if not labels:
            return labels
        out: Labels = {}
        step = TraceStep(function.path, call.line, f"passed to `{call.text}()`")
        for (origin, cleared), trace in labels.items():
            if isinstance(origin, Source):
                _put(out, (origin, cleared), trace)
                continue
            if not isinstance(origin, Param):
                continue
            argument = self.argument(call, callee, origin.index, offset)
            if not argument:
                continue
            for (inner, inner_cleared), inner_trace in self.resolve(function, argument, memo).items():
                combined = add_step(inner_trace, step)
                for hop in trace:
                    combined = add_step(combined, hop)
                _put(out, (inner, inner_cleared | cleared), combined)
        return out

    @staticmethod
    def argument(call: CallSite, callee: FunctionFacts, index: int, offset: int) -> Labels:
        """What a call passes for the callee's parameter `index`."""
        if index >= len(callee.params):
            return EMPTY
        name = callee.params[index]
        star = call.args.get("*", EMPTY)
        double_star = call.args.get("**", EMPTY)
        if name.startswith("**"):
            named = {p.lstrip("*") for p in callee.params}
            return union(double_star, *[v for k, v in call.args.items() if isinstance(k, str) and k not in named
                                        and not k.startswith(("*", "<"))])
        if name.startswith("*"):
            return union(star, *[v for k, v in call.args.items() if isinstance(k, int) and k >= index - offset])
        position = index - offset
        if position < 0:
            return EMPTY
        if position < call.positional:
            return call.args.get(position, EMPTY)
        labels = call.args.get(name, EMPTY)
        if name in call.args:
            return labels
        # Not passed by position or by name: *args or **kwargs may supply it.
        return union(labels, star, double_star)

    # ------------------------------------------------------------- lookup
    def lookup(self, call: CallSite) -> list[tuple[FunctionFacts, int]]:
        found: list[tuple[FunctionFacts, int]] = []
        for path in call.callees:
            found.extend(self.lookup_path(path, bool(call.offset)))
        return found

    def lookup_path(self, path: str, bound: bool) -> list[tuple[FunctionFacts, int]]:
        key = (path, bound)
        cached = self._lookup_cache.get(key)
        if cached is not None:
            return cached
        result: list[tuple[FunctionFacts, int]] = []
        if "()." in path:
            head, _, method = path.rpartition("().")
            owner = self.canonical_class(head)
            if owner is not None and "." not in method and "(" not in method:
                function = self.method(owner, method)
                if function is not None:
                    result.append((function, 0 if function.kind == "staticmethod" else 1))
        else:
            function = self.canonical_function(path)
            owner, _, method = path.rpartition(".")
            if function is None and bound:
                cls = self.canonical_class(owner)
                function = self.method(cls, method) if cls else None
            if function is not None:
                if bound:
                    offset = 0 if function.kind == "staticmethod" else 1
                else:
                    offset = 1 if function.kind == "classmethod" else 0
                result.append((function, offset))
            else:
                cls = self.canonical_class(path)
                if cls is not None:
                    init = self.method(cls, "__init__")
                    if init is not None:
                        result.append((init, 1))
        self._lookup_cache[key] = result
        return result

    def canonical_function(self, path: str) -> FunctionFacts | None:
        parts = path.split(".")
        for start in range(min(3, len(parts))):
            function = self.functions.get(".".join(parts[start:]))
            if function is not None:
                return function
        return None

    def canonical_class(self, path: str) -> str | None:
        parts = path.split(".")
        for start in range(min(3, len(parts))):
            candidate = ".".join(parts[start:])
            if candidate in self.classes:
                return candidate
        return None

    def method(self, owner: str, name: str) -> FunctionFacts | None:
        """`name` looked up through the project classes of `owner`'s MRO."""
        seen: set[str] = set()
        todo = [owner]
        while todo and len(seen) < _MAX_MRO:
            current = todo.pop(0)
            if current in seen:
                continue
            seen.add(current)
            function = self.functions.get(f"{current}.{name}")
            if function is not None:
                return function
            info = self.classes.get(current)
            if info is not None:
                for base in info.bases:
                    resolved = self.canonical_class(base)
                    if resolved is not None:
                        todo.append(resolved)
        return None

    def family(self, owner: str) -> list[str]:
        """The class, its project ancestors and its subclasses: an attribute
        written by any of them may be read by the others."""
        cached = self._family.get(owner)
        if cached is not None:
            return cached
        related: list[str] = []
        todo = [owner]
        while todo and len(related) < _MAX_MRO:
            current = todo.pop()
            if current in related:
                continue
            related.append(current)
            info = self.classes.get(current)
            if info is not None:
                todo.extend(b for b in (self.canonical_class(base) for base in info.bases) if b)
        todo = list(self._subclasses.get(owner, ()))
        while todo and len(related) < 2 * _MAX_MRO:
            current = todo.pop()
            if current not in related:
                related.append(current)
                todo.extend(self._subclasses.get(current, ()))
        self._family[owner] = related
        return related


def _put(out: Labels, key: tuple, trace: tuple[TraceStep, ...]) -> None:
    old = out.get(key)
    if old is None or shorter(trace, old):
        out[key] = trace


def _sink_labels(sinks: dict[tuple, tuple[SinkSite, Labels]]) -> dict[tuple, Labels]:
    return {key: labels for key, (_, labels) in sinks.items()}
