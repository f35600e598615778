"""Calibration and verification work (检定/校准): records, points, signatures, effects, intervals."""
