"""Run the real `emergency` console script as a user would, against a given database and clock."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

EMERGENCY = str(Path(sys.executable).with_name("emergency"))


@dataclass(frozen=True)
class Result:
    """What the command printed and returned."""

    code: int
    stdout: str
    stderr: str


def run_cli(args: list[str], *, database_url: str, cwd: Path, now: str | None = None,
            env: dict[str, str] | None = None) -> Result:
    """Run `emergency ARGS` and capture its output."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("EMERGENCY_")}
    environ["EMERGENCY_DATABASE_URL"] = database_url
    environ["COLUMNS"] = "200"
    if now is not None:
        environ["EMERGENCY_NOW"] = now
    environ.update(env or {})
    done = subprocess.run([EMERGENCY, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120)
    return Result(done.returncode, done.stdout, done.stderr)
