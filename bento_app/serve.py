"""Start ``bentoml serve`` with the settings from shared.settings (make bento).

Makes sure the selected artifact exists and is in the model store, and passes
workers/timeout/concurrency as BentoML config overrides (the decorator's values are only
defaults). The version is CREDIT_MODEL_VERSION when set (pinned), else models/CURRENT as read
by each worker when it starts: promote another version (python -m shared.tools.versions promote V,
which also imports it) and send SIGHUP to this process to roll the workers over to it.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from bento_app.import_model import ensure_imported
from bento_app.serve_cli import metrics_dir
from shared.settings import Settings, get_settings

SERVICE = "bento_app.service:CreditRiskClassifier"
SERVICE_NAME = "credit_risk_classifier"


def config_overrides(settings: Settings) -> str:
    prefix = f"services.{SERVICE_NAME}"
    # no span for any path: OpenTelemetry's middleware returns before creating one
    tracing = [] if settings.bento_tracing else [f"{prefix}.tracing.excluded_urls=.*"]
    return " ".join(
        [
            *tracing,
            f"{prefix}.workers={settings.bento_workers}",
            f"{prefix}.traffic.timeout={settings.bento_timeout}",
            f"{prefix}.traffic.max_concurrency={settings.bento_max_concurrency}",
            f"{prefix}.metrics.enabled={str(settings.bento_metrics).lower()}",
            f"{prefix}.logging.access.enabled={str(settings.bento_access_log).lower()}",
        ]
    )


def serve_command(
    settings: Settings, target: str | None = None
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that serve ``target`` with these settings (the multiprocess
    metrics in this process's ``metrics_dir``)."""
    env = dict(os.environ)
    env["BENTOML_CONFIG_OPTIONS"] = " ".join(
        filter(None, [env.get("BENTOML_CONFIG_OPTIONS", ""), config_overrides(settings)])
    )
    env.setdefault("BENTOML_DO_NOT_TRACK", "true")
    from bentoml._internal.configuration.containers import BentoMLContainer

    metrics = metrics_dir(Path(BentoMLContainer.bentoml_home.get()), os.getpid())
    target = target or settings.bento_service
    argv = [sys.executable, "-m", "bento_app.serve_cli", str(metrics), "serve", target]
    argv += ["--host", settings.host, "--port", str(settings.bento_port)]
    return argv, env


def main() -> None:
    settings = get_settings()
    model = ensure_imported(settings)
    argv, env = serve_command(settings)  # exec keeps the pid its metrics directory is named by
    pinned = "pinned by CREDIT_MODEL_VERSION" if settings.model_version else "CURRENT"
    sys.stderr.write(
        f"serving {model.tag} ({pinned}) with "
        f"BENTOML_CONFIG_OPTIONS={shlex.quote(env['BENTOML_CONFIG_OPTIONS'])} {shlex.join(argv)}\n"
    )
    os.execve(argv[0], argv, env)


if __name__ == "__main__":
    main()
