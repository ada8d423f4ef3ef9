"""The LLM analyzer: every part of the document through the model (map), then merged, de-duplicated and
grounded in the extracted text (reduce). Document type and date come from the offline rules, which are also
the fallback, with the reason recorded, whenever the model cannot be used."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from pydantic import ValidationError

from pmdi.analysis.llm import chunks, prompts
from pmdi.analysis.llm.grounding import instruction_spans, locate
from pmdi.analysis.llm.output import SCHEMA, PartAnalysis, Quoted
from pmdi.analysis.rules.analyzer import RulesAnalyzer
from pmdi.analysis.rules.evidence import EvidenceMaker
from pmdi.analysis.rules.structure import normalised, unique
from pmdi.analysis.schemas import ActionItem, Analysis, Decision, Item, Milestone, Risk
from pmdi.config import AnalysisSettings, LLMSettings, ProviderSettings
from pmdi.extraction.model import ExtractedDocument
from pmdi.llm.base import LLMProvider, get_provider
from pmdi.llm.errors import LLMError, LLMOutputInvalid

GROUNDED_CONFIDENCE, UNGROUNDED_CONFIDENCE = 0.8, 0.2
MAX_SUMMARY_POINTS = 6


@dataclass
class Usage:
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    seconds: float = 0.0
    parts: int = 0
    ungrounded: int = 0
    untrusted: int = 0  # items read from text that addresses a model ("ignore previous instructions ...")
    per_call: list[dict[str, Any]] = field(default_factory=list)


class LLMAnalyzer:
    name = "llm"

    def __init__(self, settings: AnalysisSettings) -> None:
        self.settings: LLMSettings = settings.llm
        self.rules = RulesAnalyzer()

    def analyze(self, document: ExtractedDocument, *, filename: str = "") -> Analysis:
        """Each provider of the chain in turn; the first that reads every part wins. Calls spent on
        failed attempts are still counted: they were paid for."""
        baseline = self.rules.analyze(document, filename=filename)
        parts = chunks.split(document, self.settings.chunk_chars, self.settings.chunk_overlap_chars)
        usage, failures = Usage(parts=len(parts)), []
        for provider_settings in self.settings.chain():
            try:
                reader = _PartReader(
                    get_provider(provider_settings), provider_settings, baseline, filename, usage
                )
                read = [reader.read(part, index, len(parts)) for index, part in enumerate(parts)]
            except LLMError as exc:
                failures.append(_failure(provider_settings, exc))
                continue
            analysis = _Reducer(document, self.settings, usage).reduce(baseline, parts, read)
            self._record(analysis, provider_settings, usage, failures, fallback=False)
            return analysis
        self._record(baseline, self.settings, usage, failures, fallback=True)
        return baseline

    def _record(
        self,
        analysis: Analysis,
        used: ProviderSettings,
        usage: Usage,
        failures: list[dict[str, str]],
        *,
        fallback: bool,
    ) -> None:
        analysis.analyzer = f"{self.rules.name} (fallback from {self.name})" if fallback else self.name
        usage.cost_usd = round(usage.cost_usd, 6)
        analysis.llm = {  # type: ignore[attr-defined]  # an extra field of the contract
            "provider": used.provider,
            "model": used.model,
            "prompt_version": prompts.VERSION,
            **asdict(usage),
            "fallback": failures[-1] if fallback and failures else None,
            "attempts": failures,
        }


class _PartReader:
    """One provider reading the parts: schema-checked answers, one repair each, usage and cost counted."""

    def __init__(
        self,
        provider: LLMProvider,
        settings: ProviderSettings,
        baseline: Analysis,
        filename: str,
        usage: Usage,
    ) -> None:
        self.provider, self.settings, self.usage = provider, settings, usage
        self.filename, self.document_date = filename or "unknown", baseline.document_date or "unknown"

    def read(self, part: chunks.Chunk, index: int, total: int) -> PartAnalysis:
        user = prompts.prompt("analyze-v1.user").format(
            filename=self.filename,
            document_date=self.document_date,
            part=index + 1,
            parts=total,
            start=part.start,
            end=part.end,
            text=prompts.fence(part.text),
        )
        answer = self._call(user)
        try:
            return PartAnalysis.model_validate_json(answer)
        except ValidationError as first:
            note = prompts.prompt("repair-v1.user").format(error=_brief(first), answer=answer[:20_000])
            try:  # the part again: a fresh call has no memory of the first
                return PartAnalysis.model_validate_json(self._call(f"{user}\n\n{note}"))
            except ValidationError as second:
                raise LLMOutputInvalid(f"part {index + 1}: {_brief(second)}") from second

    def _call(self, user: str) -> str:
        completion = self.provider.complete(prompts.prompt("analyze-v1.system"), user, SCHEMA)
        usage, prices = self.usage, self.settings
        usage.calls += 1
        usage.tokens_in += completion.tokens_in
        usage.tokens_out += completion.tokens_out
        usage.seconds += completion.seconds
        cost = (
            completion.tokens_in * prices.usd_per_million_input_tokens
            + completion.tokens_out * prices.usd_per_million_output_tokens
        ) / 1_000_000
        usage.cost_usd += cost
        usage.per_call.append(
            {
                "provider": prices.provider,
                "model": prices.model,
                "tokens_in": completion.tokens_in,
                "tokens_out": completion.tokens_out,
                "seconds": round(completion.seconds, 3),
                "cost_usd": round(cost, 6),
            }
        )
        return completion.text


def _failure(settings: ProviderSettings, exc: LLMError) -> dict[str, str]:
    detail = str(exc)
    if settings.api_key is not None:  # an SDK error may echo the key; the record is served by the API
        detail = detail.replace(settings.api_key.get_secret_value(), "[redacted]")
    return {
        "provider": settings.provider,
        "model": settings.model,
        "reason": exc.reason,
        "detail": detail[:500],
    }


class _Reducer:
    def __init__(self, document: ExtractedDocument, settings: LLMSettings, usage: Usage) -> None:
        self.text, self.settings, self.usage = document.text, settings, usage
        self.evidence = EvidenceMaker(document)
        self.untrusted = instruction_spans(document.text)

    def reduce(self, baseline: Analysis, parts: list[chunks.Chunk], read: list[PartAnalysis]) -> Analysis:
        self.usage.parts = len(parts)
        analysis = baseline.model_copy(deep=True)
        pairs = list(zip(parts, read, strict=True))
        points = unique((p for _, r in pairs for p in r.summary_points), normalised)[:MAX_SUMMARY_POINTS]
        analysis.summary, analysis.summary_points = " ".join(points[:3]) or baseline.summary, points
        analysis.action_items = self._items(pairs, "action_items", ActionItem, "text")
        analysis.risks = self._items(pairs, "risks", Risk, "text")
        analysis.decisions = self._items(pairs, "decisions", Decision, "text")
        analysis.milestones = self._items(pairs, "milestones", Milestone, "name")
        owners = [a.owner for a in analysis.action_items if a.owner]
        owners += [r.owner for r in analysis.risks if r.owner]
        names = [n for _, r in pairs for n in r.people] + owners + baseline.people
        analysis.people = unique((n.strip() for n in names), normalised)
        return analysis

    def _items(
        self, pairs: list[tuple[chunks.Chunk, PartAnalysis]], kind: str, model: type[Item], key: str
    ) -> Any:
        made = [
            item
            for part, result in pairs
            for found in getattr(result, kind)
            if (item := self._ground(found, model, (part.start, part.end))) is not None
        ]
        return unique(made, lambda item: normalised(getattr(item, key)))

    def _ground(self, found: Quoted, model: type[Item], near: tuple[int, int]) -> Item | None:
        fields = found.model_dump(exclude={"quote"})
        span = locate(self.text, found.quote, near)
        if span is None:
            self.usage.ungrounded += 1
            if self.settings.ungrounded == "drop":
                return None
            return model(**fields, confidence=UNGROUNDED_CONFIDENCE, ungrounded=True, quote=found.quote)
        if any(start < span[1] and span[0] < end for start, end in self.untrusted):
            self.usage.untrusted += 1
            return None
        return model(**fields, evidence=self.evidence.make(*span), confidence=GROUNDED_CONFIDENCE)


def _brief(error: ValidationError) -> str:
    return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()[:5])[:800]
