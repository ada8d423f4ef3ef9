"""Contents of the dev-set Word, PDF and PowerPoint documents that `make_docs.py` renders.

Blocks are (kind, payload): "h1"/"h2"/"p"/"bullet" take text, "table" takes rows of cells.
"""

# Typographic dashes are deliberate: real documents are written with them.
# ruff: noqa: RUF001

from __future__ import annotations

from typing import Any

Block = tuple[str, Any]

STEERING_COMMITTEE: list[Block] = [
    ("h1", "Project Atlas – Steering Committee Minutes"),
    ("p", "Meeting date: 17 October 2024 · Chair: Dr. Amelia Hart (Sponsor)"),
    (
        "p",
        "Present: Dr. Amelia Hart, Ben Cole (Project Manager), Fatima Zahra (IT Operations), "
        "Rob Lindqvist (Finance). Apologies: Chloe Martin (HR).",
    ),
    ("h2", "1. Programme status"),
    (
        "p",
        "Phase 2 is amber. Data migration slipped two weeks because the vendor moved two engineers to "
        "another client. Ben walked through the recovery plan.",
    ),
    ("p", "Decision: The committee approved the revised go-live date of 3 February 2025."),
    ("h2", "2. Budget"),
    (
        "p",
        "Rob presented the forecast: the project is £48k over budget at completion. Decision required: "
        "whether to fund the overrun from contingency or to descope the reporting module. This will be "
        "decided at the November meeting once the options paper is available.",
    ),
    ("h2", "3. Risks"),
    (
        "p",
        "There is a risk that the vendor's lead data engineer leaves before cutover; Ben will ask the "
        "vendor for a named backup engineer. The training budget could also be cut in the Q1 spending "
        "review, which would delay end-user training.",
    ),
    ("h2", "4. AOB"),
    ("p", "Fatima reminded the committee that the new service desk tool goes live on 4 November 2024."),
    ("h2", "Action log"),
    (
        "table",
        [
            ["ID", "Action", "Owner", "Due", "Status"],
            [
                "A-09",
                "Brief the works council on the training schedule",
                "Chloe Martin",
                "31 Oct 2024",
                "Open",
            ],
            ["A-11", "Confirm the contingency balance", "Rob Lindqvist", "17 Oct 2024", "Closed"],
            [
                "A-12",
                "Circulate the revised project plan with the new go-live date",
                "Ben Cole",
                "24 Oct 2024",
                "Open",
            ],
            [
                "A-13",
                "Prepare an options paper on the overrun (contingency vs descope)",
                "Ben Cole / Rob Lindqvist",
                "7 Nov 2024",
                "Open",
            ],
            ["A-14", "Ask the vendor for a named backup data engineer", "Ben Cole", "25 Oct 2024", "Open"],
        ],
    ),
]

SOW: list[Block] = [
    ("h1", "Statement of Work No. 3 – Patient Records Data Migration"),
    (
        "p",
        'Between Northwind Health Trust ("the Client") and Bluefin Data Ltd ("the Supplier"), under '
        "the Master Services Agreement dated 12 January 2023. Effective date: 1 March 2025.",
    ),
    ("h2", "1. Background"),
    (
        "p",
        "The Client is replacing its patient administration system. The Supplier will migrate patient "
        "demographic, appointment and referral records from the legacy system to the new platform.",
    ),
    ("h2", "2. Scope of services"),
    ("bullet", "Analysis of the legacy data model and data quality profiling."),
    ("bullet", "Design of the data mapping and transformation rules."),
    ("bullet", "Two trial migrations and one production migration, with reconciliation reports."),
    ("bullet", "Four weeks of hypercare after the production cutover."),
    ("p", "Out of scope: archiving of records older than 8 years, and any changes to the new platform."),
    ("h2", "3. Deliverables and milestones"),
    (
        "table",
        [
            ["No.", "Deliverable / milestone", "Due date", "Payment"],
            ["D1", "Migration strategy document", "28 March 2025", "15%"],
            ["D2", "Data mapping specification", "25 April 2025", "20%"],
            ["D3", "Trial migration report", "30 May 2025", "20%"],
            ["D4", "Production cutover complete", "27 June 2025", "30%"],
            ["D5", "Hypercare closure report", "25 July 2025", "15%"],
        ],
    ),
    ("h2", "4. Client responsibilities"),
    (
        "p",
        "The Client shall provide read access to the legacy database within five business days of a "
        "request, a named data owner for each record type, and sign-off of each deliverable within ten "
        "business days of receipt.",
    ),
    ("h2", "5. Assumptions and risks"),
    (
        "p",
        "The plan assumes no more than 2 million patient records. Risk: delays in the Client granting "
        "access to the source systems will move all later milestone dates by the same amount.",
    ),
    ("h2", "6. Fees"),
    ("p", "Fixed price of £186,000 excluding VAT, invoiced on acceptance of each deliverable as above."),
    ("h2", "7. Contacts and signatures"),
    ("p", "Supplier engagement manager: Olivia Grant. Client project lead: Samuel Okoro."),
    (
        "p",
        "Signed for the Client: Maria Gonzalez, Chief Operating Officer. "
        "Signed for the Supplier: Peter Shaw, Director.",
    ),
]

OFFICE_MOVE: list[Block] = [
    ("h1", "Office move working group – meeting summary"),
    (
        "p",
        "Tuesday 11 February 2025. Attendees: Maria Lopez (Operations), James O'Neill (Facilities), "
        "Anika Sharma (IT).",
    ),
    (
        "p",
        "We started by going over where things stand. James mentioned that he had already sent the draft "
        "lease to legal last week, so that is off the list. Maria walked everyone through the costs, and "
        "she will send the revised budget by Friday once the removal quotes are in. James is going to "
        "follow up with the landlord about the lease renewal terms next week.",
    ),
    (
        "p",
        "We discussed whether we should hire a second removals firm as a backup, but no decision was made "
        "and we will see how the first quote compares. If the pilot goes well, Anika might extend the "
        "hot-desking setup to the Berlin office later in the year.",
    ),
    (
        "p",
        "It was agreed that the hot-desking pilot will start on 3 March on the second floor. Anika "
        "agreed to set up the shared booking drive before the next meeting on 20 February. As usual, Anika "
        "will also keep the project risk log up to date.",
    ),
    (
        "p",
        "James flagged that the lease renewal could increase the rent by up to 15%, which would blow "
        "the facilities budget for the year.",
    ),
]

STATUS_REPORT: list[Block] = [
    ("h1", "Project Nimbus – Weekly Status Report"),
    ("p", "Week 23, ending Friday 6 June 2025 · Prepared by Grace Howard · Overall status: AMBER"),
    ("h2", "Summary"),
    (
        "p",
        "Tenant migration is 80% complete and the beta has been live for a week with no P1 incidents. "
        "Status is amber because payment provider certification is behind plan.",
    ),
    ("h2", "Accomplishments this week"),
    ("bullet", "Migrated a further 120 tenants to the new platform (total 80%)."),
    ("bullet", "Kofi completed the disaster recovery rehearsal; restore took 42 minutes."),
    ("bullet", "Beta feedback survey sent to 300 users."),
    ("h2", "Next steps"),
    ("bullet", "Emma Lewis: complete load testing of the payments service (Wed)."),
    ("bullet", "Kofi Mensah to sign off the production runbook with Operations by 13 June."),
    ("bullet", "Security team to finalise the penetration test scope next week."),
    ("h2", "Milestones"),
    (
        "table",
        [
            ["Milestone", "Target date", "Status"],
            ["Design sign-off", "14 Mar 2025", "Complete"],
            ["Beta release", "30 May 2025", "Complete"],
            ["Load test sign-off", "13 Jun 2025", "On track"],
            ["Production launch", "7 Jul 2025", "At risk"],
        ],
    ),
    ("h2", "Risks and issues"),
    (
        "table",
        [
            ["Risk", "Severity", "Owner", "Mitigation"],
            [
                "Payment provider certification may slip past the launch date",
                "High",
                "Kofi Mensah",
                "Daily calls with the provider; fallback to the existing gateway",
            ],
            [
                "Two contractors roll off at the end of June",
                "Medium",
                "Emma Lewis",
                "Knowledge transfer sessions in weeks 24-25",
            ],
        ],
    ),
    ("h2", "Decisions"),
    ("p", "Agreed with Finance this week to defer the analytics module to phase 2."),
    ("p", "Decision needed from the steering group: approve £12k for a dedicated load-test environment."),
]

NEWS_ARTICLE: list[Block] = [
    ("h1", "Council backs protected bike lanes on Harbor Avenue"),
    ("p", "By Jordan Ellis · March 4, 2025"),
    (
        "p",
        "The city council voted 7-2 on Monday night to approve protected bike lanes along a 2.4-mile "
        "stretch of Harbor Avenue, ending more than a year of debate over parking and delivery access.",
    ),
    (
        "p",
        '"This is about keeping people alive," said council member Rosa Alvarez, who sponsored the '
        "measure. Opponents, including council member Greg Daniels, argued that removing 180 parking spaces "
        'would hurt small businesses. "We risk emptying the street of customers," Daniels said.',
    ),
    (
        "p",
        "The transportation department will now prepare detailed designs. Construction is expected to "
        "start next spring and take about six months, with a deadline set by the state grant that funds "
        "most of the $8.5 million project.",
    ),
    (
        "p",
        "Business owners were split. Tamika Brown, who runs a bakery near 5th Street, said she welcomed "
        'the decision. "Half my customers already come by bike," she said.',
    ),
    ("p", "The council will hold a public meeting on loading zones later this month."),
]

KICKOFF_SLIDES: list[tuple[str, list[str]]] = [
    ("Project Orion – Kickoff", ["Click & collect for all 140 stores", "12 May 2025", "Arjun Mehta, PM"]),
    (
        "Why we are doing this",
        [
            "Online orders with store pickup grew 3x in 2024",
            "Today pickup is handled by email and paper lists",
            "Goal: order ready notification within 2 hours, 95% of the time",
        ],
    ),
    (
        "Scope",
        [
            "In scope: in-store pickup of online orders, staff picking app, customer notifications",
            "Agreed scope decision: home delivery is out of scope for the MVP",
            "Payment changes are handled by the Payments programme",
        ],
    ),
    (
        "Team",
        [
            "Sponsor: Helen Ward (Retail Operations Director)",
            "Project manager: Arjun Mehta",
            "Tech lead: Sofia Rossi",
            "Store operations lead: Daniel Fraser",
        ],
    ),
    (
        "Timeline",
        [
            "Discovery complete – 30 May 2025",
            "MVP build complete – 15 Aug 2025",
            "Pilot in 3 stores – 1 Sep 2025",
            "Full rollout – end of Q4 2025",
        ],
    ),
    (
        "Risks",
        [
            "Store IT readiness varies – could delay the pilot (medium)",
            "Peak trading freeze from mid-November leaves little time for rollout (high)",
        ],
    ),
    (
        "Next steps",
        [
            "Arjun to schedule the discovery workshops by 16 May",
            "Sofia to confirm cloud environment access next week",
            "Helen to nominate three pilot store managers by end of May",
        ],
    ),
]
