"""Label Studio JSON tasks to and from the team's labels, so a team on Label Studio can review there.

One task per sentence. `data.text` is the sentence; the article id, the sentence's offsets and
hash sit beside it so an annotation converts back into a standoff label, and `data.context` holds
the sentence before (a source is often named there). Predictions carry the labeler's labels with
its confidence as the score, so Label Studio can sort least confident first; a sentence that
already has a label carries it as an annotation. The interface is `labeling_config()`: choices
for speaker, certainty, named and boilerplate, and labels spans for the source and hedge cues.

Span offsets in results count from the start of the sentence, in code points, as Python and
Label Studio both count them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from attribution.document import CERTAINTY_LABELS, CUE_KINDS, SPEAKER_LABELS
from attribution.labels import CueLabel, SentenceLabel, sentence_hash
from attribution.review.corpus import ReviewArticle

TEXT = "text"  # the object tag every result points at
NAMED, ANONYMOUS = "named", "anonymous"


class LabelStudioError(ValueError):
    """Tasks that cannot be converted; the message is one line and names the task."""


def labeling_config() -> str:
    """The Label Studio labeling interface for the tasks written here."""
    view = ElementTree.Element("View")
    ElementTree.SubElement(view, "Header", value="$article")
    ElementTree.SubElement(view, "Text", name="context", value="$context")
    ElementTree.SubElement(view, "Text", name=TEXT, value="$text")
    spans = {"source": ["source"], "attribution": ["cue", "content"], "cues": list(CUE_KINDS)}
    choices = {"speaker": SPEAKER_LABELS, "certainty": CERTAINTY_LABELS, "named": (NAMED, ANONYMOUS), "boilerplate": ("boilerplate",)}
    for name, values in spans.items():
        tag = ElementTree.SubElement(view, "Labels", name=name, toName=TEXT)
        for value in values:
            ElementTree.SubElement(tag, "Label", value=value)
    for name, values in choices.items():
        tag = ElementTree.SubElement(view, "Choices", name=name, toName=TEXT, choice="single",
                                     required="true" if name in ("speaker", "certainty") else "false")
        for value in values:
            ElementTree.SubElement(tag, "Choice", value=value)
    ElementTree.indent(view)
    return ElementTree.tostring(view, encoding="unicode") + "\n"


def _choice(name: str, value: str) -> dict[str, Any]:
    return {"id": name, "from_name": name, "to_name": TEXT, "type": "choices", "value": {"choices": [value]}}


def _span(name: str, number: int, start: int, end: int, sentence_text: str, label: str) -> dict[str, Any]:
    """A span result of the Labels tag `name`, labeled `label`."""
    return {"id": f"{name}-{label}{number}", "from_name": name, "to_name": TEXT, "type": "labels",
            "value": {"start": start, "end": end, "text": sentence_text[start:end], "labels": [label]}}


def results(label: SentenceLabel, sentence_text: str) -> list[dict[str, Any]]:
    """A label as Label Studio results, offsets relative to the sentence."""
    found = [_choice("speaker", label.speaker), _choice("certainty", label.certainty)]
    if label.named is not None:
        found.append(_choice("named", NAMED if label.named else ANONYMOUS))
    if label.boilerplate:
        found.append(_choice("boilerplate", "boilerplate"))
    if label.source:
        found.append(_span("source", 0, label.source[0] - label.start, label.source[1] - label.start, sentence_text, "source"))
    if label.cue:
        found.append(_span("attribution", 0, label.cue[0] - label.start, label.cue[1] - label.start, sentence_text, "cue"))
    for number, (start, end) in enumerate(label.content):
        found.append(_span("attribution", number, start - label.start, end - label.start, sentence_text, "content"))
    for number, cue in enumerate(label.cues):
        found.append(_span("cues", number, cue.start - label.start, cue.end - label.start, sentence_text, cue.kind))
    return found


def tasks(articles: Iterable[ReviewArticle], labels: dict[tuple[str, int, int, str], SentenceLabel]) -> list[dict]:
    """One task per sentence, with the prediction and, where `labels` has one, the annotation."""
    found = []
    for article in articles:
        previous = ""
        for sentence in article.sentences:
            text = article.text[sentence.start : sentence.end]
            task: dict[str, Any] = {
                "data": {TEXT: text, "context": previous, "article": article.id, "sentence": sentence.id,
                         "start": sentence.start, "end": sentence.end, "sha1": sentence.predicted.sha1},
                "predictions": [{"model_version": article.labeler, "score": sentence.confidence,
                                 "result": results(sentence.predicted, text)}],
            }
            label = labels.get((article.id, sentence.start, sentence.end, sentence.predicted.sha1))
            if label:
                # Label Studio keeps its own user ids; the annotator's name travels in created_username.
                task["annotations"] = [{"result": results(label, text), "created_at": label.time,
                                        "created_username": label.annotator}]
            found.append(task)
            previous = text
    return found


def _annotator(annotation: dict) -> str:
    """Who made a Label Studio annotation, in whichever form the export gives it."""
    if annotation.get("created_username"):
        return str(annotation["created_username"])
    who = annotation.get("completed_by")
    if isinstance(who, dict):
        return str(who.get("email") or who.get("username") or who.get("id", ""))
    return "" if who is None else f"labelstudio:{who}"


def label_from_task(task: dict, annotator: str | None = None) -> SentenceLabel | None:
    """The task's latest submitted annotation as a label; None when it has none."""
    annotations = [a for a in task.get("annotations") or [] if not a.get("was_cancelled")]
    if not annotations:
        return None
    annotation = max(annotations, key=lambda a: str(a.get("updated_at") or a.get("created_at") or ""))
    data = task["data"]
    text, start = data[TEXT], data["start"]
    if sentence_hash(text) != data["sha1"] or len(text) != data["end"] - start:
        raise ValueError("the sentence text no longer matches its offsets and hash")
    picked: dict[str, list[str]] = {}
    spans: list[tuple[str, int, int, str]] = []
    for result in annotation.get("result", []):
        value = result["value"]
        if result["type"] == "choices":
            picked[result["from_name"]] = value["choices"]
        elif result["type"] == "labels":
            if "text" in value and text[value["start"] : value["end"]] != value["text"]:
                raise ValueError(f"span {value['start']}-{value['end']} does not hold {value['text']!r}")
            spans += [(result["from_name"], value["start"] + start, value["end"] + start, kind) for kind in value["labels"]]
    for required in ("speaker", "certainty"):
        if len(picked.get(required, [])) != 1:
            raise ValueError(f"the annotation needs exactly one {required} choice")
    sources = [(s, e) for name, s, e, _ in spans if name == "source"]
    reporting_cues = [(s, e) for name, s, e, kind in spans if name == "attribution" and kind == "cue"]
    for role, found in (("source", sources), ("reporting cue", reporting_cues)):
        if len(found) > 1:
            raise ValueError(f"the annotation marks more than one {role}")
    named = picked.get("named", [None])[0]
    label = SentenceLabel(
        article=data["article"], start=start, end=data["end"], sha1=data["sha1"],
        speaker=picked["speaker"][0], certainty=picked["certainty"][0],
        source=sources[0] if sources else None,
        named=None if named is None else named == NAMED,
        cues=sorted((CueLabel(s, e, kind) for name, s, e, kind in spans if name == "cues"), key=lambda c: (c.start, c.end)),
        boilerplate="boilerplate" in picked.get("boilerplate", []),
        cue=reporting_cues[0] if reporting_cues else None,
        content=sorted((s, e) for name, s, e, kind in spans if name == "attribution" and kind == "content"),
        annotator=annotator or _annotator(annotation),
        time=str(annotation.get("updated_at") or annotation.get("created_at") or ""),
    )
    label.validate()
    return label


def read_tasks(path: str | Path, annotator: str | None = None) -> tuple[list[SentenceLabel], int]:
    """Labels from a Label Studio JSON export, and how many tasks had no annotation."""
    try:
        found = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise LabelStudioError(f"{path}: cannot read Label Studio JSON ({error})") from None
    if not isinstance(found, list):
        raise LabelStudioError(f"{path}: expected a JSON list of tasks")
    labels, unlabeled = [], 0
    for number, task in enumerate(found):
        try:
            label = label_from_task(task, annotator)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            reason = f"missing field {error.args[0]!r}" if isinstance(error, KeyError) else str(error)
            where = task.get("id", number) if isinstance(task, dict) else number
            raise LabelStudioError(f"{path}: task {where}: {reason}") from None
        if label is None:
            unlabeled += 1
        else:
            labels.append(label)
    return labels, unlabeled
