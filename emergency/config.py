"""Settings, built once at the edge (CLI, flows) and passed down; nothing is read at import."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from emergency.clock import Clock, FixedClock, SystemClock
from emergency.errors import InputError
from emergency.plans.loader import DEFAULT_PLANS_DIR

DEFAULT_DATABASE_PATH = Path("emergency.db")


class Settings(BaseSettings):
    """Where the data lives, which rules apply, and which office this installation serves."""

    model_config = SettingsConfigDict(env_prefix="EMERGENCY_", extra="ignore")

    database_url: str = ""
    """SQLAlchemy URL; empty means a SQLite file `emergency.db` in the working folder."""

    plans_dir: Path = DEFAULT_PLANS_DIR
    """The folder of plans and default reporting rules."""

    rules: Path | None = None
    """A district's override file merged over the default rules."""

    office: str = "长春市绿园区正阳街道办事处"
    """The office whose reports form one hash chain."""

    district_recipient: str = "绿园区人民政府总值班室、绿园区应急管理局"
    """Where reports go (主送), printed on each document."""

    output_dir: Path = Path("out")
    """Where generated documents (.docx, .pdf, findings) are written."""

    templates_dir: Path = DEFAULT_PLANS_DIR.parent / "templates"
    """The document templates office staff edit in Word or WPS."""

    ack_secret: SecretStr | None = None
    """The key of the HMAC-SHA256 that signs each 预警信息通知's acknowledgement link; unset, notices carry no link
    and are acknowledged by phone (`emergency warning ack`)."""

    ack_base_url: str = "http://127.0.0.1:8765/"
    """Where `emergency warning ack-server` is reached by communities and grids (the links point there)."""

    now: datetime | None = Field(default=None)
    """Freeze the clock at this instant (replays, demos, tests); must carry a UTC offset."""

    @field_validator("now")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("EMERGENCY_NOW needs a UTC offset, e.g. 2026-03-01T08:10:00+08:00")
        return value

    @field_validator("ack_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        from urllib.parse import urlsplit

        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            raise ValueError("must be an http(s) URL without query, e.g. https://yj.example.gov.cn/")
        return value

    def resolved_database_url(self) -> str:
        """Return the database URL, defaulting to the SQLite file."""
        return self.database_url or f"sqlite:///{DEFAULT_DATABASE_PATH.resolve()}"

    def clock(self) -> Clock:
        """Return the one clock: fixed when EMERGENCY_NOW is set, else the system clock."""
        return FixedClock(self.now) if self.now is not None else SystemClock()


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, with explicit overrides; a bad value is an InputError naming it."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "EMERGENCY_" + "_".join(str(part) for part in error["loc"]).upper()
        raise InputError("settings", name, error["msg"].removeprefix("Value error, ")) from None
