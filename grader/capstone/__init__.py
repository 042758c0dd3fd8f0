"""The capstone: a sentiment classifier (情感分类, 正能量 / 负能量) built from the
student's own layers, the lecture's motivating example "今天是个好日子".

- :mod:`.dataset` - the bilingual sentiment data set shipped in ``data/`` (its
  licence and data card are there too): tokenisation, the fixed vocabulary, and
  padded integer arrays ``x (N, T)``, ``lengths (N,)``, ``labels (N,)``;
- :mod:`.train` - a training run for a fixed budget that takes the model's
  functions as callables (the reference in-process, or proxies to a student's code
  in the sandbox) and returns plain data: the loss curve, held-out accuracy per
  epoch and predictions on a few probe sentences.

The model's functions themselves (embedding, temporal affine, many-to-one head,
loss, training step) are exercises: ``solutions/sentiment.py``.
"""
