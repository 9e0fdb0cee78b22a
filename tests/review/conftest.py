"""An annotation folder for the review tests: the seed articles plus one hostile article."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from attribution.document import Article
from attribution.pipeline import Pipeline
from attribution.review.app import create_app
from attribution.review.corpus import Corpus, load_corpus
from attribution.review.store import Store

TOKEN = "test-session-token"
HOSTILE_ID = "hostile"
# Article text is data, never markup: these words must reach the page as text. The emoji is one
# code point to Python and two UTF-16 units to JavaScript: offsets from the browser must agree.
HOSTILE_TEXT = (
    "Officials said <script>alert(1)</script> was posted on the ministry's site on Monday. "
    'A spokesman \U0001F642 told reporters that <img src=x onerror="alert(2)"> tags "may" appear again, '
    "according to the ministry."
)
HOSTILE_TITLE = "<b onmouseover=alert(3)>Hostile</b> title"


@pytest.fixture(scope="session")
def review_folder(tmp_path_factory, pipeline: Pipeline, seed_records: dict[str, dict]) -> Path:
    folder = tmp_path_factory.mktemp("review_folder")
    hostile = next(iter(pipeline.annotate([Article(HOSTILE_ID, HOSTILE_TEXT, meta={"title": HOSTILE_TITLE})]))).record
    records = [*seed_records.values(), hostile]
    (folder / "annotations.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def corpus(review_folder: Path) -> Corpus:
    return load_corpus(review_folder)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "review.sqlite3")


@pytest.fixture
def client(corpus: Corpus, store: Store) -> TestClient:
    return TestClient(create_app(corpus, store, token=TOKEN, allowed_hosts=["testserver"]))


def post(client: TestClient, url: str, payload: dict | None = None, **headers: str):
    """A write as the page makes it: JSON body, the session token, this server's origin."""
    return client.post(url, json=payload, headers={"X-Review-Token": TOKEN, "Origin": "http://testserver", **headers})


def decide_url(article: str, sentence: int, action: str) -> str:
    return f"/api/articles/{article}/sentences/{sentence}/{action}"
