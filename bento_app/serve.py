"""Start ``bentoml serve`` with the settings from shared.settings (make bento).

Makes sure the artifact exists and is in the model store, pins the model version for the
service (CREDIT_MODEL_VERSION), and passes workers/timeout/concurrency as BentoML config
overrides, so the decorator's values are only defaults.
"""

from __future__ import annotations

import os
import shlex
import sys

from bento_app.import_model import ensure_imported
from shared.settings import Settings, get_settings

SERVICE = "bento_app.service:CreditRiskClassifier"
SERVICE_NAME = "credit_risk_classifier"


def config_overrides(settings: Settings) -> str:
    prefix = f"services.{SERVICE_NAME}"
    return " ".join(
        [
            f"{prefix}.workers={settings.bento_workers}",
            f"{prefix}.traffic.timeout={settings.bento_timeout}",
            f"{prefix}.traffic.max_concurrency={settings.bento_max_concurrency}",
        ]
    )


def serve_command(settings: Settings, target: str = SERVICE) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that serve ``target`` with these settings."""
    env = dict(os.environ)
    env["CREDIT_MODEL_VERSION"] = str(ensure_imported(settings).tag.version)
    env["BENTOML_CONFIG_OPTIONS"] = " ".join(
        filter(None, [env.get("BENTOML_CONFIG_OPTIONS", ""), config_overrides(settings)])
    )
    env.setdefault("BENTOML_DO_NOT_TRACK", "true")
    bentoml = os.path.join(os.path.dirname(sys.executable), "bentoml")
    argv = [bentoml, "serve", target, "--host", settings.host, "--port", str(settings.bento_port)]
    return argv, env


def main() -> None:
    argv, env = serve_command(get_settings())
    sys.stderr.write(
        f"CREDIT_MODEL_VERSION={env['CREDIT_MODEL_VERSION']} "
        f"BENTOML_CONFIG_OPTIONS={shlex.quote(env['BENTOML_CONFIG_OPTIONS'])} {shlex.join(argv)}\n"
    )
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    main()
