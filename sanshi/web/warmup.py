"""Process warm-up for the web server: what the first requests would otherwise wait for.

The uWSGI master imports `sanshi.wsgi`, which calls `warm_up()`: the triage model, the URLconf
(every view module and the API's routes: 0.2–0.3 s) and the translation catalogues are loaded
before the workers are forked, so no worker pays for them on its first request and the forked
workers share those pages instead of each building its own copy. Then every object alive at that
moment is moved out of the cyclic garbage collector's reach (`sanshi.core.warmup.keep_out_of_gc`)."""

import logging

from sanshi.core.warmup import keep_out_of_gc

log = logging.getLogger("sanshi.core")


def warm_up() -> None:
    """Load the triage model (when one is configured), the URLconf and the translations, then
    freeze what the process holds. Never fatal: a server without a model still serves (triage
    falls back to the keyword rules), and a broken URLconf fails its first request as it would."""
    try:
        from sanshi.triage.services import loaded_model

        loaded_model()  # freezes after a successful load
    except Exception:  # noqa: BLE001 — warm-up is an optimisation, never a reason not to start
        log.exception("warm-up: the triage model could not be loaded")
    try:
        from django.conf import settings
        from django.urls import get_resolver
        from django.utils import translation

        get_resolver().url_patterns  # noqa: B018 — imports every view module and builds the routes
        for code, _name in settings.LANGUAGES:
            with translation.override(code):
                translation.gettext("请填写诉求内容")  # loads the language's catalogue
    except Exception:  # noqa: BLE001
        log.exception("warm-up: the URLconf or the translations could not be loaded")
    keep_out_of_gc()
