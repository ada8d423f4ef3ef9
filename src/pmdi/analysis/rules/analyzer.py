"""The offline analyzer: rules over the extracted block structure, no network and no model downloads."""

from __future__ import annotations

from pmdi.analysis.rules import people as people_rules
from pmdi.analysis.rules.actions import find_actions
from pmdi.analysis.rules.dates import DateContext, infer_day_first
from pmdi.analysis.rules.decisions import find_decisions
from pmdi.analysis.rules.docdate import document_date
from pmdi.analysis.rules.doctype import classify
from pmdi.analysis.rules.evidence import EvidenceMaker
from pmdi.analysis.rules.milestones import find_milestones
from pmdi.analysis.rules.risks import find_risks
from pmdi.analysis.rules.structure import build
from pmdi.analysis.rules.summary import summarise
from pmdi.analysis.schemas import Analysis, DocumentType, Evidence, Item
from pmdi.config import AnalysisSettings
from pmdi.extraction.model import ExtractedDocument

# Items found only in prose ("X will ...", "... was approved") carry at most this confidence.
PROSE_CONFIDENCE = 0.6


class RulesAnalyzer:
    name = "rules"

    def analyze(self, document: ExtractedDocument, *, filename: str = "") -> Analysis:
        structure = build(document)
        day_first = infer_day_first(document.text, document.metadata.language)
        ctx = DateContext(document_date(document, filename, day_first), day_first)
        evidence = EvidenceMaker(document)
        people = people_rules.collect(structure)
        actions = find_actions(structure, people, ctx, evidence)
        document_type = classify(structure, filename, len(actions))
        summary, points = summarise(structure)
        analysis = Analysis(
            document_type=document_type,
            document_date=ctx.reference,
            summary=summary,
            summary_points=points,
            analyzer=self.name,
        )
        if document_type is DocumentType.OTHER:
            # Prose in non-PM documents (press releases, specs) makes no PM items; explicit markers
            # ("ACTION:", "- [ ]", an "Action items" list) mean the same anywhere.
            analysis.action_items = [a for a in actions if a.confidence > PROSE_CONFIDENCE]
            return analysis
        analysis.action_items = actions
        found = find_risks(structure, people, evidence)
        analysis.risks = [r for r in found if r.category == "risk"]
        analysis.raid = [r for r in found if r.category != "risk"]
        analysis.decisions = find_decisions(structure, people, evidence)
        analysis.milestones = find_milestones(structure, ctx, evidence)
        if document_type is DocumentType.STATEMENT_OF_WORK:
            # A contract's "the contractor will..." are obligations, not tasks or decisions of a meeting.
            analysis.action_items = [a for a in actions if a.confidence > PROSE_CONFIDENCE]
            analysis.decisions = [d for d in analysis.decisions if d.confidence > PROSE_CONFIDENCE]
            analysis.risks = [r for r in analysis.risks if r.confidence > PROSE_CONFIDENCE]
        # A line that assigns work is an action; "approved" or a date in it does not also make it a
        # decision or a milestone unless it sits in a decision list or a schedule.
        taken = [a.evidence for a in analysis.action_items if a.evidence is not None]
        analysis.decisions = [
            d for d in analysis.decisions if d.confidence > PROSE_CONFIDENCE or not _overlaps(d, taken)
        ]
        due = [(a.evidence, a.due_date) for a in analysis.action_items if a.evidence is not None]
        analysis.milestones = [
            m
            for m in analysis.milestones
            if m.confidence > 0.5 or not _overlaps(m, [e for e, d in due if d == m.date])
        ]
        owners = [a.owner for a in analysis.action_items if a.owner] + [
            r.owner for r in analysis.risks if r.owner
        ]
        analysis.people = people.listing(owners)
        return analysis


def _overlaps(item: Item, spans: list[Evidence]) -> bool:
    evidence = item.evidence
    return evidence is not None and any(s.start < evidence.end and evidence.start < s.end for s in spans)


def create(settings: AnalysisSettings) -> RulesAnalyzer:
    """The registry's factory; the rules need no settings."""
    return RulesAnalyzer()
