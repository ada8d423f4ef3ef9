"""One task line taken apart: who owns it, what is to be done (as a short imperative), when, how urgent."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pmdi.analysis.rules.dates import DateContext, FoundDate, due_date
from pmdi.analysis.rules.people import EMAIL, HANDLE, INITIALS, NAME, People, is_group
from pmdi.analysis.schemas import Level

_WHO = rf"(?:{HANDLE}|{EMAIL}|{NAME}|{INITIALS}|ALL|All|Everyone|Team|TBD|TBC)"
_WHO_LIST = rf"{_WHO}(?:\s*(?:,|&|\band\b|/|\+)\s*{_WHO}){{0,3}}"
MODAL = (
    r"(?:will|to|shall|is to|are to|needs? to|should|must|is going to|are going to|has to|have to|agreed to|"
    r"volunteered to|offered to|'ll|\u2019ll|can|owns?|takes?(?: the action)? to|is tasked with|"
    r"is responsible for|please)"
)
_AUXILIARY = re.compile(
    r"^(?:will|to|shall|is to|are to|needs? to|should|must|is going to|are going to|has to|have to|"
    r"agreed to|volunteered to|offered to|'ll|\u2019ll|please|pls|is tasked with)\s+",
    re.I,
)
_ORDINAL = re.compile(r"^\s*(?:\(?\d{1,3}[.)]|\(?[a-hA-H][.)])\s+")
_PREFIX_SEPARATED = re.compile(  # "KB: ...", "KB - ...", "Arno → ..."; "@dev-dima" is one handle, no dash
    rf"^\[?(?P<o>{_WHO_LIST})\]?\??(?:\s*[:|]|\s*(?:\u2013|\u2014|\u2192|->|=>)|\s+-)\s*(?P<t>\S.*)$"
)
_PREFIX_MODAL = re.compile(rf"^(?P<o>{_WHO_LIST})\s+(?P<m>{MODAL})\s+(?P<t>\S.*)$")
_ROLE_NAMED = re.compile(  # "Test lead (Oscar Lind) to re-baseline ...": the person, not the role
    rf"^[A-Z][\w -]{{1,30}}?\s*\((?P<o>{NAME})\)\s+(?P<m>{MODAL})\s+(?P<t>\S.*)$"
)
_HANDLE_FIRST = re.compile(rf"^(?P<o>{HANDLE})\s+(?P<t>[a-z]\S*.*)$")
_NAME_FIRST = re.compile(rf"^(?P<o>{NAME}|[a-z]+)\s+(?P<t>[a-z][a-z-]+\b.*)$")  # "Brendan write a doc"
_BRACKETED = re.compile(r"^\[(?P<o>[^\]]{1,40})\]\s*[-\u2013:]?\s*(?P<t>\S.*)$")
_SUFFIX_PAREN = re.compile(rf"^(?P<t>.+?)\s*[(\[](?:owner\s*:?\s*)?(?P<o>{_WHO_LIST})[)\]]\s*\.?$")
_SUFFIX_PAREN_DUE = re.compile(
    rf"^(?P<t>.+?)\s*[(\[](?:owner\s*:?\s*)?(?P<o>{_WHO})\s*[,;/]\s*(?P<d>[^)\]]{{1,40}})[)\]]\s*\.?$"
)
_SUFFIX_DASH = re.compile(
    rf"^(?P<t>.{{8,}}?)\s+(?:-|\u2013|\u2014|\u2192|->)\s+(?P<o>{_WHO_LIST})"
    r"(?:\s*[,;(]\s*(?P<d>(?:by|due|before|until|on|eta)\b[^)]{1,40})\)?)?\s*\.?$"
)
_OWNER_FIELD = re.compile(
    rf"[(\[,;]?\s*\b(?:owner|assigned to|assignee|responsible|who|lead)\s*[:=]?\s*(?P<o>{_WHO})\s*[)\],;]?",
    re.I,
)
_PLACEHOLDER_OWNER = re.compile(r"^(?:your name|name|owner|tbd|tba|tbc|someone|\?+|x+)$", re.I)
_CHECKBOX = re.compile(r"^\s*\[(?P<mark>[ xX\u2713\u2714]?)\]\s*")
_PRIORITY_WORDS: list[tuple[Level, re.Pattern[str]]] = [
    ("high", re.compile(r"\b(URGENT|ASAP|urgently|asap|a\.s\.a\.p\.?|high[- ]priority|top priority|"
                        r"immediately|critical priority|priority:?\s*(high|critical|urgent)|p[01])\b|"
                        r"^(urgent|critical)\b|[(\[](urgent|critical|high)[)\]]|\b(urgent|critical):", re.I)),
    ("medium", re.compile(r"\b(medium[- ]priority|priority:?\s*(medium|med|normal)|p2|normal priority)\b|"
                          r"[(\[]medium[)\]]", re.I)),
    ("low", re.compile(r"\b(low[- ]priority|priority:?\s*low|p[34]|nice[- ]to[- ]have|when (you|time) "
                       r"(can|allows|permits)|no rush|if time permits)\b|[(\[]low[)\]]", re.I)),
]  # fmt: skip
_STATUS_TAIL = re.compile(
    r"[\s.\-\u2013]*(?:\b(?:IN PROCESS|IN PROGRESS|PENDING|pending|BLOCKED(?: ON \w+)?|WIP|TODO|OPEN)\b"
    r"[\s.\-\u2013]*)+$"
)
_PRIORITY_TAG = re.compile(
    r"\s*[(\[]\s*(?:urgent|asap|high|medium|low|critical|p[0-4])\s*[)\]]|"
    r"[\s,;\u2013\u2014-]*\b(?:(?:high|medium|low|top)[- ]priority|priority:?\s*(?:high|medium|low))\b",
    re.I,
)
_EMPTY_BRACKETS = re.compile(r"\s*[(\[]\s*[)\]]")
_DUE_PHRASE = re.compile(
    r"\s*[(\[]?\s*(?:(?:due|deadline|target|eta|by|before|until|no later than|on)\s*:?\s*)?$", re.I
)
_TRAILING_NOISE = re.compile(r"[\s,;:.\-\u2013\u2014(\[]+$")
_LEADING_NOISE = re.compile(r"^[\s,;:.\-\u2013\u2014)*\u2022]+")


# Verbs that open a task written as an imperative ("Send the budget", "Follow up with legal").
_TASK_VERBS_WORDS = """
    add address agree align analyse analyze announce answer approve archive arrange ask assess assign
    attend audit automate book brief build calculate call cancel capture chase check circulate clarify
    clean close collect communicate compile complete configure confirm connect consolidate contact
    continue coordinate correct create decide define delete deliver deploy design determine develop
    discuss distribute document draft drive email enable engage ensure escalate establish estimate
    evaluate explore extend file fill finalise finalize find fix follow forward gather get give hand
    help hire hold identify implement improve include inform install integrate introduce investigate
    invite issue kick launch lead list look maintain make manage map measure meet merge migrate monitor
    move negotiate notify obtain onboard open order organise organize outline own pair participate plan
    post prepare present prioritise prioritize produce promote propose provide publish pull push put
    raise reach read rebase reconcile record reduce refine register release remind remove rename renew
    replace reply report request research reserve resolve respond restart resubmit retest review revise
    revisit run schedule scope secure select send set settle setup share sign socialise socialize
    solicit sort speak specify start submit summarise summarize support sync take talk test tidy track
    train transfer triage try turn update upgrade upload validate verify walk work write
"""
TASK_VERBS = frozenset(_TASK_VERBS_WORDS.split())


def starts_with_verb(text: str) -> bool:
    first = re.match(r"^\W*([A-Za-z]+)", _ORDINAL.sub("", _CHECKBOX.sub("", text)))
    return first is not None and first[1].lower() in TASK_VERBS


@dataclass
class Task:
    text: str
    owner: str | None
    owner_written: str | None
    due: FoundDate | None
    priority: Level | None
    checked: bool | None  # a checkbox's state when the line has one


def priority_of(text: str) -> Level | None:
    for level, pattern in _PRIORITY_WORDS:
        if pattern.search(text):
            return level
    return None


def split_owner(text: str) -> tuple[str | None, str]:
    """The owner as written ("KB", "@ana", "Maria Lopez") and the rest of the line."""
    for pattern in (_ROLE_NAMED, _PREFIX_MODAL, _PREFIX_SEPARATED, _BRACKETED, _HANDLE_FIRST):
        match = pattern.match(text)
        if match:
            return match["o"], match["t"]
    dated = _SUFFIX_PAREN_DUE.match(text)
    if dated:
        return dated["o"], f"{dated['t']} ({dated['d']})"
    match = _SUFFIX_PAREN.match(text)
    if match:
        return match["o"], match["t"]
    match = _SUFFIX_DASH.match(text)
    if match:
        return match["o"], f"{match['t']} {match['d']}" if match["d"] else match["t"]
    field = _OWNER_FIELD.search(text)
    if field:
        return field["o"], (text[: field.start()] + " " + text[field.end() :]).strip()
    return None, text


def first_owner(written: str) -> str:
    """Of "Sienna and Genevieve" the first is the one accountable."""
    return re.split(r"\s*(?:,|&|\band\b|/|\+)\s*", written.strip())[0]


def imperative(text: str) -> str:
    """ "will send the budget by Fri." -> "Send the budget"."""
    text = _AUXILIARY.sub("", text.strip())
    text = _LEADING_NOISE.sub("", text)
    text = _TRAILING_NOISE.sub("", text)
    return text[:1].upper() + text[1:]


def remove_span(text: str, start: int, end: int) -> str:
    head = _DUE_PHRASE.sub("", text[:start])
    tail = re.sub(r"^\s*[)\]]", "", text[end:])
    return f"{head} {tail}".strip() if tail.strip() else head


def _owner(written: str, people: People, *, committed: bool = False) -> tuple[str | None, bool]:
    """The resolved owner and whether the words were an owner at all ("Epic: OCM" names nobody).
    `committed`: the words are followed by "to"/"will" and a task, so they name a person even when the
    attendee list does not ("Lena Vogel to send the plan")."""
    if _PLACEHOLDER_OWNER.match(written.strip(" []")) or is_group(written):
        return None, True
    first = first_owner(written)
    if " " in first and not people.known(first) and len(people.names) >= 3 and not committed:
        return None, False  # "Feature Audit: List options" is a topic label, not an unknown person
    resolved = people.resolve(first)
    return resolved, resolved is not None


def _known_first(text: str, people: People) -> tuple[str | None, str]:
    """ "Brendan write a document": a bare known name before a verb owns the task; so does a bare
    handle of a known person ("ehuss will follow up")."""
    match = _NAME_FIRST.match(text)
    if match is None:
        return None, text
    written = match["o"]
    if people.known(written.title() if written.islower() else written):
        return written, match["t"]
    if written.islower() and " " in (people.resolve("@" + written) or ""):
        return "@" + written, _AUXILIARY.sub("", match["t"])
    return None, text


def parse_task(text: str, people: People, ctx: DateContext) -> Task:
    checked: bool | None = None
    box = _CHECKBOX.match(text)
    if box:
        checked, text = box["mark"].strip() != "", text[box.end() :]
    text = _ORDINAL.sub("", text.strip())
    written, rest = split_owner(text)
    owner: str | None = None
    if written:
        committed = _PREFIX_MODAL.match(text) is not None or _ROLE_NAMED.match(text) is not None
        owner, is_owner = _owner(written, people, committed=committed)
        if not is_owner:
            written, rest = None, text  # keep the words of "Epic: OCM - ..."
    if written is None:
        written, rest = _known_first(text, people)
        owner = people.resolve(written.title() if written and written.islower() else written or "")
    due = due_date(rest, ctx)
    body = remove_span(rest, due.start, due.end) if due else rest
    body = _EMPTY_BRACKETS.sub("", _STATUS_TAIL.sub("", _PRIORITY_TAG.sub("", body)))
    return Task(imperative(body), owner, written, due, priority_of(text), checked)
