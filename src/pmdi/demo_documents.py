"""The sample documents `make run` uploads to the demo project, so the product has something to show."""

from __future__ import annotations

STEERING_MINUTES = """\
# Apollo CRM rollout - steering committee, 3 March 2025

Attendees: Karen Brooks (KB), Tom Miller, Priya Shah, Omar Haddad

## Status
Data migration is 70% complete. User acceptance testing starts on 17 March 2025.
There is a risk that the legacy export will not finish before cut-over, which could delay go-live by a week.

## Decisions
- Decision: go-live moves to 14 April 2025 to give UAT three full weeks.
- Agreed to keep the old system read-only for 90 days after go-live.

## Action items
- KB to send the revised budget to finance by Friday.
- Priya Shah will book the UAT rooms and invite the pilot users by 10 March 2025.
- Omar: confirm the data retention rules with legal (high priority).
- Tom Miller sent the vendor contract last week.
"""

STATUS_REPORT = """\
APOLLO CRM ROLLOUT - WEEKLY STATUS REPORT
Reporting period: 10 March 2025 - 14 March 2025
Overall status: Amber

1. Summary
UAT preparation is on track; the legacy export is two days behind plan.

2. Milestones
UAT start is scheduled for 17 March 2025. Go-live is planned for 14 April 2025.

3. Next steps
Tom Miller will rerun the legacy export over the weekend and report the result by Monday.
"""

RISK_REGISTER = """\
ID,Risk,Likelihood,Impact,Owner,Mitigation,Status
R1,Legacy export does not finish before cut-over,4,4,Tom Miller,Run the export in two batches,Open
R2,Pilot users unavailable during UAT,2,3,Priya Shah,Confirm attendance with their managers,Open
R3,Licence costs exceed budget,3,2,Karen Brooks,Negotiate an enterprise agreement,Closed
"""

DOCUMENTS: list[tuple[str, str, str]] = [
    ("steering-committee-2025-03-03.md", "text/markdown", STEERING_MINUTES),
    ("status-report-week-11.txt", "text/plain", STATUS_REPORT),
    ("risk-register.csv", "text/csv", RISK_REGISTER),
]
