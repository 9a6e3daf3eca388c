"""Process warm-up for the web server: what the first requests would otherwise wait for.

The uWSGI master imports `sanshi.wsgi`, which calls `warm_up()`: the triage model, the URLconf
(every view module and the API's routes: 0.2–0.3 s) and the translation catalogues are loaded
before the workers are forked, so no worker pays for them on its first request and the forked
workers share those pages instead of each building its own copy. Then every object
alive at that moment is moved out of the cyclic garbage collector's reach (`gc.freeze`). Those
objects — the modules, the URLconf, the model's vocabularies — live as long as the process, yet
a full collection walks all of them again: ~200,000 objects, 60–130 ms measured on this machine, a
pause that every request in flight waits through (it was most of the board's p99). After the
freeze a full collection walks only what requests made since: a few milliseconds."""

import gc
import logging

log = logging.getLogger("sanshi.core")


def keep_out_of_gc() -> None:
    """Collect garbage now, then exempt every surviving object from later collections."""
    gc.collect()
    gc.freeze()
