"""Classifier speed: load time and sentences per second of one batched forward pass per sentence.

    python scripts/benchmark_classifier.py ../shared/data/war_news/articles --articles 100 [--model DIR] [--runtime onnx-int8]

The inputs are built as `annotate` builds them (parse, rules, source and cue marked, context),
then only the classifier is timed, in the runtime asked for, with every core of this process.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch

from attribution.classify.inputs import article_inputs
from attribution.classify.predict import Predictor
from attribution.document import Article
from attribution.encoder.runtime import RUNTIMES
from attribution.pipeline import Pipeline
from attribution.resources import model_folder
from benchmark_annotate import hardware  # this folder is on the path when the script runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder of article .txt files")
    parser.add_argument("--articles", type=int, default=100)
    parser.add_argument("--model", type=Path, default=None, help="classifier folder (default: the shipped one)")
    parser.add_argument("--runtime", choices=RUNTIMES, default="onnx-int8", help="as the label stage's `runtime:` (shipped: onnx-int8)")
    parser.add_argument("--repeat", type=int, default=3, help="timed passes; the best is reported")
    args = parser.parse_args()

    # The classifier's inputs need the stages before it (attributions, hedge cues), not it.
    pipeline = Pipeline(runtime=args.runtime)
    for stage in ("label", "claims", "grade"):
        pipeline.remove(stage)
    paths = sorted(args.corpus.glob("*.txt"))[: args.articles]
    articles = pipeline.parse([Article(p.stem, p.read_text(encoding="utf-8")) for p in paths])
    pipeline.enrich(articles)

    started = time.perf_counter()
    predictor = Predictor.load(args.model or model_folder("classifier"), runtime=args.runtime)
    load_seconds = time.perf_counter() - started
    examples = [example for _, example in article_inputs(articles, predictor.model.config.input_context)]
    predictor.predict(examples[:64])  # warm-up
    timings = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        predictor.predict(examples)
        timings.append(time.perf_counter() - started)
    best = min(timings)
    print(json.dumps({"hardware": hardware(), "sentences": len(examples), "articles": len(articles), "threads": torch.get_num_threads(),
                      "runtime": args.runtime, "bfloat16": predictor.bfloat16,
                      "load_seconds": round(load_seconds, 2), "seconds": round(best, 2),
                      "sentences_per_second": round(len(examples) / best, 1)}))


if __name__ == "__main__":
    main()
