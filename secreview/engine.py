"""The review, start to finish, as a library call: targets -> units ->
analysers -> findings -> triage -> `Report`. Never prints, never exits.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterable

from secreview.config import Config
from secreview.model import FileError, Finding, Report, Stats
from secreview.python.context import FileContext
from secreview.python.source import ParsedModule, SourceError, parse_source, read_source
from secreview.rules import Rule, all_rules
from secreview.targets.paths import SourceFile, discover, review_root
from secreview.triage.suppress import find_suppression, suppressions
from secreview.triage.testcode import is_test_path

# progress(done, total, path)
ProgressCallback = Callable[[int, int, str], None]


class ReviewError(Exception):
    """The review as a whole could not run (bad configuration, unknown rule)."""


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
    findings: list[Finding] = []
    failures: list[str] = []
    for rule in rules:
        try:
            findings.extend(rule.check(ctx))
        except RecursionError:
            raise
        except Exception as exc:  # a defect in one rule must not end the review
            failures.append(f"{rule.id} ({type(exc).__name__}: {exc})")
    if failures:
        raise RuleFailure(failures, findings)
    return findings


def review_file(source: SourceFile, rules: list[Rule], config: Config) -> FileResult:
    result = FileResult(source.path)
    try:
        text = read_source(source.abspath, config.max_file_size)
        module = parse_source(text, source.path)
        result.used_fallback = module.used_fallback
        ctx = FileContext(module, is_test=is_test_path(source.path))
        result.functions = ctx.function_count
        result.findings = analyse_module(module, rules, ctx.is_test, ctx)
    except SourceError as exc:
        result.error = FileError(source.path, exc.reason)
        return result
    except RecursionError:
        result.error = FileError(source.path, "nesting too deep to analyse (recursion limit reached)")
        return result
    except RuleFailure as exc:
        result.error = FileError(source.path, str(exc))
        result.findings = exc.findings
    _apply_suppressions(module, result.findings, rules)
    result.lines = len(module.lines)
    return result


def _apply_suppressions(module: ParsedModule, findings: list[Finding], rules: list[Rule]) -> None:
    if not findings:
        return
    by_line = suppressions(module.comments)
    rule_by_id = {r.id: r for r in rules}
    for finding in findings:
        rule = rule_by_id[finding.rule]
        first, last = finding.span if finding.span != (0, 0) else (finding.line, finding.end_line)
        sup = find_suppression(by_line, first, last, rule.id, rule.bandit_ids)
        if sup is not None:
            finding.suppressed_by = f"line {sup.line}: {sup.text}"


def _number_repeats(findings: list[Finding]) -> None:
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
) -> Report:
    """Review every Python file under `targets` and return the report."""
    config = config or Config()
    started = time.perf_counter()
    rules = select_rules(config)
    root = root or review_root(targets)
    found = discover(targets or ["."], root, list(config.exclude))
    rule_by_id = {r.id: r for r in rules}

    report = Report(root=root, rules_run=[r.id for r in rules],
                    rule_severity={r.id: config.severity_overrides.get(r.id, r.severity) for r in rules})
    report.errors.extend(found.errors)
    stats = Stats(files_excluded=found.excluded)
    total = len(found.files)
    if total == 0 and not found.errors:
        # Reviewing nothing must not read as "no defects": a mistyped path or
        # an exclude that matches everything would otherwise pass silently.
        where = ", ".join(targets or ["."])
        report.errors.append(FileError(where, "no Python files to review under this path "
                                       f"({found.excluded} excluded by configuration)"
                                       if found.excluded else "no Python files to review under this path"))
    for done, source in enumerate(found.files, start=1):
        result = review_file(source, rules, config)
        if progress is not None:
            progress(done, total, source.path)
        if result.error is not None:
            report.errors.append(result.error)
        else:
            stats.files_analyzed += 1
            stats.functions_analyzed += result.functions
            stats.lines_analyzed += result.lines
            stats.files_fallback_parser += int(result.used_fallback)
        _number_repeats(result.findings)
        for finding in result.findings:
            override = config.severity_overrides.get(finding.rule)
            if override is not None:
                finding.severity = override
            rule = rule_by_id[finding.rule]
            if finding.suppressed_by is not None:
                report.suppressed.append(finding)
            elif finding.in_test and rule.harmless_in_tests and not config.include_tests:
                report.hidden_in_tests.append(finding)
            else:
                report.findings.append(finding)
    stats.files_skipped = len(report.errors)
    stats.suppressed = len(report.suppressed)
    stats.hidden_in_tests = len(report.hidden_in_tests)
    for bucket in (report.findings, report.suppressed, report.hidden_in_tests):
        bucket.sort(key=Finding.sort_key)
    report.errors.sort(key=lambda e: e.path)
    stats.seconds = time.perf_counter() - started
    report.stats = stats
    return report
