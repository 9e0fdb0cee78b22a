"""attribution: who is speaking in a news article, and how sure."""

__version__ = "0.1.0"
