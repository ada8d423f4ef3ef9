"""Importing this module registers every built-in extractor and loads the parsing libraries they use.

The sandbox's forkserver preloads it, so each extraction subprocess starts with them in memory instead of
spending about a second importing them again.
"""

from pmdi.extraction import images, mail, office, pdf, spreadsheet, text

__all__ = ["images", "mail", "office", "pdf", "spreadsheet", "text"]
