"""Upstream CAP feeds (上级预警信息订阅) as data: plans/feeds.yaml names each feed the office polls and its URL.
A bad file fails with file, field and why."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from emergency.errors import RulesError
from emergency.plans.loader import describe_location, read_yaml
from emergency.plans.monitoring import check_http_url

FEEDS_FILE = "feeds.yaml"


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Feed(_Data):
    """One upstream feed: an Atom/RSS feed of CAP 1.2 messages, or a URL that answers one CAP message."""

    name: str = Field(min_length=1, max_length=200)
    url: str = Field(min_length=1, max_length=1000)
    active: bool = True
    source: str = Field(min_length=1)
    """Who publishes the feed and on what authority."""

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return check_http_url(value)


class FeedsFile(_Data):
    """plans/feeds.yaml."""

    source: str = Field(min_length=1)
    feeds: tuple[Feed, ...] = ()

    @model_validator(mode="after")
    def _unique(self) -> FeedsFile:
        urls = [f.url for f in self.feeds]
        if len(urls) != len(set(urls)):
            raise ValueError("feed URLs must be unique")
        return self


@dataclass(frozen=True)
class FeedPlan:
    """The feeds of plans/feeds.yaml."""

    feeds: tuple[Feed, ...]
    path: str


def load_feed_plan(plans_dir: Path) -> FeedPlan:
    """Load and check plans/feeds.yaml; a missing file means no feeds."""
    path = plans_dir / FEEDS_FILE
    if not path.exists():
        return FeedPlan((), str(path))
    data = read_yaml(path)
    try:
        loaded = FeedsFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise RulesError(str(path), describe_location(data, first["loc"]) or None,
                         first["msg"].removeprefix("Value error, ")) from None
    return FeedPlan(loaded.feeds, str(path))
