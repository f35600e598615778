"""First start: migrate the schema and load the shipped reference data."""

from __future__ import annotations

from jiliang.core import migrate
from jiliang.core.db import reset_engine, session_scope


def prepare_database() -> None:
    """Bring the schema to head and load regions and instrument types if missing."""
    import jiliang.models  # noqa: F401
    from jiliang.instruments import catalogue
    from jiliang.regions import service as regions

    migrate.upgrade()
    reset_engine()
    with session_scope() as session:
        regions.load_into(session)
        catalogue.load_into(session)
        from jiliang.supervision import catalogue as mandatory_catalogue

        mandatory_catalogue.load_into(session)
