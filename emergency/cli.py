"""The `emergency` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from emergency.config import Settings, load_settings
from emergency.errors import EmergencyError

app = typer.Typer(
    help="Emergency duties of a street office (街道办事处, Article 27): reporting clocks, the audit "
    "of 迟报/漏报/谎报/瞒报, plans, hazards and warnings.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
audit_app = typer.Typer(help="Audit reporting against the rules (考核: 迟报、漏报、谎报、瞒报).", no_args_is_help=True)
app.add_typer(audit_app, name="audit")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

RulesOption = Annotated[
    Path | None, typer.Option("--rules", help="A district's rules file merged over the defaults (or EMERGENCY_RULES).")
]


def _settings(rules: Path | None = None) -> Settings:
    settings = load_settings()
    if rules is not None:
        settings = settings.model_copy(update={"rules": rules})
    return settings


@audit_app.command("replay")
def audit_replay(
    file: Annotated[Path, typer.Argument(help="A timeline file (emergency-timeline/1, JSON or YAML).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings object as JSON.")] = False,
    rules: RulesOption = None,
) -> None:
    """Audit a timeline file and print its findings (迟报/漏报/谎报/瞒报)."""
    from emergency.services.audits import replay_file

    settings = _settings(rules)
    result, document = replay_file(settings, file)
    if as_json:
        sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return
    from emergency.presenters import print_audit

    print_audit(out, result)


def main() -> None:
    """Run the CLI; turn every EmergencyError into one line on stderr and exit code 1."""
    try:
        app()
    except EmergencyError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
