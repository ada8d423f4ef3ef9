"""Dates in PM prose: absolute ("15 April", "2025-04-15", "3/4"), relative to the document date ("by Fri",
"EOW", "next week", "end of Q3", "in two weeks"), with day/month order inferred from the document.

Hand-written rather than a general date parser: PM shorthand (EOW, COB, end of Q3, "Dec24") is not covered
by the libraries, and a general parser turns version numbers and counts into dates.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "a couple of": 2}

_MONTH = (
    r"(?P<m>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_WEEKDAY_NAME = (
    r"(?:monday|mon|tuesday|tues?|wednesday|wed|thursday|thur?s?|friday|fri|saturday|sat|sunday|sun)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_DUE_WORDS = r"(?:by|on|due|until|till|til|before|deadline|from|after|no later than|nlt|for|eta|target)"

_ISO = re.compile(r"(?<![\d.])(?P<y>\d{4})[-/](?P<mo>\d{1,2})[-/](?P<d>\d{1,2})(?!\d)")
_NUMERIC = re.compile(
    r"(?<![\w./-])(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?:(?P=sep)(?P<y>\d{4}|\d{2}))?(?![\w/]|[.-]\d)"
)
_DAY_MONTH = re.compile(
    rf"(?:{_WEEKDAY_NAME},?\s+)?(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}(?:\s+of)?[\s-]*{_MONTH}"
    rf"(?:,?[\s-]+(?P<y>\d{{4}}))?(?![\w])",
    re.I,
)
_MONTH_DAY = re.compile(
    rf"(?:{_WEEKDAY_NAME},?\s+)?{_MONTH}[\s-]*(?P<d>\d{{1,2}}){_ORD}(?![\d:])(?:\s*[-/\u2013]\s*\d{{1,2}}{_ORD})?"
    rf"(?:,?\s+(?P<y>\d{{4}}))?(?![\w])",
    re.I,
)
_MID_END_MONTH = re.compile(
    rf"\b(?P<which>mid|end of|the end of|late|early|beginning of|start of)[\s-]+{_MONTH}"
    rf"(?:\s+(?P<y>\d{{4}}))?\b",
    re.I,
)
_QUARTER = re.compile(
    r"\b(?:(?:the\s+)?end\s+of\s+)?(?P<h>[QH])(?P<n>[1-4])(?:\s*(?:CY|FY)?\s*'?(?P<y>\d{4}|\d{2}))?\b"
)
_RELATIVE = re.compile(
    r"\b(?P<word>EOD|COB|EOB|end of (?:the )?(?:business )?day|close of business|today|tonight|tomorrow|"
    r"EOW|end of (?:the |this )?week|this week|(?:the )?end of next week|next week|"
    r"EOM|end of (?:the |this )?month|month[- ]end|this month|(?:the )?end of next month|next month|"
    r"EOQ|end of (?:the |this )?quarter|EOY|end of (?:the |this )?year|year[- ]end|this year)\b",
    re.I,
)
_IN_N = re.compile(
    r"\b(?:in|within)\s+(?P<n>\d{1,2}|an?|one|two|three|four|five|six|a couple of)\s+"
    r"(?P<unit>business days?|working days?|days?|weeks?|months?)\b",
    re.I,
)
_WEEKDAY = re.compile(
    rf"\b(?:(?P<mod>next|this|coming|the following|following)\s+)?(?P<wd>{_WEEKDAY_NAME})(?![\w-])", re.I
)
_DUE_BEFORE = re.compile(rf"\b{_DUE_WORDS}\b[\s:]*$", re.I)
_NOT_DUE_BEFORE = re.compile(r"\b(?:of|from|since|the|than|in)\s*$", re.I)
# Where a bare "3/4" is a date: after a due word, a weekday ("Fri 14/3") or an opening bracket ("(3/4)").
_BARE_NUMERIC_BEFORE = re.compile(rf"(?:\b{_DUE_WORDS}\b[\s:]*|\b{_WEEKDAY_NAME},?\s+|[(\[]\s*)$", re.I)
_DAY_FIRST_STATED = re.compile(r"\b(?:dd|d)[/.-](?:mm|m)(?:[/.-](?:yy|yyyy))?\b", re.I)
_MONTH_FIRST_STATED = re.compile(r"\b(?:mm|m)[/.-](?:dd|d)(?:[/.-](?:yy|yyyy))?\b", re.I)
_BRITISH = re.compile(
    r"\b(organis\w*|prioritis\w*|finalis\w*|realis\w*|recognis\w*|analys(?:e|ed|ing)|colour\w*|behaviour\w*|"
    r"favour\w*|centre|programme|catalogue|whilst|fortnight|labour|cheque|utilis\w*|minimis\w*|licence)\b|\u00a3",
    re.I,
)
_AMERICAN = re.compile(
    r"\b(organiz\w*|prioritiz\w*|finaliz\w*|realiz\w*|recogniz\w*|analyz\w*|color\w*|behavior\w*|"
    r"favor\w*|center|labor|utiliz\w*|minimiz\w*)\b|\$\d",
    re.I,
)


@dataclass(frozen=True)
class DateContext:
    reference: dt.date | None
    day_first: bool = False


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    date: dt.date
    relative: bool = False


def safe_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _year(value: str | None) -> int | None:
    if not value:
        return None
    year = int(value.lstrip("'"))
    return year + 2000 if year < 100 else year


def _with_year(month: int, day: int, year: int | None, ctx: DateContext) -> dt.date | None:
    """A day without a year takes the year that puts it nearest the document date, favouring the future."""
    if year is not None:
        return safe_date(year, month, day)
    if ctx.reference is None:
        return None
    best: tuple[int, dt.date] | None = None
    for candidate_year in (ctx.reference.year - 1, ctx.reference.year, ctx.reference.year + 1):
        candidate = safe_date(candidate_year, month, day)
        if candidate is None:
            continue
        delta = (candidate - ctx.reference).days
        score = delta if delta >= 0 else -2 * delta
        if best is None or score < best[0]:
            best = (score, candidate)
    return best[1] if best else None


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _friday_of_week(day: dt.date, weeks_ahead: int = 0) -> dt.date:
    monday = day - dt.timedelta(days=day.weekday())
    if day.weekday() >= 5 and weeks_ahead == 0:
        monday += dt.timedelta(days=7)  # "EOW" said at the weekend means the coming week
    return monday + dt.timedelta(days=4 + 7 * weeks_ahead)


def _add_months(day: dt.date, months: int) -> dt.date:
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _iso(match: re.Match[str], ctx: DateContext) -> dt.date | None:
    return safe_date(int(match["y"]), int(match["mo"]), int(match["d"]))


def _numeric(match: re.Match[str], ctx: DateContext) -> dt.date | None:
    first, second = int(match["a"]), int(match["b"])
    if match["sep"] != "/" and not match["y"]:
        return None  # "1-2 weeks", "7.0" are not dates
    day, month = (first, second) if ctx.day_first else (second, first)
    if month > 12 and day <= 12:
        day, month = month, day  # an impossible month settles the order for this date
    return _with_year(month, day, _year(match["y"]), ctx)


def _named(match: re.Match[str], ctx: DateContext) -> dt.date | None:
    token = match["m"]
    if token.lower() in {"may", "mar", "march"} and token[0].islower():
        return None  # the verbs "may" and "march"
    return _with_year(_MONTHS[token[:3].lower()], int(match["d"]), _year(match["y"]), ctx)


def _mid_end(match: re.Match[str], ctx: DateContext) -> dt.date | None:
    month = _MONTHS[match["m"][:3].lower()]
    which = match["which"].lower()
    day = 15 if which == "mid" else 1 if which in {"early", "beginning of", "start of"} else 0
    if which == "late":
        day = 0
    probe = _with_year(month, 1, _year(match["y"]), ctx)
    if probe is None:
        return None
    return _month_end(probe.year, month) if day == 0 else probe.replace(day=day)


def _quarter(match: re.Match[str], ctx: DateContext) -> dt.date | None:
    year = _year(match["y"]) or (ctx.reference.year if ctx.reference else None)
    if year is None:
        return None
    last_month = int(match["n"]) * (3 if match["h"] == "Q" else 6)
    if match["h"] == "H" and int(match["n"]) > 2:
        return None
    end = _month_end(year, last_month)
    if not match["y"] and ctx.reference and (ctx.reference - end).days > 31:
        end = _month_end(year + 1, last_month)  # "end of Q1" written in May means next year's Q1
    return end


def _relative(match: re.Match[str], ctx: DateContext) -> dt.date | None:
    ref = ctx.reference
    if ref is None:
        return None
    word = " ".join(match["word"].lower().split()).removeprefix("the ")
    if word in {"eod", "cob", "eob", "today", "tonight", "close of business"} or word.endswith(" day"):
        return ref
    if word == "tomorrow":
        return ref + dt.timedelta(days=1)
    if word in {"eow", "this week"} or (
        word.startswith("end of") and word.endswith(" week") and "next" not in word
    ):
        return _friday_of_week(ref)
    if "next week" in word:
        return _friday_of_week(ref, 1)
    if "next month" in word:
        nxt = _add_months(ref.replace(day=1), 1)
        return _month_end(nxt.year, nxt.month)
    if "month" in word or word == "eom":
        return _month_end(ref.year, ref.month)
    if "quarter" in word or word == "eoq":
        return _month_end(ref.year, ((ref.month - 1) // 3 + 1) * 3)
    return dt.date(ref.year, 12, 31)  # EOY, end of year, year end, this year


def _in_n(match: re.Match[str], ctx: DateContext) -> dt.date | None:
    if ctx.reference is None:
        return None
    raw = match["n"].lower()
    count = int(raw) if raw.isdigit() else _NUMBERS.get(raw, 1)
    unit = match["unit"].lower()
    if unit.startswith("month"):
        return _add_months(ctx.reference, count)
    if unit.startswith(("business", "working")):
        day, left = ctx.reference, count
        while left:
            day += dt.timedelta(days=1)
            left -= day.weekday() < 5
        return day
    days = count * (7 if unit.startswith("week") else 1)
    return ctx.reference + dt.timedelta(days=days)


def _weekday(match: re.Match[str], ctx: DateContext) -> dt.date | None:
    ref = ctx.reference
    token = match["wd"].rstrip(".")
    if ref is None:
        return None
    short = len(token) <= 4
    if (
        short
        and token[0].islower()
        and not match["mod"]
        and not _DUE_BEFORE.search(match.string[: match.start()])
    ):
        return None  # "sat", "sun", "wed" as words rather than days
    target = _WEEKDAYS[token[:3].lower()]
    modifier = (match["mod"] or "").lower()
    if modifier == "next" or "following" in modifier:
        monday = ref - dt.timedelta(days=ref.weekday()) + dt.timedelta(days=7)
        return monday + dt.timedelta(days=target)
    ahead = (target - ref.weekday()) % 7
    if ahead == 0 and modifier != "this":
        ahead = 7  # "by Friday" said on a Friday means the Friday after
    return ref + dt.timedelta(days=ahead)


_Handler = Callable[[re.Match[str], DateContext], "dt.date | None"]
_PATTERNS: list[tuple[re.Pattern[str], _Handler, bool]] = [
    (_ISO, _iso, False),
    (_DAY_MONTH, _named, False),
    (_MONTH_DAY, _named, False),
    (_MID_END_MONTH, _mid_end, False),
    (_QUARTER, _quarter, True),
    (_RELATIVE, _relative, True),
    (_IN_N, _in_n, True),
    (_WEEKDAY, _weekday, True),
    (_NUMERIC, _numeric, False),
]


def find_dates(text: str, ctx: DateContext, *, loose: bool = False) -> list[FoundDate]:
    """Every date expression in `text`, left to right, without overlaps (the longest wins).

    A bare "3/4" counts only after a due word ("by 3/4") or when `loose` (a table cell), since "9/9 consent"
    and "1/2 the team" are not dates.
    """
    candidates: list[tuple[int, int, dt.date, bool]] = []
    for pattern, handler, relative in _PATTERNS:
        for match in pattern.finditer(text):
            bare = pattern is _NUMERIC and not match["y"] and not loose
            if bare and not _BARE_NUMERIC_BEFORE.search(text[max(0, match.start() - 30) : match.start()]):
                continue
            value = handler(match, ctx)
            if value is not None:
                candidates.append((match.start(), match.end(), value, relative))
    candidates.sort(key=lambda c: (c[0], -(c[1] - c[0])))
    found: list[FoundDate] = []
    for start, end, value, relative in candidates:
        if found and start < found[-1].end:
            continue
        found.append(FoundDate(start, end, value, relative))
    return found


def due_date(text: str, ctx: DateContext) -> FoundDate | None:
    """The deadline in an action's text: a date after "by/due/before..." first, else the last date named."""
    found = _merge_adjacent(find_dates(text, ctx))
    if not found:
        return None
    for item in found:
        if _DUE_BEFORE.search(text[max(0, item.start - 30) : item.start]):
            return item
    # "confirm that the go-live date of 30 June still holds": a date the task is about, not its deadline.
    free = [
        d for d in found if d.relative or not _NOT_DUE_BEFORE.search(text[max(0, d.start - 12) : d.start])
    ]
    return free[-1] if free else None


def _merge_adjacent(found: list[FoundDate]) -> list[FoundDate]:
    """ "COB Friday", "Fri 14/3": the second, more precise date stands for both."""
    merged: list[FoundDate] = []
    for item in found:
        if merged and item.start - merged[-1].end <= 3:
            first = merged.pop()
            item = FoundDate(first.start, item.end, item.date, item.relative)
        merged.append(item)
    return merged


def infer_day_first(text: str, language: str | None = None) -> bool:
    """US (month first) or European (day first) order for numeric dates, from the document's own evidence."""
    if _DAY_FIRST_STATED.search(text):
        return True
    if _MONTH_FIRST_STATED.search(text):
        return False
    votes = 0
    for match in _NUMERIC.finditer(text):
        first, second = int(match["a"]), int(match["b"])
        if match["sep"] == "/" or match["y"]:
            votes += 2 if first > 12 >= second else -2 if second > 12 >= first else 0
    if votes:
        return votes > 0
    if language and language.lower().replace("_", "-") in {
        "en-gb",
        "en-au",
        "en-nz",
        "en-ie",
        "en-za",
        "en-in",
    }:
        return True
    if language and language.lower().replace("_", "-") == "en-us":
        return False
    style = len(_DAY_MONTH.findall(text)) - len(_MONTH_DAY.findall(text))
    spelling = len(_BRITISH.findall(text)) - len(_AMERICAN.findall(text))
    return style + spelling > 0
