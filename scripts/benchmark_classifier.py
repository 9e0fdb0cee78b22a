"""Classifier speed: load time and sentences per second of one batched forward pass per sentence.

    python scripts/benchmark_classifier.py ../shared/data/war_news/articles --articles 100 [--model DIR]

The inputs are built as `annotate` builds them (parse, rules, source and cue marked, context),
then only the classifier is timed, with torch using every core of this process.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from attribution.classify.inputs import article_inputs
from attribution.classify.labeler import DEFAULT_MODEL
from attribution.classify.predict import Predictor
from attribution.document import Article
from attribution.pipeline import Pipeline


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder of article .txt files")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best is reported")
    args = parser.parse_args()

    pipeline = Pipeline(formats=())
    paths = sorted(args.corpus.glob("*.txt"))[: args.articles]
    articles = list(pipeline.parser.parse([Article(p.stem, p.read_text(encoding="utf-8")) for p in paths]))
    for article in articles:
        pipeline.enrich(article)

    started = time.perf_counter()
    predictor = Predictor.load(args.model)
    load_seconds = time.perf_counter() - started
    examples = [example for _, example in article_inputs(articles, predictor.model.config.input_context)]
    predictor.predict(examples[:64])  # warm-up
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        predictor.predict(examples)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    print(json.dumps({"sentences": len(examples), "articles": len(articles), "threads": torch.get_num_threads(),
                      "bfloat16": predictor.bfloat16,
                      "load_seconds": round(load_seconds, 2), "seconds": round(best, 2),
                      "sentences_per_second": round(len(examples) / best, 1)}))


if __name__ == "__main__":
    main()
