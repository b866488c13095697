"""Keypress → highlight painted, in Chromium: `manage.py bench --browser [--runs N]`.

What a researcher feels when coding: from the keydown of a shortcut digit in the code popover to
the first frame painted after the new highlight is in the page, with the margin stripes on, on an
interview of about 15,000 words holding 500 codings of two coders. The server is Granian with the
production settings (benchmarks.loadtest.Server); the browser is Debian's chromium driven by
Playwright (installed with the dev tools). Each run selects a fresh passage of the transcript with
the keyboard's selection, opens the popover with Enter, then presses 1 (the timed part).

In the page: a keydown listener (capture) takes the time; a MutationObserver sees the passage's
paragraph come back with its highlight; the next animation frame posts a message, which arrives
once that frame is painted, and the time is taken again (the usual "after next paint"). p50 / p95 /
max in ms, and the request's own part (network and server, from Resource Timing).
"""

import random
import statistics
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from coding.models import Code, Coding
from interviews.models import Interview, Membership, Project, Speaker, Turn
from interviews.transcripts import parse_turns

PROJECT = "Bench: coding in the browser"
PASSWORD = "bench-browser-pw"
CODINGS = 500
CHROMIUM = "/usr/bin/chromium"

SENTENCES = [
    "Je m’assois pas loin, sur le même banc, pis j’attends que ça vienne.",
    "Des fois ça prend des semaines avant qu’il me parle, des fois juste une journée.",
    "On se connaît de vue, on se salue, pis un jour il me demande une cigarette.",
    "Là je peux lui proposer un café, « juste un café », rien de plus.",
    "Le travail de rue, c’est surtout de la patience et beaucoup de présence.",
]

# In the page: time one keypress until the frame after its highlight appeared.
MEASURE = """(paragraphId) => { window.__benchResult = new Promise((resolve) => {
  let start = null;
  const onKey = (event) => { if (event.key === "1") start = performance.now(); };
  document.addEventListener("keydown", onKey, true);
  // The paragraph of the passage comes back redrawn, with a highlight.
  const observer = new MutationObserver((records) => {
    const back = records.some((r) => [...r.addedNodes].some(
      (node) => node.id === paragraphId && node.querySelector("mark")));
    if (start === null || !back) return;
    observer.disconnect();
    // The frame's callbacks run before it is painted; a message posted from one arrives after.
    const channel = new MessageChannel();
    requestAnimationFrame(() => channel.port2.postMessage(null));
    channel.port1.onmessage = () => {
      const total = performance.now() - start;
      document.removeEventListener("keydown", onKey, true);
      const request = performance.getEntriesByType("resource")
        .filter((e) => e.name.includes("/codings/") && e.startTime >= start).pop();
      resolve({ total, request: request ? request.responseEnd - request.startTime : null });
    };
  });
  observer.observe(document.getElementById("transcript"), { childList: true, subtree: true });
}); }"""

# Select [start, end) of the transcript with the document's selection, the transcript focused.
SELECT = """([start, end]) => {
  const root = document.getElementById("transcript");
  const r = VerbatimOffsets.rangeToDom(root, start, end);
  r.startContainer.parentElement.scrollIntoView({block: "center"});
  root.focus({preventScroll: true});
  getSelection().setBaseAndExtent(r.startContainer, r.startOffset, r.endContainer, r.endOffset);
  return r.startContainer.parentElement.closest("p[data-start]").id;
}"""


@dataclass
class Result:
    n: int
    p50_ms: float
    p95_ms: float
    max_ms: float
    stripes: int
    codings: int
    request_p50_ms: float  # of which the request (network and server), median


def make_interview(seed: int = 7) -> tuple[Project, Interview]:
    """The bench's project, made again from nothing: one long interview with 500 codings."""
    rng = random.Random(seed)
    User = get_user_model()
    Project.objects.filter(name=PROJECT).delete()
    with transaction.atomic():
        project = Project.objects.create(name=PROJECT)
        coders = []
        for name in ("bench-rita", "bench-sam"):
            user, _ = User.objects.get_or_create(username=name)
            user.set_password(PASSWORD)
            user.save()
            Membership.objects.create(project=project, user=user, role=Membership.Role.RESEARCHER)
            coders.append(user)
        turns = []
        for n in range(300):
            speaker = "Intervieweuse" if n % 2 == 0 else "Martine"
            words = " ".join(rng.choice(SENTENCES) for _ in range(rng.randint(1, 4)))
            turns.append(f"{speaker} : {words}")
        text = "\n\n".join(turns)
        interview = Interview.objects.create(project=project, title="Entretien long", text=text)
        speakers = {}
        for turn in parse_turns(text):
            if turn.label not in speakers:
                speakers[turn.label] = Speaker.objects.create(
                    interview=interview, label=turn.label, name=turn.label
                )
            Turn.objects.create(
                interview=interview, speaker=speakers[turn.label], start=turn.start, end=turn.end
            )
        codes = [
            Code.objects.create(project=project, name=f"Code {n}", color=color, position=n)
            for n, color in enumerate(["#2d68b0", "#a64e20", "#00774e", "#87519e", "#935b00"])
        ]
        # In the first half of the text (the runs code the second half): one slot per pair of
        # codings, the second coder's overlapping the first's, so stripes stand side by side.
        slot = (len(text) // 2) // (CODINGS // 2)
        codings = []
        for n in range(CODINGS // 2):
            base = n * slot
            for coder, (a, b) in zip(coders, ((0, 0.7), (0.4, 0.95)), strict=True):
                codings.append(
                    Coding(
                        interview=interview,
                        code=rng.choice(codes),
                        coder=coder,
                        start=base + int(a * slot),
                        end=base + int(b * slot),
                    )
                )
        Coding.objects.bulk_create(codings)
    return project, interview


def run(server_url: str, interview: Interview, runs: int, log=print, stripes=True) -> Result:
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (a dev tool's dependency)

    text = interview.text
    half = len(text) // 2
    times, requests = [], []
    codings = interview.codings.count()  # no ORM inside Playwright's event loop
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="fr-CA")
        page.goto(f"{server_url}/login/")
        page.fill("input[name=username]", "bench-rita")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server_url}/")
        page.evaluate(
            "(on) => localStorage.setItem('verbatim:stripes', on ? 'on' : 'off')", stripes
        )
        page.goto(f"{server_url}/projects/{interview.project_id}/interviews/{interview.pk}/")
        page.wait_for_selector("#transcript mark")
        stripes_on = page.is_checked("#stripes-on")
        for n in range(runs + 3):  # three warm-up runs
            start = half + 40 + n * (half - 80) // (runs + 3)
            start = text.index(" ", start) + 1
            end = text.index(" ", start + 15)
            page.keyboard.press("Escape")  # the popover of the last run closes
            paragraph = page.evaluate(SELECT, [start, end])
            page.keyboard.press("Enter")
            page.wait_for_selector("#code-popover:not([hidden])")
            page.evaluate(MEASURE, paragraph)
            page.keyboard.press("1")
            elapsed = page.evaluate("() => window.__benchResult")
            page.evaluate("() => performance.clearResourceTimings()")
            codings += 1
            if n >= 3:
                times.append(elapsed["total"])
                requests.append(elapsed["request"] or 0.0)
        stripes = page.locator("#transcript .stripe").count()
        browser.close()
    times.sort()
    p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
    if stripes_on != (stripes > 0):  # drawn when asked for, none when not
        log("Warning: the stripes were not as asked.")
    return Result(
        len(times),
        statistics.median(times),
        p95,
        times[-1],
        stripes,
        codings,
        statistics.median(requests),
    )
