"""The static files' storage in production: WhiteNoise's hashed, compressed names, each looked up once.

`{% static %}` asks the storage for a file's hashed URL through the manifest: 28 µs a link on the
machines we measure on, and a page links fifteen to twenty (stylesheets, scripts, icons), half a
millisecond of every page. The manifest is read when the process starts and never changes under it
(a deployment collects the files, then restarts the workers), so a name's URL is kept once known.
"""

from functools import lru_cache

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticFiles(CompressedManifestStaticFilesStorage):
    @lru_cache(maxsize=1024)  # noqa: B019 -- one storage per process, as long-lived as its cache
    def url(self, name, force=False):
        return super().url(name, force)
