"""One encoder pass for spans and sentence labels: how far heads on the sentence tagger's vectors get.

    python scripts/measure_shared_pass.py ../shared/data/war_news/articles [--data data/war_news] [--json]

`annotate` runs two encoders: the span taggers over each article's packed sentences, then the
classifier over each sentence with its source and cue marked and its context, an input that is
made from the taggers' output. A shared pass would label sentences from the sentence tagger's
token vectors alone, at no encoder time of its own. This measures it: heads (one hidden layer) trained on the frozen shipped sentence tagger's vectors of
the team's train articles, pooled over each sentence, its main source and its cue, beside
what the classifier's hint says in words (the rules' label of the sentence and of the one
before), and scored on the dev articles' gold labels, the same sentences the classifier's model
card scores (its "news" row), with the rules' labels and the shipped classifier beside it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch.nn import functional as F

from attribution.attribute.tagger import CHARS_PER_PIECE, TokenTagger, WordPieces, collate, encode, sentence_windows
from attribution.classify.inputs import sentence_input
from attribution.classify.model import Example
from attribution.classify.predict import Predictor
from attribution.corpora.war_news import input_pipeline
from attribution.document import CERTAINTY_LABELS, SPEAKER_LABELS, Article
from attribution.encoder import HIDDEN, hidden_states, load_tokenizer
from attribution.labels import labels_by_article
from attribution.resources import model_folder


def token_vectors(tagger: TokenTagger, tokenizer, article: Article) -> np.ndarray:
    """(tokens, hidden): each token's vector at its first word piece, from the windows `annotate` reads."""
    pieces = WordPieces.of(tokenizer, article)
    out = np.zeros((len(article.tokens), HIDDEN), dtype=np.float32)
    for window in sentence_windows(article, article.sentences, CHARS_PER_PIECE * tagger.config.max_length):
        encoded = encode(tokenizer, pieces, window, tagger.config.max_length)
        with torch.inference_mode():
            hidden = hidden_states(tagger.encoder, collate([encoded]))[0].numpy()
        read = encoded.positions >= 0
        out[window.first : window.last][read] = hidden[encoded.positions[read]]
    return out


def _mean(vectors: np.ndarray, first: int, last: int) -> np.ndarray:
    return vectors[first:last].mean(0) if last > first else np.zeros(HIDDEN, dtype=np.float32)


def _tokens(article: Article, span) -> tuple[int, int]:
    inside = [t.i for t in article.tokens if span is not None and span.start <= t.start and t.end <= span.end]
    return (inside[0], inside[-1] + 1) if inside else (0, 0)


def _one_hot(label: str | None) -> np.ndarray:
    row = np.zeros(len(SPEAKER_LABELS), dtype=np.float32)
    if label in SPEAKER_LABELS:
        row[SPEAKER_LABELS.index(label)] = 1
    return row


def rows(labels: Path, corpus: Path, articles: set[str], tagger: TokenTagger, tokenizer, classifier: Predictor) -> dict:
    """Features, gold labels, the rules' and the shipped classifier's speakers of the labeled sentences."""
    gold = labels_by_article(labels, articles)
    found = {"features": [], "speaker": [], "certainty": [], "rules": [], "inputs": []}
    context = classifier.model.config.input_context
    texts = (Article(a, (corpus / f"{a}.txt").read_text(encoding="utf-8")) for a in sorted(gold))
    for article in input_pipeline().pipe(texts):
        vectors = token_vectors(tagger, tokenizer, article)
        attributions = {a.id: a for a in article.attributions}
        for label in gold[article.id]:
            if not label.matches(article.text):
                continue
            sentence = max(article.sentences, key=lambda s: min(s.end, label.end) - max(s.start, label.start))
            if sentence.boilerplate:
                continue
            main = attributions.get(sentence.attribution or "")
            before = article.sentences[sentence.id - 1].speaker if sentence.id else None
            own = sentence.speaker.label if sentence.speaker else None
            found["features"].append(np.concatenate([
                _mean(vectors, sentence.token_start, sentence.token_end),
                _mean(vectors, *_tokens(article, main.source if main else None)),
                _mean(vectors, *_tokens(article, main.cue if main else None)),
                _one_hot(own), _one_hot(before.label if before else None)]))
            found["speaker"].append(SPEAKER_LABELS.index(label.speaker))
            found["certainty"].append(CERTAINTY_LABELS.index(label.certainty))
            found["rules"].append(SPEAKER_LABELS.index(own) if own in SPEAKER_LABELS else SPEAKER_LABELS.index("unattributed"))
            text, pair, _ = sentence_input(article, sentence, context)
            found["inputs"].append(Example("news", text, pair))
    return found


def fit_heads(features: np.ndarray, speaker: np.ndarray, certainty: np.ndarray, epochs: int = 60, seed: int = 13):
    """One hidden layer, two heads, class weights as the classifier's recipe (inverse frequency ** 0.5)."""
    torch.manual_seed(seed)
    x = torch.from_numpy(features)
    mean, std = x.mean(0), x.std(0) + 1e-6
    body = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 256), torch.nn.GELU(), torch.nn.Dropout(0.2))
    heads = torch.nn.ModuleDict({"speaker": torch.nn.Linear(256, len(SPEAKER_LABELS)), "certainty": torch.nn.Linear(256, len(CERTAINTY_LABELS))})
    gold = {"speaker": torch.from_numpy(speaker), "certainty": torch.from_numpy(certainty)}
    weights = {}
    for name, y in gold.items():
        counts = torch.bincount(y, minlength=heads[name].out_features).float()
        w = torch.where(counts > 0, (len(y) / (len(counts) * counts.clamp(min=1))) ** 0.5, torch.zeros_like(counts))
        weights[name] = w / w[w > 0].mean()
    optimizer = torch.optim.AdamW([*body.parameters(), *heads.parameters()], lr=1e-3, weight_decay=0.01)
    for _ in range(epochs):
        for batch in torch.randperm(len(x)).split(32):
            hidden = body((x[batch] - mean) / std)
            loss = sum(F.cross_entropy(heads[n](hidden), gold[n][batch], weight=weights[n]) for n in heads)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    body.eval()

    def predict(features: np.ndarray) -> dict[str, np.ndarray]:
        with torch.no_grad():
            hidden = body((torch.from_numpy(features) - mean) / std)
            return {n: heads[n](hidden).argmax(-1).numpy() for n in heads}

    return predict


def scores(predicted: np.ndarray, gold: np.ndarray) -> dict[str, float]:
    """Accuracy and macro-F1 over the labels gold has, as the classifier's card reports them."""
    f1 = f1_score(gold, predicted, labels=sorted(set(gold.tolist())), average="macro", zero_division=0)
    return {"accuracy": round(float((predicted == gold).mean()), 4), "macro_f1": round(float(f1), 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path, help="folder of the war-news article .txt files")
    parser.add_argument("--data", type=Path, default=Path("data/war_news"), help="labels.jsonl and splits.json")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    split = json.loads((args.data / "splits.json").read_text(encoding="utf-8"))
    tagger = TokenTagger.load(model_folder("spans"), "tagger")
    tokenizer = load_tokenizer()
    classifier = Predictor.load(model_folder("classifier"), runtime="onnx")
    train, dev = (rows(args.data / "labels.jsonl", args.corpus, set(split[name]), tagger, tokenizer, classifier) for name in ("train", "dev"))
    predict = fit_heads(np.stack(train["features"]), np.array(train["speaker"]), np.array(train["certainty"]))
    shared = predict(np.stack(dev["features"]))
    shipped = classifier.predict(dev["inputs"])
    speaker, certainty = np.array(dev["speaker"]), np.array(dev["certainty"])
    result = {
        "train_sentences": len(train["speaker"]), "dev_sentences": len(speaker),
        "shared_pass": {"speaker": scores(shared["speaker"], speaker),
                        "certainty": scores(shared["certainty"], certainty)},
        "shipped_classifier": {"speaker": scores(shipped.speaker.argmax(-1), speaker),
                               "certainty": scores(shipped.certainty.argmax(-1), certainty)},
        "rules": {"speaker": scores(np.array(dev["rules"]), speaker)},
    }
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
