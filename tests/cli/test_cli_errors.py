"""Bad input at the command line: one line naming the record and field, exit 1, no traceback, nothing stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.helpers import Result, run_cli

NOW = "2026-03-01T09:00:00+08:00"
OPEN = ["incident", "open", "--category", "accident", "--type", "gas_explosion", "--title", "燃气爆炸",
        "--location", "万福街87号", "--occurred-at", "2026-03-01T08:10:00+08:00", "--known-at",
        "2026-03-01T08:20:00+08:00", "--id", "E1"]
REPORT = ["report", "submit", "E1", "--kind", "initial", "--channel", "phone", "--to", "绿园区应急管理局",
          "--summary", "燃气爆炸", "--measures", "疏散"]


@pytest.fixture
def db(tmp_path: Path) -> tuple[str, Path]:
    url = f"sqlite:///{tmp_path / 'office.db'}"
    assert run_cli(["init"], database_url=url, cwd=tmp_path).code == 0
    return url, tmp_path


def cli(db: tuple[str, Path], *args: str, now: str = NOW) -> Result:
    return run_cli(list(args), database_url=db[0], cwd=db[1], now=now)


def assert_one_line_error(result: Result, *needles: str) -> None:
    assert result.code == 1, result
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])


def stored(db: tuple[str, Path]) -> dict[str, object]:
    exported = cli(db, "audit", "export")
    assert exported.code == 0, exported
    doc: dict[str, object] = json.loads(exported.stdout)
    return doc


@pytest.mark.parametrize(
    ("replace", "value", "needles"),
    [
        ("--occurred-at", "2026-03-01T08:10:00", ("occurred_at", "no UTC offset")),
        ("--type", "volcano", ("type", "unknown event type")),
        ("--type", "food_poisoning", ("type", "public_health")),
        ("--category", "weather", ("category",)),
        ("--known-at", "2026-03-01T08:00:00+08:00", ("known_at", "before occurred_at")),
        ("--known-at", "2026-03-02T08:00:00+08:00", ("known_at", "in the future")),
    ],
)
def test_bad_incident_is_refused_and_nothing_stored(db: tuple[str, Path], replace: str, value: str,
                                                    needles: tuple[str, ...]) -> None:
    """Opening an incident with one bad field names the record and the field and stores nothing."""
    args = list(OPEN)
    args[args.index(replace) + 1] = value
    assert_one_line_error(cli(db, *args), "incident E1", *needles)
    assert stored(db)["incidents"] == []


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        (["--deaths", "-1"], ("deaths", "greater than or equal to 0")),
        (["--direct-loss-yuan", "-5"], ("direct_loss_yuan",)),
        (["--as-of", "2026-03-01T08:00:00+08:00", "--deaths", "1"], ("as_of", "before the incident's occurred_at")),
        (["--as-of", "2026-03-01 08:30", "--deaths", "1"], ("as_of", "no UTC offset")),
    ],
)
def test_bad_facts_are_refused(db: tuple[str, Path], extra: list[str], needles: tuple[str, ...]) -> None:
    """Negative figures and facts before the occurrence are refused; earlier facts stay."""
    assert cli(db, *OPEN).code == 0
    assert cli(db, "incident", "facts", "E1", "--deaths", "0", "--as-of", "2026-03-01T08:30:00+08:00").code == 0
    assert_one_line_error(cli(db, "incident", "facts", "E1", *extra), "incident E1", *needles)
    [incident] = stored(db)["incidents"]  # type: ignore[misc]
    assert len(incident["truth"]) == 1


def test_fractional_casualties_in_a_file_are_refused(db: tuple[str, Path]) -> None:
    """A fractional number of deaths in a facts file is an error naming the field."""
    assert cli(db, *OPEN).code == 0
    facts = db[1] / "facts.json"
    facts.write_text(json.dumps({"as_of": "2026-03-01T08:30:00+08:00", "deaths": 1.5}), encoding="utf-8")
    assert_one_line_error(cli(db, "incident", "facts", "E1", "--file", str(facts)), "incident E1", "deaths")


def test_report_before_occurrence_is_refused(db: tuple[str, Path]) -> None:
    """A report submitted before the incident occurred is refused and not chained."""
    assert cli(db, *OPEN).code == 0
    result = cli(db, *REPORT, "--submitted-at", "2026-03-01T08:00:00+08:00")
    assert_one_line_error(result, "incident E1", "submitted_at", "before")
    assert stored(db)["incidents"][0]["reports"] == []  # type: ignore[index]


def test_follow_up_without_initial_is_refused(db: tuple[str, Path]) -> None:
    """A follow-up with no initial report before it is refused (续报须在首报之后)."""
    assert cli(db, *OPEN).code == 0
    args = list(REPORT)
    args[args.index("initial")] = "follow_up"
    assert_one_line_error(cli(db, *args), "incident E1", "kind", "initial report")


@pytest.mark.parametrize(
    ("name", "content", "needles"),
    [
        ("bad.json", "{\"category\": \"accident\",", ("bad.json", "malformed JSON")),
        ("bad.yaml", "category: [accident\n", ("bad.yaml", "malformed YAML")),
        ("list.json", "[1, 2]", ("list.json", "mapping")),
    ],
)
def test_malformed_files_are_refused(db: tuple[str, Path], name: str, content: str, needles: tuple[str, ...]) -> None:
    """Malformed JSON or YAML is named with the file; nothing is stored."""
    path = db[1] / name
    path.write_text(content, encoding="utf-8")
    assert_one_line_error(cli(db, "incident", "open", "--file", str(path)), *needles)
    assert stored(db)["incidents"] == []


def test_missing_file_is_named(db: tuple[str, Path]) -> None:
    """A file that does not exist is named in one line."""
    assert_one_line_error(cli(db, "audit", "replay", str(db[1] / "nope.json")), "nope.json", "file not found")
    assert_one_line_error(cli(db, "audit", "import", str(db[1] / "nope.json")), "nope.json", "file not found")


def test_unknown_incident_is_named(db: tuple[str, Path]) -> None:
    """Naming an incident that does not exist is one clear line."""
    assert_one_line_error(cli(db, "incident", "show", "E404"), "incident E404", "no such incident")


def test_uninitialised_database_says_run_init(tmp_path: Path) -> None:
    """Commands on an empty database say to run `emergency init` first."""
    result = run_cli(["incident", "list"], database_url=f"sqlite:///{tmp_path / 'new.db'}", cwd=tmp_path)
    assert_one_line_error(result, "emergency init")


def test_bad_rules_file_names_the_file(db: tuple[str, Path]) -> None:
    """A broken district rules file stops the command with the file, the field and why."""
    rules = db[1] / "district.yaml"
    rules.write_text("final: {hours_after_closure: -1}\n", encoding="utf-8")
    example = Path(__file__).resolve().parents[3] / "shared/spec/examples/02-late-written.json"
    result = cli(db, "audit", "replay", str(example), "--rules", str(rules))
    assert_one_line_error(result, "district.yaml", "final.hours_after_closure")


@pytest.mark.parametrize(
    ("mutate", "needles"),
    [
        (lambda d: d["incidents"][0].update(occurred_at="2026-03-01T08:10:00"), ("incident E1", "occurred_at", "offset")),
        (lambda d: d["incidents"][0]["reports"][1].update(submitted_at="2026-03-01T07:00:00+08:00"),
         ("incident E1, report R2", "submitted_at", "before")),
        (lambda d: d["incidents"][0]["truth"][0].update(as_of="2026-03-01T08:00:00+08:00"),
         ("incident E1, truth entry", "as_of", "before occurred_at")),
        (lambda d: d["incidents"][0]["truth"][0].update(deaths=-1), ("incident E1, truth entry", "deaths")),
        (lambda d: d["incidents"][0]["truth"][0].update(deaths=0.5), ("incident E1, truth entry", "deaths")),
        (lambda d: d["incidents"][0].update(type="volcano"), ("incident E1", "type", "unknown event type")),
        (lambda d: d["incidents"][0].update(category="weather"), ("incident E1", "category")),
        (lambda d: d["incidents"][0]["reports"][0].update(kind="interim"), ("incident E1, report R1", "kind")),
        (lambda d: d.pop("audit_at"), ("timeline", "audit_at", "required")),
    ],
)
def test_bad_timeline_is_refused_by_replay_and_import(db: tuple[str, Path], mutate: object,
                                                       needles: tuple[str, ...]) -> None:
    """A malformed timeline exits 1 naming incident/report and field, for replay and import alike; import stores nothing."""
    example = Path(__file__).resolve().parents[3] / "shared/spec/examples/02-late-written.json"
    doc = json.loads(example.read_text(encoding="utf-8"))
    mutate(doc)  # type: ignore[operator]
    path = db[1] / "timeline.json"
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    assert_one_line_error(cli(db, "audit", "replay", str(path), "--json"), *needles)
    assert_one_line_error(cli(db, "audit", "import", str(path)), *needles)
    assert stored(db)["incidents"] == []
