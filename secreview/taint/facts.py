"""The facts the taint engine works with, and the flows it reports.

A value is described by a *label set*: which untrusted origins it may carry.
An origin is a real source (`Source`), a parameter of the function being
analysed (`Param`), the result of a call into a project function not yet
summarised (`Ret`), an attribute of a project class (`Attr`) or a module-level
name (`Global`). Each label also records the sink kinds it has been
sanitised for (`cleared`) and the hops it took (`trace`), so every flow can be
explained step by step. Only these small, picklable facts outlive a file's
syntax tree: the project-wide solver never sees an AST.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from secreview.model import Confidence, TraceStep

ALL_KINDS = "*"
_MAX_TRACE = 12


@dataclass(frozen=True)
class Source:
    """Untrusted data entering the program at `path:line`."""

    label: str  # "HTTP query parameter (flask.request.args)"
    code: str  # the expression, as written: request.args.get('name')
    path: str
    line: int
    confidence: Confidence = Confidence.HIGH


@dataclass(frozen=True)
class Param:
    index: int


@dataclass(frozen=True)
class Ret:
    call: int  # index of the call site in the function's facts
    item: int = -1  # for `a, b = f()`: which item of the returned tuple (-1: all of it)


@dataclass(frozen=True)
class Attr:
    owner: str  # qualified name of the class
    name: str


@dataclass(frozen=True)
class Global:
    module: str
    name: str


@dataclass(frozen=True)
class Opaque:
    """A value the engine cannot follow (a closure's variable): never a flow,
    but a sink it reaches is not proved clean either."""

    name: str


Origin = Union[Source, Param, Ret, Attr, Global, Opaque]
Trace = tuple[TraceStep, ...]
# (origin, kinds it is sanitised for) -> the hops it took
Labels = dict[tuple[Origin, frozenset[str]], Trace]

EMPTY: Labels = {}


def shorter(trace: tuple[TraceStep, ...], old: tuple[TraceStep, ...]) -> bool:
    """`trace` is the better evidence: fewer hops, or as many and first in
    (path, line, note) order, so the choice never depends on the order in
    which facts were met (set order differs between processes)."""
    return len(trace) < len(old) or (len(trace) == len(old) and trace < old)


def union(*sets: Labels) -> Labels:
    """All labels of every set; for a label in several, the shorter trace."""
    first: Labels = EMPTY  # the first non-empty set: the answer when it is the only one
    out: Labels | None = None
    for labels in sets:
        if not labels:
            continue
        if not first:
            first = labels
            continue
        if out is None:
            out = dict(first)
        for key, trace in labels.items():
            old = out.get(key)
            if old is None or shorter(trace, old):
                out[key] = trace
    return first if out is None else out


def clear(labels: Labels, kinds: frozenset[str]) -> Labels:
    """The labels, sanitised for `kinds`. `*` drops them altogether, so a
    label's `cleared` set never holds `*`."""
    if not labels:
        return labels
    if ALL_KINDS in kinds:
        return EMPTY
    out: Labels = {}
    for (origin, cleared), trace in labels.items():
        key = (origin, cleared | kinds)
        old = out.get(key)
        if old is None or shorter(trace, old):
            out[key] = trace
    return out


def extend(labels: Labels, step: TraceStep) -> Labels:
    """The labels with one more hop on their trace."""
    if not labels:
        return labels
    return {key: add_step(trace, step) for key, trace in labels.items()}


def add_step(trace: Trace, step: TraceStep) -> Trace:
    if trace and trace[-1].line == step.line and trace[-1].path == step.path:
        return trace
    if len(trace) >= _MAX_TRACE:
        return trace[:2] + trace[3:] + (step,)
    return trace + (step,)


def add_steps(trace: Trace, steps: Trace) -> Trace:
    """`add_step` of each of `steps` in turn, building one tuple (the solver
    joins a callee's trace to its caller's for every label it maps)."""
    if not steps:
        return trace
    # A trace shorter than the limit has no two hops in a row on one line
    # (only `add_step` builds traces, and it drops such a hop; a trace cut
    # to the limit may have them): then only the junction is checked.
    if not trace:
        if len(steps) < _MAX_TRACE:
            return steps
        out: list[TraceStep] = [steps[0]]
        rest = steps[1:]
    else:
        last = trace[-1]
        if len(trace) + len(steps) <= _MAX_TRACE and (last.line != steps[0].line or last.path != steps[0].path):
            return trace + steps
        out = list(trace)
        rest = steps
    for step in rest:
        last = out[-1]
        if last.line == step.line and last.path == step.path:
            continue
        if len(out) >= _MAX_TRACE:
            del out[2]
        out.append(step)
    return tuple(out)


@dataclass
class SinkSite:
    """A dangerous operation, with everything a finding needs about its place."""

    kind: str
    callee: str  # the access path of the operation: "sqlite3.connect().execute"
    note: str  # what makes it dangerous: "runs the command through /bin/sh"
    path: str
    line: int
    end_line: int
    column: int
    code: str
    scope: str
    span: tuple[int, int]
    in_test: bool
    cwe: tuple[int, ...] = ()  # empty: the rule's CWE
    # For attribute stores (`self.x = value`) the attribute written; no finding.
    attr: Attr | None = None

    @property
    def key(self) -> tuple[str, int, int, str]:
        return (self.path, self.line, self.column, self.kind)


@dataclass
class Flow:
    """Untrusted data from a source reaching a sink."""

    site: SinkSite
    source_label: str
    source_code: str
    trace: tuple[TraceStep, ...]
    confidence: Confidence = Confidence.HIGH


@dataclass
class CallSite:
    callees: tuple[str, ...]  # qualified names of project functions it may call
    args: dict[int | str, Labels]  # positional index or keyword name -> labels
    line: int
    text: str  # the callee as written, for traces: "build_query"
    offset: int = 0  # 1 when the callee's parameter 0 is the receiver (self) not passed here
    star: bool = False  # *args/**kwargs at the call: positions are unreliable
    positional: int = 0  # arguments passed by position (before any *args)


@dataclass
class FunctionFacts:
    """What one function does with data, in terms of its parameters."""

    qualname: str
    path: str
    params: list[str]
    kind: str = "function"  # "method", "staticmethod", "classmethod"
    returns: Labels = field(default_factory=dict)
    # When every return statement returns a tuple of the same length: each
    # item's labels, so `sql, params = build()` keeps the two apart.
    return_items: list[Labels] | None = None
    sinks: list[tuple[SinkSite, Labels]] = field(default_factory=list)
    calls: list[CallSite] = field(default_factory=list)
    bounded: bool = False  # a work limit was hit: the facts are partial
