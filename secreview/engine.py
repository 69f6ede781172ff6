"""The review, start to finish, as a library call: targets -> units ->
analysers -> findings -> triage -> `Report`. Never prints, never exits.
"""

from __future__ import annotations

import ast
import contextlib
import functools
import gc
import hashlib
import os
import pickle
import signal
import stat
import struct
import sys
import time
from dataclasses import dataclass, field
from collections import deque
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Protocol

from secreview.config import Config
from secreview.cpus import available_cpus
from secreview.model import FileError, Finding, Report, Stats
from secreview.python.context import FileContext
from secreview.python import halves
from secreview.python.source import ParsedModule, SourceError, parse_source, read_source, source_lines
from secreview import rule_shares
from secreview.rule_shares import Outcome, RuleShares, rule_outcome
from secreview.rules import Rule, all_rules
from secreview.taint import (
    ModelError, Models, ModuleFacts, ProjectModules, bundled_models, extract, load_models, module_name, solve,
)
from secreview.taint.solve import Declined, SolverState, StateDelta, TaintResult, resume, solve_with_state
from secreview.targets.paths import SourceFile, discover, review_root
from secreview.timelimit import TimeLimitExceeded, message, time_limit
from secreview.triage.suppress import Suppression, find_suppression, may_hold_suppressions, suppressions
from secreview.triage.testcode import is_test_path

if TYPE_CHECKING:
    from secreview.cache import ResultCache

# progress(done, total, path)
ProgressCallback = Callable[[int, int, str], None]


class ReviewError(Exception):
    """The review as a whole could not run (bad configuration, unknown rule)."""


TOO_DEEP = "nesting too deep to analyse (recursion limit reached)"


class RuleFailure(Exception):
    """One or more rules raised on one file; `findings` holds what the
    other rules found."""

    def __init__(self, failures: list[str], findings: list[Finding]):
        super().__init__(f"internal error in rule {'; '.join(failures)}; "
                         "the other rules ran (please report this)")
        self.findings = findings


@dataclass
class FileResult:
    path: str
    findings: list[Finding] = field(default_factory=list)
    error: FileError | None = None
    functions: int = 0
    lines: int = 0
    used_fallback: bool = False
    is_test: bool = False
    taint: ModuleFacts | None = None
    # The file has taint facts (`taint` is None in a result read from the
    # cache, which keeps them apart), and the lines constant conditions never run.
    has_taint: bool = False
    dead: list[tuple[int, int]] = field(default_factory=list)
    # Suppression comments by line, kept only for files with taint sinks.
    suppressions: dict[int, Suppression] | None = None
    # Stopped at the time limit (`error` says so): never cached, since the
    # next review may have the time.
    timed_out: bool = False


def select_rules(config: Config) -> list[Rule]:
    rules = list(all_rules())
    known = {r.id for r in rules}
    unknown = [r for r in (*config.disable, *config.severity_overrides) if r not in known]
    if unknown:
        raise ReviewError(f"unknown rule id(s): {', '.join(sorted(set(unknown)))} "
                          "(see `secreview rules`)")
    return [r for r in rules if r.id not in config.disable]


def analyse_module(module: ParsedModule, rules: Iterable[Rule], is_test: bool,
                   ctx: FileContext | None = None) -> list[Finding]:
    """Run every rule on one parsed module (suppressions not applied yet).

    When a rule fails the others still run, then `RuleFailure` carries their
    findings, so the caller can report them and still mark the file as not
    fully analysed."""
    ctx = ctx or FileContext(module, is_test=is_test)
    return _together([rule_outcome(rule, ctx) for rule in rules if rule.may_report(module.text)])


def _together(outcomes: list[Outcome]) -> list[Finding]:
    """The findings of rules' outcomes, in order; raises `RuleFailure` if
    any rule failed."""
    findings = [finding for found, _ in outcomes for finding in found]
    failures = [failure for _, failure in outcomes if failure]
    if failures:
        raise RuleFailure(failures, findings)
    return findings


@dataclass
class TaintSetup:
    """What the taint pass needs for every file of one review."""

    models: Models
    project: ProjectModules
    # path -> (module name, is a package), unique across the review.
    modules: dict[str, tuple[str, bool]]
    # path -> the top-level names its absolute imports must be renamed to
    # (see _module_names); absent when nothing is renamed.
    aliases: dict[str, dict[str, str]] = field(default_factory=dict)


def _module_names(files: list[SourceFile]
                  ) -> tuple[dict[str, tuple[str, bool]], dict[str, dict[str, str]], set[str]]:
    """Each file's dotted module name, unique across the review, and the
    import renames each file needs.

    A file's import root is the folder above its outermost package: what
    Python puts on `sys.path` to run it. Several roots can hold the same
    top-level name (two projects or scripts side by side, each with its own
    `app.py` and `db.py`): the first root keeps the name, later ones get
    `db__2`, and absolute imports in files of that root are renamed to match,
    so `import db` in one project reaches its own `db.py`, never the other's.

    Also returns the dotted folders (last one or two) above each import root
    inside the review: `from app.db import find` reaches `app/db.py` as a
    namespace import when `app/` is not a package."""
    names: dict[str, tuple[str, bool]] = {}
    taken: set[str] = set()
    owner: dict[str, str] = {}  # top-level name -> the root that holds it under that name
    renames: dict[str, dict[str, str]] = {}  # root -> {top-level name: its unique name}
    aliases: dict[str, dict[str, str]] = {}
    folders: set[str] = set()
    root_of: dict[str, str] = {}  # path -> its import root
    for source in files:
        name, is_package = module_name(source.path, source.abspath)
        root = root_of[source.path] = _import_root(source.abspath, name, is_package)
        above = source.path.split("/")[:-1 - name.count(".") - int(is_package)]
        folders.update(".".join(above[-n:]) for n in (1, 2) if len(above) >= n)
        top, dot, rest = name.partition(".")
        renamed = renames.setdefault(root, {})
        unique = renamed.get(top)
        if unique is None:
            unique, count = top, 2
            while owner.get(unique, root) != root:
                unique, count = f"{top}__{count}", count + 1
            owner[unique] = root
            renamed[top] = unique
        name = unique + dot + rest
        if name in taken:  # `pkg.py` beside `pkg/__init__.py`: one name, two files
            count = 2
            while f"{name}__{count}" in taken:
                count += 1
            name = f"{name}__{count}"
        taken.add(name)
        names[source.path] = (name, is_package)
    for path, root in root_of.items():
        changed = {top: unique for top, unique in renames[root].items() if top != unique}
        if changed:
            aliases[path] = changed
    return names, aliases, folders


def _import_root(abspath: str, name: str, is_package: bool) -> str:
    return _folder_above(os.path.dirname(abspath), name.count(".") + (1 if is_package else 0))


@functools.lru_cache(maxsize=4096)
def _folder_above(folder: str, levels: int) -> str:
    for _ in range(levels):
        folder = os.path.dirname(folder)
    return folder


class _Collector:
    """Whether what a paused step leaves is frozen (`without_cycle_collector`):
    only in a process that ends with its review, the `secreview` program
    (`keep_last_file`) and the pool's workers. `gc.freeze` freezes every
    object the collector tracks, so in a process that goes on (a program
    that embeds secreview, a Ray worker running one task after another)
    it would also keep any garbage with reference cycles that process
    holds at that moment, for the rest of its life."""

    freezes: bool = False


@contextlib.contextmanager
def without_cycle_collector() -> Iterator[None]:
    """Pause CPython's cycle collector for one allocation-heavy step.

    Parsing a file and indexing it allocate hundreds of thousands of small
    objects that reference counting frees; each allocation burst otherwise
    triggers collections that re-scan everything the review holds so far
    (on Nova this was a third of the parse time). In a process that ends
    with its review (`_Collector`), what the step leaves is frozen
    (`gc.freeze`): the collector would otherwise scan it all again,
    generation by generation, once re-enabled (0.1 s after reading the
    taint solver's state); it is acyclic data that reference counting
    frees."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if _Collector.freezes:
                gc.freeze()
            gc.enable()


def review_file(source: SourceFile, rules: list[Rule], config: Config,
                taint: TaintSetup | None = None, helped: "Callable[[], HelpedRules | None] | None" = None,
                prepared: "Prepared | None" = None, later: "Settling | None" = None,
                previous: "Callable[[str], ModuleFacts | None] | None" = None,
                shares: RuleShares | None = None) -> FileResult:
    """Review one file. `helped`, if given, returns what the rules found in
    it as a helper process worked it out (None if it did not): called once
    the taint facts are extracted here, and used only if made from the same
    text. With `later` too, it is called only when `later` settles: the
    result comes back with its taint facts but without its findings.
    `prepared`: a file already read and parsed (by `_prepared`), used if it
    is this one; `shares`: with `later`, that file's rules are shared with
    the helper (this process takes its share as it settles).
    `previous(path)`: the facts of the file's last reviewed text, if known,
    whose unchanged functions' facts are taken over."""
    with without_cycle_collector():
        try:
            with time_limit(config.file_time_limit):
                return _review_file(source, rules, config, taint, helped, prepared, later, previous, shares)
        except TimeLimitExceeded:
            return _timed_out(source, config)


def _timed_out(source: SourceFile, config: Config) -> FileResult:
    """The result of a file whose analysis ran out of time: not analysed."""
    return FileResult(source.path, error=FileError(source.path, message(config.file_time_limit)),
                      is_test=is_test_path(source.path), timed_out=True)


@dataclass
class HelpedRules:
    """The rules' findings on a file, worked out by another process: the
    digest of the text they read, the findings, and what stopped them."""

    digest: bytes
    findings: list[Finding] = field(default_factory=list)
    failure: str | None = None  # a RuleFailure's message
    too_deep: bool = False  # the recursion limit was reached
    timed_out: bool = False  # the time limit was reached
    # With `RuleShares`: the outcome of each rule the helper took, by the
    # rule's index among those that may report (`_may_report`); the review
    # took the others.
    shared: dict[int, Outcome] | None = None

    def outcome(self) -> tuple[list[Finding], str | None]:
        """(findings, a rule's failure), as `_run_rules` gives them here
        (with shares: of the rules the helper took); raises what stopped
        the rules in the helper, as it would have here."""
        if self.timed_out:
            raise TimeLimitExceeded()
        if self.too_deep:
            raise RecursionError("maximum recursion depth exceeded (in the helper process)")
        if self.shared is not None:
            return _outcomes_found(rule_shares.in_order(self.shared))
        return self.findings, self.failure


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _rules_for(is_test: bool, rules: list[Rule], config: Config) -> list[Rule]:
    if is_test and not config.include_tests:
        # Test code gets only the rules whose weakness matters there; the
        # rest (fake passwords, /tmp paths, disabled TLS against a mock)
        # would be noise, and on a large project half the rules' time.
        return [rule for rule in rules if not rule.harmless_in_tests]
    return rules


def _run_rules(ctx: FileContext, rules: list[Rule], config: Config) -> tuple[list[Finding], str | None]:
    """The rules' findings, and the failure of those that raised."""
    try:
        return analyse_module(ctx.module, _rules_for(ctx.is_test, rules, config), ctx.is_test, ctx), None
    except RuleFailure as exc:
        return exc.findings, str(exc)


def _outcomes_found(outcomes: list[Outcome]) -> tuple[list[Finding], str | None]:
    """As `_run_rules`, from each rule's outcome."""
    try:
        return _together(outcomes), None
    except RuleFailure as exc:
        return exc.findings, str(exc)


def _may_report(ctx: FileContext, rules: list[Rule], config: Config) -> list[Rule]:
    """The rules `_run_rules` runs on the file, in order."""
    return [rule for rule in _rules_for(ctx.is_test, rules, config) if rule.may_report(ctx.module.text)]


class _LastFile:
    """The last file's parsed context, kept by a process that ends without
    freeing what it holds (`keep_last_file`), and what the review would
    free only to end (`_kept_to_the_end`)."""

    keep: bool = False
    held: list[FileContext] = []
    to_the_end: list[Any] = []


def keep_last_file(keep: bool = True) -> None:
    """Keep the syntax tree of the last file reviewed in this process until
    the next one is opened, for a process that ends without the
    interpreter's teardown (the `secreview` program): freeing the tree of
    Nova's largest file, node by node, takes 40 ms of a 0.5 s warm review.
    The next file's tree is made only once the kept one is freed, so at most
    one is held: the peak memory is unchanged. The review's results and the
    taint solver's state are kept too (`_kept_to_the_end`), and what each
    step leaves is frozen (`_Collector`)."""
    _LastFile.keep = _Collector.freezes = keep
    if not keep:
        _LastFile.held.clear()
        _LastFile.to_the_end.clear()


def _kept_to_the_end(*objects: Any) -> None:
    """In a process that ends without freeing (`keep_last_file`): keep
    `objects` instead of freeing them as the review returns, until the
    process ends or its next review starts. After an edit to Nova's
    largest module, freeing the solver's state took 5 ms to 7 ms and the
    files' results 5 ms to 6 ms, each after the last of the work. The peak
    memory is unchanged: both are held while the review works, and a
    second review (a change review's old side) starts without them."""
    if _LastFile.keep:
        _LastFile.to_the_end.extend(objects)


def _review_file(source: SourceFile, rules: list[Rule], config: Config,
                 taint: TaintSetup | None = None, helped: "Callable[[], HelpedRules | None] | None" = None,
                 prepared: "Prepared | None" = None, later: "Settling | None" = None,
                 previous: "Callable[[str], ModuleFacts | None] | None" = None,
                 shares: RuleShares | None = None) -> FileResult:
    result = FileResult(source.path)
    _LastFile.held.clear()
    try:
        text, ctx = _opened(source, config, prepared)
        if _LastFile.keep:
            _LastFile.held.append(ctx)
        module = ctx.module
        result.used_fallback = module.used_fallback
        result.is_test = ctx.is_test
        rule_failure = taint_failure = None
        # Test code is not reachable by an attacker and its mocks are poor
        # evidence: the taint engine follows data through a test file only
        # on request, or to judge (and perhaps clear) a finding shown there.
        needs_facts = not ctx.is_test or config.include_tests
        if taint is not None and helped is not None and needs_facts:
            # The same outcome as below, in the other order: the helper runs
            # the rules meanwhile.
            try:
                taint_failure, too_deep = _take_facts(result, ctx, source, taint, previous), False
            except RecursionError:
                too_deep = True
            if later is not None and not too_deep:
                shared = (shares, ctx) if shares is not None and prepared is not None and \
                    prepared.path == source.path else None
                later.wait_for(result, functools.partial(
                    _rules_settled, result, helped, _digest(text), text, source, rules, config, taint_failure,
                    _with_facts_only(result, ctx), shared))
                return result
            done = helped()
            if done is not None and done.digest == _digest(text):
                result.findings, rule_failure = done.outcome()
            else:
                result.findings, rule_failure = _run_rules(ctx, rules, config)
            if too_deep:
                raise RecursionError("maximum recursion depth exceeded (in the taint analysis)")
        else:
            result.findings, rule_failure = _run_rules(ctx, rules, config)
            if taint is not None and (needs_facts or result.findings):
                taint_failure = _take_facts(result, ctx, source, taint, previous)
        by_line = _with_facts_only(result, ctx)
        failures = [failure for failure in (rule_failure, taint_failure) if failure]
        if failures:
            result.error = FileError(source.path, "; ".join(failures))
    except SourceError as exc:
        result.error = FileError(source.path, exc.reason)
        return result
    except RecursionError:
        result.error = FileError(source.path, TOO_DEEP)
        result.taint = None  # facts of a file that is reported as not analysed would be partial
        return result
    if by_line:
        _suppress(by_line, result.findings, rules)
    return result


def _with_facts_only(result: FileResult, ctx: FileContext) -> dict[int, Suppression]:
    """`result` completed but for the rules' findings, and what they decide:
    the failure of a rule (the result's error) and which findings a comment
    suppresses. The file's suppression comments by line."""
    result.functions = ctx.function_count  # from the index when a rule or the taint pass built it
    by_line = _file_suppressions(ctx.module)
    if by_line and result.taint is not None and any(
            site.attr is None for f in result.taint.functions for site, _ in f.sinks):
        result.suppressions = by_line  # for flows found later, once the project is solved
    result.lines = len(ctx.module.lines)
    if result.taint is not None:
        result.has_taint = True
        result.dead = result.taint.dead
    return by_line


def _rules_settled(result: FileResult, helped: Callable[[], "HelpedRules | None"], digest: bytes, text: str,
                   source: SourceFile, rules: list[Rule], config: Config, taint_failure: str | None,
                   by_line: dict[int, Suppression],
                   shared: "tuple[RuleShares, FileContext] | None" = None) -> bool:
    """`result` (`_with_facts_only`'s) completed with the rules' findings:
    the helper's, else (it died, or read another text) from the rules run
    here on the text the facts were extracted from, parsed again. As
    `_review_file` would have made it; True when that means the file was
    not analysed after all (a rule reached the recursion limit or the time
    limit), and its taint facts are dropped. `shared`: the rules' shares
    and this process's context of the file: this process takes its share
    before it waits for the helper's."""
    try:
        mine: dict[int, Outcome] = {}
        if shared is not None:
            shares, ctx = shared
            wanted = _may_report(ctx, rules, config)
            with time_limit(config.file_time_limit):
                mine = shares.run(ctx, wanted, from_back=True)
        done = helped()
        found: tuple[list[Finding], str | None] | None = None
        if done is not None and done.digest == digest:
            found = done.outcome()  # raises what stopped the helper
            if done.shared is not None:  # the helper's share only: with this one's, or none
                together = rule_shares.merged(len(wanted), done.shared, mine) if shared is not None else None
                found = _outcomes_found(together) if together is not None else None
        if found is not None:
            findings, rule_failure = found
        else:
            with time_limit(config.file_time_limit):
                ctx = FileContext(parse_source(text, source.path), is_test=is_test_path(source.path))
                findings, rule_failure = _run_rules(ctx, rules, config)
    except TimeLimitExceeded:
        timed_out = _timed_out(source, config)
        for name in FileResult.__dataclass_fields__:
            setattr(result, name, getattr(timed_out, name))
        return True
    except RecursionError:
        result.error = FileError(source.path, TOO_DEEP)
        result.findings, result.taint, result.has_taint, result.dead = [], None, False, []
        result.functions = result.lines = 0
        result.suppressions = None
        return True
    result.findings = findings
    failures = [failure for failure in (rule_failure, taint_failure) if failure]
    if failures:
        result.error = FileError(source.path, "; ".join(failures))
    if by_line:
        _suppress(by_line, result.findings, rules)
    return False


def _take_facts(result: FileResult, ctx: FileContext, source: SourceFile, taint: TaintSetup,
                previous: "Callable[[str], ModuleFacts | None] | None" = None) -> str | None:
    """Extract the file's taint facts into `result`; the failure, if the
    engine failed."""
    try:
        name, is_package = taint.modules.get(source.path) or module_name(source.path, source.abspath)
        result.taint = extract(ctx, taint.models, name, is_package, taint.project, taint.aliases.get(source.path),
                               previous(source.path) if previous is not None else None)
    except RecursionError:
        raise
    except Exception as exc:  # a defect in the engine must not end the review
        return (f"internal error in the taint analysis ({type(exc).__name__}: {exc}); "
                "the rules ran (please report this)")
    return None


def _file_suppressions(module: ParsedModule) -> dict[int, Suppression]:
    """The file's suppression comments by line (tokenised only when the text
    mentions a marker at all)."""
    return suppressions(module.comments) if may_hold_suppressions(module.text) else {}


def _suppress(by_line: dict[int, Suppression], findings: list[Finding], rules: list[Rule]) -> None:
    rule_by_id = {r.id: r for r in rules}
    for finding in findings:
        rule = rule_by_id[finding.rule]
        first, last = finding.span if finding.span != (0, 0) else (finding.line, finding.end_line)
        sup = find_suppression(by_line, first, last, rule.id, rule.bandit_ids, rule.blanket_suppression)
        if sup is not None:
            finding.suppressed_by = f"line {sup.line}: {sup.text}"


def number_repeats(findings: list[Finding]) -> None:
    """Identical findings (same rule, file, function and code) get repeat
    numbers in line order, so their fingerprints differ and none is merged
    away by a consumer that deduplicates on fingerprints."""
    seen: dict[tuple[str, str, str, str], int] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        key = finding.identity()
        finding.occurrence = seen.get(key, 0)
        seen[key] = finding.occurrence + 1


def review(
    targets: list[str],
    config: Config | None = None,
    *,
    root: str | None = None,
    progress: ProgressCallback | None = None,
    jobs: int | None = None,
    executor: Executor | None = None,
    cache: "ResultCache | None" = None,
) -> Report:
    """Review every Python file under `targets` and return the report.

    The per-file work (parsing, rules, taint facts) runs on `executor`
    (default: `LocalExecutor(jobs)`, a pool of `jobs` worker processes when
    there are enough files to repay starting them); the project-wide taint
    step runs once, here. With `cache`, files whose results it holds are
    not analysed again, and new results are stored in it."""
    config = config or Config()
    started = time.perf_counter()
    _LastFile.to_the_end.clear()  # a second review (a change's other side) does not hold the first's
    rules = select_rules(config)
    try:
        models = load_models(config.models, _bundled_models(cache))
    except ModelError as exc:
        raise ReviewError(f"invalid taint model: {exc}") from None
    root = os.path.abspath(root or review_root(targets))
    found = discover(targets or ["."], root, list(config.exclude))
    rule_by_id = {r.id: r for r in rules}
    modules, aliases, folders = _module_names(found.files)
    taint = TaintSetup(models, ProjectModules((name for name, _ in modules.values()), folders), modules, aliases)

    report = Report(root=root, rules_run=[r.id for r in rules],
                    rule_severity={r.id: config.severity_overrides.get(r.id, r.severity) for r in rules})
    report.errors.extend(found.errors)
    report.files = [source.path for source in found.files]
    stats = Stats(files_excluded=found.excluded)
    total = len(found.files)
    if total == 0 and not found.errors:
        # Reviewing nothing must not read as "no defects": a mistyped path or
        # an exclude that matches everything would otherwise pass silently.
        where = ", ".join(targets or ["."])
        report.errors.append(FileError(where, "no Python files to review under this path "
                                       f"({found.excluded} excluded by configuration)"
                                       if found.excluded else "no Python files to review under this path"))
    findings: list[Finding] = []
    dead: dict[str, list[tuple[int, int]]] = {}
    file_suppressions: dict[str, dict[int, Suppression]] = {}
    hits_before = cache.hits if cache is not None else 0
    review_key = None
    if cache is not None and cache.active:
        from secreview.cache import review_fingerprint

        review_key = review_fingerprint(config, taint)
    settling = Settling()
    try:
        results = list(_reviewed(found.files, config, taint, executor or LocalExecutor(jobs), cache, review_key,
                                 settling, progress))
        # The taint step needs only the files' facts: it runs while the
        # rules' findings of a changed file may still be worked out.
        with_facts = [(source, key, result) for source, key, result in results if result.has_taint]
        solved, failed = _solve_or_fail(with_facts, rules, config, taint, cache, review_key)
        if settling.settle():  # a file is not analysed after all: the step again, without its facts
            with_facts = [(source, key, result) for source, key, result in with_facts if result.has_taint]
            solved, failed = _solve_or_fail(with_facts, rules, config, taint, cache, review_key)
    finally:
        settling.close()
    for source, key, result in results:
        if result.error is not None:
            report.errors.append(result.error)
        else:
            stats.files_analyzed += 1
            stats.functions_analyzed += result.functions
            stats.lines_analyzed += result.lines
            stats.files_fallback_parser += int(result.used_fallback)
            stats.test_files += int(result.is_test)
        findings.extend(result.findings)
        if result.dead:
            dead[result.path] = result.dead
        if result.suppressions:
            file_suppressions[result.path] = result.suppressions
    flows: list[Finding] = []
    covered: set[tuple[str, int, str]] = set()
    if solved is not None:
        try:
            flows, covered = _flow_findings(solved, rules, file_suppressions, stats)
        except Exception as exc:  # a defect in the engine must not end the review, nor pass as clean
            failed = exc
    if failed is not None:
        report.errors.append(FileError(
            ", ".join(targets or ["."]),
            f"internal error in the project-wide taint analysis ({type(failed).__name__}: {failed}); the rules' "
            "findings are reported but flows between files are not (please report this)"))
    findings = _merge_flows(_outside_dead_code(findings, dead), flows, covered, rule_by_id)
    number_repeats(findings)  # the identity includes the path
    for finding in findings:
        override = config.severity_overrides.get(finding.rule)
        if override is not None:
            finding.severity = override
        if finding.suppressed_by is not None:
            report.suppressed.append(finding)
        else:
            report.findings.append(finding)
    if cache is not None:
        cache.flush()
        stats.files_cached = cache.hits - hits_before
    stats.files_skipped = len(report.errors)
    stats.suppressed = len(report.suppressed)
    stats.include_tests = config.include_tests
    for bucket in (report.findings, report.suppressed):
        bucket.sort(key=Finding.sort_key)
    report.errors.sort(key=lambda e: e.path)
    stats.seconds = time.perf_counter() - started
    report.stats = stats
    _kept_to_the_end(results)
    return report


def _reviewed(files: list[SourceFile], config: Config, taint: TaintSetup, executor: Executor,
              cache: "ResultCache | None", review_key: str | None, settling: Settling,
              progress: ProgressCallback | None) -> Iterator[tuple[SourceFile, str | None, FileResult]]:
    """Each file, its cache key and its result (which `settling` may yet
    complete), in order, with the progress told as each comes."""
    for done, (key, result) in enumerate(_cached_or_fresh(files, config, taint, executor, cache, review_key,
                                                           settling), start=1):
        source = files[done - 1]
        if progress is not None:
            progress(done, len(files), source.path)
        yield source, key, result


def _solve_or_fail(with_facts: list[tuple[SourceFile, str | None, FileResult]], rules: list[Rule], config: Config,
                   taint: TaintSetup, cache: "ResultCache | None", review_key: str | None,
                   ) -> tuple[TaintResult | None, Exception | None]:
    """`_solve`'s result, or the exception it raised (a defect in the engine
    must not end the review, nor pass as clean)."""
    try:
        return _solve(with_facts, rules, config, taint, cache, review_key), None
    except Exception as exc:  # noqa: BLE001 - reported by the review as an error
        return None, exc


# Below this many files, worker processes cost more than they save.
PARALLEL_MIN_FILES = 64
WORKER_BATCH = 8  # files per task sent to a worker process
IN_FLIGHT = 2  # tasks a worker process holds at once


class Executor(Protocol):
    """Where the per-file work runs. `review_files` yields one FileResult
    per file, in the order of `files`, whatever order the work finishes in,
    so every executor gives the same report."""

    def review_files(self, files: list[SourceFile], config: Config, taint: TaintSetup) -> Iterator[FileResult]: ...


@dataclass
class LocalExecutor:
    """This process, or a pool of `jobs` worker processes (default: one per
    CPU it may use, `available_cpus`) when there are enough files to repay
    starting them. With fewer files (after an edit) and two jobs or more, a
    `RulesHelper` shares the work of each of the project's own files with
    this process."""

    jobs: int | None = None

    def review_files(self, files: list[SourceFile], config: Config, taint: TaintSetup,
                     meanwhile: Callable[[], None] | None = None,
                     settling: Settling | None = None,
                     fetch_ahead: Callable[[], Callable[[], None]] | None = None,
                     previous: Callable[[str], ModuleFacts | None] | None = None) -> Iterator[FileResult]:
        """As `Executor.review_files`. `meanwhile`: work of the review's own
        that may run while another process works on the files (it is called
        then; without one, before the files, when one of them needs taint
        facts). `settling`: results may come back without their rules'
        findings, completed when it settles (which the caller must see to).
        `fetch_ahead`: starts reading, in a thread, what `meanwhile` needs;
        it returns the function that waits for that thread, called before
        this process forks (only where the helper is to be forked).
        `previous(path)`: the facts of a file's last reviewed text, called
        once `meanwhile` has run (see `review_file`)."""
        jobs = self.jobs if self.jobs is not None else available_cpus()
        if jobs <= 1 or len(files) < PARALLEL_MIN_FILES:
            rules = select_rules(config)
            # What `meanwhile` reads is wanted only for files whose taint facts
            # are extracted whatever the rules find (the helper's files).
            needs_facts = (meanwhile is not None or fetch_ahead is not None) and bool(_for_the_helper(files, config))
            # The bytes `meanwhile` reads come while the helper's file is parsed.
            waits = fetch_ahead() if fetch_ahead is not None and jobs > 1 and needs_facts else None
            try:
                prepared = _prepared(files, config) if jobs > 1 else None
            finally:
                if waits is not None:
                    waits()
            # The prepared file's rules are shared between the helper and
            # this process, which takes some once the rest of its work is done.
            shares = RuleShares.made() if prepared is not None and settling is not None else None
            helper = RulesHelper.start(files, config, rules, prepared, shares=shares) if jobs > 1 else None
            later = settling if helper is not None else None
            if later is not None:
                later.stops(helper)  # type: ignore[arg-type]
            elif shares is not None:
                shares.close()
                shares = None
            # Without a helper, `meanwhile` runs first: the review needs what
            # it reads once the facts are extracted, and it gives the
            # unchanged functions' facts.
            ahead = meanwhile if needs_facts else None
            try:
                if ahead is not None:
                    ahead()
                for index, source in enumerate(files):
                    halved = _in_halves(source, rules, config) if jobs > 1 else None
                    yield halved if halved is not None else review_file(
                        source, rules, config, taint,
                        None if helper is None else functools.partial(helper.findings, index), prepared, later,
                        previous if ahead is not None else None, shares)
            finally:
                if helper is not None and later is None:
                    helper.stop()
            return
        yield from in_order(_pool_batches(files, config, taint, jobs))


# A test file this large, reviewed with few others and two jobs or more, is
# parsed in two halves, one in a forked process (`_in_halves`).
HALVES_MIN_BYTES = 256 * 1024


def _in_halves(source: SourceFile, rules: list[Rule], config: Config) -> FileResult | None:
    """The result of a large test file in which no rule finds anything,
    worked out in two processes, each parsing half of it and running the
    rules there (`secreview.python.halves`); None when it must be reviewed
    whole: not test code, small, a rule that may report in it reads more
    than the statement it reports (`Rule.local`), no cut to be had, no
    process to fork, or either half not parsed, or not clean. A rule that
    finds something in a half sends the file to the whole review, which
    reports it (and follows its facts): this path only ever says "nothing".

    After an edit of Nova's largest test file (1.5 MB), its parse is half
    of the review's wait: one 0.235 s parse becomes two of about 0.12 s."""
    if config.include_tests or not is_test_path(source.path) or _size(source.abspath) < HALVES_MIN_BYTES or \
            _start_method() != "fork":
        return None
    try:
        text = read_source(source.abspath, config.max_file_size)
    except SourceError:
        return None
    # The rules that may report in the file are the only ones the halves run.
    wanted = [rule for rule in _rules_for(True, rules, config) if rule.may_report(text)]
    if not all(rule.local or rule.finds_nothing for rule in wanted):
        return None
    cut = halves.split(text)
    if cut is None:
        return None
    _LastFile.held.clear()  # the last file's tree freed before this one's are made
    forked = _forked(lambda pipe: pipe.send(_clean_half(cut.second, source.path, wanted, config)))
    if forked is None:
        return None
    pid, pipe = forked
    first = second = None
    try:
        first = _clean_half(cut.first, source.path, wanted, config, cut)
        second = pipe.recv() if isinstance(first, int) else None
    except Exception:  # noqa: BLE001 - the other process is gone (killed, crashed) or garbled
        pass
    finally:
        _end(pid)
        pipe.close()
    if TIMED_OUT in (first, second):  # the whole file would take longer still
        return _timed_out(source, config)
    if not isinstance(first, int) or not isinstance(second, int):
        return None
    return FileResult(source.path, functions=first + second, lines=len(source_lines(text)), is_test=True)


TIMED_OUT = "timed out"  # what a half that ran out of time gives


def _clean_half(text: str, path: str, rules: list[Rule], config: Config,
                cut: "halves.Halves | None" = None) -> int | str | None:
    """The functions in one half of a test file (`_in_halves`), if it
    parses as this interpreter's `ast` does (no fallback) and the rules
    find nothing in it, and (`cut`: the first half) it ends where the cut
    may be made; `TIMED_OUT` if the time limit ran out; else None."""
    try:
        with time_limit(config.file_time_limit):
            return _clean_half_in_time(text, path, rules, config, cut)
    except TimeLimitExceeded:
        return TIMED_OUT


def _clean_half_in_time(text: str, path: str, rules: list[Rule], config: Config,
                        cut: "halves.Halves | None" = None) -> int | None:
    with without_cycle_collector():
        try:
            tree = ast.parse(text, filename=path)
        except Exception:  # noqa: BLE001 - a syntax error, too deep: the whole review says what
            return None
        lines = source_lines(text)
        if cut is not None and not cut.fits(tree, lines):
            return None
        ctx = FileContext(ParsedModule(path=path, text=text, tree=tree, lines=lines), is_test=True)
        if _LastFile.keep:
            _LastFile.held.append(ctx)
        try:
            findings, failure = _run_rules(ctx, rules, config)
        except RecursionError:
            return None
        return None if findings or failure else ctx.function_count


class Settling:
    """Results handed back before their rules' findings are in.

    After a one-file edit, the edited file's review is two halves of about
    the same cost: a helper process runs the rules (`RulesHelper`), this one
    extracts the taint facts. The facts are what the project-wide taint
    step needs, so the review goes on to it at once, and waits for the
    rules' findings only then (`settle`): on Nova's largest module, the
    helper's half ended after this one's, and the taint step was waiting
    on it.

    A rule that reaches the recursion limit or the time limit in the
    helper makes the file not analysed after all, its facts dropped (as in
    one process): `settle` says so, and the review takes the taint step
    again without them."""

    def __init__(self) -> None:
        self._waiting: list[tuple[FileResult, Callable[[], bool]]] = []
        self._then: dict[int, list[Callable[[], None]]] = {}
        self._first: list[Callable[[], None]] = []
        self._helpers: list[RulesHelper] = []

    def wait_for(self, result: FileResult, finish: Callable[[], bool]) -> None:
        """`finish` completes `result` when the review settles; it returns
        whether the result's taint facts were dropped."""
        self._waiting.append((result, finish))
        self._then[id(result)] = []

    def waits_for(self, result: FileResult) -> bool:
        return id(result) in self._then

    def then(self, result: FileResult, action: Callable[[], None]) -> None:
        """Run `action` once `result` (one this waits for) is complete."""
        self._then[id(result)].append(action)

    def first(self, action: Callable[[], None]) -> None:
        """Run `action` when the review settles, before waiting on anything."""
        self._first.append(action)

    def stops(self, helper: "RulesHelper") -> None:
        """End `helper` when the review is settled (or given up)."""
        self._helpers.append(helper)

    def settle(self) -> bool:
        """Every result completed, in the order given, then the helpers
        ended; True when any result's taint facts were dropped."""
        dropped = False
        try:
            with without_cycle_collector():
                while self._first:
                    self._first.pop(0)()
                while self._waiting:
                    result, finish = self._waiting.pop(0)
                    dropped |= finish()
                    for action in self._then.pop(id(result)):
                        action()
        finally:
            self.close()
        return dropped

    def close(self) -> None:
        """The helpers ended and reaped (what was not settled is given up)."""
        self._waiting.clear()
        self._then.clear()
        helpers, self._helpers = self._helpers, []
        for helper in helpers:
            helper.stop()


class RulesHelper:
    """One forked process that runs the rules on a few files while this one
    extracts their taint facts (and reads the taint solver's state): after
    a one-file edit, the review of the edited file is most of the wait, and
    these are its two halves, of about the same cost.

    Only for files whose facts the review needs whatever the rules find (not
    test code, unless tests are included). If the helper dies, or the file
    changed between its read and ours, the rules run here."""

    def __init__(self, pid: int, pipe: "_PipeEnd", wanted: set[int], shares: RuleShares | None = None) -> None:
        self._pid, self._pipe, self._wanted, self._shares = pid, pipe, wanted, shares
        self._done: dict[int, HelpedRules | None] = {}
        self._open = True

    @classmethod
    def start(cls, files: list[SourceFile], config: Config, rules: list[Rule], prepared: "Prepared | None" = None,
              target: Callable[..., None] | None = None, shares: RuleShares | None = None) -> "RulesHelper | None":
        """The helper, working; None where it cannot be forked soundly (a
        spawned one would import secreview first, which costs more than it
        saves) or no file is for it. `prepared`: a file this process has
        read, parsed and indexed already; the helper inherits it. `shares`:
        the helper shares that file's rules with this process (and ends
        them with itself)."""
        wanted = _for_the_helper(files, config)
        if not wanted or _start_method() != "fork":
            return None
        forked = _forked(lambda pipe: (target or _helper_main)(pipe, wanted, config, rules, prepared, shares))
        if forked is None:  # no process to be had (a limit reached): all is done here
            return None
        return cls(*forked, {index for index, _ in wanted}, shares)

    def findings(self, index: int) -> HelpedRules | None:
        """What the rules found in file `index` (waiting for it), or None."""
        while self._open and index in self._wanted and index not in self._done:
            try:
                done, found = self._pipe.recv()
                self._done[done] = found if isinstance(found, HelpedRules) else None
            except Exception:  # noqa: BLE001 - gone (killed, crashed) or garbled: the rest is done here
                self._open = False
        return self._done.pop(index, None)

    def stop(self) -> None:
        """The helper ended (if it has not ended already) and reaped, once:
        a reaped process's id may be another process's."""
        pid, self._pid = self._pid, 0
        if pid:
            _end(pid)
        self._pipe.close()
        if self._shares is not None:
            self._shares.close()


def _forked(work: Callable[["_PipeEnd"], None]) -> "tuple[int, _PipeEnd] | None":
    """A forked process doing `work` with its end of a pipe, and (its id,
    this process's end); None when no process is to be had (a limit
    reached). The process never returns into the caller's code, and ends
    without the caller's exit handlers or buffered output.

    Forked with `os.fork` and a pipe, not `multiprocessing`: importing
    that (and with it `socket`) and starting its process took 9 ms to
    11 ms of a warm review after an edit, against 1 ms to 2 ms."""
    mine, theirs = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(mine)
        os.close(theirs)
        return None
    if pid == 0:
        status = 1
        try:
            os.close(mine)  # the caller's end lives in the caller only: its end ends the pipe
            work(_PipeEnd(theirs))
            status = 0
        finally:
            os._exit(status)
    os.close(theirs)  # in the forked process only: its death ends the pipe
    return pid, _PipeEnd(mine)


def _end(pid: int) -> None:
    """The forked process `pid` ended (if it has not ended already) and
    reaped."""
    try:
        os.kill(pid, signal.SIGKILL)  # until reaped, its id is still its own
        os.waitpid(pid, 0)
    except (ProcessLookupError, ChildProcessError):  # reaped by someone else
        pass


class _PipeEnd:
    """One end of a pipe that carries pickled objects, each after its size
    (4 bytes, big-endian), as `multiprocessing`'s connections do."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    def fileno(self) -> int:
        if self._fd is None:
            raise OSError("the pipe is closed")
        return self._fd

    def send(self, value: Any) -> None:
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        view = memoryview(struct.pack("!i", len(data)) + data)
        while view:
            view = view[os.write(self.fileno(), view):]

    def recv(self) -> Any:
        (size,) = struct.unpack("!i", self._read(4))
        if size < 0:
            raise ValueError(f"a garbled message (size {size})")
        return pickle.loads(self._read(size))

    def _read(self, size: int) -> bytes:
        chunks: list[bytes] = []
        while size:
            chunk = os.read(self.fileno(), min(size, 1 << 20))
            if not chunk:
                raise EOFError("the other end of the pipe is gone")
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _for_the_helper(files: list[SourceFile], config: Config) -> list[tuple[int, SourceFile]]:
    """The files (with their index) whose rules the helper runs: those whose
    facts the review extracts whatever the rules find."""
    return [(index, source) for index, source in enumerate(files)
            if config.include_tests or not is_test_path(source.path)]


@dataclass
class Prepared:
    """A file read, parsed and indexed before the rules helper is forked:
    the helper inherits it, and the review goes on from it. The file is
    parsed once instead of in both processes: after an edit to Nova's
    largest module the review uses 0.1 s less CPU in all. Its wait is no
    shorter: the review's extraction no longer runs beside a parse, but the
    tree's memory, shared with the helper, is copied page by page as
    either process writes to it (reference counts)."""

    path: str
    text: str
    ctx: FileContext


def _prepared(files: list[SourceFile], config: Config) -> Prepared | None:
    """The helper's file prepared, when it has exactly one (a one-file edit;
    with more, each is parsed in both processes, at the same time); None
    when it has another number, or the file cannot be read or parsed (the
    review then meets that itself, as it would have)."""
    wanted = _for_the_helper(files, config)
    if len(wanted) != 1:
        return None
    [(_, source)] = wanted
    try:
        with without_cycle_collector():
            text, ctx = _opened(source, config)
            ctx.build_index()  # the taint facts need it, and most rules
    except (SourceError, RecursionError):
        return None
    return Prepared(source.path, text, ctx)


def _opened(source: SourceFile, config: Config, prepared: Prepared | None = None) -> tuple[str, FileContext]:
    """The file's text and context: `prepared`'s when it is this file, else
    read and parsed now (raises SourceError, RecursionError)."""
    if prepared is not None and prepared.path == source.path:
        return prepared.text, prepared.ctx
    text = read_source(source.abspath, config.max_file_size)
    return text, FileContext(parse_source(text, source.path), is_test=is_test_path(source.path))


def _helper_main(pipe: Any, files: list[tuple[int, SourceFile]], config: Config, rules: list[Rule],
                 prepared: Prepared | None = None, shares: RuleShares | None = None) -> None:
    gc.disable()  # a short-lived process: reference counting frees what it makes
    for index, source in files:
        try:
            pipe.send((index, _helped_rules(source, config, rules, prepared, shares)))
        except OSError:  # the review is gone
            return


def _helped_rules(source: SourceFile, config: Config, rules: list[Rule],
                  prepared: Prepared | None = None, shares: RuleShares | None = None) -> HelpedRules | None:
    """What `_review_file` would get from the rules on this file; None when
    the file cannot be read or parsed (the review finds that itself).
    `prepared`: a file already read and parsed, used if it is this one;
    `shares`: its rules are shared with the review."""
    try:
        text, ctx = _opened(source, config, prepared)
    except (SourceError, RecursionError):
        return None
    digest = _digest(text)
    try:
        with time_limit(config.file_time_limit):
            if shares is not None and prepared is not None and prepared.path == source.path:
                return HelpedRules(digest, shared=shares.run(ctx, _may_report(ctx, rules, config), from_back=False))
            findings, failure = _run_rules(ctx, rules, config)
    except RecursionError:
        return HelpedRules(digest, too_deep=True)
    except TimeLimitExceeded:
        return HelpedRules(digest, timed_out=True)
    return HelpedRules(digest, findings, failure)


# A worker process killed (out of memory, a signal) or crashed: its files
# are tried again one by one, each up to this many times in all.
POOL_ATTEMPTS = 3
WORKER_STOPPED = ("the worker process reviewing it stopped abruptly (killed, out of memory, or crashed) "
                  f"{POOL_ATTEMPTS} times; not analysed")


def _pool_batches(files: list[SourceFile], config: Config, taint: TaintSetup, jobs: int,
                  target: Callable[..., None] | None = None, start_method: str | None = None,
                  ) -> Iterator[tuple[list[int], list[FileResult]]]:
    """(file indices, their results) for batches of `files`, largest first,
    as `jobs` worker processes finish them.

    Each worker has its own pipe, so a worker that dies (even in the middle
    of sending a result) is seen at once: its pipe ends, its process
    sentinel fires. Its batch is tried again one file at a time, in a new
    worker; a file whose worker died `POOL_ATTEMPTS` times becomes a file
    error, so the review says incomplete. If every worker dies before any
    work is done (a broken environment), the remaining files fail the same
    way rather than being tried one by one.

    `start_method` (default: `_start_method()`) is how workers start."""
    # Imported here: a review answered by the cache or done in one process
    # has no use for them, and they take a while to import.
    import multiprocessing
    from multiprocessing.connection import wait

    # (file indices, how many workers died on them) not sent yet
    pending: deque[tuple[list[int], int]] = deque((batch, 0) for batch in largest_first(files, WORKER_BATCH))
    # pipe -> (process, the work sent to it, oldest first: it works on the first)
    workers: dict[Any, tuple[Any, deque[tuple[list[int], int]]]] = {}
    deaths_in_a_row = 0

    def start() -> None:
        # Chosen for each worker: a replacement may start once a thread runs
        # here (a progress bar), and forking beside a thread is not sound.
        context: Any = multiprocessing.get_context(start_method or _start_method())
        mine, theirs = context.Pipe()
        work = target or _worker_main
        if context.get_start_method() == "fork":
            # A forked worker holds copies of this process's ends of every
            # pipe: closed first, so that when this process is gone (even
            # killed) the workers' pipes end and they stop.
            process = context.Process(target=_forked_worker, args=([*workers, mine], work, theirs, config, taint),
                                      daemon=True)
        else:
            process = context.Process(target=work, args=(theirs, config, taint), daemon=True)
        process.start()
        theirs.close()  # the worker's end lives in the worker only: its death ends the pipe
        workers[mine] = (process, deque())
        give(mine)

    def give(pipe: Any) -> None:
        """Keep `IN_FLIGHT` batches with the worker, so it never waits for
        this process to hand out the next."""
        sent = workers[pipe][1]
        while pending and len(sent) < IN_FLIGHT:
            work = pending.popleft()
            sent.append(work)
            try:
                pipe.send([files[i] for i in work[0]])
            except OSError:  # already gone: its sentinel says so
                break

    def failed(work: tuple[list[int], int]) -> Iterator[tuple[list[int], list[FileResult]]]:
        """A worker died on `work`: each of its files again, alone, or given up."""
        batch, tries = work
        if tries + 1 >= POOL_ATTEMPTS or broken():
            yield batch, [FileResult(files[i].path, error=FileError(files[i].path, WORKER_STOPPED)) for i in batch]
        else:
            pending.extendleft(([i], tries + 1) for i in reversed(batch))

    def broken() -> bool:
        return deaths_in_a_row >= POOL_ATTEMPTS * jobs

    try:
        for _ in range(min(jobs, len(pending))):
            start()
        while any(sent for _, sent in workers.values()):
            by_sentinel = {process.sentinel: pipe for pipe, (process, _) in workers.items()}
            for ready in wait([*workers, *by_sentinel]):
                pipe = by_sentinel.get(ready, ready)
                if pipe not in workers:
                    continue  # replaced already
                process, sent = workers[pipe]
                alive = True
                try:
                    while pipe.poll():  # a result, or the end of the pipe (recv raises)
                        # Read with the cycle collector paused (the results
                        # then frozen, in the program): with collections as
                        # the objects came in, reading Nova's 7 MB of results
                        # took 0.5 s of this process's CPU, beside the
                        # workers (0.1 s alone and paused).
                        with without_cycle_collector():
                            results = pipe.recv()
                        if not (sent and isinstance(results, list) and len(results) == len(sent[0][0])):
                            alive = False  # what no worker sends: replace it
                            break
                        deaths_in_a_row = 0
                        yield sent.popleft()[0], results
                except Exception:  # noqa: BLE001 - cut short (the worker died while sending) or unreadable
                    alive = False
                if alive and ready is pipe:
                    give(pipe)
                    continue
                # The worker is gone (its sentinel fired, its pipe ended) or
                # misbehaved: the first batch it had is what it died on; the
                # others it never started.
                _stop(process, pipe)
                del workers[pipe]
                if sent:
                    deaths_in_a_row += 1
                    yield from failed(sent.popleft())
                    pending.extendleft(reversed(sent))
                if pending and not broken():
                    start()
            while pending and broken():
                yield from failed(pending.popleft())
    finally:
        for pipe in workers:
            try:
                pipe.send(None)
            except OSError:
                pass
        for pipe, (process, _) in workers.items():
            _stop(process, pipe, wait_seconds=5)


def _start_method() -> str:
    """How the local pool starts its workers: `fork` where that is sound (on
    Linux, from a process running no other thread), so a worker begins with
    secreview imported; else `spawn`, where each worker first imports it
    (on the benchmark machine, the first results come 0.1 s to 0.17 s later)."""
    return "fork" if sys.platform == "linux" and _threads() == 1 else "spawn"


def _threads() -> int:
    """The threads this process runs. Counted by the kernel: `threading`
    knows only those Python started, not the native ones of a library
    loaded in the same process (Ray's core worker and gRPC, a model
    runtime), which may hold a lock when the process forks; Python 3.12
    and later warn of such forks for the same reason."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:  # no /proc (a sandbox): what `threading` knows
        import threading

        return threading.active_count()


def _forked_worker(inherited: list[Any], work: Callable[..., None], *args: Any) -> None:
    """`work(*args)` in a forked process, once it has closed its copies of
    the parent's pipe ends (so that when the parent is gone, even killed,
    its pipes end and the process stops)."""
    for end in inherited:
        end.close()
    work(*args)


def _stop(process: Any, pipe: Any, wait_seconds: float = 0) -> None:
    process.join(wait_seconds)
    if process.is_alive():
        process.kill()
        process.join()
    pipe.close()


def _worker_main(pipe: Any, config: Config, taint: TaintSetup) -> None:
    """A worker process: batches of files in, their results out, until told
    to stop (None) or the review's end of the pipe is gone."""
    _Collector.freezes = True  # the process ends with the pool
    rules = select_rules(config)
    while True:
        try:
            batch = pipe.recv()
        except (EOFError, OSError):
            return
        if batch is None:
            return
        results = [review_file(source, rules, config, taint) for source in batch]
        try:
            pipe.send(results)
        except OSError:  # the review is gone (killed): nobody to send to
            return


def largest_first(files: list[SourceFile], size: int) -> list[list[int]]:
    """The indices of `files` in batches of `size`, the largest files first:
    one large file left for last would keep one worker busy while the
    others idle."""
    order, _ = _by_size_largest_first(files)
    return [order[start:start + size] for start in range(0, len(order), size)]


def _by_size_largest_first(files: list[SourceFile]) -> tuple[list[int], list[int]]:
    """The indices of `files`, the largest first, and the files' sizes."""
    sizes = [_size(source.abspath) for source in files]
    return sorted(range(len(files)), key=lambda i: (-sizes[i], i)), sizes


def by_size(files: list[SourceFile], count: int) -> list[list[int]]:
    """The indices of `files` in at most `count` batches of about the same
    total size, the largest files first (a file larger than a batch's share
    is a batch of its own): few tasks, none much longer than the others."""
    order, sizes = _by_size_largest_first(files)
    share = max(1, sum(sizes) // max(1, count))
    batches: list[list[int]] = []
    batch: list[int] = []
    held = 0
    for index in order:
        batch.append(index)
        held += sizes[index]
        if held >= share and len(batches) < count - 1:  # the last batch takes what is left
            batches.append(batch)
            batch, held = [], 0
    if batch:
        batches.append(batch)
    return batches


def in_order(done: Iterable[tuple[list[int], list[FileResult]]]) -> Iterator[FileResult]:
    """Results of batches of file indices, taken as the batches finish, in
    the order of the indices (every index from 0 on, once)."""
    ready: dict[int, FileResult] = {}
    emitted = 0
    for indices, results in done:
        ready.update(zip(indices, results))
        while emitted in ready:
            yield ready.pop(emitted)
            emitted += 1


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # the review of the file says why


def _cached_or_fresh(files: list[SourceFile], config: Config, taint: TaintSetup, executor: Executor,
                     cache: "ResultCache | None", review_key: str | None = None, settling: Settling | None = None,
                     ) -> Iterator[tuple[str | None, FileResult]]:
    """Each file's cache key and result, in the order of `files`: from
    `cache` when it holds it (without its taint facts), else computed by
    `executor` (and staged in the cache, once complete: see `settling`,
    passed to a `LocalExecutor`)."""
    local = isinstance(executor, LocalExecutor)
    if cache is None or not cache.active or review_key is None:
        yield from ((None, result) for result in (
            executor.review_files(files, config, taint, settling=settling) if local  # type: ignore[call-arg]
            else executor.review_files(files, config, taint)))
        return
    keys = _keys(files, config, taint, review_key, cache)
    present = cache.present(k for k in keys if k is not None)
    cache.touch(review_key, present)  # kept while reviews read them
    todo = [s for s, k in zip(files, keys) if k not in present]
    @functools.cache
    def load() -> dict[str, FileResult]:
        """The stored results, read once, when first wanted."""
        return cache.get_many(present)

    ahead: list[FileResult] = []
    if local:
        from secreview.cache import state_key

        # While another process works on the changed files, read the stored
        # results and the taint solver's state: resuming it is the review's
        # next step. The first changed file's review is begun at once, so
        # the other process starts before the stored results are read.
        fresh = executor.review_files(todo, config, taint, meanwhile=functools.partial(  # type: ignore[call-arg]
            _read_ahead, load, cache, review_key, config.include_tests), settling=settling,
            fetch_ahead=functools.partial(cache.fetch_state_ahead, state_key(review_key, config.include_tests)),
            previous=functools.partial(cache.previous_facts, state_key(review_key, config.include_tests)))
        if todo:
            ahead.append(next(fresh))
    else:
        load()
        fresh = executor.review_files(todo, config, taint)
    for source, key in zip(files, keys):
        if key in present:
            found = load().get(key)
            if found is not None:
                yield key, found
                continue
            # Gone since it was found (another run's clean-up) or damaged:
            # reviewed here, as `--jobs 1` would.
            result = review_file(source, select_rules(config), config, taint)
        else:
            result = ahead.pop() if ahead else next(fresh)
        if key is not None:
            if settling is not None and settling.waits_for(result):
                # Its facts are done: pickled while the rules' findings come.
                settling.first(functools.partial(cache.pickle_facts_ahead, key, result))
                settling.then(result, functools.partial(_stage, cache, key, result))
            else:
                _stage(cache, key, result)
        yield key, result


def _stage(cache: "ResultCache", key: str, result: FileResult) -> None:
    if not result.timed_out:
        cache.stage(key, result)


def _bundled_models(cache: "ResultCache | None") -> Models | None:
    """The bundled taint models as the cache keeps them, parsed (their TOML
    is most of loading them); else parsed here and given to the cache.
    None without a cache."""
    if cache is None or not cache.active:
        return None
    models = cache.bundled_models()
    if models is None:
        models = bundled_models()  # raises ModelError, as `load_models` would
        cache.stage_bundled_models(models)
    return models


def _read_ahead(load: Callable[[], object], cache: "ResultCache", review_key: str, include_tests: bool) -> None:
    """The taint solver's state read, then the stored results (`load`)."""
    from secreview.cache import state_key

    with without_cycle_collector():
        cache.read_state_ahead(state_key(review_key, include_tests))
        load()


def _solve(with_facts: list[tuple[SourceFile, str | None, FileResult]], rules: list[Rule], config: Config,
           taint: TaintSetup, cache: "ResultCache | None", review_key: str | None) -> TaintResult:
    """The project-wide taint step over the files with facts. With a cache:
    its stored result when none of those files changed; else resumed from
    the last solve of this project (only what the changed files reach is
    solved again); else solved in full from the facts (read from the cache
    for unchanged files). The result and the solver's state are stored."""
    quiet = frozenset() if config.include_tests else frozenset(
        source.path for source, _, _ in with_facts if is_test_path(source.path))
    keyed = cache is not None and review_key is not None and all(key is not None for _, key, _ in with_facts)
    if not keyed:
        with without_cycle_collector():
            return solve(_all_facts(with_facts, rules, config, taint, cache), quiet)
    from secreview.cache import solution_key, state_key

    assert cache is not None and review_key is not None
    files = {source.path: key for source, key, _ in with_facts if key is not None}  # all of them: keyed
    solution = solution_key(review_key, files.items(), config.include_tests)
    stored = cache.get_solution(solution)
    if stored is not None:
        return stored
    state_name = state_key(review_key, config.include_tests)
    with without_cycle_collector():
        base = cache.get_state(state_name)
        solved = delta = None
        if base is not None:
            try:
                solved, state, change = _resume(base, with_facts, files, cache, quiet)
                delta = (base[2], change)
                cache.solutions_resumed += 1
            except Declined:
                solved = None
            except Exception:  # noqa: BLE001 - a defect in resuming must cost time, never the result
                solved = delta = None
        if solved is None:
            facts = _all_facts(with_facts, rules, config, taint, cache)
            if len(facts) != len(with_facts):  # the file changed or broke meanwhile: not the state `files` names
                return solve(facts, quiet)
            solved, state = solve_with_state(facts, quiet)
    cache.stage_solution(solution, solved)
    cache.stage_state(state_name, files, state, delta)
    _kept_to_the_end(base, state)
    return solved


def _all_facts(with_facts: list[tuple[SourceFile, str | None, FileResult]], rules: list[Rule], config: Config,
               taint: TaintSetup, cache: "ResultCache | None") -> list[ModuleFacts]:
    """Every file's taint facts: at hand, else from the cache, else (damaged
    there) from the file again, and stored again."""
    missing = [key for _, key, result in with_facts if result.taint is None]
    loaded = cache.facts_many(k for k in missing if k is not None) if cache is not None and missing else {}
    facts: list[ModuleFacts] = []
    for source, key, result in with_facts:
        if result.taint is None:
            result.taint = loaded.get(key) if key is not None else None
        if result.taint is None:
            again = review_file(source, rules, config, taint)
            result.taint = again.taint
            if cache is not None and key is not None and again.taint is not None:
                cache.stage(key, again)
        if result.taint is not None:
            facts.append(result.taint)
    return facts


def _resume(base: tuple[dict[str, str], SolverState, tuple[str, int]],
            with_facts: list[tuple[SourceFile, str | None, FileResult]], files: dict[str, str],
            cache: "ResultCache", quiet: frozenset[str]) -> tuple[TaintResult, SolverState, StateDelta]:
    """The taint step resumed from the state of an earlier solve (`base`:
    the file keys it was made from, and the state): raises `Declined` when it
    cannot be."""
    old_files, state, _ = base
    changed_paths = {path for path, key in files.items() if old_files.get(path) != key}
    changed_paths |= old_files.keys() - files.keys()
    if len(changed_paths) > max(8, len(files) // 4):
        raise Declined(f"{len(changed_paths)} files changed")
    at_hand = {source.path: result.taint for source, _, result in with_facts if result.taint is not None}
    wanted = [files[p] for p in changed_paths if p in files and p not in at_hand]
    loaded = cache.facts_many(wanted)
    changed: dict[str, ModuleFacts | None] = {}
    for path in changed_paths:
        if path not in files:
            changed[path] = None
            continue
        facts = at_hand.get(path) or loaded.get(files[path])
        if facts is None:
            raise Declined(f"no facts for {path}")
        changed[path] = facts
    old = cache.facts_many(old_files[p] for p in changed_paths if p in old_files)
    previous = {path: old[old_files[path]] for path in changed_paths if old_files.get(path) in old}

    def load(paths: list[str]) -> dict[str, ModuleFacts]:
        found = {path: at_hand[path] for path in paths if path in at_hand}
        stored = cache.facts_many(files[path] for path in paths if path not in found)
        found.update((path, stored[files[path]]) for path in paths if files[path] in stored)
        return found

    return resume(state, changed, previous, load, quiet)


def _keys(files: list[SourceFile], config: Config, taint: TaintSetup, review_key: str,
          cache: "ResultCache") -> list[str | None]:
    """Each file's cache key; None for a file that cannot be read or is too
    large (its result then says so, and is not stored). A file whose stat
    signature is the one remembered with its content digest is not read;
    another file is, and its digest remembered (`secreview.cache`)."""
    from secreview.cache import content_digest, file_key, stat_signature

    known = cache.known_digests([source.abspath for source in files])
    keys: list[str | None] = []
    for source in files:
        try:
            started = time.time_ns()
            status = os.stat(source.abspath)
            # Only regular files: opening a FIFO would block, a device never ends.
            if not stat.S_ISREG(status.st_mode) or status.st_size > config.max_file_size:
                keys.append(None)
                continue
            remembered = known.get(source.abspath)
            if remembered is not None and remembered[0] == stat_signature(status):
                digest = remembered[1]
            else:
                with open(source.abspath, "rb") as handle:
                    data = handle.read()
                digest = content_digest(data)
                if len(data) == status.st_size:  # else it changed as it was read: not remembered
                    cache.remember_digest(source.abspath, status, digest, started)
        except OSError:
            keys.append(None)
            continue
        keys.append(file_key(review_key, source, digest, taint))
    return keys


def _flow_findings(result: TaintResult, rules: list[Rule], file_suppressions: dict[str, dict[int, Suppression]],
                   stats: Stats) -> tuple[list[Finding], set[tuple[str, int, str]]]:
    """Turn each flow of the solved taint step into a finding of the rule
    that owns its sink kind (flows of disabled rules are dropped). Also
    returns the sinks the engine proved clean."""
    stats.taint_functions = result.functions
    stats.taint_limits = result.bounded_functions + int(result.fixpoint_limited)
    rule_for_kind = {kind: rule for rule in rules for kind in rule.taint_kinds}
    findings: list[Finding] = []
    seen: set[tuple[str, str, int]] = set()
    for flow in result.flows:
        rule = rule_for_kind.get(flow.site.kind)
        if rule is None:
            continue
        finding = rule.flow_finding(flow)
        key = (finding.rule, finding.path, finding.line)
        if key in seen:  # two sinks of one rule on one line (`execute(text(q))`): one defect
            continue
        seen.add(key)
        by_line = file_suppressions.get(finding.path)
        if by_line:
            _suppress(by_line, [finding], [rule])
        findings.append(finding)
    return findings, result.covered


def _outside_dead_code(findings: list[Finding], dead: dict[str, list[tuple[int, int]]]) -> list[Finding]:
    """Drop findings in statements that constant conditions never run
    (`if 7 * 42 - 86 > 300:`): that code cannot be exploited."""
    if not dead:
        return findings
    return [f for f in findings
            if not any(first <= f.line <= last for first, last in dead.get(f.path, ()))]


def _merge_flows(findings: list[Finding], flows: list[Finding], covered: set[tuple[str, int, str]],
                 rule_by_id: dict[str, Rule]) -> list[Finding]:
    """A flow and a pattern finding of the same rule on the same line are one
    defect: keep the flow (it carries the evidence). A pattern finding on a
    sink the taint engine proved no untrusted data reaches is dropped."""
    taken = {(f.rule, f.path, f.line) for f in flows}
    kept = []
    for finding in findings:
        if (finding.rule, finding.path, finding.line) in taken:
            continue
        kinds = rule_by_id[finding.rule].taint_kinds
        if kinds and any((finding.path, finding.line, kind) in covered for kind in kinds):
            continue
        kept.append(finding)
    return kept + flows
