"""The sentence classifier: one small encoder, several heads, one forward pass per sentence.

    corpora.py   readers for the public corpora (factuality, Pei & Jurgens certainty, CoNLL-2010)
    inputs.py    how an annotated sentence becomes model input (source and cue marked, context)
    model.py     the encoder with LoRA adapters and its heads; save and load
    predict.py   batched inference and calibration
    train.py     multi-task training, evaluation on dev, the model card
    labeler.py   the `SentenceLabeler` the annotator uses
"""
