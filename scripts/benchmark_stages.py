"""Where the time goes: seconds per stage of a pipeline, in one process on one thread.

    python scripts/benchmark_stages.py ../shared/data/war_news/articles --articles 30 [--config FILE]

The articles are parsed, then each stage runs over all of them in turn, as a worker of
`annotate` runs them; one article is annotated first, so model loading and ONNX export are not
counted. `benchmark_annotate.py` times whole runs; this says which stage to make faster.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder of article .txt files")
    parser.add_argument("--articles", type=int, default=30)
    parser.add_argument("--config", type=Path, default=None, help="a pipeline config (default: the shipped one)")
    args = parser.parse_args()

    os.environ["OMP_NUM_THREADS"] = "1"  # as in each of annotate's workers
    import torch

    torch.set_num_threads(1)
    from attribution.document import Article
    from attribution.pipeline import Pipeline
    from benchmark_annotate import hardware  # this folder is on the path when the script runs

    pipeline = Pipeline(args.config)
    paths = sorted(args.corpus.glob("*.txt"))[: args.articles]
    articles = [Article(path.stem, path.read_text(encoding="utf-8")) for path in paths]
    pipeline(articles[0].text)  # loads the models and opens their sessions
    started = time.perf_counter()
    parsed = pipeline.parse(articles)
    seconds = {"parse": time.perf_counter() - started}
    for stage in pipeline.stages:
        started = time.perf_counter()
        stage(parsed)
        seconds[stage.name] = time.perf_counter() - started
    print(json.dumps({"hardware": hardware(), "articles": len(parsed), "words": sum(len(a.tokens) for a in parsed),
                      "sentences": sum(len(a.sentences) for a in parsed),
                      "seconds": {name: round(value, 2) for name, value in seconds.items()},
                      "ms_per_article": {name: round(1000 * value / len(parsed)) for name, value in seconds.items()}}))


if __name__ == "__main__":
    main()
