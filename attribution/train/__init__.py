"""Training: one loop (`loop.py`), one model-card template (`card.py`), and the two models' trainers
(`classifier.py`, `spans.py` with `taggers.py`)."""
