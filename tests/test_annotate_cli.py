"""The annotate command on whole batches: outputs, schema, bad input, resume, escaping."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import jsonschema
import pytest
from typer.testing import CliRunner

from attribution.cli import app
from attribution.document import schema
from tests.conftest import SEEDS


def run(*args):
    return CliRunner().invoke(app, ["annotate", *map(str, args)])


@pytest.fixture(scope="module")
def seed_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("seed_out")
    result = run(SEEDS, "-o", out, "--workers", "2")
    assert result.exit_code == 0, result.output
    return out, result.output


def records(out):
    return [json.loads(line) for line in (out / "annotations.jsonl").read_text(encoding="utf-8").splitlines()]


def test_outputs_for_every_seed_valid_against_schema(seed_out):
    out, output = seed_out
    found = records(out)
    assert sorted(r["id"] for r in found) == sorted(p.stem for p in SEEDS.glob("*.txt"))
    for record in found:
        jsonschema.validate(record, schema())
        assert record["provenance"]["parser"].startswith("spacy")
        assert record["provenance"]["tool"].startswith("attribution")
        assert (out / "html" / f"{record['id']}.html").exists()
        assert (out / "text" / f"{record['id']}.txt").exists()
    assert "3 articles" in output and "0 failed" in output
    assert not (out / "annotations.jsonl.partial").exists()


def test_text_copy_tags_sentences_and_cues(seed_out):
    out, _ = seed_out
    text = (out / "text" / "001_0bd9adbc2bf234f1.txt").read_text(encoding="utf-8")
    assert "[[about 11,000|approximator]]" in text
    assert re.search(r"\[S\d+ ukrainian_military \"A Ukrainian commander\" [A-F][1-6] certain\] A Ukrainian commander informed CNN", text)


def test_html_copy_shows_speakers_grades_and_sources(seed_out):
    out, _ = seed_out
    page = (out / "html" / "000_ce849f418b17f7cf.html").read_text(encoding="utf-8")
    assert "sp-us_official" in page and re.search(r'class="badge" data-speaker="us_official">[^<]*<b>[A-F][1-6]</b>', page)
    assert "The Gaze → CNN → two US officials" in page
    assert "<script" not in page.lower()


def test_bad_inputs_do_not_stop_the_batch(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "empty.txt").write_text("", encoding="utf-8")
    (inputs / "binary.txt").write_bytes(bytes(range(256)))
    (inputs / "latin1.txt").write_bytes("Le ministre a déclaré".encode("latin-1"))
    (inputs / "rows.jsonl").write_text('{"id": "ok1", "text": "The minister said the talks had failed."}\n{broken\n', encoding="utf-8")
    (inputs / "quotes.txt").write_text(
        'He said "the army is \u201cready\u201d and \u2018waiting.\n'
        "\u201cIt will not stop,\u201d said the commander. \u00abWe hold,\u00bb he added. 'Odd quote\n"
        '"Unclosed quote at the end', encoding="utf-8")
    long_sentence = "The commander said that " + " and ".join(["the troops moved east"] * 500) + "."
    (inputs / "long_sentence.txt").write_text(long_sentence, encoding="utf-8")
    (inputs / "script.html").write_text(
        "<html><body><p>Officials said &lt;script&gt;alert(1)&lt;/script&gt; was posted, "
        "and <b onclick=\"steal()\">nothing</b> else.</p><script>alert(2)</script></body></html>", encoding="utf-8")
    out = tmp_path / "out"
    result = run(inputs, "-o", out, "--workers", "1")
    assert result.exit_code == 1  # some documents failed
    failed = [line for line in result.output.splitlines() if line.startswith("failed:")]
    assert len(failed) == 4, result.output  # empty, binary, latin-1, the broken JSONL line
    assert any("rows.jsonl:2" in line and "malformed JSON" in line for line in failed)
    done = {r["id"]: r for r in records(out)}
    assert set(done) == {"ok1", "quotes", "long_sentence", "script"}
    assert done["ok1"]["attributions"][0]["cue"]["text"] == "said"
    assert done["long_sentence"]["attributions"], "a 2,000-word sentence still gets its attribution"
    page = (out / "html" / "script.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower() and "onclick" not in page.lower()
    assert "default-src 'none'" in page


def test_oversized_article_gets_a_clear_message(tmp_path):
    big = tmp_path / "huge.txt"
    big.write_text(("Officials said the front was quiet. " * 140_000), encoding="utf-8")  # ~5 MB
    assert big.stat().st_size > 5_000_000
    result = run(big, "-o", tmp_path / "out")
    assert result.exit_code == 1
    [line] = [line for line in result.output.splitlines() if line.startswith("failed:")]
    assert "huge" in line and "--max-chars" in line


def test_resume_skips_done_articles_and_recovers_a_torn_line(tmp_path, seed_out):
    out = tmp_path / "out"
    out.mkdir()
    done, _ = seed_out
    first = (done / "annotations.jsonl").read_text(encoding="utf-8").splitlines()[0]
    # A run that was stopped: one complete line and a torn one in the partial file.
    (out / "annotations.jsonl.partial").write_text(first + "\n" + first[: len(first) // 2], encoding="utf-8")
    result = run(SEEDS, "-o", out, "--resume", "--workers", "1", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    assert "1 skipped" in result.output and "2 articles" in result.output
    ids = [r["id"] for r in records(out)]
    assert sorted(ids) == sorted(p.stem for p in SEEDS.glob("*.txt"))


def test_duplicate_ids_and_unknown_format(tmp_path):
    path = tmp_path / "dup.jsonl"
    path.write_text('{"id": "x", "text": "He said yes."}\n{"id": "x", "text": "She said no."}\n', encoding="utf-8")
    result = run(path, "-o", tmp_path / "out", "--workers", "1")
    assert result.exit_code == 1 and "article id 'x' is taken already (by " in result.output and "dup.jsonl:1" in result.output
    assert run(path, "-o", tmp_path / "out2", "--format", "pdf").exit_code != 0


def test_files_of_one_name_in_two_folders_keep_both_and_say_where_they_came_from(tmp_path):
    for folder, text in (("a", "The mayor said the bridge was closed."), ("b", "Police said two men were held.")):
        (tmp_path / "in" / folder).mkdir(parents=True)
        (tmp_path / "in" / folder / "x.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    result = run(tmp_path / "in", "-o", out, "--workers", "1", "--format", "jsonl")
    assert result.exit_code == 0, result.output
    done = {r["id"]: r for r in records(out)}
    assert set(done) == {"a/x", "b/x"} and done["a/x"]["meta"]["file"].endswith("a/x.txt")


def test_a_folder_that_holds_annotations_is_refused_unless_resumed_or_overwritten(tmp_path, seed_out):
    done, _ = seed_out
    out = tmp_path / "out"
    out.mkdir()
    (out / "annotations.jsonl").write_text((done / "annotations.jsonl").read_text(encoding="utf-8"), encoding="utf-8")
    (out / "html").mkdir()
    (out / "html" / "stale.html").write_text("<p>an old page</p>", encoding="utf-8")
    one = tmp_path / "one.txt"
    one.write_text("The minister said the talks had failed.", encoding="utf-8")
    refused = run(one, "-o", out, "--workers", "1")
    assert refused.exit_code == 2 and "--resume" in refused.output and "--overwrite" in refused.output
    assert len(records(out)) == 3  # untouched
    added = run(one, "-o", out, "--workers", "1", "--resume")
    assert added.exit_code == 0 and len(records(out)) == 4
    fresh = run(one, "-o", out, "--workers", "1", "--overwrite")
    assert fresh.exit_code == 0 and [r["id"] for r in records(out)] == ["one"]
    assert not (out / "html" / "stale.html").exists()


def test_bad_inputs_of_any_command_get_one_line_and_status_2(tmp_path):
    missing = tmp_path / "missing"
    for args in (["annotate", str(missing), "-o", str(tmp_path / "o")],
                 ["evaluate", "polnear", str(missing)],
                 ["evaluate", "sentences", str(missing), "--corpus", str(tmp_path)],
                 ["annotate", str(SEEDS), "-o", str(tmp_path / "o2"), "--spans", str(missing)]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and "missing" in lines[0], (args, result.output)
        assert "Traceback" not in result.output
    assert not (tmp_path / "o").exists()  # nothing written before the refusal
    labels = tmp_path / "labels.jsonl"
    labels.write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["evaluate", "sentences", str(labels), "--corpus", str(tmp_path), "--split", "dev"])
    assert result.exit_code == 2 and "splits.json" in result.output


def test_binary_files_are_refused_by_content_and_standard_input_is_read(tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3 binary")
    result = run(pdf, "-o", tmp_path / "out", "--workers", "1")
    assert result.exit_code == 1 and "a PDF, not a text article" in result.output
    piped = CliRunner().invoke(app, ["annotate", "-", "-o", str(tmp_path / "stdin"), "--workers", "1", "--format", "jsonl"],
                               input="The ministry said the border crossing was closed.")
    assert piped.exit_code == 0, piped.output
    assert [r["id"] for r in records(tmp_path / "stdin")] == ["stdin"]


def test_version_and_help_read_plainly():
    assert CliRunner().invoke(app, ["--version"]).output.startswith("attribution ")
    shown = CliRunner().invoke(app, ["annotate", "--help"], env={"COLUMNS": "120"}).output
    assert "<bool>" not in shown and "<list[" not in shown and "{paths}" not in shown


def test_hostile_ids_stay_inside_the_output_folder(tmp_path):
    path = tmp_path / "ids.jsonl"
    path.write_text('{"id": "../../escape", "text": "The minister said it was over."}\n', encoding="utf-8")
    out = tmp_path / "out"
    assert run(path, "-o", out, "--workers", "1").exit_code == 0
    written = [p for p in tmp_path.rglob("*.html")]
    assert written and all(out in p.parents for p in written)


@pytest.mark.slow
def test_a_killed_annotate_run_resumes_without_losing_or_repeating_an_article(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(12):
        (inputs / f"a{n:02d}.txt").write_text(f"Officials in Kharkiv said {n + 2} drones were shot down overnight. "
                                               f"The mayor said power was restored in district {n}.", encoding="utf-8")
    out = tmp_path / "out"
    cli = [sys.executable, "-m", "attribution.cli"]
    run = subprocess.Popen([*cli, "annotate", str(inputs), "-o", str(out), "--workers", "1"], stderr=subprocess.DEVNULL)
    partial = out / "annotations.jsonl.partial"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and run.poll() is None:
        if partial.exists() and partial.read_text(encoding="utf-8").count("\n") >= 3:
            os.kill(run.pid, signal.SIGKILL)
            break
        time.sleep(0.01)
    run.wait()
    assert run.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert not (out / "annotations.jsonl").exists()
    resumed = subprocess.run([*cli, "annotate", str(inputs), "-o", str(out), "--workers", "1", "--resume"], capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    ids = [json.loads(line)["id"] for line in (out / "annotations.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(ids) == [f"a{n:02d}" for n in range(12)]
    assert sorted(p.stem for p in (out / "html").glob("*.html")) == sorted(ids)
