"""Contents of the dev-set spreadsheets, emails and scanned page that `make_docs.py` renders."""

from __future__ import annotations

import datetime as dt

RISK_REGISTER_HEADER = [
    "Risk ID",
    "Description",
    "Category",
    "Probability (1-5)",
    "Impact (1-5)",
    "Score",
    "Owner",
    "Mitigation",
    "Status",
]
RISK_REGISTER_ROWS = [
    [
        "HEL-R1",
        "Key SME availability during UAT",
        "Resourcing",
        4,
        4,
        16,
        "Nadia Petrov",
        "Book SME calendars now; contractor backfill approved",
        "Open",
    ],
    [
        "HEL-R2",
        "Data quality issues in the legacy CRM extract",
        "Data",
        3,
        5,
        15,
        "Tomás Ruiz",
        "Profiling in sprint 3; cleansing scripts before trial load",
        "Open",
    ],
    [
        "HEL-R3",
        "Supplier API rate limits throttle nightly sync",
        "Technical",
        2,
        3,
        6,
        "Wei Zhang",
        "Batch calls; agree higher limit in contract",
        "Open",
    ],
    [
        "HEL-R4",
        "Phase 2 budget approval delayed",
        "Financial",
        3,
        4,
        12,
        "Claire Dubois",
        "Early paper to investment board",
        "Open",
    ],
    [
        "HEL-R5",
        "Office move disrupts the team in June",
        "Organisational",
        2,
        2,
        4,
        "Nadia Petrov",
        "Move scheduled after release",
        "Closed",
    ],
    [
        "HEL-R6",
        "Security review finds critical issues late",
        "Security",
        2,
        5,
        10,
        "Wei Zhang",
        "Threat model review at design sign-off",
        "Open",
    ],
    [
        "HEL-R7",
        "Vendor licence cost increase at renewal",
        "Financial",
        4,
        2,
        8,
        "Claire Dubois",
        "Accepted; covered by contingency",
        "Accepted",
    ],
]
RISK_SCALE = [
    ["Score", "Probability", "Impact"],
    [1, "Rare (<10%)", "Negligible"],
    [2, "Unlikely", "Minor"],
    [3, "Possible", "Moderate"],
    [4, "Likely", "Major"],
    [5, "Almost certain (>90%)", "Severe"],
]

ERP_SCHEDULE = [
    ["Phase", "Milestone", "Baseline date", "Owner", "Status"],
    ["Initiation", "Project charter signed", dt.date(2025, 1, 31), "Greta Olsen", "Complete"],
    ["Design", "Solution design approved", dt.date(2025, 3, 14), "Victor Almeida", "On track"],
    ["Build", "Configuration complete", dt.date(2025, 5, 30), "Victor Almeida", "On track"],
    ["Test", "UAT sign-off", dt.date(2025, 7, 11), "Greta Olsen", "Not started"],
    ["Deploy", "Go-live", dt.date(2025, 8, 4), "Greta Olsen", "Not started"],
    ["Close", "Project closure report", dt.date(2025, 9, 30), "Greta Olsen", "Not started"],
]


SCANNED_MINUTES = [
    "RIVERSIDE COMMUNITY CENTRE",
    "Facilities Committee - Minutes",
    "Wednesday 8 January 2025, 6.30pm, Room 2",
    "",
    "Present: Paul Grant (chair), Irene Walsh, Nikhil Rao",
    "",
    "1. Heating",
    "The HVAC unit in the main hall failed twice in December.",
    "ACTION: Irene Walsh to get three quotes for the HVAC repair",
    "by 17 January.",
    "",
    "2. Fire safety",
    "The annual fire drill is scheduled for 29 January 2025.",
    "Paul to update the fire evacuation plan and circulate it",
    "by 24 January.",
    "",
    "3. Lobby",
    "Decision: the committee approved replacing the lobby carpet",
    "(budget 4,200 pounds).",
    "",
    "4. Roof",
    "Risk: the roof leak above the server cupboard could damage",
    "equipment if it is not repaired before the spring rains.",
    "Nikhil reported that the gutters were cleared in December.",
]

VENDOR_THREAD = {
    "From": "Daniel Reyes <daniel.reyes@acme-retail.example>",
    "To": "Lena Fischer <lena.fischer@northstar-it.example>",
    "Cc": "Marco Bianchi <marco.bianchi@acme-retail.example>",
    "Date": "Mon, 09 Jun 2025 09:14:00 +0200",
    "Subject": "Re: POS migration - change order and next steps",
    "body": """Hi Lena,

Thanks for the quick turnaround. I'll send over the signed change order by Wednesday.

Can you confirm that the go-live date of 30 June still holds with the extra store group included?
Marco will update the cutover plan once we have your confirmation.

One risk on our side: if the change order isn't countersigned by 13 June, your team can't hold the
migration slot and we would slip into July.

Best,
Daniel

--
Daniel Reyes
Programme Manager, Acme Retail

On Fri, 6 Jun 2025 at 17:40, Lena Fischer <lena.fischer@northstar-it.example> wrote:
> Hi Daniel,
>
> Following today's call, here is the summary.
>
> Action items:
> - Acme to send the signed change order for the extra store group
> - Northstar to schedule the UAT kickoff for week 25
> - Marco to review the data mapping for the loyalty tables by June 10
>
> Decision: the extra store group (12 stores) is added to wave 2.
>
> Regards,
> Lena
""",
}

ROLLOUT_EMAIL = {
    "From": "Rachel Adams <rachel.adams@brightwave.example>",
    "To": "Tom Becker <tom.becker@brightwave.example>",
    "Cc": "Imran Qureshi <imran.qureshi@brightwave.example>",
    "Date": "Thu, 27 Feb 2025 08:05:00 -0500",
    "Subject": "RE: Rollout options for the new CRM",
    "body": """Tom,

Thanks for laying out the options below. Go ahead with option 2 (phased rollout by region) - I've
cleared it with Finance this morning. Let's keep the launch date of 7 April for the first region.

Please have Imran send me the revised timeline by Monday, and loop in Legal on the data-sharing
clause before we sign anything with the vendor.

Rachel

Rachel Adams | VP Customer Operations | Brightwave

From: Tom Becker <tom.becker@brightwave.example>
Sent: Wednesday, February 26, 2025 5:12 PM
To: Rachel Adams <rachel.adams@brightwave.example>
Cc: Imran Qureshi <imran.qureshi@brightwave.example>
Subject: Rollout options for the new CRM

Hi Rachel,

We need a decision on how to roll out the new CRM:

Option 1 - big bang on 7 April: fastest, but all 400 agents retrain at once.
Option 2 - phased by region, starting 7 April with EMEA: slower, lower risk.

Next steps once you choose:
- I will book a steering committee slot for next week
- Imran to update the project timeline
- Procurement to send the final contract to the vendor

Thanks,
Tom
""",
}
