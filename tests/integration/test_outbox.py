"""The outbox on SQLite and PostgreSQL: written with its document, sent at least once, stored once at the district."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from emergency import cli_outbox
from emergency.adapters.channels import (
    Channel,
    DeliveryError,
    DingTalkRobotChannel,
    DropFolderChannel,
    Receipt,
    WebhookChannel,
)
from emergency.adapters.http import make_http_session
from emergency.cli_outbox import outbox_app
from emergency.clock import CN_TZ
from emergency.db.models import OutboxRow
from emergency.db.session import unit_of_work
from emergency.delivery_config import build_channels, load_delivery
from emergency.errors import ConflictError, InputError
from emergency.receiver import Receiver, start_receiver
from emergency.services.outbox import (
    DEFAULT_LEASE,
    NewMessage,
    claim,
    deliver,
    deliver_due,
    due_messages,
    enqueue,
    enqueue_many,
    enqueue_routed,
    list_outbox,
    mark_failure,
    mark_sent,
    message_of,
    requeue,
    retry_delay,
)
from tests.fakes import RecordingChannel

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 1, 8, 30, tzinfo=CN_TZ)
SECRET = "whsec-outbox-test-8d0e3b61c2"
KEY = "report-2026-0001-R1@district_webhook"


def add(sessions: sessionmaker[Session], key: str = KEY, channel: str = "district_webhook", *,
        attachment: Path | None = None, at: datetime = NOW) -> int:
    """Enqueue one report message in its own unit of work and return its id."""
    with unit_of_work(sessions) as session:
        return enqueue(session, key=key, topic="report", channel=channel, subject="万福街餐馆燃气爆炸（首报）",
                       body={"incident": "2026-0001", "deaths": 0}, attachment=attachment, now=at)


def row(sessions: sessionmaker[Session], outbox_id: int) -> OutboxRow:
    """Read one outbox row as stored."""
    with sessions() as session:
        found = session.get(OutboxRow, outbox_id)
        assert found is not None
        return found


def webhook(receiver: Receiver) -> WebhookChannel:
    """A webhook channel to *receiver* that does not retry inside one send (the outbox retries)."""
    return WebhookChannel(receiver.url, SECRET, session=make_http_session(retries=0))


def json_files(folder: Path) -> list[str]:
    """Return the names of the message files in *folder*."""
    return sorted(p.name for p in folder.glob("*.json"))


class TestEnqueue:
    """Rows are written in the caller's transaction and are idempotent by key."""

    def test_same_key_returns_the_existing_row_unchanged(self, sessions: sessionmaker[Session]) -> None:
        """Enqueueing a key twice gives one row, as first written."""
        first = add(sessions)
        with unit_of_work(sessions) as session:
            second = enqueue(session, key=KEY, topic="notice", channel="duty_wecom", subject="other", body={},
                             attachment=None, now=NOW + timedelta(hours=1))
        assert second == first
        stored = row(sessions, first)
        assert (stored.topic, stored.channel, stored.status, stored.attempts) == ("report", "district_webhook", "queued", 0)
        assert stored.created_at == stored.next_attempt_at == NOW

    def test_rolls_back_with_the_document(self, sessions: sessionmaker[Session]) -> None:
        """If the transaction creating the document fails, its message does not exist either."""
        with pytest.raises(RuntimeError), unit_of_work(sessions) as session:
            enqueue(session, key=KEY, topic="report", channel="district_webhook", subject="s", body={},
                    attachment=None, now=NOW)
            raise RuntimeError("document rendering failed")
        with sessions() as session:
            assert session.scalar(select(func.count()).select_from(OutboxRow)) == 0

    def test_routed_enqueue_writes_one_row_per_channel(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        """A report goes to every channel of its route, each row keyed by message and channel."""
        document = tmp_path / "首报.docx"
        document.write_bytes(b"docx")
        with unit_of_work(sessions) as session:
            ids = enqueue_routed(session, config=load_delivery(), key="report-2026-0001-R1", topic="report",
                                 subject="首报", body={}, attachment=document, now=NOW, drill=True)
        with sessions() as session:
            rows = list_outbox(session)
        assert [r.id for r in rows] == ids
        assert [(r.idempotency_key, r.channel) for r in rows] == [
            ("report-2026-0001-R1@district_webhook", "district_webhook"), ("report-2026-0001-R1@district_drop", "district_drop")]
        assert all(r.drill and r.attachment == str(document.resolve()) for r in rows)

    @pytest.mark.parametrize(("key", "field"), [("has space", "key"), ("", "key"), ("k" * 129, "key")])
    def test_bad_key_is_refused(self, sessions: sessionmaker[Session], key: str, field: str) -> None:
        """A key must travel in a header and a file name: printable ASCII, 1 to 128 characters."""
        with pytest.raises(InputError) as caught, unit_of_work(sessions) as session:
            enqueue(session, key=key, topic="report", channel="c", subject="s", body={}, attachment=None, now=NOW)
        assert caught.value.field == field

    def test_missing_attachment_is_refused(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        """The document must exist when its message is queued."""
        with pytest.raises(InputError) as caught, unit_of_work(sessions) as session:
            enqueue(session, key=KEY, topic="report", channel="c", subject="s", body={},
                    attachment=tmp_path / "missing.docx", now=NOW)
        assert caught.value.field == "attachment"


class TestDue:
    """What is due, and in which order."""

    def test_due_messages_oldest_first_with_limit(self, sessions: sessionmaker[Session]) -> None:
        """Only queued rows due at *now* are returned, oldest due first, at most *limit*."""
        late = add(sessions, "k-late", at=NOW + timedelta(minutes=5))
        first = add(sessions, "k-first", at=NOW - timedelta(minutes=2))
        second = add(sessions, "k-second", at=NOW - timedelta(minutes=1))
        with unit_of_work(sessions) as session:
            mark_sent(session, outbox_id=add(sessions, "k-sent", at=NOW - timedelta(minutes=3)),
                      receipt=Receipt(False, "ok"), now=NOW)
        with sessions() as session:
            assert due_messages(session, now=NOW, limit=10) == [first, second]
            assert due_messages(session, now=NOW, limit=1) == [first]
            assert due_messages(session, now=NOW + timedelta(minutes=5), limit=10) == [first, second, late]

    def test_retry_delays(self) -> None:
        """Backoff doubles from 30 s and is capped at one hour."""
        assert [retry_delay(n).total_seconds() for n in range(1, 10)] == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]
        assert retry_delay(500) == timedelta(hours=1)


class TestDeliver:
    """`deliver`: read and claim, send outside any transaction, mark."""

    def test_endpoint_down_then_back_is_sent_once(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        """While the district is down the row stays queued with the reason and backs off; when it is back it is
        sent once, and later runs leave it alone."""
        receiver = start_receiver(tmp_path / "district", SECRET)
        port = receiver.port
        receiver.stop()
        outbox_id = add(sessions)
        channels: dict[str, Channel] = {"district_webhook": webhook(receiver)}

        assert deliver(sessions, outbox_id=outbox_id, channels=channels, now=NOW) == "queued"
        down = row(sessions, outbox_id)
        assert (down.status, down.attempts, down.next_attempt_at) == ("queued", 1, NOW + timedelta(seconds=30))
        assert down.last_error is not None and "cannot connect" in down.last_error and "Connection refused" in down.last_error

        assert deliver(sessions, outbox_id=outbox_id, channels=channels, now=NOW + timedelta(seconds=29)) == "queued"
        assert row(sessions, outbox_id).attempts == 1  # not due yet: not tried

        back = start_receiver(tmp_path / "district", SECRET, port=port)
        try:
            at = NOW + timedelta(seconds=30)
            assert deliver(sessions, outbox_id=outbox_id, channels=channels, now=at) == "acknowledged"
            assert deliver(sessions, outbox_id=outbox_id, channels=channels, now=at + timedelta(hours=1)) == "acknowledged"
            assert back.received() == [KEY]
            assert back.counts().duplicates == 0
        finally:
            back.stop()
        done = row(sessions, outbox_id)
        assert (done.status, done.attempts, done.last_error, done.sent_at, done.acknowledged_at) == (
            "acknowledged", 2, None, NOW + timedelta(seconds=30), NOW + timedelta(seconds=30))
        assert json_files(tmp_path / "district") == ["report-2026-0001-R1%40district_webhook.json"]

    def test_retries_are_bounded(self, sessions: sessionmaker[Session]) -> None:
        """Eight retryable failures, each after its backoff; then `failed` with the reason."""
        outbox_id = add(sessions)
        channel = RecordingChannel(DeliveryError(True, "HTTP 503: busy"))
        at, waits = NOW, []
        for _ in range(7):
            assert deliver(sessions, outbox_id=outbox_id, channels={"district_webhook": channel}, now=at) == "queued"
            due = row(sessions, outbox_id).next_attempt_at
            waits.append((due - at).total_seconds())
            at = due
        assert waits == [30, 60, 120, 240, 480, 960, 1920]
        assert deliver(sessions, outbox_id=outbox_id, channels={"district_webhook": channel}, now=at) == "failed"
        failed = row(sessions, outbox_id)
        assert (failed.attempts, failed.last_error) == (8, "HTTP 503: busy (gave up after 8 attempts)")
        assert len(channel.sent) == 8
        later = at + timedelta(days=1)
        assert deliver(sessions, outbox_id=outbox_id, channels={"district_webhook": channel}, now=later) == "failed"
        assert len(channel.sent) == 8

    def test_permanent_failure_fails_at_once(self, sessions: sessionmaker[Session], httpserver: HTTPServer) -> None:
        """HTTP 400 is not retried: the row is `failed` with the reason after one attempt; requeue puts it back."""
        httpserver.expect_request("/hook").respond_with_data("missing field incident", status=400)
        channel = WebhookChannel(httpserver.url_for("/hook"), SECRET, session=make_http_session(retries=0))
        outbox_id = add(sessions)
        assert deliver(sessions, outbox_id=outbox_id, channels={"district_webhook": channel}, now=NOW) == "failed"
        failed = row(sessions, outbox_id)
        assert (failed.attempts, failed.last_error) == (1, "permanent: HTTP 400: missing field incident")
        assert len(httpserver.log) == 1
        with unit_of_work(sessions) as session:
            requeue(session, outbox_id=outbox_id, now=NOW + timedelta(hours=1))
        again = row(sessions, outbox_id)
        assert (again.status, again.attempts, again.next_attempt_at) == ("queued", 0, NOW + timedelta(hours=1))

    def test_requeue_only_failed(self, sessions: sessionmaker[Session]) -> None:
        """Only a failed message can be queued again."""
        outbox_id = add(sessions)
        with pytest.raises(ConflictError), unit_of_work(sessions) as session:
            requeue(session, outbox_id=outbox_id, now=NOW)

    def test_unconfigured_channel_stays_queued_with_the_reason(self, sessions: sessionmaker[Session]) -> None:
        """A channel whose variable is unset is named with the variable; the message waits, nothing is lost."""
        outbox_id = add(sessions)
        channels = build_channels(load_delivery(), {})
        assert deliver(sessions, outbox_id=outbox_id, channels=channels, now=NOW) == "queued"
        assert row(sessions, outbox_id).last_error == (
            "channel district_webhook: environment variable EMERGENCY_DISTRICT_WEBHOOK_URL is not set")
        other = add(sessions, "k-unknown", channel="retired_fax")
        assert deliver(sessions, outbox_id=other, channels=channels, now=NOW) == "queued"
        assert row(sessions, other).last_error == "channel retired_fax is not in the delivery configuration"

    def test_unexpected_channel_error_is_recorded(self, sessions: sessionmaker[Session]) -> None:
        """A channel that raises something unexpected does not stop the loop: the row records it and waits."""
        class Broken:
            def send(self, message: object) -> Receipt:
                raise KeyError("boom")

        outbox_id = add(sessions)
        assert deliver(sessions, outbox_id=outbox_id, channels={"district_webhook": Broken()}, now=NOW) == "queued"
        assert row(sessions, outbox_id).last_error == "unexpected KeyError: 'boom'"

    def test_a_late_failure_does_not_undo_a_delivery(self, sessions: sessionmaker[Session]) -> None:
        """Marking a failure on a row already sent keeps it sent."""
        outbox_id = add(sessions)
        with unit_of_work(sessions) as session:
            assert mark_sent(session, outbox_id=outbox_id, receipt=Receipt(False, "HTTP 202"), now=NOW) == "sent"
            assert mark_failure(session, outbox_id=outbox_id, error=DeliveryError(False, "x"), now=NOW) == "sent"
            assert mark_sent(session, outbox_id=outbox_id, receipt=Receipt(True, "ack"),
                             now=NOW + timedelta(minutes=1)) == "acknowledged"
        done = row(sessions, outbox_id)
        assert (done.sent_at, done.acknowledged_at) == (NOW, NOW + timedelta(minutes=1))

    def test_deliver_due_counts(self, sessions: sessionmaker[Session]) -> None:
        """One pass sends each due message through its channel and counts how each ended."""
        ok = RecordingChannel(Receipt(True, "ack"))
        plain = RecordingChannel(Receipt(False, "HTTP 202"))
        busy = RecordingChannel(DeliveryError(True, "HTTP 503"))
        bad = RecordingChannel(DeliveryError(False, "HTTP 400"))
        for name in ("ok", "plain", "busy", "bad"):
            add(sessions, f"k-{name}", channel=name)
        add(sessions, "k-later", channel="ok", at=NOW + timedelta(minutes=1))
        counts = deliver_due(sessions, channels={"ok": ok, "plain": plain, "busy": busy, "bad": bad}, now=NOW)
        assert counts == {"due": 4, "acknowledged": 1, "sent": 1, "queued": 1, "failed": 1}
        assert [m.key for m in ok.sent] == ["k-ok"]
        assert ok.sent[0].body == {"incident": "2026-0001", "deaths": 0}
        with sessions() as session:
            assert [r.idempotency_key for r in list_outbox(session, status="queued")] == ["k-busy", "k-later"]
            with pytest.raises(InputError):
                list_outbox(session, status="lost")


class TestCrashBetweenSendAndMark:
    """The receiver got the message, the mark never happened: it is sent again and stored once."""

    def test_claimed_and_sent_but_not_marked(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        """A claimed row is left alone during its lease; then it is sent again and the district keeps one copy."""
        outbox_id = add(sessions)
        with start_receiver(tmp_path / "district", SECRET) as receiver:
            channel = webhook(receiver)
            with unit_of_work(sessions) as session:
                assert claim(session, outbox_id=outbox_id, now=NOW)
                message = message_of(session.get(OutboxRow, outbox_id))  # type: ignore[arg-type]
            assert channel.send(message).acknowledged  # ... and the process dies before marking
            channels: dict[str, Channel] = {"district_webhook": channel}
            assert deliver(sessions, outbox_id=outbox_id, channels=channels, now=NOW + timedelta(seconds=30)) == "queued"
            assert receiver.counts().duplicates == 0  # still leased: nobody sent it again
            after = NOW + DEFAULT_LEASE
            assert deliver(sessions, outbox_id=outbox_id, channels=channels, now=after) == "acknowledged"
            assert receiver.received() == [KEY]
            assert (receiver.counts().stored, receiver.counts().duplicates) == (1, 1)
        assert json_files(tmp_path / "district") == ["report-2026-0001-R1%40district_webhook.json"]

    def test_worker_killed_with_sigkill(self, sessions: sessionmaker[Session], database_url: str, tmp_path: Path) -> None:
        """A real worker process is SIGKILLed after the receiver stored the message and before the mark: the row is
        still queued, the next run sends it again, and the receiver stores it once."""
        outbox_id = add(sessions)
        marker = tmp_path / "sent.marker"
        with start_receiver(tmp_path / "district", SECRET) as receiver:
            worker = subprocess.Popen(
                [sys.executable, "-c", KILLED_WORKER, database_url, receiver.url, str(marker), str(outbox_id),
                 NOW.isoformat()],
                cwd=ROOT, env={**os.environ, "TEST_WEBHOOK_SECRET": SECRET}, stdin=subprocess.DEVNULL)
            try:
                deadline = time.monotonic() + 60
                while not marker.exists():
                    assert worker.poll() is None, "the worker ended before sending"
                    assert time.monotonic() < deadline, "the worker never sent"
                    time.sleep(0.02)
                assert receiver.received() == [KEY]
                os.kill(worker.pid, signal.SIGKILL)
            finally:
                worker.kill()
                worker.wait(30)
            assert worker.returncode == -signal.SIGKILL
            unmarked = row(sessions, outbox_id)
            assert (unmarked.status, unmarked.attempts, unmarked.sent_at) == ("queued", 0, None)

            channels: dict[str, Channel] = {"district_webhook": webhook(receiver)}
            assert deliver(sessions, outbox_id=outbox_id, channels=channels, now=NOW + DEFAULT_LEASE) == "acknowledged"
            assert (receiver.counts().stored, receiver.counts().duplicates) == (1, 1)
            assert receiver.received() == [KEY]
        assert json_files(tmp_path / "district") == ["report-2026-0001-R1%40district_webhook.json"]

    def test_drop_folder_is_idempotent(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        """Written to the drop folder, not marked, delivered again: one file, and the row ends `sent`."""
        document = tmp_path / "首报.docx"
        document.write_bytes(b"docx")
        outbox_id = add(sessions, "report-2026-0001-R1@district_drop", "district_drop", attachment=document)
        folder = tmp_path / "drop"
        channel = DropFolderChannel(folder)
        with unit_of_work(sessions) as session:
            assert claim(session, outbox_id=outbox_id, now=NOW)
            message = message_of(session.get(OutboxRow, outbox_id))  # type: ignore[arg-type]
        channel.send(message)
        assert deliver(sessions, outbox_id=outbox_id, channels={"district_drop": channel}, now=NOW + DEFAULT_LEASE) == "sent"
        assert json_files(folder) == ["report-2026-0001-R1%40district_drop.json"]
        assert len(list(folder.iterdir())) == 2  # the message and its attachment, nothing else


def test_secrets_stay_out_of_logs_and_rows(sessions: sessionmaker[Session], tmp_path: Path,
                                           caplog: pytest.LogCaptureFixture) -> None:
    """Delivering through a dead DingTalk robot and a live webhook logs no token, secret or signature."""
    caplog.set_level(logging.DEBUG)
    token, ding_secret = "dt-token-0b5e9c1f77", "SECa1b2c3d4e5f60718293a4b5c6d7e8f9"
    ding = DingTalkRobotChannel(f"http://127.0.0.1:9/robot/send?access_token={token}", ding_secret,
                                session=make_http_session(backoff=0))
    robot_id = add(sessions, "notice-1@duty_dingtalk", "duty_dingtalk")
    hook_id = add(sessions)
    with start_receiver(tmp_path / "district", SECRET) as receiver:
        counts = deliver_due(sessions, channels={"duty_dingtalk": ding, "district_webhook": webhook(receiver)}, now=NOW)
    assert counts["queued"] == 1 and counts["acknowledged"] == 1
    robot, hook = row(sessions, robot_id), row(sessions, hook_id)
    assert robot.last_error is not None and "cannot connect" in robot.last_error
    assert hook.status == "acknowledged"
    for secret in (token, ding_secret, SECRET):
        assert secret not in caplog.text
        assert secret not in robot.last_error


def test_cli_list_and_deliver(sessions: sessionmaker[Session], database_url: str, tmp_path: Path,
                              monkeypatch: pytest.MonkeyPatch) -> None:
    """`outbox deliver` sends what is due through plans/delivery.yaml; `outbox list` shows statuses in Beijing time."""
    with unit_of_work(sessions) as session:
        enqueue_routed(session, config=load_delivery(), key="report-2026-0001-R1", topic="report", subject="首报",
                       body={"incident": "2026-0001"}, attachment=None, now=NOW)
    monkeypatch.chdir(tmp_path)
    with start_receiver(tmp_path / "district", SECRET) as receiver:
        env = {"EMERGENCY_DATABASE_URL": database_url, "EMERGENCY_NOW": "2026-03-01T08:31:00+08:00", "COLUMNS": "250",
               "EMERGENCY_DISTRICT_WEBHOOK_URL": receiver.url, "EMERGENCY_DISTRICT_WEBHOOK_SECRET": SECRET}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        # The console read COLUMNS when first imported, perhaps by an earlier test in this worker: widen it here.
        monkeypatch.setattr(cli_outbox.out, "width", 250)
        runner = CliRunner()
        delivered = runner.invoke(outbox_app, ["deliver"])
        assert delivered.exit_code == 0, delivered.output
        assert delivered.output.strip() == "2 due: 1 acknowledged, 1 sent, 0 queued for a retry, 0 failed."
        assert receiver.received() == ["report-2026-0001-R1@district_webhook"]
    assert json_files(tmp_path / "outbox/district") == ["report-2026-0001-R1%40district_drop.json"]
    listed = runner.invoke(outbox_app, ["list"])
    assert listed.exit_code == 0, listed.output
    lines = [line for line in listed.output.splitlines() if "district_" in line]
    assert "acknowledged" in lines[0] and "2026-03-01 08:31" in lines[0]
    assert " sent " in lines[1]
    only = runner.invoke(outbox_app, ["list", "--status", "failed"])
    assert only.output.strip() == "No messages with status failed."


KILLED_WORKER = """
import os, sys, time
from datetime import datetime
from pathlib import Path

from emergency.adapters.channels import WebhookChannel
from emergency.adapters.http import make_http_session
from emergency.db.session import make_engine, make_session_factory
from emergency.services.outbox import deliver

database_url, target, marker, outbox_id, now = sys.argv[1:6]


class PauseAfterSend:
    def __init__(self, inner):
        self.inner = inner

    def send(self, message):
        receipt = self.inner.send(message)
        Path(marker).write_text("sent")
        time.sleep(300)  # SIGKILL arrives here: the district has the message, the mark never happens
        return receipt


channel = PauseAfterSend(WebhookChannel(target, os.environ["TEST_WEBHOOK_SECRET"], session=make_http_session(retries=0)))
deliver(make_session_factory(make_engine(database_url)), outbox_id=int(outbox_id),
        channels={"district_webhook": channel}, now=datetime.fromisoformat(now))
"""



def test_enqueue_many_adds_each_key_once_and_nothing_when_one_message_is_bad(sessions: sessionmaker[Session]) -> None:
    """Several messages in one call: ids in order, a key already stored or repeated maps to one row, a bad one adds none."""
    earlier = add(sessions, "batch-a")

    def message(key: str, channel: str = "district_webhook") -> NewMessage:
        return NewMessage(key=key, topic="notice", channel=channel, subject="s", body={"text": key})

    with unit_of_work(sessions) as session:
        ids = enqueue_many(session, messages=[message("batch-a"), message("batch-b"), message("batch-b"),
                                              message("batch-c")], now=NOW)
    assert ids[0] == earlier and ids[1] == ids[2] and len({*ids}) == 3
    with pytest.raises(InputError, match=r"outbox message batch-e.*channel"), unit_of_work(sessions) as session:
        enqueue_many(session, messages=[message("batch-d"), message("batch-e", channel="")], now=NOW)
    with sessions() as session:
        keys = set(session.scalars(select(OutboxRow.idempotency_key)))
    assert keys == {"batch-a", "batch-b", "batch-c"}
