"""verbatim/static_files.py: production's storage keeps each static file's hashed URL once read."""

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from verbatim.static_files import StaticFiles


@pytest.fixture
def manifest_dir(tmp_path):
    manifest = {
        "version": "1.1",
        "hash": "test",
        "paths": {"css/verbatim.css": "css/verbatim.14c1.css", "js/a b.js": "js/a b.99.js"},
    }
    (tmp_path / "staticfiles.json").write_text(json.dumps(manifest))
    return tmp_path


@pytest.fixture
def storage(manifest_dir):
    return StaticFiles(location=manifest_dir, base_url="/static/")


def test_each_name_has_its_hashed_url_every_time_as_whitenoise_gives_it(storage, manifest_dir):
    whitenoise = CompressedManifestStaticFilesStorage(location=manifest_dir, base_url="/static/")
    for _ in range(2):
        assert storage.url("css/verbatim.css") == "/static/css/verbatim.14c1.css"
        assert storage.url("js/a b.js") == whitenoise.url("js/a b.js")


def test_a_name_missing_from_the_manifest_is_refused_every_time(storage):
    for _ in range(2):
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            storage.url("css/nope.css")
