"""Supervision of legal metrology: the verifiable "double random, one public" draw (双随机、一公开)."""
