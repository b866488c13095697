import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbatim.settings")
application = get_wsgi_application()

# The web server watches the embedded PostgreSQL (without DATABASE_URL) and restarts it if it dies:
# in the production server's main process, which preloads this module (verbatim/server.py), and in
# runserver's process.
from verbatim.database import supervise  # noqa: E402  (settings are loaded by now)

supervise()
