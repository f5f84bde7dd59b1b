"""Entry point of the bento image: the CREDIT_* settings, then `bentoml serve <the bento>`.

    python deploy/bento_entrypoint.py        (the image's CMD; BENTO_TAG is set at build)

The image's model store holds exactly one bento (imported from `bentoml export` at build
time, its model with it), named by BENTO_TAG: never ``:latest``. Workers, timeout and
max_concurrency come from the same CREDIT_* variables as `make bento`, mapped to BentoML
config overrides by the bento's own ``bento_app.serve.config_overrides``, so the container
and the local server read their settings the same way.
"""

from __future__ import annotations

import os
import sys

import bentoml


def main() -> None:
    tag = os.environ["BENTO_TAG"]
    bento = bentoml.get(tag)  # fails loudly if the store does not hold it
    sys.path.insert(0, bento.path_of("src"))
    from bento_app.serve import config_overrides
    from shared.settings import get_settings

    settings = get_settings()
    env = dict(os.environ)
    env["BENTOML_CONFIG_OPTIONS"] = " ".join(
        filter(None, [env.get("BENTOML_CONFIG_OPTIONS", ""), config_overrides(settings)])
    )
    argv = ["bentoml", "serve", str(bento.tag), "--host", settings.host]
    argv += ["--port", str(settings.bento_port)]
    print(f"BENTOML_CONFIG_OPTIONS={env['BENTOML_CONFIG_OPTIONS']!r} {' '.join(argv)}", flush=True)
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":
    main()
