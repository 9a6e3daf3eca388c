import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sanshi.settings.dev")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402

if getattr(settings, "PRODUCTION", False):
    from sanshi.accounts.checks import assert_production_ready

    assert_production_ready()

from sanshi.web.warmup import warm_up  # noqa: E402

warm_up()  # the triage model before the first request, then gc.freeze (see sanshi/web/warmup.py)

# uWSGI imports this module once in its master and forks the workers: a database connection
# opened above (the production check) must not be inherited by them, sharing one socket
from django.db import connections  # noqa: E402

connections.close_all()
