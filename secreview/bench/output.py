"""The scorecard as text, Markdown, JSON and a PNG chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from secreview.bench import BenchResult


def _num(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _count(value: int | None) -> str:
    return "-" if value is None else str(value)


_COLUMNS = ("TP", "FP", "FN", "TN", "precision", "recall", "F1", "F2")


def _row(name: str, metrics: dict[str, Any], file_level: bool) -> list[str]:
    cells = [name, _count(metrics["tp"]), _count(metrics["fp"]), _count(metrics["fn"]), _count(metrics["tn"]),
             _num(metrics["precision"]), _num(metrics["recall"]), _num(metrics["f1"]), _num(metrics["f2"])]
    if file_level:
        cells += [_num(metrics.get("tpr")), _num(metrics.get("fpr")), _num(metrics.get("score"))]
    return cells


def tables(data: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) for the tools table and one table per scored
    tool, from `BenchResult.to_dict()`."""
    file_level = data["data_set"]["level"] == "file"
    header = ["tool", "status", "wall (s)", "peak (MiB)", "wall vs secreview", "findings", "precision", "recall",
              "F1", "F2"] + (["TPR - FPR"] if file_level else [])
    rows = []
    for tool in data["tools"]:
        pooled = (tool.get("score") or {}).get("pooled") or {}
        status = tool["status"] + (f" ({tool['detail']})" if tool["detail"] else "")
        rows.append([f"{tool['name']} {tool['version']}".strip(), status, _num(tool["wall_seconds"], 1),
                     _num(tool["peak_mib"], 0), _num(tool.get("wall_vs_secreview"), 2) + "x"
                     if tool.get("wall_vs_secreview") is not None else "-", str(tool["findings"]),
                     _num(pooled.get("precision")), _num(pooled.get("recall")), _num(pooled.get("f1")),
                     _num(pooled.get("f2"))] + ([_num(pooled.get("score"))] if file_level else []))
    out = [("Tools", header, rows)]
    group_header = ["CWE" if not file_level else "category", *_COLUMNS] + (
        ["TPR", "FPR", "TPR - FPR"] if file_level else [])
    for tool in data["tools"]:
        score = tool.get("score")
        if not score:
            continue
        body = [_row(name if not file_level else f"{name} (CWE-{g['cwe']})", g, file_level)
                for name, g in score["groups"].items()]
        body.append(_row("pooled", score["pooled"], file_level))
        out.append((f"{tool['name']}: per {'category' if file_level else 'CWE'}", group_header, body))
    return out


def text(result: BenchResult) -> str:
    data = result.to_dict()
    lines = [_describe(data), ""]
    for title, header, rows in tables(data):
        widths = [max(len(str(c)) for c in col) for col in zip(header, *rows)]
        lines.append(title)
        lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths)))
        lines.extend("  ".join(str(c).ljust(w) for c, w in zip(row, widths)) for row in rows)
        lines.append("")
    lines.append(_mapping_line(data))
    return "\n".join(lines).rstrip() + "\n"


def markdown(result: BenchResult) -> str:
    data = result.to_dict()
    lines = [_describe(data), ""]
    for title, header, rows in tables(data):
        lines += [f"**{title}**", "", "| " + " | ".join(header) + " |",
                  "|" + "|".join(" --- " for _ in header) + "|"]
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
        lines.append("")
    lines.append(_mapping_line(data))
    return "\n".join(lines).rstrip() + "\n"


def _describe(data: dict[str, Any]) -> str:
    d = data["data_set"]
    negatives = d["labels"] - d["vulnerable"]
    kind = ("files (manifest)" if d["level"] == "file"
            else f"line labels (truth; a finding matches within {d['line_tolerance']} lines)")
    return (f"Data set: {d['source']} on {d['root']}: {d['labels']} {kind}, {d['vulnerable']} vulnerable, "
            f"{negatives} safe.")


def _mapping_line(data: dict[str, Any]) -> str:
    parts = [f"CWE-{cwe} ~ {', '.join(f'CWE-{o}' for o in others)}"
             for cwe, others in data["cwe_equivalence"].items() if others]
    return ("CWE equivalence used (parent or child in the catalogue): "
            + ("; ".join(parts) if parts else "none needed (every CWE matched only itself)") + ".")


def chart(result: BenchResult, path: Path) -> None:
    """Recall against false positive rate, one point per tool and group."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 6), dpi=100)
    markers = {"secreview": "o", "bandit": "s", "semgrep": "^"}
    for name, score in result.scores.items():
        scored = score.to_dict()
        xs, ys = [], []
        for metrics in scored["groups"].values():
            if metrics["fpr"] is not None and metrics["recall"] is not None:
                xs.append(metrics["fpr"])
                ys.append(metrics["recall"])
        pooled = scored["pooled"]
        ax.scatter(xs, ys, marker=markers.get(name, "x"), alpha=0.45, label=f"{name} (per group)")
        if pooled.get("fpr") is not None and pooled.get("recall") is not None:
            ax.scatter([pooled["fpr"]], [pooled["recall"]], marker=markers.get(name, "x"), s=160,
                       edgecolors="black", label=f"{name} (pooled)")
    ax.plot([0, 1], [0, 1], linestyle=":", color="grey", linewidth=1)  # the guessing line
    ax.set_xlim(-0.03, 1.03)
    ax.set_ylim(-0.03, 1.03)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("recall (true positive rate)")
    ax.set_title("Recall vs false positive rate per tool and " + (
        "category" if result.data.level == "file" else "CWE"))
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def write(result: BenchResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = [out / "results.json", out / "results.md", out / "chart.png"]
    written[0].write_text(json.dumps(result.to_dict(), indent=2) + "\n", encoding="utf-8")
    written[1].write_text(markdown(result), encoding="utf-8")
    chart(result, written[2])
    return written
