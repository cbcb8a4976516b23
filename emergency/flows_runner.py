"""Run the Prefect flows from the CLI: once in-process, or served; Prefect's own output kept off the screen."""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from emergency.config import load_settings
from emergency.errors import EmergencyError, InputError
from emergency.prefect_env import quiet_prefect, silence_stderr_at_exit

if TYPE_CHECKING:
    from emergency.clocks import Clocks

FLOWS: dict[str, tuple[str, str]] = {
    "response": ("flows.response_flow", "incident_response"),
    "reporting": ("flows.reporting_flow", "incident_reporting"),
    "signoff": ("flows.signoff_flow", "report_signoff"),
    "delivery": ("flows.delivery_flow", "outbox_delivery"),
    "daily-audit": ("flows.audit_flow", "daily_audit"),
    "monthly-timeliness": ("flows.audit_flow", "monthly_timeliness"),
    "inspection": ("flows.inspection_flow", "inspection_planning"),
    "inspection-report": ("flows.inspection_report_flow", "inspection_report"),
    "monitoring": ("flows.monitoring_flow", "monitoring_poll"),
    "feeds": ("flows.feed_flow", "feed_poll"),
    "pass-down": ("flows.warning_notice_flow", "warning_pass_down"),
    "supplies": ("flows.supplies_flow", "supplies_check"),
    "readiness-report": ("flows.readiness_report_flow", "readiness_report"),
    "drill": ("flows.drill_flow", "drill_run"),
}


def log_file() -> Path:
    """Return where Prefect's logs go for this installation."""
    return load_settings().output_dir / "prefect.log"


def _flow(name: str) -> Any:
    if name not in FLOWS:
        raise InputError("command line", "flow", f"unknown flow {name!r}; known: {', '.join(FLOWS)}")
    module, attribute = FLOWS[name]
    return getattr(__import__(module, fromlist=[attribute]), attribute)


def run_flow(name: str, params: dict[str, Any]) -> Any:
    """Run the named flow once with *params*; Prefect validates and converts them by the flow's type hints."""
    logs = quiet_prefect(log_file())
    flow = _flow(name)
    accepted = set(inspect.signature(flow.fn).parameters)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise InputError(f"flow {name}", unknown[0], f"is not a parameter (parameters: {', '.join(sorted(accepted))})")
    run: Callable[..., Any] = flow
    try:
        return run(**params)
    except EmergencyError as exc:
        # Below, fd 2 goes to Prefect's log (its shutdown noise): the user's one line must reach the screen first.
        sys.stderr.write(f"error: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(1) from None
    finally:
        silence_stderr_at_exit(logs)


def serve_flows(console: Console) -> None:
    """Serve every deployment (embedded server, or PREFECT_API_URL's) until interrupted."""
    logs = quiet_prefect(log_file())
    from flows.deployments import build_deployments, serve_all

    names = [d.name for d in build_deployments()]
    clocks = start_clocks()
    console.print(f"Deadline clocks running: {clocks.pending_jobs()} steps scheduled.", markup=False)
    console.print(f"Serving {len(names)} deployments: {', '.join(names)}. Prefect's log: {logs}. Ctrl-C stops.",
                  markup=False)
    try:
        serve_all()
    finally:
        clocks.stop()
        silence_stderr_at_exit(logs)


def start_clocks() -> Clocks:
    """Start the deadline clocks of this process from the obligation rows."""
    from emergency.clocks import Clocks
    from emergency.plans.escalation import load_escalation
    from emergency.runtime import open_runtime

    runtime = open_runtime(load_settings())
    clocks = Clocks(runtime.sessions, load_escalation(runtime.settings.plans_dir), now=runtime.settings.clock().now)
    clocks.start()
    return clocks


def run_clocks_forever(console: Console) -> None:
    """Run the clocks in the foreground until interrupted or terminated."""
    import signal
    import threading

    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    clocks = start_clocks()
    console.print(f"Deadline clocks running: {clocks.pending_jobs()} steps scheduled. Ctrl-C stops.", markup=False)
    try:
        while not stopped.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        clocks.stop()
