"""Measurement integrity (诚信计量): operators' self-commitments, capability self-declarations and
an integrity rating from a published formula, with a public query page."""
