"""Email ingest: IMAP mailboxes polled per organisation; each email and its attachments become documents."""
