"""The Flask+gunicorn target: host from LOAD_FLASK_URL (default 127.0.0.1:FLASK_PORT)."""

from loadtests.users import BadInputUser, ClassifyBatchUser, ClassifyUser


class FlaskClassify(ClassifyUser):
    target = "flask"


class FlaskClassifyBatch(ClassifyBatchUser):
    target = "flask"


class FlaskBadInput(BadInputUser):
    target = "flask"
