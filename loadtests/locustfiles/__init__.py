"""The locustfile package: one module per scenario (a LoadTestShape) and one per target.

    locust -f loadtests/locustfiles                       # everything, pick in the web UI
    locust -f loadtests/locustfiles/steady.py,loadtests/locustfiles/flask_target.py FlaskClassify

Locust loads each file as a top-level module and skips names starting with "_" (this one).
"""
