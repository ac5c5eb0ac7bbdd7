"""The real command line, in a subprocess."""

from __future__ import annotations

import json
import shutil

import jsonschema

from conftest import FIXTURES, load_schema, run_cli

SEED = FIXTURES / "wangcheng-cppcc-2020-self-evaluation.pdf"
CLEAN = FIXTURES / "national-project-2021-water-clean.pdf"


def test_help_explains_every_command():
    out = run_cli("--help").stdout
    for word in ("extract", "audit", "validate", "batch", "debug", "stats", "exit status"):
        assert word in out
    assert "--out" in run_cli("extract", "--help").stdout


def test_extract_a_folder_writes_one_valid_record_per_pdf(tmp_path):
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    shutil.copy(SEED, src / "a.pdf")
    shutil.copy(CLEAN, src / "sub" / "a.pdf")  # same stem in a sub-folder: must not overwrite
    (src / "notes.pdf").write_text("not a pdf at all")
    result = run_cli("extract", str(src), "--out", str(tmp_path / "out"))
    assert result.returncode == 2, result.stderr  # the broken file makes the input unusable
    lines = [ln for ln in result.stderr.splitlines() if ln.strip()]
    assert len(lines) == 3 and any("NOT_A_PDF" in ln for ln in lines)
    schema = load_schema()
    records = {p.relative_to(tmp_path / "out").as_posix(): json.loads(p.read_text()) for p in (tmp_path / "out").rglob("*.json")}
    assert set(records) == {"a.json", "sub/a.json", "notes.json"}
    for rec in records.values():
        jsonschema.validate(rec, schema)
    assert records["a.json"]["forms"][0]["unit_name"].startswith("中国人民政治协商会议")
    assert records["sub/a.json"]["forms"][0]["project_name"] == "农村饮水安全巩固提升工程"
    assert records["notes.json"]["forms"] == [] and records["notes.json"]["errors"][0]["code"] == "NOT_A_PDF"


def test_audit_exit_status_and_table():
    seed = run_cli("audit", str(SEED))
    assert seed.returncode == 1
    assert "RATE_MISMATCH" in seed.stdout and "WEIGHT_SUM_MISMATCH" in seed.stdout and "95.83%" in seed.stdout
    clean = run_cli("audit", str(CLEAN))
    assert clean.returncode == 0, clean.stdout
    assert "0 finding(s)" in clean.stdout


def test_audit_unusable_input_exits_2(tmp_path):
    bad = tmp_path / "cut.pdf"
    bad.write_bytes(SEED.read_bytes()[:3000])
    result = run_cli("audit", str(bad), "--format", "json")
    assert result.returncode == 2
    rows = json.loads(result.stdout)
    assert rows[0]["code"] == "TRUNCATED_PDF"


def test_audit_json_lists_printed_and_recomputed():
    rows = json.loads(run_cli("audit", str(SEED), "--format", "json").stdout)
    rate = [r for r in rows if r["where"] == "/funding/0/rate"][0]
    assert rate["printed"] == 0.96 and rate["recomputed"] == 0.9583 and rate["severity"] == "error"


def test_validate_reaudits_a_hand_edited_record(tmp_path):
    run_cli("extract", str(SEED), "--out", str(tmp_path))
    path = tmp_path / f"{SEED.stem}.json"
    record = json.loads(path.read_text())
    form = record["forms"][0]
    # correct the two wrong rates and the total weight by hand: the record becomes clean.
    # 1689.4/1763 = 0.958253, which half-up rounding prints as 95.83%.
    for i in (0, 1):
        form["funding"][i]["rate"] = 0.9583
        form["cells"][f"/funding/{i}/rate"]["text"] = "95.83%"
    form["total"]["weight"] = 70
    form["cells"]["/total/weight"]["text"] = "70"
    path.write_text(json.dumps(record, ensure_ascii=False))
    result = run_cli("validate", str(path), "--write")
    assert result.returncode == 0, result.stdout
    assert json.loads(path.read_text())["forms"][0]["findings"] == []


def test_validate_rejects_what_is_not_a_record(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"hello": 1}')
    result = run_cli("validate", str(bad))
    assert result.returncode == 2 and "not a readable form record" in result.stderr


def test_markup_in_pdf_text_is_not_interpreted_by_the_terminal_table(tmp_path):
    """Findings messages carry PDF text; rich must print it literally."""
    record = json.loads((FIXTURES.parent / "wangcheng-cppcc-2020.expected.json").read_text())
    record["forms"][0]["funding"][0]["label"] = "[bold red]年度资金总额[/]"
    record["forms"][0]["funding"][0]["executed"] = 1800
    path = tmp_path / "r.json"
    path.write_text(json.dumps(record, ensure_ascii=False))
    out = run_cli("validate", str(path)).stdout
    assert "[bold red]年度资金总额[/]" in out
