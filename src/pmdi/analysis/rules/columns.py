"""Table header mapping: which column holds the task, owner, due date, probability, impact, status...

Registers name their columns in many ways ("Likelihood", "Prob.", "P"; "Impact", "Severity", "I"), so each
role is a list of header patterns tried in order; the first column that matches takes the role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pmdi.analysis.schemas import Level

# Header names per role, best first: "Milestone" beats "Phase", "Forecast" beats "Baseline".
_ROLE_NAMES: dict[str, str] = {
    "risk": (
        "risk | risk description | risk title | risk name | risk event | risk statement | "
        "description | description of risk | threat | risk / issue | risk/issue | issue | title | "
        "summary | event | item"
    ),
    "likelihood": (
        "probability | likelihood | prob | p | l | chance | frequency | likelihood rating | "
        "probability rating"
    ),
    "severity": (
        "impact | severity | consequence | i | s | magnitude | impact rating | severity rating | impact level"
    ),
    "rating": ("risk score | score | rating | risk rating | exposure | level | risk level | rag | priority"),
    "mitigation": (
        "mitigation | mitigations | mitigation plan | mitigation strategy | mitigation actions | "
        "mitigation action | response | response plan | response strategy | risk response | "
        "contingency | treatment | controls | control | mitigation / contingency | actions | "
        "action | plan"
    ),
    "owner": (
        "owner | owners | action owner | risk owner | task owner | item owner | assigned to | "
        "assignee | responsible | who | lead | person | accountable | by whom | responsibility | "
        "point of contact | poc | dri"
    ),
    "status": (
        "status | risk status | action status | task status | state | progress | open/closed | "
        "done | complete"
    ),
    "task": (
        "action | actions | action item | action items | open action | task | tasks | "
        "task description | action description | to do | todo | next step | next steps | "
        "action required | description | item | what | activity"
    ),
    "due": (
        "due | due date | deadline | target date | by when | when | date due | due by | target | "
        "completion date | eta | date"
    ),
    "priority": ("priority | prio | urgency | importance"),
    "type": ("type | raid | raid type | log type | item type | entry type"),
    "milestone": (
        "milestone | milestones | milestone name | deliverable | deliverables | deliverable name | "
        "key date | key dates | event | release | gate | activity | name | phase | stage"
    ),
    "date": (
        "forecast | forecast date | revised date | target date | due date | planned date | date | "
        "baseline date | baseline | due | deadline | end date | finish date | finish | "
        "completion date | delivery date | go-live | scheduled date | scheduled | expected date | "
        "when | target | timing | planned"
    ),
    "decision": ("decision | decisions | decision made | decision taken | resolution | decision summary"),
}
_ROLES: dict[str, list[str]] = {
    role: [name.strip() for name in names.split("|")] for role, names in _ROLE_NAMES.items()
}
_YES_NO_HEADER = re.compile(r"^(?:done|complete|completed|closed|finished)\s*\??$", re.I)
_YES = re.compile(r"^(?:yes|y|true|x|\u2713|\u2714|\u2611)$", re.I)
_CLOSED = re.compile(
    r"^(closed|done|complete|completed|resolved|retired|cancell?ed|finished|mitigated and closed|obsolete|"
    r"no longer (a )?risk|accepted and closed|realised|realized|happened)\b",
    re.I,
)
_HIGH = re.compile(
    r"^(very high|high|h|critical|severe|major|significant|extreme|red|vh|catastrophic)\b", re.I
)
_MEDIUM = re.compile(r"^(medium|med|m|moderate|amber|yellow|possible|likely)\b", re.I)
_LOW = re.compile(
    r"^(very low|low|l|minor|negligible|insignificant|green|vl|rare|unlikely|minimal|remote)\b", re.I
)


def normalise_header(cell: str) -> str:
    text = re.sub(r"[*_#:?]+", " ", cell.lower()).replace("&", "and")
    return " ".join(text.split()).strip(" .")


def _header_forms(cell: str) -> set[str]:
    """ "Likelihood (1-5)" is "likelihood"; "Deliverable / milestone" is either."""
    name = normalise_header(cell)
    bare = " ".join(re.sub(r"\([^)]*\)", " ", name).split())
    parts = {p.strip() for p in re.split(r"\s*/\s*|\s+or\s+", bare) if p.strip()}
    return {name, bare, *parts}


def level_of(value: str, scale: int = 5) -> Level | None:
    """Low/medium/high from words, 1-5 (or 1-3) scores and percentages."""
    text = value.strip()
    if not text:
        return None
    number = re.match(r"^(\d+(?:\.\d+)?)\s*(%)?", text)
    if number:
        figure = float(number[1])
        if number[2] or figure > scale:
            figure = figure / 100 if figure > 1 else figure
            return "high" if figure >= 0.6 else "medium" if figure >= 0.3 else "low"
        if 0 < figure < 1:
            return "high" if figure >= 0.6 else "medium" if figure >= 0.3 else "low"
        if scale <= 3:
            return "high" if figure >= 3 else "medium" if figure >= 2 else "low"
        return "high" if figure >= 4 else "medium" if figure >= 3 else "low"
    for level, pattern in (("high", _HIGH), ("low", _LOW), ("medium", _MEDIUM)):
        if pattern.match(text):
            return level  # type: ignore[return-value]
    return None


@dataclass
class TableColumns:
    roles: dict[str, int]
    # The status column asks a yes/no question ("Done?", "Closed"): "Yes" there means closed.
    yes_means_closed: bool = False

    @classmethod
    def of(cls, header: tuple[str, ...] | list[str]) -> TableColumns:
        roles: dict[str, int] = {}
        forms = [_header_forms(cell) for cell in header]
        for role, names in _ROLES.items():
            index = next((i for name in names for i, f in enumerate(forms) if name in f), None)
            if index is not None:
                roles[role] = index
        status = roles.get("status")
        question = status is not None and bool(_YES_NO_HEADER.match(header[status].strip()))
        return cls(roles, question)

    def col(self, role: str) -> int | None:
        return self.roles.get(role)

    @staticmethod
    def get(row: tuple[str, ...] | list[str], index: int | None) -> str:
        if index is None or index >= len(row):
            return ""
        return row[index].strip()

    def closed(self, row: tuple[str, ...] | list[str]) -> bool:
        value = self.get(row, self.roles.get("status"))
        return bool(_CLOSED.match(value)) or (self.yes_means_closed and bool(_YES.match(value)))

    def is_risk_table(self) -> bool:
        found = self.roles.keys()
        return "risk" in found and bool({"likelihood", "severity", "mitigation", "rating"} & found)

    def is_register(self) -> bool:
        """Risks, actions, milestones or decisions: a table the analyzer reads row by row."""
        found = self.roles.keys()
        dated = "milestone" in found and "date" in found
        return self.is_risk_table() or self.looks_like_actions() or dated or "decision" in found

    def looks_like_actions(self) -> bool:
        return "task" in self.roles and bool({"owner", "due"} & self.roles.keys())

    def level(self, value: str, scale: int = 5) -> Level | None:
        return level_of(value, scale)
