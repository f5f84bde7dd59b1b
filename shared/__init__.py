"""The shared credit-risk model core: settings, data, training, artifact, predictor, schema.

Both servers (flask_app, bento_app) are thin adapters over this package.
"""
