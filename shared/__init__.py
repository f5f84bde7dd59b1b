"""The credit-risk model core both servers import: settings, artifact, predictor, schema.

Its top-level modules are all that serving needs (the images and the bento ship only them).
Training lives in ``shared.training`` and the developer tools in ``shared.tools``; neither is
imported by the core.
"""
