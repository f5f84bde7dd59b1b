"""Container health probe: exit 0 if GET http://127.0.0.1:<port><path> answers 200.

    python deploy/healthcheck.py /healthz CREDIT_FLASK_PORT     (flask image)
    python deploy/healthcheck.py /readyz CREDIT_BENTO_PORT      (bento image)

The port is read from the named CREDIT_* variable at probe time, so a container started with
another port is still probed where it listens. Standard library only: slim images have no
curl, and the probe must not depend on the app's own packages.
"""

from __future__ import annotations

import os
import sys
import urllib.request

DEFAULT_PORTS = {"CREDIT_FLASK_PORT": "9696", "CREDIT_BENTO_PORT": "3000"}


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: healthcheck.py PATH PORT_VARIABLE", file=sys.stderr)
        return 2
    path, port_variable = argv
    port = os.environ.get(port_variable) or DEFAULT_PORTS.get(port_variable, "80")
    url = f"http://127.0.0.1:{port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:  # noqa: S310 - fixed local URL
            ok = resp.status == 200
    except OSError as exc:  # URLError, HTTPError, refused, timeout
        print(f"{url}: {exc}", file=sys.stderr)
        return 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
