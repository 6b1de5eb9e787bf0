"""All configuration in one pydantic-settings object, read from WARROOM_* environment variables.

Every field is documented in the README (a test keeps the two in step). Tests build their own
Settings(home=tmp_path) instead of touching the environment.
"""

from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, SecretStr, field_validator
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
    engine: Literal["duckdb", "spark"] = Field(
        "duckdb",
        description="Engine metric queries run on: duckdb (the warehouse file) or spark (its Parquet export).",
    )
    spark_master: str = Field(
        "local[2]", description="Spark master URL for engine=spark: local[N] or spark://host:7077."
    )
    spark_data: str = Field(
        "",
        description="Folder or URL (hdfs://, s3a://) of the Parquet export Spark reads; empty means parquet in home.",
    )
    alert_channels: Path | None = Field(
        None,
        description="YAML file of alert delivery channels (webhook, DingTalk, WeCom, Feishu, Slack, email) "
        "and their secrets; unset: alerts are evaluated and kept in the outbox, but not sent.",
    )
    alert_rules: Path | None = Field(
        None,
        description="YAML rule file the server and `warroom alerts` evaluate instead of the built-in pack "
        "(same format as warroom/alerts/rulepack.yaml); a bad file stops the server at start.",
    )
    # 15 s: Prometheus' common evaluation interval; alert rules read whole minutes, so a finer tick only
    # picks up late rows sooner.
    alert_interval_seconds: float = Field(
        15.0, description="How often the server evaluates alert rules and drains the alert outbox."
    )

    sale_day: str = Field(
        "11-11",
        description="The sale's day as MM-DD (local time): the big screen counts down to its start, then to its end.",
    )

    # The key of the signed ack / claim / resolve links in notifications (warroom/alerts/links.py). Empty: a
    # random one is generated once into home/alert_link_secret (mode 0600). A SecretStr: never in a repr or log.
    alert_link_secret: SecretStr = Field(
        SecretStr(""),
        description="Key signing the ack / claim / resolve links in alert messages; empty: generated into "
        "home/alert_link_secret on first use. Changing it voids every link already sent.",
    )
    # 24 h: a sale day's shift; a link found the morning after is better refused than acting on a new episode.
    alert_link_expiry_hours: float = Field(
        24.0, description="How long an ack / claim / resolve link in an alert message stays valid, in hours."
    )

    # DESIGN.md and the access policies say nothing of who may read a panel's SQL; it names tables, columns
    # and the reader's own row filters, which is for the people who run the data (admin) and the system (tech).
    sql_roles: str = Field(
        "admin,tech",
        description='Roles whose users may open a board panel\'s SQL ("show the SQL"), separated by commas.',
    )

    @field_validator("sale_day")
    @classmethod
    def _month_day(cls, value: str) -> str:
        try:
            datetime.strptime(f"2024-{value}", "%Y-%m-%d")  # a leap year, so 02-29 is a day
        except ValueError:
            raise ValueError(
                f"WARROOM_SALE_DAY {value!r}: write the month and day as MM-DD, e.g. 11-11"
            ) from None
        return value

    @property
    def sale_month_day(self) -> tuple[int, int]:
        month, day = self.sale_day.split("-")
        return int(month), int(day)

    @property
    def sql_role_names(self) -> frozenset[str]:
        return frozenset(r.strip() for r in self.sql_roles.split(",") if r.strip())

    @property
    def warehouse_path(self) -> Path:
        return self.home / self.warehouse_file

    @property
    def metadata_sqlalchemy_url(self) -> str:
        return self.metadata_url or f"sqlite:///{self.home / 'metadata.sqlite'}"

    @property
    def spark_data_location(self) -> str:
        return self.spark_data or str(self.home / "parquet")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; a FastAPI dependency that tests override."""
    return Settings()
