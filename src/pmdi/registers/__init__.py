"""Project registers: action items, risks (RAID), decisions and milestones tracked across documents."""
