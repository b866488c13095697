"""Every main page, rendered in English and in French, holds no interface string of the other
language: a string the templates or views forgot to translate, or hard-coded, shows up here.

The demo project (French interviews, French code names) provides the pages; what the users wrote is
theirs, so only the catalogue's own sentences count: the French translations must not appear on an
English page, the English originals must not appear on a French one.
"""

import gettext
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from coding.models import Coding
from interviews.models import Interview, Project
from tests.interviews.fixtures import build

pytestmark = pytest.mark.django_db

TAGS = re.compile(r"<script.*?</script>|<style.*?</style>|<[^>]+>", re.S)
# Strings of two words or more: single words ("Code", "Participant", "Menu") are the same in both.
SENTENCE = re.compile(r"\w+\W+\w+")


def text_of(html: str) -> str:
    """The page's visible text and the attributes people hear (labels, titles, placeholders)."""
    heard = " ".join(re.findall(r'(?:aria-label|title|placeholder)="([^"]*)"', html))
    return " ".join(unescape(TAGS.sub(" ", html) + " " + heard).split())


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
# Elements whose end tag HTML lets one leave out: not checked.
OPTIONAL_END = {"p", "li", "option", "optgroup", "tr", "td", "th", "dt", "dd", "thead", "tbody"}


class Nesting(HTMLParser):
    """End tags that close no open element, or close another: a stray </div> ends the columns of a
    page without any test of what it shows noticing."""

    def __init__(self):
        super().__init__()
        self.open, self.problems = [], []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID and tag not in OPTIONAL_END:
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag in VOID or tag in OPTIONAL_END:
            return
        if not self.open or self.open[-1] != tag:
            self.problems.append(f"</{tag}> line {self.getpos()[0]}, open: {self.open[-3:]}")
            if tag in self.open:  # resynchronise as a browser would
                del self.open[len(self.open) - 1 - self.open[::-1].index(tag) :]
            return
        self.open.pop()


def catalogue() -> list[tuple[str, str]]:
    """(English, French) pairs of Verbatim's interface strings that differ between the languages
    (its own catalogues: Django's would match the interviews' words, "matin" for "a.m.")."""
    folders = [*settings.LOCALE_PATHS, *Path(settings.BASE_DIR).glob("*/locale")]
    strings = {}
    for folder in folders:
        if (Path(folder) / "fr" / "LC_MESSAGES" / "django.mo").exists():
            strings.update(gettext.translation("django", folder, ["fr"])._catalog)
    pairs = []
    for msgid, msgstr in strings.items():
        if isinstance(msgid, tuple) or not msgid:  # a plural form (msgid, index), the header
            continue
        msgid = msgid.split("\x04")[-1]  # without its context ("abbrev. month\x04May")
        english, french = " ".join(msgid.split()), " ".join(msgstr.split())
        if "%" in english or english == french or not SENTENCE.search(english):
            continue
        pairs.append((english, french))
    return pairs


def pages(project, interview, coding) -> dict[str, str]:
    p = f"/projects/{project.pk}"
    return {
        "project list": "/",
        "project": f"{p}/",
        "members": f"{p}/members/",
        "import": f"{p}/import/",
        "pseudonyms": f"{p}/pseudonyms/",
        "workspace": f"{p}/interviews/{interview.pk}/",
        "inspector": f"{p}/interviews/{interview.pk}/codings/inspect/?ids={coding.pk}",
        "codebook": f"{p}/codebook/",
        "code form": f"{p}/codebook/{coding.code_id}/edit/",
        "excerpts": f"{p}/excerpts/",
        "overview": f"{p}/codes/overview/",
        "matrix": f"{p}/codes/matrix/",
        "search": f"{p}/search/?q=banc",
        "memos": f"{p}/memos/",
        "review": f"{p}/review/",
        "history": f"{p}/review/{coding.pk}/history/",
        "to revise": f"{p}/revise/",
    }


def test_each_page_speaks_one_language_and_closes_what_it_opens(client):
    call_command("load_demo", verbosity=0)
    project = Project.objects.get()
    interview = Interview.objects.filter(codings__isnull=False).order_by("pk").first()
    coding = Coding.objects.filter(interview=interview).order_by("pk").first()
    client.force_login(project.memberships.get(role="admin").user)
    # An import in progress, for its preview (two copies of one text: the duplicate notice too).
    files = [SimpleUploadedFile(f"{n}.txt", build.txt()) for n in (1, 2)]
    upload = client.post(f"/projects/{project.pk}/import/", {"files": files})
    b"".join(upload.streaming_content)  # the upload page reads the files as it streams
    urls = {
        **pages(project, interview, coding),
        "import preview": f"/projects/{project.pk}/import/preview/",
    }
    # What the users wrote is theirs: a translation that also occurs in it ("pas fait" in a
    # transcript) says nothing of the interface.
    written = " ".join(Interview.objects.values_list("text", flat=True))
    pairs = [(en, fr) for en, fr in catalogue() if fr not in written and en not in written]
    leaks = []
    for name, url in urls.items():
        for language in ("en", "fr"):
            response = client.get(url, headers={"Accept-Language": language})
            assert response.status_code == 200, (name, language, response.status_code)
            html = response.content.decode()
            nesting = Nesting()
            nesting.feed(html)
            leaks += [f"{name} ({language}): {problem}" for problem in nesting.problems]
            text = text_of(html)
            for english, french in pairs:
                other = french if language == "en" else english
                if other in text and re.search(rf"(?<!\w){re.escape(other)}(?!\w)", text):
                    leaks.append(f"{name} ({language}): “{other}”")
    assert leaks == [], "\n".join(sorted(set(leaks)))
