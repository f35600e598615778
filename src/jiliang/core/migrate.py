"""Schema migrations (Alembic). The schema is created only by these, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from jiliang.core.config import get_settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", (url or get_settings().sqlalchemy_url).replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "heads") -> None:
    """Migrate to every head: feature modules branch from the registry revision."""
    command.upgrade(alembic_config(url), revision)


def revision(message: str, url: str | None = None, head: str = "head") -> None:
    """Autogenerate a revision against a database at ``head`` (developers only).

    A feature's first migration passes ``head="0001"`` to branch from the registry revision.
    """
    command.revision(alembic_config(url), message=message, autogenerate=True, head=head)
