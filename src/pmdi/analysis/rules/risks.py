"""Risks: register tables (XLSX/CSV/Markdown) read row by row through their column names, items under a
"Risks" heading, and risk statements in prose ("RISK: ...", "there is a risk that ...", "could delay ...")."""

from __future__ import annotations

import re

from pmdi.analysis.rules.columns import TableColumns, level_of
from pmdi.analysis.rules.evidence import EvidenceMaker
from pmdi.analysis.rules.people import People, is_group
from pmdi.analysis.rules.structure import Section, Structure, Unit, normalised, unique, visit
from pmdi.analysis.rules.tasks import first_owner, split_owner
from pmdi.analysis.schemas import Level, Risk

# "RISK:", "Risk (high):", "R3 -", "One risk on our side:", "Risk raised by Priya:", "Key risk:".
_PREFIX = re.compile(
    r"^\**(?:(?:[\w']+\s+){0,4}?(?:risks?|raid)(?:\s+\d+)?|r\d+)\**"
    r"(?:\s+(?:raised|identified|noted|flagged)(?:\s+by\s+[^:]{1,40})?|\s+on [^:]{1,30})?"
    r"\s*(?:\((?P<level>[\w ]{1,12})\))?\s*[:\-\u2013\u2014]+\s*(?P<t>\S.*)$",
    re.I,
)
_ASSUMPTION = re.compile(r"\b(?:assum(?:e|es|ed|ing|ption)|dependency|depends on)\b", re.I)
_HARM = (
    r"delay|slip|impact|jeopardi[sz]e|derail|affect|push back|push|block|prevent|miss|raise|increase|exceed|"
    r"overrun|lose|fail|break|leave|quit|withdraw|run out|be late|be delayed|be cut|cause|hit|"
    r"not be (?:ready|available|delivered|met)"
)
_PROSE = re.compile(
    r"\b(?:there (?:is|'s|\u2019s|remains) (?:a|an|some|the)? ?(?:\w+ )?risk (?:that|of)|risk (?:that|of)|"
    rf"(?:is|are|puts?\s+\w+) at risk|(?<!\bwe )(?<!\bi )(?<!\byou )(?:could|may|might)(?: also)? (?:not )?"
    rf"(?:{_HARM})\b|"
    r"(?:risks?|threatens?) (?:delaying|slipping|missing)|concern(?:ed)? (?:that|about) .{0,40}"
    r"(?:delay|slip|miss|late|capacity|availability|budget))",
    re.I,
)
_NOT_RISK = re.compile(
    r"\b(?:no (?:major |significant )?risks?|risk register|risks? (?:were|was) (?:closed|retired)|"
    r"low[- ]risk change)\b|^risks?( and issues| & issues)?:?$",
    re.I,
)
_MITIGATION = re.compile(
    r"\b(?:mitigation|mitigate[ds]?|mitigating|contingency|plan)\s*(?:is|by|:|-)\s*(?P<m>[^.;]+)", re.I
)
# Severity only from words about the risk ("high impact", "(medium)", "critical"), not "stays this high".
_SEVERITY_WORDS: list[tuple[Level, re.Pattern[str]]] = [
    ("high", re.compile(r"\b(?:high|critical|major|severe|serious)[- ](?:risk|impact|severity|priority)\b|"
                        r"\b(?:impact|severity)\s*(?:is|:)?\s*(?:high|critical|major)\b|[(\[](?:high|h|critical)"
                        r"[)\]]|\b(?:critical|showstopper|severe)\b", re.I)),
    ("medium", re.compile(r"\b(?:medium|moderate)[- ](?:risk|impact|severity|priority)\b|"
                          r"\b(?:impact|severity)\s*(?:is|:)?\s*(?:medium|moderate)\b|[(\[](?:medium|med|m)[)\]]",
                          re.I)),
    ("low", re.compile(r"\b(?:low|minor)[- ](?:risk|impact|severity|priority)\b|"
                       r"\b(?:impact|severity)\s*(?:is|:)?\s*(?:low|minor)\b|[(\[](?:low|l)[)\]]", re.I)),
]  # fmt: skip
_LIKELIHOOD_WORDS: list[tuple[Level, re.Pattern[str]]] = [
    ("high", re.compile(r"\b(likely|probable|almost certain|expected to)\b", re.I)),
    ("low", re.compile(r"\b(unlikely|remote|improbable)\b", re.I)),
    ("medium", re.compile(r"\b(possible|possibly)\b", re.I)),
]
_MAX_RISK_CHARS = 400
_NOT_RISK_TYPE = re.compile(r"^(issue|i|assumption|a|dependency|d|decision|action|change)\b", re.I)
# The other RAID rows of a register, kept with their category ("A" is an assumption, "D" a dependency).
_RAID_CATEGORY = {"i": "issue", "issue": "issue", "a": "assumption", "assumption": "assumption",
                  "d": "dependency", "dependency": "dependency"}  # fmt: skip


def _word_level(text: str, table: list[tuple[Level, re.Pattern[str]]]) -> Level | None:
    lowered = re.sub(r"\bunlikely\b", "", text, flags=re.I) if table is _SEVERITY_WORDS else text
    for level, pattern in table:
        if pattern.search(lowered):
            return level
    return None


def _scale(rows: list[Unit], index: int | None) -> int:
    """1-3 registers exist besides 1-5 ones: the largest score in the column tells which."""
    values = [TableColumns.get(u.row, index) for u in rows]
    numbers = [float(v) for v in values if re.fullmatch(r"\d+(?:\.\d+)?", v)]
    return 3 if numbers and max(numbers) <= 3 else 5


class RiskFinder:
    def __init__(self, structure: Structure, people: People, evidence: EvidenceMaker) -> None:
        self.structure, self.people, self.evidence = structure, people, evidence

    def run(self) -> list[Risk]:
        risks = visit(self.structure, self._table, self._one)
        return unique(risks, lambda risk: normalised(risk.text))

    def _one(self, unit: Unit) -> list[Risk]:
        risk = self._unit(unit)
        return [] if risk is None else [risk]

    def _rows(self, first: Unit) -> list[Unit]:
        return [u for u in self.structure.units if u.block is first.block and u.kind == "row"]

    def _table(self, first: Unit) -> list[Risk]:
        columns = TableColumns.of(first.header)
        if columns.col("risk") is None:
            return []
        in_section = first.section is Section.RISKS or "risk" in " ".join(first.header).lower()
        if not (columns.is_risk_table() or in_section):
            return []
        rows = self._rows(first)
        scales = {role: _scale(rows, columns.col(role)) for role in ("likelihood", "severity", "rating")}
        return [risk for row in rows if (risk := self._row(row, columns, scales)) is not None]

    def _row(self, unit: Unit, columns: TableColumns, scales: dict[str, int]) -> Risk | None:
        row = unit.row
        text = columns.get(row, columns.col("risk"))
        kind = _NOT_RISK_TYPE.match(columns.get(row, columns.col("type")))
        category = _RAID_CATEGORY.get(kind[1].lower()) if kind else "risk"
        if not text or columns.closed(row) or category is None:
            return None
        severity = level_of(columns.get(row, columns.col("severity")), scales["severity"])
        likelihood = level_of(columns.get(row, columns.col("likelihood")), scales["likelihood"])
        if severity is None and likelihood is None:
            severity = level_of(columns.get(row, columns.col("rating")), scales["rating"])
        owner_cell = columns.get(row, columns.col("owner"))
        owner = (
            None if not owner_cell or is_group(owner_cell) else self.people.resolve(first_owner(owner_cell))
        )
        mitigation = columns.get(row, columns.col("mitigation")) or None
        return Risk(
            text=text[:_MAX_RISK_CHARS],
            severity=severity,
            likelihood=likelihood,
            owner=owner,
            mitigation=mitigation,
            evidence=self.evidence.make(unit.start, unit.end),
            confidence=0.9,
            category=category,
        )

    def _unit(self, unit: Unit) -> Risk | None:
        text = unit.text
        if len(text) > _MAX_RISK_CHARS * 2 or _NOT_RISK.search(text) or unit.section is Section.DONE:
            return None
        prefixed = _PREFIX.match(text)
        if prefixed and not re.match(r"(?i)(?:no|low|any)\b", text):
            risk = self._make(unit, prefixed["t"], 0.85)
            risk.severity = level_of(prefixed["level"] or "") or risk.severity
            return risk
        if unit.section is Section.RISKS and unit.kind in ("item", "sentence") and not text.endswith(":"):
            return None if _ASSUMPTION.search(text) else self._make(unit, text, 0.7)
        if _PROSE.search(text) and not text.endswith("?"):
            return self._make(unit, text, 0.55)
        return None

    def _next_sentence(self, unit: Unit) -> str:
        """The sentence after a risk often rates or mitigates it ("Hannah rates it low impact")."""
        units = self.structure.units
        index = units.index(unit)
        following = units[index + 1] if index + 1 < len(units) else None
        if following is None or following.block is not unit.block or _PREFIX.match(following.text):
            return ""
        return following.text

    def _make(self, unit: Unit, text: str, confidence: float) -> Risk:
        after = self._next_sentence(unit)
        context = f"{text} {after}"
        inline = _MITIGATION.search(text)
        mitigation = inline or _MITIGATION.search(after)
        body = text[: inline.start()].rstrip(" ;,.-\u2013") if inline and inline.start() > 10 else text
        written, body = split_owner(body)
        owner = self.people.resolve(first_owner(written)) if written and not is_group(written) else None
        if written and owner is None:
            body = text if not mitigation else body
        return Risk(
            text=body.strip()[:_MAX_RISK_CHARS],
            severity=_word_level(context, _SEVERITY_WORDS),
            likelihood=_word_level(text, _LIKELIHOOD_WORDS),
            owner=owner,
            mitigation=mitigation["m"].strip() if mitigation else None,
            evidence=self.evidence.make(unit.start, unit.end),
            confidence=confidence,
        )


def find_risks(structure: Structure, people: People, evidence: EvidenceMaker) -> list[Risk]:
    return RiskFinder(structure, people, evidence).run()
