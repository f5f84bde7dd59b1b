"""The BentoML target: host from LOAD_BENTO_URL (default 127.0.0.1:BENTO_PORT)."""

from loadtests.users import BadInputUser, ClassifyBatchUser, ClassifyUser


class BentoClassify(ClassifyUser):
    target = "bento"


class BentoClassifyBatch(ClassifyBatchUser):
    target = "bento"


class BentoBadInput(BadInputUser):
    target = "bento"
