"""The LLM reviewer: ask a model about the code, publish only what the code supports.

`review_with_llm` runs after the static review and changes its `Report`:

1. each file is split on function boundaries (`split.py`) and every chunk is
   sent with its line-numbered code, the commit message, the static findings
   and traces, and the weakness families its features make relevant;
2. every finding the model proposes goes through the grounding library: a
   wrong line is corrected when the quoted code is found elsewhere; a claim
   citing code or names that do not exist, about test code, whose CWE does
   not fit the code, that is vague, or that contradicts the answer's own
   verdict is rejected, counted, and kept for `--show-rejected`;
3. optionally: `samples` answers per chunk, keeping findings that recur in at
   least half; a focused `verify` question per surviving finding; `triage` of
   the static findings (confirmed, or demoted with the model's reason);
4. what survives is merged with the static findings, de-duplicated by place
   and weakness (the static finding, with its trace, is kept); the origin of
   each finding is kept.

Code the model could not review (provider down, budget spent, answers that
cannot be read after one repair retry) is a `FileError`, so the verdict is
"incomplete", never a silent "clean". Nothing here prints.
"""

from __future__ import annotations

import ast
import functools
import math
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Callable, TypeVar

from pydantic import BaseModel

from secreview.bench.cwes import matches as cwe_matches
from secreview.engine import ReviewError, number_repeats
from secreview.grounding import NameIndex, Verdict, ground, parse_claim
from secreview.grounding.units import CodeUnit
from secreview.llm import prompt
from secreview.llm.answers import (AnswerError, ModelFinding, ReviewAnswer, TriageAnswer, VerifyAnswer,
                                   read_answer, schema_of)
from secreview.llm.cache import ResponseCache, cache_key
from secreview.llm.providers import CallSettings, Completion, Provider, ProviderError, open_provider
from secreview.llm.route import format_families, relevant_families
from secreview.llm.spec import ModelSpec
from secreview.llm.split import Chunk, split_file
from secreview.model import Confidence, FileError, Finding, Fix, Report, Severity
from secreview.python.source import SourceError, parse_source
from secreview.report.comments import FINGERPRINT_MARK
from secreview.targets.diff import ChangeSet

A = TypeVar("A", bound=BaseModel)


@dataclass
class LLMOptions:
    spec: ModelSpec
    verify: bool = False
    verify_threshold: float = 0.7
    samples: int = 1
    triage: bool = False
    show_rejected: bool = False
    max_calls: int | None = None
    max_tokens: int | None = None
    jobs: int = 4
    timeout: float = 120.0
    retries: int = 2
    cache_path: str | None = None  # None: no cache
    chunk_lines: int = 300
    answer_tokens: int = 2048
    # Sampling temperature when samples > 1 (answers must differ to vote).
    sample_temperature: float = 0.7
    # --executor ray: the calls run as Ray tasks (at ray_address).
    remote: bool = False
    ray_address: str | None = None


@dataclass
class Rejected:
    """A claim of the model that was not published, and why."""

    path: str
    line: int
    cwe: int
    message: str
    verdict: str  # a grounding verdict, or "outside the change", "not recurring", "not verified"
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "line": self.line, "cwe": self.cwe, "message": self.message,
                "verdict": self.verdict, "reason": self.reason}


@dataclass
class LLMStats:
    model: str
    files: list[str] = field(default_factory=list)  # the files the model saw
    chunks: int = 0
    chunks_failed: int = 0
    calls: int = 0  # requests sent to the model (not counting cache hits)
    cached_calls: int = 0
    repair_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost: float | None = None  # only when the provider reports it
    structured_output: str = ""  # json_schema, json_object, prompt or grammar
    proposed: int = 0
    published: int = 0
    lines_corrected: int = 0
    same_as_static: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    triage_confirmed: int = 0
    triage_demoted: int = 0
    triage_failed: int = 0
    budget_spent: str | None = None
    stopped: str | None = None  # a fatal provider error
    warnings: list[str] = field(default_factory=list)
    show_rejected: bool = False

    def rejected_counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.rejected:
            out[item.verdict] = out.get(item.verdict, 0) + 1
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model, "files": list(self.files), "chunks": self.chunks,
            "chunks_failed": self.chunks_failed, "calls": self.calls, "cached_calls": self.cached_calls,
            "repair_calls": self.repair_calls, "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens, "cost": self.cost,
            "structured_output": self.structured_output, "proposed": self.proposed,
            "published": self.published, "lines_corrected": self.lines_corrected,
            "same_as_static": self.same_as_static, "rejected": len(self.rejected),
            "rejected_by_reason": self.rejected_counts(),
            "triage": {"confirmed": self.triage_confirmed, "demoted": self.triage_demoted,
                       "failed": self.triage_failed},
            "budget_spent": self.budget_spent, "stopped": self.stopped, "warnings": list(self.warnings),
        }
        if self.show_rejected:
            out["rejected_claims"] = [r.to_dict() for r in self.rejected]
        return out


class BudgetSpent(Exception):
    pass


class _Budget:
    """Calls and tokens left. A call is counted before it is sent, so
    concurrent calls never exceed the call budget; the token budget is
    checked before each call (the last call may take it past the limit)."""

    def __init__(self, max_calls: int | None, max_tokens: int | None) -> None:
        self.max_calls, self.max_tokens = max_calls, max_tokens
        self.calls = self.tokens = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.max_calls is not None and self.calls >= self.max_calls:
                raise BudgetSpent(f"the budget of {self.max_calls} model call(s) is spent")
            if self.max_tokens is not None and self.tokens >= self.max_tokens:
                raise BudgetSpent(f"the budget of {self.max_tokens:,} tokens is spent")
            self.calls += 1

    def spend(self, tokens: int) -> None:
        with self._lock:
            self.tokens += tokens


class _Caller:
    """One question to the model: cache, budget, the call, reading the answer
    and one repair retry. Thread-safe."""

    def __init__(self, provider: Provider, options: LLMOptions, stats: LLMStats,
                 cache: ResponseCache | None) -> None:
        self.provider, self.options, self.stats, self.cache = provider, options, stats, cache
        self.budget = _Budget(options.max_calls, options.max_tokens)
        self.stopped: str | None = None
        self._lock = threading.Lock()

    def ask(self, messages: list[dict[str, str]], model: type[A], settings: CallSettings, sample: int = 0) -> A:
        """The answer, or AnswerError / ProviderError / BudgetSpent."""
        schema = schema_of(model)
        spec = self.provider.spec
        key = cache_key(model=spec.label, kind=spec.kind, base_url=spec.base_url, messages=messages,
                        schema=schema, settings=settings.__dict__, sample=sample)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                try:
                    answer = read_answer(hit.text, model)
                except AnswerError:
                    pass  # stored by an older secreview with other rules: ask again
                else:
                    self._count(hit)
                    return answer
        completion = self._call(messages, schema, model.__name__, settings)
        try:
            answer = self._read(completion, model)
        except AnswerError as exc:
            with self._lock:
                self.stats.repair_calls += 1
            completion = self._call(prompt.repair_messages(messages, completion.text, str(exc)), schema,
                                    model.__name__, settings)
            try:
                answer = self._read(completion, model)
            except AnswerError as again:
                raise AnswerError(f"the model's answer could not be used, even after one repair request "
                                  f"({again})") from None
        if self.cache is not None:
            self.cache.put(key, spec.label, completion)
        return answer

    def _read(self, completion: Completion, model: type[A]) -> A:
        try:
            return read_answer(completion.text, model)
        except AnswerError as exc:
            if completion.finish_reason == "length":
                raise AnswerError(f"the answer was cut off at the {self.options.answer_tokens}-token limit "
                                  "(shorter reasoning, please)") from None
            raise exc

    def _call(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str,
              settings: CallSettings) -> Completion:
        with self._lock:
            if self.stopped:
                raise ProviderError(self.stopped, kind="stopped", fatal=True)
        self.budget.take()
        try:
            completion = self.provider.complete(messages, schema, name, settings)
        except ProviderError as exc:
            if exc.fatal:
                with self._lock:
                    self.stopped = self.stopped or str(exc)
            raise
        self.budget.spend(completion.prompt_tokens + completion.completion_tokens)
        self._count(completion)
        return completion

    def _count(self, completion: Completion) -> None:
        with self._lock:
            stats = self.stats
            if completion.cached:
                stats.cached_calls += 1
                return
            stats.calls += 1
            stats.prompt_tokens += completion.prompt_tokens
            stats.completion_tokens += completion.completion_tokens
            if completion.cost is not None:
                stats.cost = (stats.cost or 0.0) + completion.cost
            stats.structured_output = stats.structured_output or completion.format


@dataclass
class _Task:
    path: str
    chunk: Chunk
    sample: int
    answer: ReviewAnswer | None = None
    error: str | None = None


def review_with_llm(report: Report, sources: dict[str, str], options: LLMOptions, *,
                    provider: Provider | None = None, change: ChangeSet | None = None, message: str = "",
                    project: dict[str, str] | None = None,
                    progress: Callable[[int, int, str], None] | None = None) -> LLMStats:
    """Review `sources` (path -> text, paths as the report has them) with the
    model and merge what is grounded into `report`. `change`: only its added
    lines are reviewed and reported. `project`: more files where names the
    model uses are looked up. `provider`: for tests; default from the spec."""
    stats = LLMStats(model=options.spec.label, show_rejected=options.show_rejected)
    report.llm = stats
    cache = ResponseCache(options.cache_path) if options.cache_path else None
    if cache is not None and cache.warning:
        stats.warnings.append(cache.warning)
    try:
        provider = provider or open_provider(options.spec, timeout=options.timeout, retries=options.retries,
                                             remote=options.remote, ray_address=options.ray_address)
    except (ProviderError, ReviewError) as exc:  # ReviewError: the Ray cluster cannot be used
        stats.stopped = str(exc)
        _not_reviewed(report, sorted(sources), options.spec.label, str(exc))
        return stats
    caller = _Caller(provider, options, stats, cache)
    try:
        _review(report, sources, options, caller, stats, change, message, project or {}, progress)
    finally:
        provider.close()
        if cache is not None:
            stats.warnings.extend([cache.warning] if cache.warning and cache.warning not in stats.warnings else [])
            cache.close()
    return stats


def _review(report: Report, sources: dict[str, str], options: LLMOptions, caller: _Caller, stats: LLMStats,
            change: ChangeSet | None, message: str, project: dict[str, str],
            progress: Callable[[int, int, str], None] | None) -> None:
    added = {f.new_path: set(f.added) for f in change.files if f.new_path} if change is not None else None
    units = {path: CodeUnit(path, text) for path, text in sources.items()}
    tasks: list[_Task] = []
    for path in sorted(sources):
        changed = added.get(path, set()) if added is not None else None
        if changed is not None and not changed:
            continue
        for chunk in split_file(path, sources[path], max_lines=options.chunk_lines, changed=changed):
            tasks.extend(_Task(path, chunk, sample) for sample in range(options.samples))
    stats.files = sorted({t.path for t in tasks})
    stats.chunks = len({(t.path, t.chunk.focus) for t in tasks})
    static_by_path: dict[str, list[Finding]] = {}
    for finding in report.findings:
        static_by_path.setdefault(finding.path, []).append(finding)
    families = {path: format_families(relevant_families(sources[path])) for path in stats.files}
    settings = [CallSettings(temperature=options.sample_temperature if options.samples > 1 else 0.0,
                             seed=sample, max_tokens=options.answer_tokens) for sample in range(options.samples)]

    def run(task: _Task) -> _Task:
        unit = units[task.path]
        listing = task.chunk.render(unit.lines)
        first, last = task.chunk.focus
        static = [f for f in static_by_path.get(task.path, []) if first <= f.line <= last]
        messages = prompt.review_messages(path=task.path, listing=listing, schema=schema_of(ReviewAnswer),
                                          families=families[task.path], static=static, message=message,
                                          in_change=added is not None)
        try:
            task.answer = caller.ask(messages, ReviewAnswer, settings[task.sample], task.sample)
        except (ProviderError, AnswerError, BudgetSpent) as exc:
            task.error = str(exc)
        return task

    done_tasks = _run_all(tasks, run, options.jobs, progress)
    failed: dict[str, list[str]] = {}
    for task in done_tasks:
        if task.error is not None:
            first, last = task.chunk.focus
            failed.setdefault(task.path, []).append(f"lines {first}-{last}: {task.error}")
    stats.chunks_failed = len({(t.path, t.chunk.focus) for t in done_tasks if t.error is not None})
    stats.budget_spent = next((t.error for t in done_tasks if t.error and "budget" in t.error), None)
    stats.stopped = caller.stopped

    index = NameIndex({**project, **sources})
    per_sample = _grounded(done_tasks, units, index, added, stats)
    accepted = _recurring(per_sample, options.samples, stats) if options.samples > 1 else per_sample[0]
    if options.verify and accepted:
        accepted = _verified(accepted, units, options, caller, stats)
    published = _merge(report, accepted, stats)
    if options.triage:
        _triage(report, units, options, caller, stats)
    for path, problems in sorted(failed.items()):
        report.errors.append(FileError(path, f"not fully reviewed by the LLM reviewer ({options.spec.label}): "
                                       + "; ".join(_unique(problems)) + ". The static review of this file is "
                                       "complete.", stage="llm"))
    report.errors.sort(key=lambda e: e.path)
    stats.published = len(published)


def _run_all(tasks: list[_Task], run: Callable[[_Task], _Task], jobs: int,
             progress: Callable[[int, int, str], None] | None) -> list[_Task]:
    if not tasks:
        return []
    out: list[_Task] = []
    with ThreadPoolExecutor(max_workers=max(1, min(jobs, len(tasks)))) as pool:
        for done, task in enumerate(pool.map(run, tasks), start=1):
            out.append(task)
            if progress is not None:
                progress(done, len(tasks), task.path)
    return out


def _grounded(tasks: list[_Task], units: dict[str, CodeUnit], index: NameIndex,
              added: dict[str, set[int]] | None, stats: LLMStats) -> list[list[Finding]]:
    """Per sample, the findings that survive grounding, as our Findings:
    result[k] is the list of findings of every task with sample k."""
    samples = max((t.sample for t in tasks), default=0) + 1
    out: list[list[Finding]] = [[] for _ in range(samples)]
    for task in tasks:
        if task.answer is None:
            continue
        unit = units[task.path]
        contradicts = task.answer.verdict == "clean" and bool(task.answer.findings)
        for item in task.answer.findings:
            stats.proposed += 1
            finding, rejection = _judge(item, unit, task.chunk, index, added, contradicts)
            if rejection is not None:
                stats.rejected.append(rejection)
                continue
            assert finding is not None
            if finding.line != item.line:
                stats.lines_corrected += 1
            out[task.sample].append(finding)
    # A model may report one defect twice in an answer.
    return [_dedupe(findings) for findings in out]


def _judge(raw: ModelFinding, unit: CodeUnit, chunk: Chunk, index: NameIndex,
           added: dict[str, set[int]] | None, contradicts: bool) -> tuple[Finding | None, Rejected | None]:
    # What is judged is what would be published.
    item = raw.model_copy(update={"message": _clean(raw.message, 300), "explanation": _clean(raw.explanation, 3000),
                                  "fix": _clean(raw.fix, 1500)})

    def reject(verdict: str, reason: str) -> tuple[None, Rejected]:
        return None, Rejected(unit.path, item.line, item.cwe, item.message, verdict, reason)

    if contradicts:
        return reject(Verdict.CONTRADICTION.value,
                      "the answer's verdict is 'clean' but it lists this defect; a self-contradicting answer "
                      "is not evidence")
    claim = parse_claim(f"{item.message} {item.explanation} Fix: {item.fix}", title=item.message,
                        lines=range(item.line, max(item.line, item.end_line) + 1), path=unit.path)
    claim.fix = claim.fix or item.fix  # the answer's fix field is the fix, wherever the prose puts it
    claim.quotes = [item.code] if item.code.strip() else []
    claim.cwes = [item.cwe]
    claim.is_defect = True
    result = ground(claim, [unit], index)
    line, end_line = item.line, max(item.line, item.end_line)
    if result.verdict is Verdict.WRONG_LINE:
        found = next((c.found_line for c in result.failed if c.found_line), None)
        if found is None:
            return reject(result.verdict.value, "; ".join(c.reason for c in result.failed))
        end_line, line = found + (end_line - line), found
    elif not result.verdict.grounded:
        return reject(result.verdict.value, "; ".join(c.reason for c in result.failed))
    if line < chunk.focus[0] or line > chunk.focus[1]:
        if line not in chunk.shown:
            return reject("not in code", f"line {line} was not in the code shown to the model")
    if added is not None and not set(range(line, end_line + 1)) & added.get(unit.path, set()):
        return reject("outside the change", f"line {line} is not a line the change adds or alters")
    return _finding(item, unit, line, min(end_line, len(unit.lines))), None


def _finding(item: ModelFinding, unit: CodeUnit, line: int, end_line: int) -> Finding:
    end_line = max(line, min(end_line, line + 7))
    code = "\n".join(unit.lines[line - 1:end_line])
    text = unit.line(line)
    return Finding(
        rule=f"llm.cwe-{item.cwe}", cwe=[item.cwe], severity=Severity.parse(item.severity),
        # Grounding proves the code is there, not that the defect is real:
        # an unverified model finding is at most of medium confidence.
        confidence=min(Confidence[item.confidence.upper()], Confidence.MEDIUM),
        path=unit.path, line=line, end_line=end_line, column=len(text) - len(text.lstrip()), code=code,
        message=item.message, explanation=item.explanation, fix=Fix(item.fix),
        origin="llm", in_test=unit.is_test, scope=_scope(unit, line), span=(line, end_line))


# Control characters (terminal escapes) and our own comment marker: a model's
# text must not repaint a terminal, nor make a code host's earlier comments
# look as if they had reported a finding (secreview.report.comments).
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]|" + re.escape(FINGERPRINT_MARK),
                     re.IGNORECASE)


def _clean(text: str, limit: int) -> str:
    """A model's prose as we publish it: no control characters or marker, bounded."""
    text = _UNSAFE.sub("", text).strip()
    return text if len(text) <= limit else text[:limit - 3].rstrip() + "..."


def _scope(unit: CodeUnit, line: int) -> str:
    """The enclosing `Class.method`, as the static findings name it (part of
    the fingerprint)."""
    tree = _tree(unit.text, unit.path)
    if tree is None:
        return "<module>"
    names: list[str] = []
    body: list[ast.stmt] = tree.body
    while True:
        inner = next((n for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                      and n.lineno <= line <= (n.end_lineno or n.lineno)), None)
        if inner is None:
            return ".".join(names) or "<module>"
        names.append(inner.name)
        body = inner.body


@functools.lru_cache(maxsize=16)
def _tree(text: str, path: str) -> ast.Module | None:
    """The file's tree, parsed once for all its findings, with any Python 3
    syntax (the static review's parser)."""
    try:
        return parse_source(text, path).tree
    except SourceError:
        return None


def _same_defect(a: Finding, b: Finding) -> bool:
    """Same file, overlapping lines (one line of slack) and related weaknesses."""
    return (a.path == b.path and a.line <= b.end_line + 1 and b.line <= a.end_line + 1
            and any(cwe_matches(x, y) for x in a.cwe for y in b.cwe))


def _dedupe(findings: list[Finding]) -> list[Finding]:
    kept: list[Finding] = []
    for finding in findings:
        if not any(_same_defect(finding, other) for other in kept):
            kept.append(finding)
    return kept


def _recurring(per_sample: list[list[Finding]], samples: int, stats: LLMStats) -> list[Finding]:
    """Findings that recur in at least half of the answers."""
    need = math.ceil(samples / 2)
    groups: list[tuple[Finding, set[int]]] = []
    for k, findings in enumerate(per_sample):
        for finding in findings:
            for head, seen in groups:
                if _same_defect(head, finding):
                    seen.add(k)
                    break
            else:
                groups.append((finding, {k}))
    kept = []
    for head, seen in groups:
        if len(seen) >= need:
            kept.append(head)
        else:
            stats.rejected.append(Rejected(head.path, head.line, head.cwe[0], head.message, "not recurring",
                                           f"in {len(seen)} of {samples} answers; at least {need} needed"))
    return kept


def _verified(findings: list[Finding], units: dict[str, CodeUnit], options: LLMOptions, caller: _Caller,
              stats: LLMStats) -> list[Finding]:
    settings = CallSettings(temperature=0.0, seed=0, max_tokens=options.answer_tokens)

    def check(finding: Finding) -> tuple[Finding, VerifyAnswer | None, str]:
        unit = units[finding.path]
        listing = _around(unit, finding.path, finding.line, options.chunk_lines).render(unit.lines)
        messages = prompt.verify_messages(path=finding.path, listing=listing, schema=schema_of(VerifyAnswer),
                                          line=finding.line, cwe=finding.cwe[0], message=finding.message,
                                          explanation=finding.explanation)
        try:
            return finding, caller.ask(messages, VerifyAnswer, settings), ""
        except (ProviderError, AnswerError, BudgetSpent) as exc:
            return finding, None, str(exc)

    kept = []
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        for finding, answer, error in pool.map(check, findings):
            if answer is None:
                reason = f"the verification question failed ({error}); unverified claims are not published"
            elif not answer.real or answer.confidence < options.verify_threshold:
                reason = (f"on a second look the model {'holds it real' if answer.real else 'calls it not real'} "
                          f"with confidence {answer.confidence:.2f} (threshold {options.verify_threshold:.2f}): "
                          f"{_clean(answer.reason, 600)}")
            else:
                finding.confidence = Confidence.HIGH if answer.confidence >= 0.9 else Confidence.MEDIUM
                kept.append(finding)
                continue
            stats.rejected.append(Rejected(finding.path, finding.line, finding.cwe[0], finding.message,
                                           "not verified", reason))
    return kept


def _around(unit: CodeUnit, path: str, line: int, max_lines: int) -> Chunk:
    """The chunk of the file holding `line`."""
    chunks = split_file(path, unit.text, max_lines=max_lines, changed={line})
    return chunks[0] if chunks else split_file(path, unit.text, max_lines=max_lines)[0]


def _merge(report: Report, accepted: list[Finding], stats: LLMStats) -> list[Finding]:
    """Add the model's findings that the static engine did not already report."""
    static = report.findings + report.suppressed
    published = []
    for finding in accepted:
        if any(_same_defect(finding, other) for other in static):
            stats.same_as_static += 1
            continue
        published.append(finding)
    report.findings.extend(published)
    number_repeats(report.findings)
    report.findings.sort(key=Finding.sort_key)
    return published


def _triage(report: Report, units: dict[str, CodeUnit], options: LLMOptions, caller: _Caller,
            stats: LLMStats) -> None:
    settings = CallSettings(temperature=0.0, seed=0, max_tokens=options.answer_tokens)
    targets = [f for f in report.findings if f.origin == "static" and f.path in units]

    def ask(finding: Finding) -> tuple[Finding, TriageAnswer | None]:
        unit = units[finding.path]
        listing = _around(unit, finding.path, finding.line, options.chunk_lines).render(unit.lines)
        messages = prompt.triage_messages(path=finding.path, listing=listing, schema=schema_of(TriageAnswer),
                                          finding=finding)
        try:
            return finding, caller.ask(messages, TriageAnswer, settings)
        except (ProviderError, AnswerError, BudgetSpent):
            return finding, None

    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        for finding, answer in pool.map(ask, targets):
            if answer is None:
                stats.triage_failed += 1
                continue
            if answer.verdict == "confirmed":
                stats.triage_confirmed += 1
                finding.triage = {"verdict": "confirmed", "reason": _clean(answer.reason, 600),
                                  "model": options.spec.label}
            else:
                # Demoted, never deleted: the static evidence stands, and the
                # model's reason is shown beside it.
                stats.triage_demoted += 1
                finding.confidence = Confidence.LOW
                finding.triage = {"verdict": "demoted", "reason": _clean(answer.reason, 600),
                                  "model": options.spec.label}


def _not_reviewed(report: Report, paths: list[str], model: str, reason: str) -> None:
    for path in paths:
        report.errors.append(FileError(path, f"not reviewed by the LLM reviewer ({model}): {reason}. "
                                       "The static review of this file is complete.", stage="llm"))
    report.errors.sort(key=lambda e: e.path)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
