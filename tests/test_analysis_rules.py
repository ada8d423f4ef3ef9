"""The offline rules analyzer on the hard cases: legends, relative and ambiguous dates, completed vs open
work, hypotheticals, quoted email, risk registers, pending decisions, milestones, non-PM documents, and
evidence that quotes the extracted text exactly on every real corpus file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pmdi.analysis.rules.analyzer import RulesAnalyzer
from pmdi.analysis.rules.dates import DateContext, find_dates, infer_day_first
from pmdi.analysis.schemas import Analysis
from pmdi.documents.sniff import sniff
from pmdi.extraction.base import ExtractOptions, extract

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "real"


def analyze(tmp_path: Path, name: str, content: str) -> Analysis:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    document = extract(path, sniff(path, path.name), ExtractOptions())
    analysis = RulesAnalyzer().analyze(document, filename=name)
    for item in [*analysis.action_items, *analysis.risks, *analysis.decisions, *analysis.milestones]:
        assert item.evidence is not None
        assert document.text[item.evidence.start : item.evidence.end] == item.evidence.quote
    return analysis


def actions(analysis: Analysis) -> dict[str, tuple[str | None, dt.date | None]]:
    return {item.text: (item.owner, item.due_date) for item in analysis.action_items}


MEETING = """\
# Phoenix weekly sync - Tuesday 4 March 2025

Attendees: Karen Brooks (KB), Tom Ng, Dr. Maria Lopez, Raj Patel

Legend: RP = Raj Patel

## Discussion
- Budget is 10% over plan. We discussed whether to cut the reporting module.
- If we hire a contractor we could recover two weeks.
- John sent the vendor report on Monday.
- Maria will send the revised budget by Friday.
- Tom owns the release checklist every sprint.

## Action items
- KB to confirm the venue by Fri
- RP: fix the login bug EOW (urgent)
- @tom will update the risk log next week
- [ ] Maria to book user testing sessions
  before the end of Q3
- [x] Tom updated the project plan
- Raj to circulate the minutes

## Decisions
- Agreed to move go-live to 15 April.
- Decision required: which vendor hosts the data.
"""


def test_meeting_actions_owners_and_relative_dates(tmp_path: Path) -> None:
    analysis = analyze(tmp_path, "phoenix-sync.md", MEETING)
    assert analysis.document_type == "meeting_notes"
    assert analysis.document_date == dt.date(2025, 3, 4)
    found = actions(analysis)
    assert found["Confirm the venue"] == ("Karen Brooks", dt.date(2025, 3, 7))
    assert found["Fix the login bug"] == ("Raj Patel", dt.date(2025, 3, 7))
    assert found["Send the revised budget"] == ("Maria Lopez", dt.date(2025, 3, 7))
    assert found["Update the risk log"] == ("Tom Ng", dt.date(2025, 3, 14))
    assert found["Book user testing sessions"] == ("Maria Lopez", dt.date(2025, 9, 30))
    assert found["Circulate the minutes"] == ("Raj Patel", None)
    urgent = next(item for item in analysis.action_items if item.text == "Fix the login bug")
    assert urgent.priority == "high"


def test_completed_hypothetical_discussion_and_standing_work_are_not_actions(tmp_path: Path) -> None:
    texts = " ".join(actions(analyze(tmp_path, "phoenix-sync.md", MEETING))).lower()
    for phrase in ("vendor report", "contractor", "reporting module", "checklist", "project plan"):
        assert phrase not in texts


def test_decisions_exclude_pending_ones(tmp_path: Path) -> None:
    analysis = analyze(tmp_path, "phoenix-sync.md", MEETING)
    decisions = [d.text for d in analysis.decisions]
    assert any("go-live to 15 April" in text for text in decisions)
    assert not any("vendor hosts" in text for text in decisions)


def test_people_are_full_names_without_titles(tmp_path: Path) -> None:
    people = analyze(tmp_path, "phoenix-sync.md", MEETING).people
    assert {"Karen Brooks", "Tom Ng", "Maria Lopez", "Raj Patel"} <= set(people)
    assert not any(name.startswith("Dr") for name in people)


def test_initials_legend_after_the_names(tmp_path: Path) -> None:
    notes = (
        "Project Falcon - meeting minutes\n\nDate: 2025-06-02\n\n"
        "Present: AB, CD, EF\n\n"
        "Action items\n\n- AB: draft the test plan by 6/13\n- CD to renew the licences\n\n"
        "Key: AB = Alice Brown, CD = Carlos Diaz, EF = Eva Fischer\n"
    )
    found = actions(analyze(tmp_path, "falcon.txt", notes))
    assert found["Draft the test plan"] == ("Alice Brown", dt.date(2025, 6, 13))
    assert found["Renew the licences"] == ("Carlos Diaz", None)


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("by Fri", dt.date(2025, 3, 7)),
        ("by Friday", dt.date(2025, 3, 7)),
        ("EOW", dt.date(2025, 3, 7)),
        ("EOD", dt.date(2025, 3, 4)),
        ("next week", dt.date(2025, 3, 14)),
        ("end of month", dt.date(2025, 3, 31)),
        ("end of Q3", dt.date(2025, 9, 30)),
        ("in two weeks", dt.date(2025, 3, 18)),
        ("tomorrow", dt.date(2025, 3, 5)),
        ("by Tuesday", dt.date(2025, 3, 11)),
        ("15 April", dt.date(2025, 4, 15)),
        ("April 15th", dt.date(2025, 4, 15)),
        ("2025-04-15", dt.date(2025, 4, 15)),
    ],
)
def test_relative_and_absolute_dates_resolve_against_the_document_date(
    phrase: str, expected: dt.date
) -> None:
    found = find_dates(f"send it {phrase}", DateContext(dt.date(2025, 3, 4)))  # a Tuesday
    assert [item.date for item in found] == [expected]


def test_version_numbers_and_counts_are_not_dates() -> None:
    assert (
        find_dates("release 1.1.1 with 9/9 consent and 2-3 reviewers", DateContext(dt.date(2025, 3, 4))) == []
    )


def test_day_month_order_comes_from_the_document() -> None:
    assert infer_day_first("Kick-off was 25/02/2025; review on 3/4.") is True
    assert infer_day_first("Kick-off was 02/25/2025; review on 3/4.") is False
    assert infer_day_first("Dates are written DD/MM/YYYY. Review on 3/4.") is True
    assert infer_day_first("We will prioritise the programme and organise the workshop.") is True
    assert infer_day_first("We will prioritize the program and organize the workshop.") is False


def test_us_and_european_numeric_due_dates(tmp_path: Path) -> None:
    base = "Status meeting notes\n\nDate: {date}\n\nAction items\n\n- Ann Lee to send the report by 3/4\n"
    eu = actions(analyze(tmp_path, "eu.txt", base.format(date="20/02/2025")))
    us = actions(analyze(tmp_path, "us.txt", base.format(date="02/20/2025")))
    assert eu["Send the report"][1] == dt.date(2025, 4, 3)
    assert us["Send the report"][1] == dt.date(2025, 3, 4)


EMAIL = """\
From: Karen Brooks <karen.brooks@example.com>
To: Tom Ng <tom.ng@example.com>
Subject: Re: Phoenix budget
Date: Tue, 4 Mar 2025 10:15:00 +0000
Content-Type: text/plain; charset=utf-8

Hi Tom,

Thanks for the numbers. I will send the signed change request by Thursday.

Karen

On Mon, 3 Mar 2025, Tom Ng wrote:
> ACTION: Karen to review the vendor contract by EOW.
> We agreed to drop the mobile scope.
"""


def test_email_quoted_text_is_not_extracted_again(tmp_path: Path) -> None:
    analysis = analyze(tmp_path, "reply.eml", EMAIL)
    assert analysis.document_type == "email"
    assert actions(analysis) == {"Send the signed change request": ("Karen Brooks", dt.date(2025, 3, 6))}
    assert analysis.decisions == []


RISKS_CSV = """\
ID,Risk description,Probability,Impact,Owner,Mitigation,Status
R1,Vendor API not ready for integration testing,4,5,Karen Brooks,Weekly checkpoint with vendor,Open
R2,Key developer leaves during rollout,2,3,Tom Ng,Pair on critical modules,Open
R3,Licence costs exceed budget,3,1,,Negotiate enterprise deal,Closed
"""


def test_risk_register_columns_scales_and_closed_rows(tmp_path: Path) -> None:
    analysis = analyze(tmp_path, "risk-register.csv", RISKS_CSV)
    assert analysis.document_type == "risk_register"
    risks = {risk.text: risk for risk in analysis.risks}
    assert set(risks) == {
        "Vendor API not ready for integration testing",
        "Key developer leaves during rollout",
    }
    vendor = risks["Vendor API not ready for integration testing"]
    assert (vendor.likelihood, vendor.severity, vendor.owner) == ("high", "high", "Karen Brooks")
    assert vendor.mitigation == "Weekly checkpoint with vendor"
    developer = risks["Key developer leaves during rollout"]
    assert (developer.likelihood, developer.severity) == ("low", "medium")


def test_risks_in_prose(tmp_path: Path) -> None:
    notes = (
        "# Status report - week 12\n\nOverall status: amber.\n\n"
        "RISK: the data migration could delay the go-live by two weeks.\n\n"
        "There is a risk that the security review is not finished before launch.\n"
    )
    texts = [risk.text for risk in analyze(tmp_path, "status.md", notes).risks]
    assert len(texts) == 2
    assert "data migration could delay" in texts[0]


def test_milestones_from_tables_and_prose(tmp_path: Path) -> None:
    plan = (
        "# Project plan: Phoenix\n\n## Milestones\n\n"
        "| Milestone | Target date |\n|---|---|\n"
        "| Design sign-off | 2025-04-30 |\n| UAT complete | 2025-06-13 |\n\n"
        "## Timeline\n\nGo-live is scheduled for 1 July 2025.\n"
    )
    analysis = analyze(tmp_path, "plan.md", plan)
    assert analysis.document_type == "project_plan"
    found = {m.name: m.date for m in analysis.milestones}
    assert found["Design sign-off"] == dt.date(2025, 4, 30)
    assert found["UAT complete"] == dt.date(2025, 6, 13)
    assert dt.date(2025, 7, 1) in found.values()


def test_non_pm_document_is_other_without_items(tmp_path: Path) -> None:
    release = (
        "# Acme launches the Falcon 9000 blender\n\n"
        "SPRINGFIELD, March 3, 2025 - Acme Corp today announced the Falcon 9000, "
        "a blender for home kitchens. The blender will ship in stores next month. "
        "Jane Doe, CEO, said customers will love the new design.\n\n"
        "About Acme: Acme makes kitchen appliances in 14 countries.\n"
    )
    analysis = analyze(tmp_path, "press-release.md", release)
    assert analysis.document_type == "other"
    assert (analysis.action_items, analysis.risks, analysis.decisions, analysis.milestones) == (
        [],
        [],
        [],
        [],
    )


@pytest.mark.skipif(not CORPUS.is_dir(), reason="the shared corpus is not checked out")
def test_every_evidence_quote_is_the_text_at_its_offsets_on_the_real_corpus() -> None:
    analyzer = RulesAnalyzer()
    paths = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.name != "MANIFEST.csv")
    assert paths
    for path in paths:
        document = extract(path, sniff(path, path.name), ExtractOptions())
        analysis = analyzer.analyze(document, filename=path.name)
        items = [*analysis.action_items, *analysis.risks, *analysis.decisions, *analysis.milestones]
        for item in items:
            evidence = item.evidence
            assert evidence is not None, path
            assert document.text[evidence.start : evidence.end] == evidence.quote, path
            assert 1 <= evidence.page <= len(document.pages)
            assert 0.0 <= item.confidence <= 1.0


def test_prose_requests_numbered_tasks_and_standing_duties(tmp_path: Path) -> None:
    notes = (
        "# Ops sync notes, 2 June 2025\n\n"
        "Ann will send the budget by Friday.\n\n"
        "## Action items\n"
        "- Lena Vogel to send the revised plan for workstream 1 by 6 June\n"
        "- Lena Vogel to send the revised plan for workstream 2 by 6 June\n"
        "- Hire a contract copywriter - owner: Beth Nguyen, high priority\n"
        "- Everyone to update their tickets daily\n"
    )
    found = {
        item.text: (item.owner, item.due_date, item.priority)
        for item in analyze(tmp_path, "sync.md", notes).action_items
    }
    assert found == {
        "Send the budget": ("Ann", dt.date(2025, 6, 6), None),
        "Send the revised plan for workstream 1": ("Lena Vogel", dt.date(2025, 6, 6), None),
        "Send the revised plan for workstream 2": ("Lena Vogel", dt.date(2025, 6, 6), None),
        "Hire a contract copywriter": ("Beth Nguyen", None, "high"),
    }
    email = (
        "From: Daniel Kim <daniel.kim@example.com>\nTo: Rachel Green <rachel.green@example.com>\n"
        "Subject: Move\nDate: Tue, 14 Oct 2025 09:12:00 +0000\n\n"
        "Hi Rachel,\n\nCould you please confirm the rack layout with facilities by 20 October?\n"
    )
    asked = analyze(tmp_path, "move.eml", email)
    assert actions(asked) == {
        "Confirm the rack layout with facilities": ("Rachel Green", dt.date(2025, 10, 20))
    }


def test_action_table_with_a_yes_no_done_column(tmp_path: Path) -> None:
    table = (
        "Action,Assigned to,Target date,Done?\n"
        "Send revised BoM to procurement,Grace Obi,2025-04-04,No\n"
        "Confirm lab booking,Paul Dubois,2025-04-02,Yes\n"
    )
    found = actions(analyze(tmp_path, "actions.csv", table))
    assert found == {"Send revised BoM to procurement": ("Grace Obi", dt.date(2025, 4, 4))}


BOARD = """\
MINUTES OF THE PROJECT BOARD MEETING
Held on 5 November 2025

Present: Helen Carter (Chair), Mohammed Aziz, Sarah O'Neill, Peter Lang

3. Budget
It was moved by Mohammed Aziz that the contingency be increased by 50,000 pounds. The motion was carried.

4. Actions
Sarah O'Neill will write to the supplier to escalate the delays by
14 November.
"""


def test_numbered_plain_text_sections_and_carried_motions(tmp_path: Path) -> None:
    analysis = analyze(tmp_path, "board.txt", BOARD)
    assert analysis.document_type == "meeting_notes"
    assert actions(analysis) == {
        "Write to the supplier to escalate the delays": ("Sarah O'Neill", dt.date(2025, 11, 14))
    }
    [decision] = analysis.decisions
    assert decision.text.startswith("It was moved by Mohammed Aziz that the contingency be increased")
    assert decision.text.endswith("The motion was carried.")


def test_any_named_event_with_a_set_date_is_a_milestone(tmp_path: Path) -> None:
    notes = (
        "# Facilities committee minutes, 8 January 2025\n\n"
        "The annual fire drill is scheduled for 29 January 2025.\n\n"
        "The next meeting is scheduled for 5 February 2025.\n\n"
        "Can you confirm that the go-live date of 30 June still holds?\n\n"
        "One risk: if the permit is late, the cut-over could slip past 14 March.\n"
    )
    found = {m.name: m.date for m in analyze(tmp_path, "minutes.md", notes).milestones}
    assert found == {"Annual fire drill": dt.date(2025, 1, 29), "Go-live date": dt.date(2025, 6, 30)}
