"""Running a parser of untrusted files in a child process with a memory and a CPU-time ceiling.

    result = isolation.run(formats.read_transcript, name, data, what=_("this PDF"))

Any pure function `f(*args) -> picklable result`, importable by its module path, can run this way:
the child is forked from a small *fork server* (a fresh interpreter started once per process, which
never opened a database connection, so the child cannot inherit one), sets its limits with
`resource.setrlimit` (RLIMIT_AS: address space, RLIMIT_CPU: CPU seconds), configures a minimal
Django (the parent's VERBATIM_* settings, languages and catalogues; no apps, no database), runs the
function in the parent's language, sends back the result or the exception (pickled) and exits. One
child per call: a file that exhausts memory or time fails alone, and no state survives between
files. A child costs a few milliseconds to start (docs/importing.md, "Isolation").

The parent waits on a pipe: it is never the one spending the memory or the CPU. A child that dies or
overruns becomes `Exhausted`, whose message names the limit ("… could not be read within 30 s and
512 MB").
"""

import multiprocessing
import os
import resource
import signal
import sys
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

# Modules the fork server imports once, so that each child starts with them loaded: Django's
# translation machinery and whatever settings.VERBATIM_ISOLATED_MODULES names (the readers).
BASE_MODULES = [
    "django.apps",
    "django.urls",
    "django.utils.log",
    "django.utils.translation",
    "jobs.isolation",
]
# Wall-clock allowance beyond the CPU ceiling: a child on a busy machine gets less than a core.
WALL_FACTOR, WALL_MARGIN = 3, 10


@dataclass(frozen=True)
class Limits:
    memory_mb: int  # address space the function may add to the child's starting size
    cpu_seconds: int

    @classmethod
    def from_settings(cls) -> "Limits":
        return cls(settings.VERBATIM_IMPORT_MEMORY_MB, settings.VERBATIM_IMPORT_CPU_SECONDS)


class Exhausted(Exception):
    """The function ran out of memory or time, or its process died; the message says so."""

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason  # "memory", "time" or "died"


def run(function, *args, limits: Limits | None = None, what: str = "", **kwargs):
    """`function(*args, **kwargs)` in a limited child process: its result, or the exception it
    raised re-raised here, or `Exhausted`. `what` names the input in messages ("this PDF")."""
    limits = limits or Limits.from_settings()
    context = _context()
    reader, writer = context.Pipe(duplex=False)
    target = f"{function.__module__}:{function.__qualname__}"
    child = context.Process(
        target=_child,
        args=(writer, _child_settings(), translation.get_language(), limits, target, args, kwargs),
        daemon=True,
    )
    child.start()
    writer.close()  # the child holds the only writing end: its death is an end of file here
    try:
        outcome = _receive(reader, child, limits)
    finally:
        reader.close()
        if child.is_alive():
            child.kill()
        child.join()
    if outcome is None:
        raise _exhausted(what, limits, _reason(child.exitcode))
    status, value = outcome
    if status == "memory":
        raise _exhausted(what, limits, "memory")
    if status == "raised":
        raise value
    return value


def _receive(reader, child, limits: Limits):
    """The child's (status, value), or None when it died or overran the wall-clock allowance."""
    if not reader.poll(limits.cpu_seconds * WALL_FACTOR + WALL_MARGIN):
        child.kill()
        return None
    try:
        return reader.recv()
    except (EOFError, OSError):
        return None


def _reason(exitcode: int | None) -> str:
    if exitcode in (-signal.SIGXCPU, -signal.SIGKILL, None):
        return "time"
    if exitcode in (-signal.SIGSEGV, -signal.SIGABRT, -signal.SIGBUS):
        return "memory"  # C code that could not allocate ends this way
    return "died"


def _exhausted(what: str, limits: Limits, reason: str) -> Exhausted:
    what = what or _("this file")
    if reason == "memory":
        message = _(
            "%(what)s could not be read within the limit of %(memory)d MB of memory: it is "
            "far larger inside than it looks, or damaged. Save it again from its application, "
            "or split it."
        )
    elif reason == "time":
        message = _(
            "%(what)s could not be read within the limit of %(seconds)d s of computing time: "
            "it is built to keep a reader busy, or damaged. Save it again from its application "
            "(for a PDF, print it to a new PDF), or import its Word or text version."
        )
    else:
        message = _(
            "%(what)s could not be read: its reading stopped abnormally (limits %(seconds)d s, "
            "%(memory)d MB). Save it again from its application."
        )
    values = {"what": what, "memory": limits.memory_mb, "seconds": limits.cpu_seconds}
    return Exhausted((message % values)[:1].upper() + (message % values)[1:], reason)


# The fork server --------------------------------------------------------------------------------

_server_context = None


def _context():
    """The fork-server context, its server preloading the readers (started on first use)."""
    global _server_context
    if _server_context is None:
        context = multiprocessing.get_context("forkserver")
        modules = BASE_MODULES + list(getattr(settings, "VERBATIM_ISOLATED_MODULES", []))
        context.set_forkserver_preload(modules)
        _server_context = context
    return _server_context


def _child_settings() -> dict:
    """What the child's Django needs: limits, languages and every catalogue, and nothing else
    (no apps, no database)."""
    from django.apps import apps

    values = {
        name: getattr(settings, name) for name in dir(settings) if name.startswith("VERBATIM_")
    }
    locales = [str(path) for path in settings.LOCALE_PATHS]
    for config in apps.get_app_configs():
        if (Path(config.path) / "locale").is_dir():
            locales.append(str(Path(config.path) / "locale"))
    return {
        **values,
        "USE_I18N": settings.USE_I18N,
        "LANGUAGE_CODE": settings.LANGUAGE_CODE,
        "LANGUAGES": [(code, str(name)) for code, name in settings.LANGUAGES],
        "LOCALE_PATHS": locales,
        "LOGGING_CONFIG": None,
        "INSTALLED_APPS": [],
        "DATABASES": {},
    }


def _child(writer, values: dict, language: str | None, limits: Limits, target, args, kwargs):
    """Runs in the child: limits first, then Django, then the function; always answers."""
    ceiling = _limit(limits)
    try:
        import django
        from django.utils.module_loading import import_string

        settings.configure(**values)
        django.setup(set_prefix=False)
        module, _sep, name = target.partition(":")
        function = import_string(f"{module}.{name}")
        with translation.override(language):
            outcome = ("ok", function(*args, **kwargs))
    except MemoryError:
        outcome = ("memory", None)
    except BaseException as error:  # noqa: BLE001 (everything goes back to the parent)
        # C libraries refused an allocation report it their own way (libxml2: "unknown error"):
        # a reading that failed after using most of its memory ran out of it.
        near = _peak_address_space() > ceiling - limits.memory_mb * 1024 * 1024 // 4
        outcome = ("memory", None) if near else ("raised", error)
    _send(writer, outcome)
    writer.close()
    sys.stdout.flush()
    os._exit(0)  # nothing of the parent's to clean up; skip atexit handlers


def _limit(limits: Limits) -> int:
    """Set the child's ceilings; the address-space one, in bytes."""
    start = _address_space()
    ceiling = start + limits.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
    used = int(resource.getrusage(resource.RUSAGE_SELF).ru_utime)
    # Past the soft limit the kernel sends SIGXCPU (which ends the process); past the hard one,
    # SIGKILL.
    resource.setrlimit(
        resource.RLIMIT_CPU, (used + limits.cpu_seconds, used + limits.cpu_seconds + 1)
    )
    return ceiling


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _peak_address_space() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    return 0


def _send(writer, outcome) -> None:
    try:
        writer.send(outcome)
    except MemoryError:
        writer.send(("memory", None))
    except Exception:  # noqa: BLE001 (an exception or a result that cannot be pickled)
        status, value = outcome
        writer.send(("raised", RuntimeError(f"{type(value).__name__}: {value}"[:1000])))
