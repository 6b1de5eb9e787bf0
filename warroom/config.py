"""All configuration in one pydantic-settings object, read from WARROOM_* environment variables.

Every field is documented in the README (a test keeps the two in step). Tests build their own
Settings(home=tmp_path) instead of touching the environment.
"""

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WARROOM_", extra="ignore")

    home: Path = Field(Path(".warroom"), description="Folder holding the warehouse and metadata files.")
    warehouse_file: str = Field("warehouse.duckdb", description="DuckDB warehouse file name, inside home.")
    metadata_url: str = Field(
        "",
        description="SQLAlchemy URL of the metadata store; empty means SQLite file metadata.sqlite in home.",
    )
    timezone: str = Field("Asia/Shanghai", description="Time zone in which days and hours are shown.")
    host: str = Field("127.0.0.1", description="Address `warroom serve` listens on.")
    port: int = Field(8011, description="Port `warroom serve` listens on.")
    replay_speed: float = Field(
        60.0, description="Demo replay: simulated seconds per real second (60 = one sale hour per minute)."
    )
    refresh_seconds: float = Field(1.0, description="How often live pages are recomputed and pushed.")
    # 64 MiB is ~300k JSON events: far above the 1,000-event batches pushers send, small enough for 2 cores.
    ingest_max_body_mb: float = Field(64.0, description="Largest body POST /api/v1/ingest accepts, in MiB.")

    @property
    def warehouse_path(self) -> Path:
        return self.home / self.warehouse_file

    @property
    def metadata_sqlalchemy_url(self) -> str:
        return self.metadata_url or f"sqlite:///{self.home / 'metadata.sqlite'}"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; a FastAPI dependency that tests override."""
    return Settings()
