"""Training: the course's data (download, checksum, synthetic stand-in), preparation, the model.

    python -m shared.training.train      (make model / make train)

Not shipped in the images or the bento: serving needs only the core (``shared/*.py``).
"""
