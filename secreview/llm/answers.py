"""What a model must answer, as JSON schemas, and a tolerant reader for what it does answer.

The schemas are generated from pydantic models whose fields follow
`secreview.model.Finding` (line, end_line, code, CWE, severity, confidence,
message, explanation, fix), so a model's finding maps onto ours field by
field. `reasoning` comes first: models write the fields in schema order, so
they reason before they conclude.

Providers that support it get the schema as a constrained response format;
the others get it in the prompt. Either way the answer is read by
`read_answer`, which tolerates Markdown fences, prose around the JSON,
`"CWE-89"` for `89`, capitalised enums and a missing `end_line`, and says
exactly what is wrong when the answer cannot be used (for one repair retry).
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from secreview.model import Confidence, Severity

# Longest answer read at all (characters): beyond this a model is rambling
# or hostile, and parsing it would only cost memory.
MAX_ANSWER_CHARS = 200_000
# Most findings taken from one answer about one chunk of code.
MAX_FINDINGS = 40

SeverityLabel = Literal[tuple(s.label for s in Severity)]  # type: ignore[valid-type]
ConfidenceLabel = Literal[tuple(c.label for c in Confidence)]  # type: ignore[valid-type]


class _Strict(BaseModel):
    # additionalProperties: false, as OpenAI's strict JSON-schema mode requires.
    model_config = ConfigDict(extra="forbid")


class ModelFinding(_Strict):
    line: int = Field(description="First line of the defective code, as numbered in the listing.")
    end_line: int = Field(description="Last line of the defective code (the same as line for one line).")
    code: str = Field(description="The code on those lines, copied exactly from the listing (without line numbers).")
    cwe: int = Field(description="The CWE number of the weakness, e.g. 89 for SQL injection.")
    severity: SeverityLabel = Field(description="How bad the defect is if exploited.")  # type: ignore[valid-type]
    confidence: ConfidenceLabel = Field(description="How sure you are that it is a real, exploitable defect.")  # type: ignore[valid-type]
    message: str = Field(description="One sentence naming the defect.")
    explanation: str = Field(description="How an attacker exploits it here, naming the code involved.")
    fix: str = Field(description="The concrete change that removes the defect.")


class ReviewAnswer(_Strict):
    reasoning: str = Field(description="Step-by-step reasoning about the code, before any conclusion.")
    verdict: Literal["defects", "clean"] = Field(description="'clean' when findings is empty, else 'defects'.")
    findings: list[ModelFinding]


class VerifyAnswer(_Strict):
    reasoning: str = Field(description="Step-by-step check of the claimed defect against the code.")
    real: bool = Field(description="True only if the defect is real and reachable in this code.")
    confidence: float = Field(description="Probability between 0 and 1 that the defect is real.")
    reason: str = Field(description="One sentence saying why.")


class TriageAnswer(_Strict):
    reasoning: str = Field(description="Step-by-step check of the static finding against the code.")
    verdict: Literal["confirmed", "false_positive"]
    reason: str = Field(description="One sentence saying why; for a false positive, what makes the code safe.")


Answer = TypeVar("Answer", bound=BaseModel)


def schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema a provider is asked to follow (OpenAI strict-mode
    compatible), without pydantic's titles: they cost tokens and say nothing
    the property names do not."""
    return _without_titles(model.model_json_schema())


def _without_titles(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_titles(v) for k, v in node.items()
                if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_without_titles(v) for v in node]
    return node


class AnswerError(ValueError):
    """The model's answer cannot be used; the message says why in a way the
    model itself can act on (it is sent back for the repair retry)."""


_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.S)
# Possessive runs: with `\s*` and `[-_ :]*` free to share the blanks, a
# long run of them (a model's answer can hold anything) took the square of
# its length to give up on.
_CWE_TEXT = re.compile(r"(?i)^\s*+(?:cwe)?[-_ :]*+(\d{1,5})\s*$")


def read_answer(text: str | None, model: type[Answer]) -> Answer:
    """The answer as `model`, or AnswerError."""
    if text is None or not text.strip():
        raise AnswerError("the answer was empty")
    if len(text) > MAX_ANSWER_CHARS:
        raise AnswerError(f"the answer was {len(text):,} characters long; answer with the JSON object only")
    data = _first_object(text)
    if data is None:
        raise AnswerError("the answer held no JSON object; answer with the JSON object only, no prose")
    data = _normalise(data, model)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in err['loc']) or 'answer'}: {err['msg']}"
                             for err in exc.errors()[:5])
        raise AnswerError(f"the JSON does not follow the schema ({problems})") from None


def _first_object(text: str) -> dict[str, Any] | None:
    """The first JSON object in `text`: inside a fence, or anywhere."""
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    decoder = json.JSONDecoder()
    for candidate in candidates:
        start = candidate.find("{")
        while start != -1:
            try:
                value, _ = decoder.raw_decode(candidate, start)
            except json.JSONDecodeError:
                start = candidate.find("{", start + 1)
                continue
            if isinstance(value, dict):
                return value
            start = candidate.find("{", start + 1)
    return None


def _normalise(data: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """Forgive what a model gets wrong without changing what it means."""
    if model is ReviewAnswer:
        findings = data.get("findings")
        if isinstance(findings, list):
            data["findings"] = [_normalise_finding(f) for f in findings[:MAX_FINDINGS]]
            if "verdict" not in data:
                data["verdict"] = "defects" if data["findings"] else "clean"
        data.setdefault("reasoning", "")
    for key in ("verdict",):
        if isinstance(data.get(key), str):
            data[key] = data[key].strip().lower().replace(" ", "_").replace("-", "_") \
                if model is TriageAnswer else data[key].strip().lower()
    if model is VerifyAnswer and isinstance(data.get("confidence"), (int, float)) and data["confidence"] > 1:
        data["confidence"] = data["confidence"] / 100  # "85" meant 85 %
    data.setdefault("reasoning", "")
    return data


def _normalise_finding(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    cwe = item.get("cwe")
    if isinstance(cwe, str):
        match = _CWE_TEXT.match(cwe)
        if match:
            item["cwe"] = int(match.group(1))
    for key in ("severity", "confidence"):
        if isinstance(item.get(key), str):
            item[key] = item[key].strip().lower()
    if "end_line" not in item and isinstance(item.get("line"), int):
        item["end_line"] = item["line"]
    return item
