"""Delivery channels and routes as data (plans/delivery.yaml); secrets and URLs come only from the environment."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from emergency.adapters.channels import (
    Channel,
    DeliveryError,
    DingTalkRobotChannel,
    DropFolderChannel,
    OutgoingMessage,
    Receipt,
    WebhookChannel,
    WeComRobotChannel,
)
from emergency.errors import InputError, RulesError
from emergency.plans.loader import DEFAULT_PLANS_DIR, describe_location, read_yaml

DELIVERY_FILE = "delivery.yaml"
ChannelKind = Literal["webhook", "wecom", "dingtalk", "folder"]
ENV_NAME = r"^[A-Z][A-Z0-9_]*$"
CHANNEL_ID = r"^[a-z][a-z0-9_-]*$"
TOPIC = r"^[a-z][a-z0-9_.-]*$"
# Keys that would put a credential into a file in the repository: refused, with a pointer to *_env.
LITERAL_SECRET_KEYS = ("url", "secret", "token", "key", "password", "access_token")


DRILL_ROUTE = "drill"
"""The route a drill message queued for a real channel is diverted to when it is sent."""


def is_drill_topic(topic: str) -> bool:
    """Return whether *topic* is a drill route (`drill`, or a name ending in `_drill`): drill channels only."""
    return topic == DRILL_ROUTE or topic.endswith("_drill")


@dataclass(frozen=True, slots=True)
class DrillGuard:
    """Where drill messages (演练) may be sent: the drill channels, and the channel the others are diverted to.

    The default knows no drill channel: a drill message for a real channel then fails rather than goes out.
    """

    channels: frozenset[str] = frozenset()
    divert_to: str | None = None


class _Data(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ChannelSpec(_Data):
    """One channel: its kind and the names of the environment variables holding its URL and secret."""

    id: str = Field(pattern=CHANNEL_ID, max_length=64)
    kind: ChannelKind
    description: str = ""
    url_env: str | None = Field(default=None, pattern=ENV_NAME)
    secret_env: str | None = Field(default=None, pattern=ENV_NAME)
    folder: Path | None = None
    drill: bool = False
    """A channel for drills only (演练): drill messages go here, and nothing else does."""

    @model_validator(mode="before")
    @classmethod
    def _no_literal_secrets(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name in LITERAL_SECRET_KEYS:
                if name in data:
                    raise ValueError(f"`{name}` is not allowed: URLs and secrets come only from the environment; "
                                     f"name the variable in url_env / secret_env")
        return data

    @model_validator(mode="after")
    def _fields_for_kind(self) -> ChannelSpec:
        needs = {"webhook": ("url_env", "secret_env"), "wecom": ("url_env",), "dingtalk": ("url_env", "secret_env"),
                 "folder": ("folder",)}[self.kind]
        for name in ("url_env", "secret_env", "folder"):
            present = getattr(self, name) is not None
            if name in needs and not present:
                raise ValueError(f"a {self.kind} channel needs {name}")
            if name not in needs and present:
                raise ValueError(f"a {self.kind} channel takes no {name}")
        return self


class DeliveryConfig(_Data):
    """All channels, and for each topic the channels every message of that topic goes to."""

    channels: tuple[ChannelSpec, ...] = Field(min_length=1)
    routes: dict[str, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("channels")
    @classmethod
    def _unique_ids(cls, channels: tuple[ChannelSpec, ...]) -> tuple[ChannelSpec, ...]:
        ids = [spec.id for spec in channels]
        for spec_id in ids:
            if ids.count(spec_id) > 1:
                raise ValueError(f"channel id {spec_id} is defined twice")
        return channels

    @field_validator("routes")
    @classmethod
    def _known_targets(cls, routes: dict[str, tuple[str, ...]], info: ValidationInfo) -> dict[str, tuple[str, ...]]:
        ids = {spec.id for spec in info.data.get("channels", ())}
        for topic, targets in routes.items():
            if len(topic) > 32 or re.fullmatch(TOPIC, topic) is None:
                raise ValueError(f"topic {topic!r} must be lower-case ASCII, at most 32 characters")
            if not targets:
                raise ValueError(f"{topic}: lists no channel")
            for target in targets:
                if target not in ids:
                    raise ValueError(f"{topic}: channel {target} is not defined under channels")
            if len(set(targets)) != len(targets):
                raise ValueError(f"{topic}: a channel is listed twice")
            drills = {spec.id for spec in info.data.get("channels", ()) if spec.drill}
            for target in targets:
                if is_drill_topic(topic) and target not in drills:
                    raise ValueError(f"{topic}: channel {target} is not a drill channel (drill: true), and a drill "
                                     "route never reaches real recipients")
                if not is_drill_topic(topic) and target in drills:
                    raise ValueError(f"{topic}: channel {target} is for drills only; real messages never go there")
        return routes

    def drill_guard(self) -> DrillGuard:
        """Return where drill messages may go: the drill channels, and the `drill` route's channel to divert to."""
        divert = self.routes.get(DRILL_ROUTE)
        return DrillGuard(channels=frozenset(spec.id for spec in self.channels if spec.drill),
                          divert_to=divert[0] if divert else None)

    def route(self, topic: str) -> tuple[str, ...]:
        """Return the channel ids of *topic*; a topic without a route is an InputError."""
        targets = self.routes.get(topic)
        if not targets:
            raise InputError(f"topic {topic}", "routes", "has no route in the delivery configuration")
        return targets


def load_delivery_config(path: Path | None = None) -> DeliveryConfig:
    """Load and validate a delivery file (default plans/delivery.yaml); a defect is a RulesError naming file and field."""
    source = path or DEFAULT_PLANS_DIR / DELIVERY_FILE
    data = read_yaml(source)
    try:
        return DeliveryConfig.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = describe_location(data, first["loc"])
        raise RulesError(str(source), field or None, first["msg"].removeprefix("Value error, ")) from None


def load_delivery(plans_dir: Path | None = None) -> DeliveryConfig:
    """Load `delivery.yaml` from *plans_dir* (default: the shipped plans folder)."""
    return load_delivery_config((plans_dir or DEFAULT_PLANS_DIR) / DELIVERY_FILE)


class UnconfiguredChannel:
    """A channel that cannot work in this environment; every send says why, and it is retried once fixed."""

    def __init__(self, channel_id: str, problem: str) -> None:
        self.channel_id = channel_id
        self.problem = problem

    def __repr__(self) -> str:
        return f"UnconfiguredChannel({self.channel_id!r})"

    def send(self, message: OutgoingMessage) -> Receipt:
        """Refuse, naming the channel and what is missing (retryable: fixing the environment is enough)."""
        raise DeliveryError(True, f"channel {self.channel_id}: {self.problem}")


def _is_loopback(host: str | None) -> bool:
    if host is None or host == "localhost":
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _url_problem(variable: str, url: str) -> str | None:
    """Return why *url* is not usable (without repeating it: it may hold a token), or None."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return None
    if parts.scheme == "http" and _is_loopback(parts.hostname):
        return None  # the local receiver of a demo or test
    return f"environment variable {variable} must hold an https:// URL (http:// only for 127.0.0.1)"


def build_channel(spec: ChannelSpec, environ: Mapping[str, str], *, base_dir: Path | None = None) -> Channel:
    """Build one channel from *spec*, reading its URL and secret from *environ* only."""
    if spec.kind == "folder":
        assert spec.folder is not None
        folder = spec.folder if spec.folder.is_absolute() else (base_dir or Path.cwd()) / spec.folder
        return DropFolderChannel(folder)
    values: dict[str, str] = {}
    for variable in (spec.url_env, spec.secret_env):
        if variable is None:
            continue
        value = environ.get(variable, "").strip()
        if not value:
            return UnconfiguredChannel(spec.id, f"environment variable {variable} is not set")
        values[variable] = value
    assert spec.url_env is not None
    url = values[spec.url_env]
    problem = _url_problem(spec.url_env, url)
    if problem is not None:
        return UnconfiguredChannel(spec.id, problem)
    secret = values[spec.secret_env] if spec.secret_env is not None else ""
    if spec.kind == "webhook":
        return WebhookChannel(url, secret)
    if spec.kind == "dingtalk":
        return DingTalkRobotChannel(url, secret)
    return WeComRobotChannel(url)


def build_channels(config: DeliveryConfig, environ: Mapping[str, str], *,
                   base_dir: Path | None = None) -> dict[str, Channel]:
    """Build every configured channel; one whose variables are unset reports that when it is used, not now."""
    return {spec.id: build_channel(spec, environ, base_dir=base_dir) for spec in config.channels}
