from __future__ import annotations

from pathlib import Path

import pytest

import attribution
from attribution.document import Article
from attribution.pipeline import Pipeline

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    """The default pipeline, as `attribution annotate` runs it (span model and classifier)."""
    return attribution.load()


@pytest.fixture(scope="session")
def seed_records(pipeline: Pipeline) -> dict[str, dict]:
    articles = [Article(path.stem, path.read_text(encoding="utf-8")) for path in sorted(SEEDS.glob("*.txt"))]
    return {result.article_id: result.record for result in pipeline.annotate(articles)}


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test with the reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs {path} (the shared corpora), which this checkout does not have")
    return path
