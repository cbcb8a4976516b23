"""Keep Prefect's own output off the user's screen: its logs go to a file the command names."""

from __future__ import annotations

import os
import sys
from pathlib import Path

LOGGING_YAML = """\
version: 1
disable_existing_loggers: False
formatters:
  standard:
    (): prefect.logging.formatters.PrefectFormatter
    format: "%(asctime)s.%(msecs)03d | %(levelname)-7s | %(name)s - %(message)s"
    flow_run_fmt: "%(asctime)s.%(msecs)03d | %(levelname)-7s | Flow run %(flow_run_name)r - %(message)s"
    task_run_fmt: "%(asctime)s.%(msecs)03d | %(levelname)-7s | Task run %(task_run_name)r - %(message)s"
    datefmt: "%Y-%m-%d %H:%M:%S"
handlers:
  file:
    level: 0
    class: logging.FileHandler
    formatter: standard
    filename: {log_file}
    encoding: utf-8
  api:
    level: 0
    class: prefect.logging.handlers.APILogHandler
  worker_api:
    level: 0
    class: prefect.logging.handlers.WorkerAPILogHandler
loggers:
  prefect:
    level: INFO
  prefect.extra:
    level: INFO
    handlers: [api]
    propagate: false
  prefect.flow_runs:
    level: NOTSET
    handlers: [api]
  prefect.task_runs:
    level: NOTSET
    handlers: [api]
  prefect.workers:
    level: NOTSET
    handlers: [worker_api]
  prefect.server:
    level: WARNING
  prefect._internal:
    level: WARNING
    propagate: false
    handlers: [file]
  emergency:
    level: INFO
  uvicorn:
    level: WARNING
    handlers: [file]
    propagate: false
  fastapi:
    level: WARNING
    handlers: [file]
    propagate: false
root:
  level: WARNING
  handlers: [file]
"""


def quiet_prefect(log_file: Path) -> Path:
    """Send Prefect's logs to *log_file* and switch off its telemetry; call before importing prefect."""
    log_file = log_file.resolve()
    log_file.parent.mkdir(parents=True, exist_ok=True)
    settings = log_file.with_suffix(".logging.yml")
    settings.write_text(LOGGING_YAML.replace("{log_file}", str(log_file)), encoding="utf-8")
    defaults = {
        "PREFECT_LOGGING_SETTINGS_PATH": str(settings),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_LOGGING_LEVEL": "CRITICAL",
        "PREFECT_LOGGING_EXTRA_LOGGERS": "emergency",
        "PREFECT_UI_ENABLED": "false",
        "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
        # Prefect's 20 s is not enough for its temporary server on a busy two-core machine (the demo, `run`).
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, value)
    return log_file


def silence_stderr_at_exit(log_file: Path) -> None:
    """Point file descriptor 2 at the log: what Prefect prints while shutting down lands there, not on screen."""
    sys.stderr.flush()
    fd = os.open(log_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
