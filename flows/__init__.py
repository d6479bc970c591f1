"""Prefect flows: thin orchestration over ``extractors``, ``sources`` and ``warehouse``.

Importing this package sets the Prefect defaults presswatch relies on (before Prefect
itself is imported): a longer start-up timeout for the temporary server, which takes
10-30 s to start on small machines, and no telemetry. Explicit settings win.
"""

import os

os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_UI_ENABLED", "false")
