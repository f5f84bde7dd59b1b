"""Developer tools over the core and training: versions CLI, drift demo, predictor benchmark.

    python -m shared.tools.versions      (make models / make promote)
    python -m shared.tools.drift_demo    (make drift-demo)
    python -m shared.tools.bench_predictor   (make bench-predictor)

Not shipped in the images or the bento.
"""
