"""PM Document Intelligence."""

__version__ = "0.1.0"
