"""The set-up contract: the README's two commands, CI, settings from the environment."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from verbatim.database import settings_from_url

ROOT = Path(__file__).resolve().parent.parent


def quick_start_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```(?:sh|bash|shell)\n(.*?)```", section, re.S)]


def test_the_readme_quick_start_is_two_one_line_commands_serve_then_test():
    serve, test = quick_start_commands()[:2]
    assert "\n" not in serve and "\n" not in test
    assert serve == "bin/dev serve"
    assert test == "bin/dev test"


def test_ci_runs_exactly_the_readme_test_command():
    lines = [
        line
        for line in (ROOT / ".ci/run").read_text().splitlines()
        if line.strip() and not line.startswith("#") and not line.startswith(("set ", 'cd "$('))
    ]
    assert lines == [quick_start_commands()[1]]


def test_the_lock_files_pin_every_direct_dependency():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = {
        line.split("==")[0].lower(): line.split("==")[1]
        for name in ("requirements.lock", "requirements-dev.lock")
        for line in (ROOT / name).read_text().splitlines()
        if "==" in line
    }
    for requirement in project["dependencies"] + project["optional-dependencies"]["dev"]:
        name, version = re.sub(r"\[.*\]", "", requirement).split("==")
        assert locked[name.lower()] == version, requirement


def test_database_url_selects_an_external_postgresql():
    settings = settings_from_url(
        "postgres://ver%40b:s3cr%2Ft@db.example.org:6543/verbatim?sslmode=require"
    )
    assert settings["NAME"] == "verbatim"
    assert (settings["USER"], settings["PASSWORD"]) == ("ver@b", "s3cr/t")
    assert (settings["HOST"], settings["PORT"]) == ("db.example.org", "6543")
    assert settings["OPTIONS"] == {"sslmode": "require"}


@pytest.mark.parametrize("url", ["sqlite:///db.sqlite3", "mysql://x@y/z", "postgres://host/"])
def test_anything_but_a_postgresql_database_url_is_refused(url):
    with pytest.raises(ImproperlyConfigured):
        settings_from_url(url)


def run_manage(*args, **env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SECRET_KEY="a-long-random-production-secret-" + "x" * 40,
        DJANGO_ALLOWED_HOSTS="verbatim.example.org",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr
