"""Demo data for the mandatory catalogue: nothing beyond what every start loads.

``jiliang.bootstrap.prepare_database`` loads the shipped catalogue and maps the shipped types;
this makes sure of it for a database prepared otherwise (idempotent, no audit when unchanged).
"""

from __future__ import annotations

import random
from datetime import date

from sqlalchemy.orm import Session

from jiliang.supervision import catalogue


def seed_demo(session: Session, size: str, rng: random.Random, today: date) -> None:
    catalogue.load_into(session)
