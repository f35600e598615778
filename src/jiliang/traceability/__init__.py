"""Traceability (量值溯源): the chain from every result up to a national primary standard or an SI realisation."""
