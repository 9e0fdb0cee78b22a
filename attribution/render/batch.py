"""The batch view of an output folder, made from its records (so a resumed run's pages hold
every article): an index of the articles with a chart, a page of every source across the
batch, and two tables for spreadsheets.

    index.html        every article: title, outlet, date, sentences by speaker, grades, hedged share;
                      sortable and filterable in the page (an inline script the page's CSP admits by hash)
    sources.html      every source across the batch: what it said, where, how hedged, with links
    claims.html       the claims made in two articles or more: figures side by side, conflicts, origins
    sentences.csv     one row per sentence (SENTENCE_COLUMNS)
    attributions.csv  one row per attribution (ATTRIBUTION_COLUMNS)
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
from collections import Counter
from collections.abc import Iterable
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from attribution import resources
from attribution.files import safe_name
from attribution.render.html import labels, speaker_colours, speaker_words, title_of

SENTENCE_COLUMNS = ("article", "title", "outlet", "date", "sentence", "start", "end", "text", "boilerplate", "speaker",
                    "speaker_score", "source", "entity", "entity_name", "certainty", "certainty_score", "grade", "reasons",
                    "cluster", "corroboration")
ATTRIBUTION_COLUMNS = ("article", "attribution", "sentence", "speaker", "named", "source", "cue", "content", "kind", "via",
                       "entity", "entity_name", "rule")
# Click a column to sort a `table.sortable`, type in `#filter` to keep the rows holding the words:
# the batch pages inline it, the review app serves it.
SORT_SCRIPT = resources.text("sortable.js").strip()


@cache
def _environment() -> Environment:
    environment = Environment(loader=PackageLoader("attribution.render", "templates"), autoescape=select_autoescape(default=True))
    environment.filters["safe_name"] = safe_name  # the file name the article's page has in html/
    return environment


def _page(template: str, has_claims: bool = False, **values: Any) -> str:
    digest = base64.b64encode(hashlib.sha256(SORT_SCRIPT.encode("utf-8")).digest()).decode("ascii")
    return _environment().get_template(template).render(
        script=SORT_SCRIPT, script_hash=f"sha256-{digest}", colours=speaker_colours(),
        speakers={label: speaker_words(label) for label in labels()["speakers"]}, has_claims=has_claims, **values)


def _title(record: dict) -> str:
    return title_of(record["text"], record.get("meta") or {}, record["id"])


def _labeled(record: dict) -> list[dict]:
    return [s for s in record["sentences"] if s.get("speaker") and not s.get("boilerplate")]


def index_html(records: Iterable[dict], has_claims: bool = False) -> str:
    """The batch's index page: every article, and a chart of who speaks how hedged."""
    records = list(records)
    speaker_labels = list(labels()["speakers"])
    certainty_labels = list(labels()["certainty"])
    rows, chart = [], {label: Counter() for label in speaker_labels}
    for record in records:
        labeled = _labeled(record)
        speakers = Counter(s["speaker"]["label"] for s in labeled)
        grades = Counter((s.get("reliability") or {}).get("grade", "-")[:1] for s in labeled)
        hedged = sum(s["certainty"]["label"] != "certain" for s in labeled)
        for s in labeled:
            chart[s["speaker"]["label"]][s["certainty"]["label"]] += 1
        meta = record.get("meta") or {}
        rows.append({"id": record["id"], "title": _title(record), "outlet": meta.get("outlet", ""), "date": meta.get("date", ""),
                     "sentences": len(labeled), "speakers": [speakers.get(label, 0) for label in speaker_labels],
                     "grades": " ".join(f"{letter}{count}" for letter, count in sorted(grades.items())),
                     "hedged": round(100 * hedged / len(labeled)) if labeled else 0,
                     "sources": len(record.get("entities", []))})
    return _page("index.html.j2", has_claims, rows=rows, speaker_labels=speaker_labels, chart=_chart(chart, speaker_labels, certainty_labels),
                 totals={"articles": len(records), "sentences": sum(r["sentences"] for r in rows)})


def _chart(counts: dict[str, Counter], speaker_labels: list[str], certainty_labels: list[str]) -> dict[str, Any]:
    """Horizontal bars, one per speaker, split by certainty: the geometry for the SVG."""
    widest = max((sum(c.values()) for c in counts.values()), default=0) or 1
    shades = {"certain": 1.0, "probable": 0.7, "possible": 0.45, "doubtful": 0.25}
    bars, y = [], 0
    for label in speaker_labels:
        x, parts = 0.0, []
        for certainty in certainty_labels:
            n = counts[label][certainty]
            width = 560 * n / widest
            if n:
                parts.append({"x": round(x, 1), "width": round(width, 1), "n": n, "certainty": certainty, "opacity": shades[certainty]})
            x += width
        bars.append({"label": label, "words": speaker_words(label), "y": y, "parts": parts, "total": sum(counts[label].values())})
        y += 26
    return {"bars": bars, "height": y + 30, "legend": [{"certainty": c, "opacity": shades[c]} for c in certainty_labels]}


def sources_html(records: Iterable[dict], has_claims: bool = False) -> str:
    """Every source across the batch (one row per name and label): its sentences with links."""
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:
        entities = {e["id"]: e for e in record.get("entities", [])}
        for sentence in _labeled(record):
            entity = entities.get(sentence["speaker"].get("entity") or "")
            if entity is None or sentence["speaker"]["label"] == "unattributed":
                continue
            key = (" ".join(entity["name"].lower().split()), entity.get("label") or "other_source")
            row = grouped.setdefault(key, {"name": entity["name"], "label": key[1], "words": speaker_words(key[1]),
                                           "articles": set(), "certainty": Counter(), "said": []})
            row["articles"].add(record["id"])
            row["certainty"][sentence["certainty"]["label"]] += 1
            row["said"].append({"article": record["id"], "title": _title(record), "sentence": sentence["id"],
                                "text": record["text"][sentence["start"] : sentence["end"]], "certainty": sentence["certainty"]["label"],
                                "grade": (sentence.get("reliability") or {}).get("grade", "")})
    rows = sorted(grouped.values(), key=lambda r: (-len(r["said"]), r["name"].lower()))
    for row in rows:
        row["articles"] = len(row["articles"])
        row["hedged"] = round(100 * (len(row["said"]) - row["certainty"]["certain"]) / len(row["said"]))
    return _page("sources.html.j2", has_claims, rows=rows)


def _csv(columns: tuple[str, ...], rows: Iterable[dict[str, Any]]) -> str:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def sentences_csv(records: Iterable[dict]) -> str:
    def rows():
        for record in records:
            meta = record.get("meta") or {}
            entities = {e["id"]: e for e in record.get("entities", [])}
            for s in record["sentences"]:
                speaker, certainty = s.get("speaker") or {}, s.get("certainty") or {}
                reliability, claim = s.get("reliability") or {}, s.get("claim") or {}
                entity = entities.get(speaker.get("entity") or "", {})
                yield {"article": record["id"], "title": _title(record), "outlet": meta.get("outlet", ""), "date": meta.get("date", ""),
                       "sentence": s["id"], "start": s["start"], "end": s["end"], "text": record["text"][s["start"] : s["end"]],
                       "boilerplate": bool(s.get("boilerplate")), "speaker": speaker.get("label", ""), "speaker_score": speaker.get("score", ""),
                       "source": speaker.get("source") or "", "entity": speaker.get("entity") or "", "entity_name": entity.get("name", ""),
                       "certainty": certainty.get("label", ""), "certainty_score": certainty.get("score", ""),
                       "grade": reliability.get("grade", ""), "reasons": "; ".join(reliability.get("reasons", [])),
                       "cluster": claim.get("cluster", ""), "corroboration": claim.get("status", "")}
    return _csv(SENTENCE_COLUMNS, rows())


def attributions_csv(records: Iterable[dict]) -> str:
    def rows():
        for record in records:
            entities = {e["id"]: e for e in record.get("entities", [])}
            for a in record.get("attributions", []):
                yield {"article": record["id"], "attribution": a["id"], "sentence": a["sentence"], "speaker": a["speaker"],
                       "named": a["named"], "source": (a["source"] or {}).get("text", ""), "cue": a["cue"]["text"],
                       "content": " … ".join(c["text"] for c in a["content"]), "kind": a["kind"], "via": a["via"] or "",
                       "entity": a["entity"] or "", "entity_name": entities.get(a["entity"] or "", {}).get("name", ""), "rule": a["rule"]}
    return _csv(ATTRIBUTION_COLUMNS, rows())


def claims_html(records: Iterable[dict], clusters: list[dict[str, Any]]) -> str:
    """The clusters of claims.jsonl, each with its members' figures side by side and its conflicts."""
    titles = {r["id"]: _title(r) for r in records}
    shown = []
    for cluster in clusters:
        conflicting = {k for pair in cluster["conflicts"] for k in pair}
        members = [{**m, "title": titles.get(m["article"], m["article"]), "speaker_words": speaker_words(m["speaker"]),
                    "conflicting": k in conflicting} for k, m in enumerate(cluster["members"])]
        shown.append({**cluster, "members": members, "articles": len({m["article"] for m in members})})
    return _page("claims.html.j2", has_claims=True, clusters=shown)


def batch_files(records: list[dict], clusters: list[dict[str, Any]] | None = None) -> dict[str, str]:
    """The batch view's files by name; claims.html where the batch's claims were linked."""
    has_claims = clusters is not None
    files = {"index.html": index_html(records, has_claims), "sources.html": sources_html(records, has_claims),
             "sentences.csv": sentences_csv(records), "attributions.csv": attributions_csv(records)}
    if has_claims:
        files["claims.html"] = claims_html(records, clusters)
    return files
