"""Settings read from the environment (``JILIANG_*``)."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Runtime configuration.

    With no ``JILIANG_DATABASE_URL`` the platform runs on an embedded SQLite file inside
    ``JILIANG_DATA_DIR``, which also holds signing keys and uploads.
    """

    model_config = SettingsConfigDict(env_prefix="JILIANG_", extra="ignore")

    database_url: str | None = None
    data_dir: Path = Path("./jiliang-data")
    secret_key: str | None = None
    dcc_schema_dir: Path | None = None
    default_lang: str = "zh"
    session_max_age: int = 12 * 3600
    demo_password: str = "jiliang-demo"
    public_url: str | None = None  # e.g. https://jiliang.example.gov.cn, printed in QR labels

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_path / 'jiliang.sqlite3'}"

    @property
    def data_path(self) -> Path:
        path = self.data_dir.expanduser().resolve()
        path.mkdir(parents=True, exist_ok=True)
        return path

    def session_secret(self) -> str:
        """The cookie-signing secret: from the environment, else a 0600 file in the data folder."""
        if self.secret_key:
            return self.secret_key
        key_file = self.data_path / "session.key"
        if not key_file.exists():
            fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return key_file.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
