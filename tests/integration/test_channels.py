"""Delivery channels against real local servers: exact headers and signatures, failure classes, no secrets in logs."""

from __future__ import annotations

import ast
import base64
import hashlib
import hmac
import json
import logging
import socket
import threading
import time
from pathlib import Path
from urllib.parse import quote_plus

import pytest
import requests
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from emergency.adapters.channels import (
    DeliveryError,
    DingTalkRobotChannel,
    DropFolderChannel,
    OutgoingMessage,
    Receipt,
    WebhookChannel,
    WeComRobotChannel,
    dingtalk_sign,
    sign_webhook,
)
from emergency.adapters.http import DEFAULT_TIMEOUT, TimeoutHTTPAdapter, make_http_session
from emergency.delivery_config import UnconfiguredChannel, build_channels, load_delivery, load_delivery_config
from emergency.errors import EmergencyError, RulesError
from emergency.receiver import start_receiver

ROOT = Path(__file__).resolve().parents[2]
SECRET = "whsec-2f7c1e9a0b4d4c6f8e21"
DING_SECRET = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
DING_TOKEN = "dt-access-token-5d1f0c2e9b"
WECOM_KEY = "wecom-robot-key-7a93e1c4"
FIXED = 1_772_324_400.25  # 2026-03-01 08:20:00.25 +08:00


def clock() -> float:
    """The fixed instant every signing test uses."""
    return FIXED


def quick() -> requests.Session:
    """A session that retries without sleeping, so retry tests stay fast."""
    return make_http_session(backoff=0)


def message(tmp_path: Path | None = None, *, key: str = "report-2026-0001-R1@district_webhook",
            drill: bool = False) -> OutgoingMessage:
    """A report message, with a small attachment when *tmp_path* is given."""
    attachment = None
    if tmp_path is not None:
        attachment = tmp_path / "首报.docx"
        attachment.write_bytes(b"PK\x03\x04 docx bytes")
    return OutgoingMessage(key=key, topic="report", subject="万福街餐馆燃气爆炸（首报）",
                           body={"incident": "2026-0001", "deaths": 0, "injuries": 2}, attachment=attachment, drill=drill)


def closed_port() -> int:
    """Return a local port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class TestHttpSession:
    """`make_http_session`: a default timeout on every request and bounded retries."""

    def test_defaults(self) -> None:
        """Connect 3.05 s, read 10 s; two retries on connect errors and 502/503/504 for any method, none on reads."""
        adapter = make_http_session().get_adapter("https://district.example")
        assert isinstance(adapter, TimeoutHTTPAdapter)
        assert adapter.timeout == DEFAULT_TIMEOUT == (3.05, 10.0)
        retry = adapter.max_retries
        assert (retry.total, retry.connect, retry.read, retry.status) == (2, 2, False, 2)
        assert retry.status_forcelist == {502, 503, 504}
        assert retry.allowed_methods is None
        assert retry.backoff_factor == 0.5

    def test_default_timeout_applies_when_the_caller_sets_none(self, httpserver: HTTPServer) -> None:
        """A request without `timeout=` still gives up at the session's read timeout."""
        done = threading.Event()

        def slow(_request: Request) -> Response:
            time.sleep(1.0)
            done.set()
            return Response("late")

        httpserver.expect_request("/slow").respond_with_handler(slow)
        session = make_http_session(timeout=(1.0, 0.2))
        started = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            session.get(httpserver.url_for("/slow"))
        assert time.monotonic() - started < 0.9
        assert done.wait(5)
        time.sleep(0.2)
        assert len(httpserver.log) == 1  # a read timeout is not retried: the server may have acted on it

    def test_post_is_retried_on_503(self, httpserver: HTTPServer) -> None:
        """A POST answered 503 twice then 200 succeeds on the third request."""
        for status in (503, 503, 200):
            httpserver.expect_ordered_request("/hook", method="POST").respond_with_data("x", status=status)
        response = quick().post(httpserver.url_for("/hook"), data=b"{}")
        assert response.status_code == 200
        assert len(httpserver.log) == 3

    def test_retries_are_bounded(self, httpserver: HTTPServer) -> None:
        """After the retries the last 503 comes back to the caller (three requests in all)."""
        httpserver.expect_request("/hook").respond_with_data("busy", status=503)
        assert quick().post(httpserver.url_for("/hook"), data=b"{}").status_code == 503
        assert len(httpserver.log) == 3


class TestWebhook:
    """The district platform's webhook: signed JSON with an idempotency key."""

    def test_exact_request_and_verifiable_signature(self, httpserver: HTTPServer, tmp_path: Path) -> None:
        """Headers are exact, the body carries the attachment in base64, and the signature verifies."""
        httpserver.expect_request("/hook", method="POST").respond_with_json({"acknowledged": True})
        sent = message(tmp_path)
        receipt = WebhookChannel(httpserver.url_for("/hook"), SECRET, session=quick(), clock=clock).send(sent)
        assert receipt == Receipt(True, "HTTP 200, acknowledged")
        request = httpserver.log[0][0]
        raw = request.get_data()
        assert request.headers["Idempotency-Key"] == "report-2026-0001-R1@district_webhook"
        assert request.headers["X-Emergency-Timestamp"] == "1772324400"
        assert request.headers["Content-Type"] == "application/json; charset=utf-8"
        expected = hmac.new(SECRET.encode(), b"1772324400." + raw, hashlib.sha256).hexdigest()
        assert request.headers["X-Emergency-Signature"] == f"sha256={expected}"
        assert json.loads(raw) == {
            "key": "report-2026-0001-R1@district_webhook", "topic": "report", "subject": "万福街餐馆燃气爆炸（首报）",
            "body": {"incident": "2026-0001", "deaths": 0, "injuries": 2}, "drill": False,
            "attachment": {"name": "首报.docx", "content_base64": base64.b64encode(b"PK\x03\x04 docx bytes").decode()},
        }

    def test_2xx_without_acknowledgement_is_sent(self, httpserver: HTTPServer) -> None:
        """A 202 with no `acknowledged: true` means sent, not acknowledged."""
        httpserver.expect_request("/hook").respond_with_data("queued", status=202)
        receipt = WebhookChannel(httpserver.url_for("/hook"), SECRET, session=quick()).send(message())
        assert receipt == Receipt(False, "HTTP 202")

    @pytest.mark.parametrize(("status", "retryable"), [(400, False), (401, False), (404, False), (408, True),
                                                        (429, True), (500, True), (503, True)])
    def test_failure_classes(self, httpserver: HTTPServer, status: int, retryable: bool) -> None:
        """4xx other than 408 and 429 is permanent; 408, 429 and 5xx are worth retrying."""
        httpserver.expect_request("/hook").respond_with_data("field incident missing", status=status)
        with pytest.raises(DeliveryError) as caught:
            WebhookChannel(httpserver.url_for("/hook"), SECRET, session=quick()).send(message())
        assert caught.value.retryable is retryable
        assert caught.value.reason == f"HTTP {status}: field incident missing"

    def test_endpoint_down_is_retryable(self) -> None:
        """Nobody listening is a retryable failure naming the host, not the path."""
        with pytest.raises(DeliveryError) as caught:
            WebhookChannel(f"http://127.0.0.1:{closed_port()}/hook", SECRET, session=quick()).send(message())
        assert caught.value.retryable
        assert "cannot connect" in caught.value.reason
        assert "/hook" not in caught.value.reason

    def test_missing_attachment_is_permanent(self, tmp_path: Path) -> None:
        """An attachment that is gone cannot come back by retrying."""
        gone = OutgoingMessage("k1", "report", "s", {}, tmp_path / "gone.docx", False)
        with pytest.raises(DeliveryError) as caught:
            WebhookChannel("http://127.0.0.1:9/hook", SECRET).send(gone)
        assert not caught.value.retryable
        assert "not found" in caught.value.reason


class TestRobots:
    """WeCom and DingTalk group robots."""

    def test_wecom_markdown(self, httpserver: HTTPServer) -> None:
        """WeCom gets one markdown message; errcode 0 is sent (robots never acknowledge)."""
        httpserver.expect_request("/cgi-bin/webhook/send", method="POST",
                                  query_string={"key": WECOM_KEY}).respond_with_json({"errcode": 0, "errmsg": "ok"})
        url = httpserver.url_for("/cgi-bin/webhook/send") + f"?key={WECOM_KEY}"
        receipt = WeComRobotChannel(url, session=quick()).send(message(drill=True))
        assert receipt == Receipt(False, "WeCom errcode 0")
        assert httpserver.log[0][0].get_json() == {"msgtype": "markdown", "markdown": {"content": (
            "### 【演练】万福街餐馆燃气爆炸（首报）\n> **incident**: 2026-0001\n> **deaths**: 0\n> **injuries**: 2\n"
            "编号: report-2026-0001-R1@district_webhook")}}

    @pytest.mark.parametrize(("code", "retryable"), [(93000, False), (45009, True), (-1, True)])
    def test_wecom_errcode(self, httpserver: HTTPServer, code: int, retryable: bool) -> None:
        """A non-zero errcode is a failure; rate limiting and 'system busy' are retryable."""
        httpserver.expect_request("/send").respond_with_json({"errcode": code, "errmsg": "no"})
        with pytest.raises(DeliveryError) as caught:
            WeComRobotChannel(httpserver.url_for("/send"), session=quick()).send(message())
        assert (caught.value.retryable, caught.value.reason) == (retryable, f"WeCom errcode {code}: no")

    def test_wecom_content_is_cut_to_4096_bytes(self, httpserver: HTTPServer) -> None:
        """A long body is cut on a character boundary to WeCom's 4096-byte limit."""
        httpserver.expect_request("/send").respond_with_json({"errcode": 0})
        long = OutgoingMessage("k", "notice", "通知", {"text": "很长" * 3000}, None, False)
        WeComRobotChannel(httpserver.url_for("/send"), session=quick()).send(long)
        content = httpserver.log[0][0].get_json()["markdown"]["content"]
        assert len(content.encode()) <= 4096
        assert content.endswith("…")

    def test_dingtalk_signed_timestamp(self, httpserver: HTTPServer) -> None:
        """DingTalk gets timestamp (ms) and sign = urlencoded base64 HMAC-SHA256(secret, ts\\nsecret)."""
        httpserver.expect_request("/robot/send", method="POST").respond_with_json({"errcode": 0, "errmsg": "ok"})
        url = httpserver.url_for("/robot/send") + f"?access_token={DING_TOKEN}"
        receipt = DingTalkRobotChannel(url, DING_SECRET, session=quick(), clock=clock).send(message())
        assert receipt == Receipt(False, "DingTalk errcode 0")
        request = httpserver.log[0][0]
        timestamp = "1772324400250"
        digest = hmac.new(DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()
        sign = base64.b64encode(digest).decode()
        assert request.args["access_token"] == DING_TOKEN
        assert request.args["timestamp"] == timestamp
        assert request.args["sign"] == sign == dingtalk_sign(DING_SECRET, 1772324400250)
        assert f"sign={quote_plus(sign)}" in request.query_string.decode()
        body = request.get_json()
        assert body["msgtype"] == "markdown"
        assert body["markdown"]["title"] == "万福街餐馆燃气爆炸（首报）"

    def test_dingtalk_errcode_is_failure(self, httpserver: HTTPServer) -> None:
        """DingTalk's 310000 (bad sign, keyword or IP) is permanent; 130101 (too fast) is retryable."""
        httpserver.expect_ordered_request("/robot/send").respond_with_json({"errcode": 310000, "errmsg": "sign not match"})
        httpserver.expect_ordered_request("/robot/send").respond_with_json({"errcode": 130101, "errmsg": "send too fast"})
        channel = DingTalkRobotChannel(httpserver.url_for("/robot/send"), DING_SECRET, session=quick())
        with pytest.raises(DeliveryError) as first:
            channel.send(message())
        with pytest.raises(DeliveryError) as second:
            channel.send(message())
        assert (first.value.retryable, second.value.retryable) == (False, True)
        assert first.value.reason == "DingTalk errcode 310000: sign not match"


class TestDropFolder:
    """The drop folder: `<key>.json` plus the attachment, each published once."""

    def test_writes_once(self, tmp_path: Path) -> None:
        """The first send writes both files; a second send of the key leaves them untouched."""
        folder = tmp_path / "drop"
        channel = DropFolderChannel(folder)
        sent = message(tmp_path)
        assert channel.send(sent) == Receipt(False, "report-2026-0001-R1%40district_webhook.json written")
        document = folder / "report-2026-0001-R1%40district_webhook.json"
        attachment = folder / f"report-2026-0001-R1%40district_webhook--{quote_plus('首报.docx')}"
        assert json.loads(document.read_text(encoding="utf-8"))["attachment"] == attachment.name
        assert attachment.read_bytes() == b"PK\x03\x04 docx bytes"
        before = document.stat().st_mtime_ns
        again = channel.send(sent)
        assert again.detail == "report-2026-0001-R1%40district_webhook.json already in the drop folder"
        assert document.stat().st_mtime_ns == before
        assert sorted(p.name for p in folder.iterdir()) == sorted([document.name, attachment.name])  # no temp files

    def test_keys_never_escape_the_folder(self, tmp_path: Path) -> None:
        """A key with slashes or dots becomes one percent-encoded file name inside the folder."""
        DropFolderChannel(tmp_path / "drop").send(message(key="../../etc/passwd"))
        assert [p.name for p in (tmp_path / "drop").iterdir()] == ["%2E.%2F..%2Fetc%2Fpasswd.json"]


class TestReceiver:
    """The district receiver the demo runs: signature, timestamp window, each key stored once."""

    def test_stores_once_and_acknowledges_duplicates(self, tmp_path: Path) -> None:
        """A message is stored with its decoded attachment; a repeat is acknowledged as a duplicate, not stored."""
        with start_receiver(tmp_path / "in", SECRET) as receiver:
            channel = WebhookChannel(receiver.url, SECRET, session=quick())
            first = channel.send(message(tmp_path))
            second = channel.send(message(tmp_path))
            assert first == Receipt(True, "HTTP 200, acknowledged")
            assert second == Receipt(True, "HTTP 200, acknowledged, already received")
            assert receiver.received() == ["report-2026-0001-R1@district_webhook"]
            assert (receiver.counts().stored, receiver.counts().duplicates) == (1, 1)
        stored = json.loads((tmp_path / "in/report-2026-0001-R1%40district_webhook.json").read_text(encoding="utf-8"))
        assert stored["subject"] == "万福街餐馆燃气爆炸（首报）"
        assert (tmp_path / "in" / stored["attachment"]).read_bytes() == b"PK\x03\x04 docx bytes"

    def test_bad_signature_is_refused(self, tmp_path: Path) -> None:
        """A message signed with another secret gets 401 (a permanent failure) and nothing is stored."""
        with start_receiver(tmp_path / "in", SECRET) as receiver:
            with pytest.raises(DeliveryError) as caught:
                WebhookChannel(receiver.url, "another-secret", session=quick()).send(message())
            assert caught.value.reason == 'HTTP 401: {"error": "bad signature"}'
            assert not caught.value.retryable
            assert receiver.counts().rejected == 1
        assert list((tmp_path / "in").iterdir()) == []

    def test_stale_timestamp_is_refused(self, tmp_path: Path) -> None:
        """A correctly signed message whose timestamp is 301 s old is refused (replay protection)."""
        with start_receiver(tmp_path / "in", SECRET, clock=lambda: FIXED + 301) as receiver:
            with pytest.raises(DeliveryError) as caught:
                WebhookChannel(receiver.url, SECRET, session=quick(), clock=clock).send(message())
            assert "timestamp" in caught.value.reason
        with start_receiver(tmp_path / "in", SECRET, clock=lambda: FIXED + 299) as receiver:
            assert WebhookChannel(receiver.url, SECRET, session=quick(), clock=clock).send(message()).acknowledged

    def test_unsigned_and_tampered_requests(self, tmp_path: Path) -> None:
        """No signature headers, or a body changed after signing: 401; GET: 405."""
        with start_receiver(tmp_path / "in", SECRET) as receiver:
            assert requests.post(receiver.url, json={"key": "k"}, timeout=5).status_code == 401
            raw = b'{"key":"k","body":{}}'
            stamp = int(time.time())
            headers = {"Idempotency-Key": "k", "X-Emergency-Timestamp": str(stamp),
                       "X-Emergency-Signature": sign_webhook(SECRET, stamp, raw)}
            tampered = raw.replace(b"{}", b'{"deaths":0}')
            assert requests.post(receiver.url, data=tampered, headers=headers, timeout=5).status_code == 401
            assert requests.post(receiver.url, data=raw, headers=headers, timeout=5).status_code == 200
            assert requests.get(receiver.url, timeout=5).status_code == 405
            long_key = "k" * 201
            raw = json.dumps({"key": long_key}).encode()
            headers = {"Idempotency-Key": long_key, "X-Emergency-Timestamp": str(stamp),
                       "X-Emergency-Signature": sign_webhook(SECRET, stamp, raw)}
            assert requests.post(receiver.url, data=raw, headers=headers, timeout=5).status_code == 400
            assert receiver.received() == ["k"]


class TestDeliveryConfig:
    """plans/delivery.yaml: channels and routes as data; secrets only from the environment."""

    def test_shipped_file_loads(self) -> None:
        """The shipped file validates and routes reports to the district webhook and the drop folder."""
        config = load_delivery()
        assert config.route("report") == ("district_webhook", "district_drop")
        assert {spec.kind for spec in config.channels} == {"webhook", "folder", "wecom", "dingtalk"}

    def test_channels_come_from_the_environment(self, tmp_path: Path) -> None:
        """URLs and secrets are read from the mapping passed in; a relative folder is resolved against base_dir."""
        environ = {"EMERGENCY_DISTRICT_WEBHOOK_URL": "https://district.example/hook",
                   "EMERGENCY_DISTRICT_WEBHOOK_SECRET": SECRET,
                   "EMERGENCY_WECOM_ROBOT_URL": f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={WECOM_KEY}",
                   "EMERGENCY_DINGTALK_ROBOT_URL": f"https://oapi.dingtalk.com/robot/send?access_token={DING_TOKEN}",
                   "EMERGENCY_DINGTALK_ROBOT_SECRET": DING_SECRET}
        channels = build_channels(load_delivery(), environ, base_dir=tmp_path)
        assert isinstance(channels["district_webhook"], WebhookChannel)
        assert isinstance(channels["duty_wecom"], WeComRobotChannel)
        assert isinstance(channels["duty_dingtalk"], DingTalkRobotChannel)
        drop = channels["district_drop"]
        assert isinstance(drop, DropFolderChannel)
        assert drop.folder == tmp_path / "outbox/district"
        assert all(value not in repr(channels) for value in (SECRET, WECOM_KEY, DING_TOKEN, DING_SECRET))

    def test_unset_variable_is_reported_when_used(self) -> None:
        """Building never fails; sending through a channel with an unset variable names the channel and variable."""
        channels = build_channels(load_delivery(), {"EMERGENCY_DISTRICT_WEBHOOK_SECRET": SECRET})
        channel = channels["district_webhook"]
        assert isinstance(channel, UnconfiguredChannel)
        with pytest.raises(DeliveryError) as caught:
            channel.send(message())
        assert str(caught.value) == ("channel district_webhook: environment variable EMERGENCY_DISTRICT_WEBHOOK_URL "
                                     "is not set")
        assert caught.value.retryable

    def test_plain_http_is_refused_except_locally(self) -> None:
        """A webhook URL must be https://, except on 127.0.0.1; the message does not repeat the URL."""
        environ = {"EMERGENCY_DISTRICT_WEBHOOK_URL": "http://district.example/hook?token=abc",
                   "EMERGENCY_DISTRICT_WEBHOOK_SECRET": SECRET}
        with pytest.raises(DeliveryError) as caught:
            build_channels(load_delivery(), environ)["district_webhook"].send(message())
        assert "must hold an https:// URL" in caught.value.reason
        assert "abc" not in caught.value.reason
        environ["EMERGENCY_DISTRICT_WEBHOOK_URL"] = "http://127.0.0.1:8765/"
        assert isinstance(build_channels(load_delivery(), environ)["district_webhook"], WebhookChannel)

    @pytest.mark.parametrize(("text", "field", "why"), [
        ("channels:\n  - {id: hook, kind: webhook, url: 'https://x', secret_env: S}\n", "channels[hook]",
         "`url` is not allowed: URLs and secrets come only from the environment"),
        ("channels:\n  - {id: hook, kind: webhook, url_env: U}\n", "channels[hook]", "a webhook channel needs secret_env"),
        ("channels:\n  - {id: hook, kind: fax, url_env: U}\n", "channels[hook].kind", "Input should be"),
        ("channels:\n  - {id: drop, kind: folder, folder: d}\nroutes:\n  report: [drop, hook]\n", "routes",
         "report: channel hook is not defined under channels"),
        ("channels:\n  - {id: drop, kind: folder, folder: d}\n  - {id: drop, kind: folder, folder: e}\n", "channels",
         "channel id drop is defined twice"),
        ("channels:\n  - {id: wecom, kind: wecom, url_env: lower_case}\n", "channels[wecom].url_env",
         "String should match pattern"),
    ])
    def test_bad_file_names_file_and_field(self, tmp_path: Path, text: str, field: str, why: str) -> None:
        """A defect fails at load with the file, the field and why."""
        path = tmp_path / "delivery.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RulesError) as caught:
            load_delivery_config(path)
        assert caught.value.path == str(path)
        assert caught.value.field == field
        assert caught.value.why.startswith(why)


class TestNoSecretsInLogs:
    """Signatures, secrets and robot tokens never reach a log record or a failure reason."""

    def test_failed_and_successful_sends(self, httpserver: HTTPServer, tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
        """With every logger at DEBUG, retries against a dead robot and signed webhook posts leak nothing."""
        caplog.set_level(logging.DEBUG)
        dead = f"http://127.0.0.1:{closed_port()}"
        reasons = []
        for channel in (DingTalkRobotChannel(f"{dead}/robot/send?access_token={DING_TOKEN}", DING_SECRET, session=quick()),
                        WeComRobotChannel(f"{dead}/cgi-bin/webhook/send?key={WECOM_KEY}", session=quick())):
            with pytest.raises(DeliveryError) as caught:
                channel.send(message())
            reasons.append(caught.value.reason)
        httpserver.expect_request("/hook").respond_with_json({"acknowledged": True})
        WebhookChannel(httpserver.url_for("/hook"), SECRET, session=quick()).send(message(tmp_path))
        signature = httpserver.log[0][0].headers["X-Emergency-Signature"]
        with start_receiver(tmp_path / "in", SECRET) as receiver:
            WebhookChannel(receiver.url, SECRET, session=quick()).send(message())
        assert "Retrying" in caplog.text  # urllib3 did log the retries, with the query redacted
        leaked = [s for s in (DING_TOKEN, DING_SECRET, WECOM_KEY, SECRET, signature.removeprefix("sha256="))
                  if s in caplog.text or any(s in reason for reason in reasons)]
        assert leaked == []


def test_receiver_command_needs_its_secret(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """`emergency receiver` refuses to start without EMERGENCY_RECEIVER_SECRET, naming the variable."""
    import typer
    from typer.testing import CliRunner

    from emergency.cli_outbox import receiver

    monkeypatch.delenv("EMERGENCY_RECEIVER_SECRET", raising=False)
    app = typer.Typer()
    app.command("receiver")(receiver)
    app.command("other")(lambda: None)
    result = CliRunner().invoke(app, ["receiver", "--folder", str(tmp_path)])
    assert isinstance(result.exception, EmergencyError)
    assert str(result.exception).startswith("environment variable EMERGENCY_RECEIVER_SECRET is not set")


def test_only_adapters_import_requests() -> None:
    """Every `requests` call goes through emergency/adapters (STYLE rule 9)."""
    for path in (ROOT / "emergency").rglob("*.py"):
        if "adapters" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            assert not any(n == "requests" or n.startswith("requests.") for n in names), f"{path} imports requests"
