"""The stages in order, batching, and worker processes.

    ingest -> parse -> boilerplate -> attribute -> hedge -> label -> grade -> render

The parent process loads the models once and forks workers that share them (copy on write);
each worker takes a batch of articles and returns finished records, so the parent only reads
inputs and writes outputs.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import traceback
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

from attribution import __version__
from attribution.attribute import attribute
from attribution.attribute.learned import load_span_model
from attribution.boilerplate import mark_boilerplate
from attribution.document import Article
from attribution.hedging import find_cues
from attribution.labeling import RuleLabeler, SentenceLabeler
from attribution.parse import Parser, load_parser
from attribution.reliability import Policy, grade_article
from attribution.render.html import to_html
from attribution.render.jsonl import to_record
from attribution.render.text import to_text

FORMATS = ("jsonl", "html", "text")
# Longer inputs are refused with a clear message: real articles are far shorter, and a scraped
# dump of megabytes is rarely meant as one article. --max-chars raises the limit.
MAX_CHARS = 1_000_000
_BATCH_ARTICLES = 8


@dataclass
class Annotated:
    """One finished article: its record and the rendered copies asked for."""

    article_id: str
    record: dict
    html: str | None
    text: str | None
    words: int


@dataclass
class Failed:
    article_id: str
    message: str


class Pipeline:
    def __init__(self, parser: str = "spacy", policy: str | None = None, formats: Sequence[str] = FORMATS,
                 labeler: SentenceLabeler | None = None, max_chars: int = MAX_CHARS, spans: str | None = None, only: str | None = None) -> None:
        self.parser: Parser = load_parser(parser)
        # The span model (None: the rules alone) and whether the rules run beside it.
        self.spans = None if only == "rules" else load_span_model(spans)
        self.with_rules = only != "model"
        self.labeler: SentenceLabeler = labeler or RuleLabeler()
        self.policy = Policy.load(policy)
        self.formats = tuple(formats)
        self.max_chars = max_chars
        policy_hash = hashlib.sha1(repr(self.policy).encode()).hexdigest()[:12]
        self.provenance = {
            "tool": f"attribution {__version__}",
            "parser": self.parser.version,
            "labeler": f"{self.labeler.name} {self.labeler.version}",
            "spans": ("rules + " if self.with_rules and self.spans else "") + (f"{self.spans.name} {self.spans.version}" if self.spans else "rules"),
            "reliability_policy": f"{self.policy.name} sha1:{policy_hash}",
        }

    def enrich(self, article: Article) -> None:
        """Every stage after parsing, in order."""
        mark_boilerplate(article)
        attribute(article, self.spans, self.with_rules)
        find_cues(article)
        self.labeler.label([article])
        grade_article(article, self.policy)
        article.provenance = {**self.provenance, "time": datetime.now(timezone.utc).isoformat(timespec="seconds")}

    def annotate(self, articles: Sequence[Article]) -> list[Annotated | Failed]:
        """Parse and enrich a batch; one article's failure does not fail the others."""
        oversized = [a for a in articles if len(a.text) > self.max_chars]
        if oversized:
            fits = [a for a in articles if len(a.text) <= self.max_chars]
            done = {r.article_id: r for r in self.annotate(fits)} if fits else {}
            return [
                done[a.id] if a.id in done else Failed(
                    a.id, f"article is {len(a.text):,} characters, over the limit of {self.max_chars:,}; raise it with --max-chars")
                for a in articles
            ]
        try:
            parsed = list(self.parser.parse(articles))
        except Exception:  # isolate the article the parser could not take
            if len(articles) == 1:
                return [Failed(articles[0].id, _describe())]
            return [result for article in articles for result in self.annotate([article])]
        results: list[Annotated | Failed] = []
        for article in parsed:
            try:
                self.enrich(article)
                results.append(
                    Annotated(
                        article.id,
                        to_record(article),
                        to_html(article) if "html" in self.formats else None,
                        to_text(article) if "text" in self.formats else None,
                        article.word_count,
                    )
                )
            except Exception:
                results.append(Failed(article.id, _describe()))
        return results

    def run(self, articles: Iterable[Article], workers: int = 0) -> Iterator[Annotated | Failed]:
        """Annotate articles in input order, in `workers` processes (0: one per core)."""
        workers = workers or default_workers()
        batches = _batches(articles, _BATCH_ARTICLES)
        if workers <= 1:
            for batch in batches:
                yield from self.annotate(batch)
            return
        global _WORKER_PIPELINE
        _WORKER_PIPELINE = self
        context = multiprocessing.get_context("fork")
        with context.Pool(workers, initializer=_limit_threads) as pool:
            for results in pool.imap(_annotate_in_worker, batches):
                yield from results


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def _batches(articles: Iterable[Article], size: int) -> Iterator[list[Article]]:
    batch: list[Article] = []
    for article in articles:
        batch.append(article)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _describe() -> str:
    """The innermost frame and the error, in one line."""
    lines = traceback.format_exc().strip().splitlines()
    return lines[-1] if lines else "unknown error"


_WORKER_PIPELINE: Pipeline | None = None


def _limit_threads() -> None:
    # Each worker owns one core: numeric libraries must not start a thread per core each.
    os.environ["OMP_NUM_THREADS"] = "1"
    torch = sys.modules.get("torch")  # only when a model already loaded it: importing it here is slow
    if torch is not None:
        torch.set_num_threads(1)


def _annotate_in_worker(batch: list[Article]) -> list[Annotated | Failed]:
    assert _WORKER_PIPELINE is not None
    return _WORKER_PIPELINE.annotate(batch)
