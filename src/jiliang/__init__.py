"""Jiliang (计量): an open-source smart-metrology platform."""

__version__ = "0.1.0"
