"""Wiring for one command or flow run: settings, the clock read once, the database and the rules."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from emergency.config import Settings
from emergency.db import migrate
from emergency.db.session import make_engine, make_session_factory
from emergency.errors import EmergencyError
from emergency.plans.loader import load_rules
from emergency.plans.rules import ReportingRules
from emergency.plans.schema import PlanFile, check_plan_types, load_plans


@dataclass(frozen=True)
class Runtime:
    """What a command needs, built once at its start."""

    settings: Settings
    now: datetime
    engine: Engine
    sessions: sessionmaker[Session]
    rules: ReportingRules
    plans: dict[str, PlanFile]


def open_runtime(settings: Settings, *, require_schema: bool = True) -> Runtime:
    """Resolve the clock once, load the rules, connect, and check the schema is current."""
    rules = load_rules(settings.plans_dir, settings.rules)
    engine = make_engine(settings.resolved_database_url())
    if require_schema:
        current = migrate.current_revision(engine)
        if current is None:
            raise EmergencyError(f"database {describe_url(settings)} is not initialised: run `emergency init`")
        if current != migrate.head_revision(engine):
            raise EmergencyError(
                f"database {describe_url(settings)} is at revision {current}: run `emergency init` to upgrade it")
    plans = load_plans(settings.plans_dir)
    check_plan_types(plans, {t.code for t in rules.event_types})
    return Runtime(settings, settings.clock().now(), engine, make_session_factory(engine), rules, plans)


def describe_url(settings: Settings) -> str:
    """Return the database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(settings.resolved_database_url()).render_as_string(hide_password=True)
