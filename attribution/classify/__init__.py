"""The sentence classifier: one small encoder, several heads, one forward pass per sentence.

    inputs.py    how an annotated sentence becomes model input (source and cue marked, context)
    model.py     the encoder with LoRA adapters and its heads; tokenizing and batching
    predict.py   batched inference with the calibrated temperatures
    labeler.py   the `SentenceLabeler` the annotator uses

Training is `attribution/train/classifier.py`.
"""
