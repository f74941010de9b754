import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo_platform.settings")

application = get_wsgi_application()

# No serving with a public secret key or an unauthenticated email webhook (checks.py).
from pmo_platform.checks import refuse_unsafe_start  # noqa: E402

refuse_unsafe_start()
