"""korus: bilateral trade statistics you can defend."""

__version__ = "0.1.0"
