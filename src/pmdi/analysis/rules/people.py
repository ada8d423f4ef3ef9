"""People in the document and resolution of the ways notes refer to them: initials with a legend
("KB = Karen Brooks", "Karen Brooks (KB)"), @handles, first names, titles; teams and companies are nobody."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from pmdi.analysis.rules.structure import Section, Structure, Unit
from pmdi.extraction.model import BlockKind

_LOWER = r"a-z\u00e0-\u00ff"
_WORD = (  # one word of a name: "Karen", "O'Gorman", "McGuire", "Jean-Francois", or an initial "C."
    rf"(?:[A-Z][{_LOWER}]+(?:['\u2019][A-Za-z{_LOWER}]+)?(?:-[A-Z][{_LOWER}]+)?|[A-Z]\.|[A-Z](?=\s+[A-Z][{_LOWER}])|"
    rf"Mc[A-Z][{_LOWER}]+|O['\u2019][A-Z][{_LOWER}]+)"
)
_PARTICLE = r"(?:de|van|von|der|da|di|la|le|del|dos|du|ter|bin|al)"
NAME = rf"{_WORD}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_WORD}){{0,3}}"  # never across a line break
HANDLE = r"@[A-Za-z0-9][\w.-]*[A-Za-z0-9_]"
EMAIL = r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"
INITIALS = r"[A-Z]{2,3}"
_TITLE = re.compile(r"^(?:Dr|Mr|Mrs|Ms|Miss|Mx|Prof|Professor|Sir|Dame)\.?\s+")
_LEGEND_FORWARD = re.compile(rf"\b(?P<ini>{INITIALS})\s*(?:=|:|\u2013|\u2014|-|\u2192)\s*(?P<name>{NAME})")
_LEGEND_BACK = re.compile(rf"(?P<name>{NAME})\s*\(\s*(?P<ini>{INITIALS}|{HANDLE})\s*\)")
_HANDLE_BEFORE = re.compile(rf"(?P<ini>{HANDLE})\s*\(\s*(?P<name>{NAME})\s*\)")
_HANDLE_AFTER = re.compile(rf"(?P<name>{NAME})\s*[(\[]?\s*(?P<ini>{HANDLE})")
_ADDRESS = re.compile(r"(?P<name>[^<>,;\"]+?)\s*<(?P<addr>[^<>]+)>")
_NAME_START = re.compile(
    rf"^\s*(?:\[[ xX]\]\s*)?(?P<name>(?:(?:Dr|Mr|Mrs|Ms|Prof)\.?\s+)?{NAME})"
    r"(?=$|\s*[,(\-\u2013\u2014:|/;]|\s+\()"
)
_INLINE_ATTENDEES = re.compile(
    r"\b(?i:attendees|present|participants|attending|invitees|apologies|absent|team|members|regrets)\s*:\s*"
    r"(?P<list>[^:]+?)(?=$|\s+[A-Z][\w ]{0,20}:)",
)

# Words that start list items and table cells in PM notes but never name a person.
_NOT_PEOPLE_WORDS = """
    how what why when where which there here if and or but so for with from by on in at of as an is are was
    were can could would should will might must need needs let lets please thank thanks officer representative
    manager director engineer analyst sponsor coordinator administrator agency office contracting procurement
    quality assurance services service system systems solutions technology technical program programme
    government federal state county city university institute
    all team teams everyone everybody anyone someone nobody none tbd tbc tba tbassigned n/a na unassigned
    epic note notes status update updates done closed open review decision decisions action actions risk
    risks issue issues next agenda the this that these those we i it they he she you our their project
    projects legal finance marketing sales engineering ops operations qa pmo board committee council vendor
    vendors client clients customer customers staff management leadership owner owners group department
    security design product support it hr also then please thanks hi hello dear re fwd yes no ok follow
    discussion summary background context goal goals scope overview purpose objective objectives
    requirements deliverables milestone milestones phase budget schedule timeline plan resolution
    conclusion proposal motion vote question questions answer q a blocker blockers dependencies dependency
    assumption assumptions approval approved agreed rts eip blg wip in progress pending ready total
    comments comment other misc general contractor contractors government ministry foundation company
    organization organisation members member chair chairs tsc tac cpc gb sig wg ai ap todo fyi asap eod eow
    cob pr prs rfc adr api ci cd ui ux monday tuesday wednesday thursday friday saturday sunday january
    february march may july september october november december today tomorrow week month year quarter
"""
NOT_PEOPLE = frozenset(_NOT_PEOPLE_WORDS.split())
_ORG_SUFFIX = re.compile(
    r"\b(?:team|teams|group|committee|council|board|department|dept|office|inc|ltd|llc|corp|corporation|gmbh|"
    r"plc|foundation|vendor|squad|guild|wg|sig|members|staff|folks|crew|unit|division|partners|company)\.?$",
    re.I,
)


_GROUP_WORDS = frozenset(
    {
        "all",
        "everyone",
        "everybody",
        "team",
        "tbd",
        "tbc",
        "tba",
        "tbassigned",
        "unassigned",
        "anyone",
        "someone",
    }
)


def is_group(written: str) -> bool:
    """An owner that is deliberately nobody in particular ("All", "Team", "QA team", "TBD")."""
    name = written.strip(" []()@?").lower()
    return name in _GROUP_WORDS or bool(_ORG_SUFFIX.search(name)) or name.split()[:1] == ["all"]


def clean_name(raw: str) -> str:
    name = " ".join(raw.replace("\u2019", "'").split()).strip(" .,:;-\u2013")
    while _TITLE.match(name):
        name = _TITLE.sub("", name)
    return name


_NOT_NAME_ENDINGS = ("ly", "able", "ing", "ed", "ful", "ous", "ive", "ness", "ment", "tion")
_SPEAKER = re.compile(rf"^(?P<name>{_WORD}(?:\s+{_WORD})?)\s*:\s+\S")


def looks_like_person(name: str) -> bool:
    words = name.split()
    if not words or len(words) > 4 or _ORG_SUFFIX.search(name):
        return False
    if any(w.lower().strip(".") in NOT_PEOPLE for w in words if len(w.strip(".")) > 1):
        return False
    return all(w[0].isupper() or w.lower() in _PARTICLE for w in words)


def initials_of(name: str) -> str:
    return "".join(w[0] for w in name.replace("-", " ").split() if w[0].isupper())


@dataclass
class People:
    names: list[str] = field(default_factory=list)  # full names, in order of first appearance
    aliases: dict[str, str] = field(default_factory=dict)  # initials, handles, e-mails -> full name
    lowercase: frozenset[str] = frozenset()  # words the document also uses in lower case: not names
    speakers: set[str] = field(default_factory=set)  # "Ryan:" at the start of lines
    listed: set[str] = field(default_factory=set)  # single names from attendee lists ("Dana")

    def add(self, raw: str, *aliases: str) -> str | None:
        name = clean_name(raw)
        if not looks_like_person(name):
            return None
        if len(name.split()) >= 2 and name.lower() not in {n.lower() for n in self.names}:
            self.names.append(name)
        for alias in aliases:
            if alias:
                self.aliases.setdefault(alias.lower(), name)
        return name

    def resolve(self, raw: str) -> str | None:
        """A full name for an owner as written, the text itself when unknown, None for teams and companies."""
        token = clean_name(raw.strip("[]() "))
        if not token or _ORG_SUFFIX.search(token):
            return None
        key = token.lower()
        if key in self.aliases:
            return self.aliases[key]
        if token.startswith("@"):
            return self._from_handle(token[1:])
        if re.fullmatch(EMAIL, token):
            return self._from_handle(token.split("@")[0])
        if re.fullmatch(INITIALS, token):
            matches = [n for n in self.names if initials_of(n) == token]
            return matches[0] if len(matches) == 1 else (None if key in NOT_PEOPLE else token)
        if not looks_like_person(token) or not self.plausible(token):
            return None
        return self._expand(token)

    def known(self, token: str) -> bool:
        """Named by an attendee list, legend, e-mail header or as a speaker."""
        words = token.lower().split()
        if token.lower() in self.aliases or token in self.speakers or token in self.listed:
            return True
        if len(words) == 1 and len(words[0]) >= 3 and any(n.lower().startswith(words[0]) for n in self.names):
            return True  # a short form of a listed first name: "Arno" for Arnaud
        return any(all(w in name.lower().split() for w in words) for name in self.names)

    def plausible(self, token: str) -> bool:
        """A capitalised word is a name unless the document also writes it in lower case ("Need to...")."""
        if self.known(token):
            return True
        return all(
            w.lower() not in self.lowercase and "'" not in w and not w.lower().endswith(_NOT_NAME_ENDINGS)
            for w in token.split()
        )

    def _from_handle(self, handle: str) -> str:
        """ "@tom", "@tng", "@tom.ng" -> "Tom Ng" when exactly one known name fits; else the handle."""
        key = re.sub(r"[^a-z]", "", handle.lower())
        matches = [name for name in self.names if key and key in _handle_forms(name)]
        return matches[0] if len(matches) == 1 else handle

    def _expand(self, token: str) -> str:
        words = token.lower().split()
        exact = [n for n in self.names if n.lower() == token.lower()]
        if exact:
            return exact[0]
        if len(words) == 1:
            matches = [n for n in self.names if words[0] in (n.lower().split()[0], n.lower().split()[-1])]
            if not matches and len(words[0]) >= 3:  # "Arno" for Arnaud, "Jen" for Jennifer
                matches = [n for n in self.names if n.lower().startswith(words[0])]
        else:
            matches = [n for n in self.names if all(w in n.lower().split() for w in words)]
        return matches[0] if len(matches) == 1 else token

    def listing(self, owners: list[str]) -> list[str]:
        """Everyone named in full, then owners known only by a first name or handle."""
        seen: dict[str, str] = {}
        for name in [*self.names, *sorted(self.listed), *owners]:
            if not any(name != other and name in other.split() for other in self.names):
                seen.setdefault(name.lower(), name)
        return list(seen.values())


def _handle_forms(name: str) -> set[str]:
    words = [re.sub(r"[^a-z]", "", w.lower()) for w in name.split() if not w.endswith(".")]
    if len(words) < 2:
        return set(words)
    first, last = words[0], words[-1]
    return {first, last, first + last, first[0] + last, first + last[0], last + first, "".join(words)}


def _from_legends(text: str, people: People) -> None:
    for match in _LEGEND_BACK.finditer(text):
        alias = match["ini"]
        if alias.startswith("@") or initials_of(clean_name(match["name"])) == alias:
            people.add(match["name"], alias)
    for pattern in (_HANDLE_AFTER, _HANDLE_BEFORE):
        for match in pattern.finditer(text):
            people.add(match["name"], match["ini"])
    for match in _LEGEND_FORWARD.finditer(text):
        name = clean_name(match["name"])
        if len(name.split()) >= 2 and initials_of(name) == match["ini"]:
            people.add(name, match["ini"])


def _from_attendee_unit(unit: Unit, people: People) -> None:
    """ "Trish, Mags, Cameron" lists people; "Brian Cipriano, Google" is a person and an affiliation."""
    text = re.sub(r"^[A-Z][\w ]{0,25}:\s*", "", unit.row[0] if unit.row else unit.text)  # "Council: ..."
    parts = [p for p in re.split(r"\s*(?:,|;|\band\b)\s*", text) if p] if len(text) < 400 else [text]
    names = [
        m["name"]
        for p in parts
        if (m := _NAME_START.fullmatch(p.strip(" ."))) and looks_like_person(m["name"])
    ]
    listed = len(names) == len(parts) and (len(parts) >= 3 or all(" " not in n for n in names))
    for part in parts if listed else parts[:1]:
        match = _NAME_START.match(part)
        if match:
            _add_listed(people, match["name"])


def _add_listed(people: People, raw: str) -> None:
    name = people.add(raw)
    if name is not None and " " not in name:
        people.listed.add(name)


def _from_inline_attendees(text: str, people: People) -> bool:
    found_any = False
    for match in _INLINE_ATTENDEES.finditer(text):
        found_any = True
        for part in re.split(r"\s*(?:,|;|\band\b)\s*", match["list"]):
            found = _NAME_START.match(part)
            if found:
                _add_listed(people, found["name"])
    return found_any


_ROLE_FIELD = re.compile(
    r"\b(?i:prepared by|author|owner|chair|chaired by|facilitator|note[- ]?taker|scribe|minutes by|"
    r"project manager|pm|sponsor|lead|from|to|cc|reported by|requested by|approved by|raised by|submitted by)"
    rf"\s*(?::|\|)\s*(?P<name>{NAME})"
)


def _from_role_fields(text: str, people: People) -> None:
    for match in _ROLE_FIELD.finditer(text):
        name = clean_name(match["name"])
        if len(name.split()) >= 2:
            people.add(name)


def _from_owner_cells(unit: Unit, people: People) -> None:
    """Owner columns of registers and action tables name people in full."""
    header = [h.strip().lower() for h in unit.header]
    for index, title in enumerate(header):
        if re.search(r"\b(owner|assigned|assignee|responsible|who|lead|accountable)\b", title):
            cell = unit.row[index] if index < len(unit.row) else ""
            if len(clean_name(cell).split()) >= 2:
                people.add(cell)


def _from_addresses(values: Iterable[object], people: People) -> None:
    for value in values:
        if isinstance(value, str):
            for match in _ADDRESS.finditer(value):
                people.add(match["name"].strip(" '\""), match["addr"].strip())


def _speakers(structure: Structure, people: People) -> None:
    """ "Ryan:" opening several lines is a speaker; "Feature Audit:" opening one is a topic label."""
    counts: dict[str, int] = {}
    for unit in structure.units:
        match = _SPEAKER.match(unit.text)
        if match and looks_like_person(match["name"]) and people.plausible(match["name"]):
            name = clean_name(match["name"])
            counts[name] = counts.get(name, 0) + 1
    people.speakers.update(name for name, count in counts.items() if count >= 2 or people.known(name))


def collect(structure: Structure) -> People:
    text = structure.document.text
    people = People(lowercase=frozenset(re.findall(r"(?<![\w@.])[a-z][a-z]+(?![\w@])", text)))
    meta = structure.document.metadata
    _from_addresses((meta.email.get(key) for key in ("from", "to", "cc")), people)
    for unit in structure.units:
        if unit.quoted:
            continue
        _from_legends(unit.text, people)
        _from_role_fields(unit.text, people)
        if unit.kind == "row":
            _from_owner_cells(unit, people)
        inline = unit.block.kind is not BlockKind.TABLE and _from_inline_attendees(unit.text, people)
        if unit.section is Section.ATTENDEES and unit.kind not in ("heading", "label") and not inline:
            _from_attendee_unit(unit, people)
    _speakers(structure, people)
    return people
