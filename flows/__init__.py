"""Prefect flows: thin orchestration over ``extractors``, ``sources`` and ``warehouse``.

Importing this package changes nothing: the Prefect defaults presswatch relies on are set by
``config.settings.apply_prefect_defaults``, called by the flow modules ``prefect.yaml`` names
and by the CLI's ``main``.
"""
