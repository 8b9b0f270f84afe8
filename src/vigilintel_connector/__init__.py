"""OpenCTI connector importing the daily VigilIntel threat-intelligence reports."""

__version__ = "0.1.0"
