"""Label Studio tasks: labels go out as annotations, predictions go along, and annotations come
back as the same labels."""

from __future__ import annotations

import json
from dataclasses import replace
from xml.etree import ElementTree

from typer.testing import CliRunner

from attribution.cli import app as cli
from attribution.document import CERTAINTY_LABELS, SPEAKER_LABELS
from attribution.labels import CueLabel, read_labels, sentence_hash, write_labels

A000 = "000_ce849f418b17f7cf"
A001 = "001_0bd9adbc2bf234f1"


def run(*args) -> str:
    result = CliRunner().invoke(cli, ["labels", *map(str, args)])
    assert result.exit_code == 0, result.output
    return result.output


def reviewed_labels(corpus):
    """Labels as reviewers leave them: a corrected speaker and certainty, a new named source,
    a cue, a boilerplate line, an accepted prediction."""
    article = corpus.get(A001)
    s7 = article.sentences[7].predicted  # "CNN has reached out to the Ukrainian government ..."
    cnn = article.text.index("CNN", s7.start)
    labels = [
        replace(article.sentences[4].predicted, speaker="media", certainty="probable"),
        replace(s7, source=(cnn, cnn + 3), named=True, speaker="media", cues=[CueLabel(cnn, cnn + 3, "evidential")]),
        replace(article.sentences[2].predicted, boilerplate=True),
        corpus.get(A000).sentences[1].predicted,
    ]
    return [replace(label, annotator=f"reviewer {n}", time=f"2026-01-0{n + 1}T10:00:00+00:00") for n, label in enumerate(labels)]


def test_labels_round_trip_through_label_studio_tasks(review_folder, corpus, tmp_path):
    labels = reviewed_labels(corpus)
    labels_file, tasks_file, back = tmp_path / "labels.jsonl", tmp_path / "tasks.json", tmp_path / "back.jsonl"
    write_labels(labels_file, labels)
    output = run("export-labelstudio", review_folder, "-o", tasks_file, "--labels", labels_file)
    sentences = sum(len(a.sentences) for a in corpus.articles.values())
    assert f"{sentences} tasks (4 with a label)" in output
    output = run("import-labelstudio", tasks_file, "-o", back)
    assert f"4 labels -> {back}; {sentences - 4} tasks without an annotation skipped" in output
    def key(label):
        return label.article, label.start

    assert sorted(read_labels(back), key=key) == sorted(read_labels(labels_file), key=key)


def test_tasks_carry_sentence_predictions_and_the_interface_names_every_label(review_folder, corpus, tmp_path):
    tasks_file, config_file = tmp_path / "tasks.json", tmp_path / "config.xml"
    run("export-labelstudio", review_folder, "-o", tasks_file, "--config", config_file)
    tasks = json.loads(tasks_file.read_text(encoding="utf-8"))
    task = next(t for t in tasks if t["data"]["article"] == A001 and t["data"]["sentence"] == 4)
    assert task["data"]["text"].startswith("According to a US official who spoke to CNN on Sunday")
    assert task["data"]["context"] == corpus.get(A001).text[corpus.get(A001).sentences[3].start : corpus.get(A001).sentences[3].end]
    [prediction] = task["predictions"]
    assert prediction["score"] == corpus.get(A001).sentences[4].confidence
    by_name = {(r["from_name"], r["type"]): r["value"] for r in prediction["result"]}
    assert by_name[("speaker", "choices")] == {"choices": ["us_official"]}
    assert by_name[("certainty", "choices")] == {"choices": ["certain"]}
    assert by_name[("named", "choices")] == {"choices": ["anonymous"]}
    assert by_name[("source", "labels")] == {"start": 13, "end": 26, "text": "a US official", "labels": ["source"]}
    spans = [r["value"] for r in prediction["result"] if r["from_name"] == "attribution"]
    assert [(v["text"], v["labels"]) for v in spans][0] == ("According to", ["cue"])
    assert spans[1]["labels"] == ["content"] and spans[1]["text"].endswith("in the coming days")
    assert "annotations" not in task
    config = ElementTree.fromstring(config_file.read_text(encoding="utf-8"))
    choices = {c.get("name"): [x.get("value") for x in c] for c in config.iter("Choices")}
    assert choices["speaker"] == list(SPEAKER_LABELS) and choices["certainty"] == list(CERTAINTY_LABELS)
    assert {labels.get("name") for labels in config.iter("Labels")} == {"source", "attribution", "cues"}


def label_studio_export(text: str, result: list[dict], **annotation) -> list[dict]:
    """A task as Label Studio's own JSON export writes it (user ids, timestamps, cancelled skips)."""
    return [{"id": 17, "data": {"text": text, "article": A000, "sentence": 1, "start": 0, "end": len(text),
                                "sha1": sentence_hash(text)},
             "annotations": [{"id": 1, "result": result, "was_cancelled": True, "completed_by": 2, "updated_at": "2026-02-02T00:00:00Z"},
                             {"id": 2, "result": result, "was_cancelled": False, **annotation}]}]


def test_import_reads_label_studio_users_and_times(tmp_path):
    text = "Moscow denied the report."
    result = [{"from_name": "speaker", "to_name": "text", "type": "choices", "value": {"choices": ["russian_official"]}},
              {"from_name": "certainty", "to_name": "text", "type": "choices", "value": {"choices": ["doubtful"]}},
              {"from_name": "source", "to_name": "text", "type": "labels", "value": {"start": 0, "end": 6, "text": "Moscow", "labels": ["source"]}}]
    tasks_file, out = tmp_path / "export.json", tmp_path / "labels.jsonl"
    tasks_file.write_text(json.dumps(label_studio_export(text, result, completed_by=3, created_at="2026-02-01T09:00:00.1Z",
                                                          updated_at="2026-02-01T09:30:00.2Z")))
    run("import-labelstudio", tasks_file, "-o", out)
    [label] = read_labels(out)
    assert (label.speaker, label.certainty, label.source, label.named) == ("russian_official", "doubtful", (0, 6), None)
    assert (label.annotator, label.time) == ("labelstudio:3", "2026-02-01T09:30:00.2Z")
    run("import-labelstudio", tasks_file, "-o", out, "--annotator", "desk-2")
    assert next(read_labels(out)).annotator == "desk-2"


def test_import_refuses_incomplete_or_mismatched_annotations_in_one_line(tmp_path):
    text = "Moscow denied the report."
    certainty_only = [{"from_name": "certainty", "to_name": "text", "type": "choices", "value": {"choices": ["doubtful"]}}]
    tasks_file = tmp_path / "export.json"
    tasks_file.write_text(json.dumps(label_studio_export(text, certainty_only)))
    result = CliRunner().invoke(cli, ["labels", "import-labelstudio", str(tasks_file), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2
    assert result.output.strip() == f"error: {tasks_file}: task 17: the annotation needs exactly one speaker choice"
    edited = label_studio_export(text, certainty_only)
    edited[0]["data"]["text"] = "Moscow confirmed the report."
    tasks_file.write_text(json.dumps(edited))
    result = CliRunner().invoke(cli, ["labels", "import-labelstudio", str(tasks_file), "-o", str(tmp_path / "o.jsonl")])
    assert "no longer matches its offsets and hash" in result.output
    assert not (tmp_path / "o.jsonl").exists()
