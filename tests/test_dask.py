"""The README's Dask section, run as written: a real `dask scheduler` and `dask worker` (separate
processes on 127.0.0.1), `formaudit batch --dask`, then query, stats, report and import on the
Parquet dataset, which must answer as a local batch into DuckDB over the same PDFs."""

from __future__ import annotations

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas.testing as pdt
import pytest

from conftest import FIXTURES, ROOT, run_cli

# a few text-layer fixtures (scans would make this test minutes long), one with a copy, one broken file
ARCHIVE = ("wangcheng-cppcc-2020-self-evaluation.pdf", "national-project-2020-training-errors.pdf",
           "libreoffice-project-2022-insurance.pdf")
VOLATILE = {"seconds", "peak_mb"}  # measured per run, not read from the PDF


def readme_dask_commands() -> list[list[str]]:
    """The shell lines of the README's Dask section, comments stripped."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("### Beyond one machine: Dask"):]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else "scheduler exited"
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError(f"nothing listens on {port} after {seconds} s")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM to the process group this test started (the worker's nanny has children), then SIGKILL."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.mark.dask
def test_readme_dask_section_answers_as_a_local_batch(tmp_path):
    import formaudit

    archive = tmp_path / "archive"
    for i, name in enumerate(ARCHIVE):
        (archive / f"d{i % 2}").mkdir(parents=True, exist_ok=True)
        (archive / f"d{i % 2}" / name).write_bytes((FIXTURES / name).read_bytes())
    (archive / "copy.pdf").write_bytes((FIXTURES / ARCHIVE[0]).read_bytes())
    (archive / "broken.pdf").write_text("not a pdf")
    dataset = tmp_path / "dataset"
    port = free_port()
    words = {"tcp://SCHEDULER:8786": f"tcp://127.0.0.1:{port}", "8786": str(port), "/shared/archive": str(archive),
             "/shared/formaudit-dataset": str(dataset)}
    commands = [[words.get(w, w) for w in cmd] for cmd in readme_dask_commands()]
    assert [c[:2] for c in commands] == [["dask", "scheduler"], ["dask", "worker"], ["formaudit", "batch"], ["formaudit", "query"],
                                         ["formaudit", "stats"], ["formaudit", "report"], ["formaudit", "import"]]
    bindir = Path(sys.executable).parent
    # on this machine only: bound to 127.0.0.1, no dashboards (their fixed ports could be taken)
    here = {"scheduler": ["--host", "127.0.0.1", "--no-dashboard"], "worker": ["--host", "127.0.0.1", "--no-dashboard"]}
    started: list[subprocess.Popen] = []
    results = {}
    try:
        for cmd in commands:
            exe = [str(bindir / cmd[0])] + cmd[1:]
            if cmd[0] == "dask":
                proc = subprocess.Popen(exe + here[cmd[1]], cwd=tmp_path, start_new_session=True,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                started.append(proc)
                if cmd[1] == "scheduler":
                    wait_for_port(port, proc)
                else:
                    wait_for_workers(f"tcp://127.0.0.1:{port}", 2)
                continue
            results[cmd[1]] = run_cli(*cmd[1:], cwd=tmp_path)
    finally:
        for proc in reversed(started):
            stop(proc)
    assert all(p.poll() is not None for p in started)

    batch = results["batch"]
    assert batch.returncode == 2, batch.stderr  # the broken file is a failed document, the rest is there
    distinct = len(ARCHIVE) + 1
    assert f"{distinct} processed" in batch.stderr
    # the summary's commands are the ones that work on what was written
    for line in (f"formaudit stats {dataset}", f"formaudit import {dataset} --db results.duckdb",
                 f"formaudit report {dataset} --out report.html"):
        assert line in batch.stderr, batch.stderr

    # the same PDFs in a local batch into DuckDB
    local = tmp_path / "local.duckdb"
    assert run_cli("batch", str(archive), "--db", str(local), "-q").returncode == 2

    query = commands[3][3]
    assert results["query"].returncode == 0 and results["query"].stdout == run_cli("query", str(local), query).stdout
    assert "RATE_MISMATCH" in results["query"].stdout
    assert results["stats"].returncode == 0 and results["stats"].stdout == run_cli("stats", str(local)).stdout
    assert "RATE_MISMATCH" in results["stats"].stdout

    assert results["report"].returncode == 0, results["report"].stderr
    assert run_cli("report", str(local), "--out", str(tmp_path / "local.html")).returncode == 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert html == (tmp_path / "local.html").read_text(encoding="utf-8")
    assert html.count('class="finding"') > 0 and (tmp_path / "report.xlsx").stat().st_size > 0

    assert results["import"].returncode == 0, results["import"].stderr
    with formaudit.open_dataset(local) as want, formaudit.open_dataset(dataset) as got, \
            formaudit.open_dataset(tmp_path / "results.duckdb") as imported:
        for name in ("documents", "files", "forms", "funding", "indicators", "findings"):
            expected = want.table(name).drop(columns=[c for c in VOLATILE if c in want.table(name)])
            for other in (got, imported):
                frame = other.table(name)
                pdt.assert_frame_equal(frame.drop(columns=[c for c in VOLATILE if c in frame]), expected, obj=name)


def wait_for_workers(address: str, n: int, seconds: float = 90) -> None:
    from dask.distributed import Client

    with Client(address, timeout=seconds) as client:
        client.wait_for_workers(n, timeout=seconds)
