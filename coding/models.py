import unicodedata

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from interviews.models import Interview, Project, Speaker


class DatabaseFilledTextField(models.TextField):
    """A column a trigger fills; Django reads it back with INSERT … RETURNING."""

    db_returning = True


class DatabaseFilledIntegerField(models.IntegerField):
    """A number a trigger fills; Django reads it back with INSERT … RETURNING."""

    db_returning = True


class DatabaseFilledForeignKey(models.ForeignKey):
    """A reference a trigger fills; Django reads it back with INSERT … RETURNING."""

    db_returning = True


# The characters on each side of a coding its contexts are cut from (migration coding 0016).
CONTEXT_CHARS = 200

color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb."))

# Characters that draw nothing on their own: separators (spaces), controls, format characters
# (zero-width space U+200B, word joiner U+2060, BOM U+FEFF, bidi marks), surrogates, unassigned and
# private-use code points, and combining marks, which only decorate the letter before them.
_INVISIBLE_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf", "Cs", "Cn", "Co", "Mn", "Mc", "Me"}
# Letters and symbols that are blank all the same (Hangul fillers, the blank Braille pattern).
_BLANK_SIGNS = {"\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}


def validate_code_name(name: str) -> None:
    """A code name must show something: a name made only of spaces or invisible characters would
    be a code nobody can see or pick. Control characters (a NUL, a tab) have no place in one either.
    Every path that names a code uses this rule: the codebook form (the model field), the
    workspace's new and in-vivo codes (coding.forms.ApplyCodeForm)."""
    if any(unicodedata.category(char) == "Cc" for char in name):
        raise ValidationError(
            _("A code name cannot contain control characters."), code="control_characters"
        )
    if not any(
        unicodedata.category(char) not in _INVISIBLE_CATEGORIES and char not in _BLANK_SIGNS
        for char in name
    ):
        raise ValidationError(
            _("A code name needs at least one visible letter, digit or sign."), code="invisible"
        )


class Code(models.Model):
    """A node of a project's hierarchical codebook.

    The database keeps a code's parent in the same project and refuses cycles (migration coding 0002).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="codes")
    parent = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="children"
    )
    name = models.CharField(_("name"), max_length=200, validators=[validate_code_name])
    color = models.CharField(
        _("colour"), max_length=7, default="#f2c14e", validators=[color_validator]
    )
    description = models.TextField(_("definition"), blank=True)
    inclusion = models.TextField(_("when to use"), blank=True)
    exclusion = models.TextField(_("when not to use"), blank=True)
    position = models.IntegerField(_("position"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "project",
                "parent",
                nulls_distinct=False,
                name="code_unique_name_among_siblings",
                violation_error_message=_("A code with this name already exists at this level."),
            ),
            models.CheckConstraint(
                condition=models.Q(color__regex=r"^#[0-9a-fA-F]{6}$"), name="code_color_hex"
            ),
        ]
        indexes = [models.Index(fields=["project", "parent", "position"])]
        verbose_name = _("code")
        verbose_name_plural = _("codes")

    def __str__(self):
        return self.name


class Coding(models.Model):
    """One code applied by one coder to the characters [start, end) of one interview's text.

    Offsets are Unicode code points (see Interview). The database checks the range and the project,
    fills `text` with the coded passage and `context_before` / `context_after` with the words
    around it (migration coding 0016), and records every change in CodingEvent (migration coding
    0002), so no write path (ORM, bulk load, raw SQL) can bypass them.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        NEEDS_CHANGE = "needs_change", _("Needs change")

    # No index of their own: each leads one of Meta.indexes, which serve lookups and cascades by
    # it as well, and every index is one more write on each apply and remove.
    interview = models.ForeignKey(
        Interview, on_delete=models.CASCADE, related_name="codings", db_index=False
    )
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="codings", db_index=False)
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="codings", db_index=False
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = DatabaseFilledTextField(_("coded text"), blank=True, editable=False)
    # About 30 words each side, as excerpts show them: cut by the same trigger (migration coding
    # 0016), so that no export or page reads the whole transcript for them.
    context_before = DatabaseFilledTextField(
        _("context before"), blank=True, db_default="", editable=False
    )
    context_after = DatabaseFilledTextField(
        _("context after"), blank=True, db_default="", editable=False
    )
    # The coded text's words (runs of non-space characters), counted by a trigger whenever the text
    # changes (migration coding 0025): the code frequencies add them up for every coding of the
    # project, where counting them in each text took 8 µs a coding (9.6 s at L).
    words = DatabaseFilledIntegerField(_("words"), default=0, db_default=0, editable=False)
    # The speaker of the turn the coding starts in (None between turns), kept by triggers on
    # codings and turns (migration coding 0020) so that pages and exports read it with the coding
    # rather than probe the turns for each row. Whatever is written here, the trigger recomputes.
    # No constraint, index or cascade: a speaker goes with its turns, whose triggers clear it.
    speaker = DatabaseFilledForeignKey(
        Speaker,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    status = models.CharField(
        _("review state"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    # Whether it may have a review comment or a memo: set by triggers when one comes, never
    # cleared (migration coding 0026), so that exports look for them only where there may be one.
    noted = models.BooleanField(default=False, db_default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__gte=0, end__gt=models.F("start")),
                name="coding_range_valid",
                violation_error_message=_("A coding must cover at least one character."),
            ),
        ]
        indexes = [
            models.Index(fields=["interview", "start"]),
            # A code's excerpts in their order (queries.ORDER: interview, start, id), read from the
            # index alone: its first page read the heap of every coding of the code (1.6 to 0.08
            # ms for 1,070 at S).
            models.Index(
                fields=["code", "interview", "start"], include=["id"], name="coding_code_excerpts"
            ),
            models.Index(fields=["coder", "interview"]),
            models.Index(fields=["status", "code"]),
            # The review queue: pending codings, oldest first, one page at a time...
            models.Index(fields=["status", "created_at", "id"], name="coding_review_queue"),
            # ...and how many a project has (up to 10,001): an index-only scan of its interviews'
            # entries, where counting read the table (3.2 to 1.4 ms for 9,000 at S).
            models.Index(
                fields=["interview"],
                condition=models.Q(status="pending"),
                name="coding_pending",
            ),
            # The coding popover ranks a user's codes by their latest codings in the project: an
            # index-only scan, newest first, that stops after a few hundred of the project's...
            models.Index(
                fields=["coder", "-created_at"], include=["code"], name="coding_coder_recent"
            ),
            # ...unless the user's newer codings are mostly in other projects, which that scan
            # would wade through: then these, by code (coding/views.py, _lately).
            models.Index(fields=["coder", "code", "-created_at"], name="coding_coder_code_recent"),
        ]
        verbose_name = _("coding")
        verbose_name_plural = _("codings")

    def __str__(self):
        return f"{self.code} [{self.start}, {self.end})"


class PendingCount(models.Model):
    """How many of an interview's codings await review. Kept by triggers on every write of a coding
    (migration coding 0018), whatever the path: the review queue sums a project's rows here rather
    than count up to 10,001 index entries on every page (excerpts.queries.count_query)."""

    interview = models.OneToOneField(
        Interview, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    pending = models.IntegerField(default=0)

    def __str__(self):
        return f"{self.pending} pending in interview {self.interview_id}"


class CodeCount(models.Model):
    """How many codings a code has in an interview. Kept by triggers on every write of a coding
    (migration coding 0022), whatever the path, as PendingCount is: the codebook's counts redrawn
    after each action and the excerpts of a code sum a code's rows here, rather than count a
    code's every index entry (10,000 of them at L: 1.2 ms of an apply, docs/benchmarks.md)."""

    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="+", db_index=False)
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="+")
    codings = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["code", "interview"], name="code_count_unique")
        ]

    def __str__(self):
        return f"{self.codings} of code {self.code_id} in interview {self.interview_id}"


class CodeTotal(models.Model):
    """How many codings a code has in its project: the sum of its CodeCount rows, kept by the same
    triggers (migration coding 0023). The codebook's tree shows every code's total beside each
    interview, and each action redraws one: summing a code's rows read one per interview it is in,
    103,000 rows for the tree at L (12 ms), about 1,800 for one code."""

    code = models.OneToOneField(Code, on_delete=models.CASCADE, primary_key=True, related_name="+")
    codings = models.IntegerField(default=0)

    def __str__(self):
        return f"{self.codings} of code {self.code_id}"


class CoderCount(models.Model):
    """How many codings a coder has in an interview. Kept by triggers on every write of a coding
    (migration coding 0024), as CodeCount is: the project's page shows each interview's codings,
    the member's and everyone's (or in a blind round the member's alone), for 2,000 interviews at
    L, where counting them read a million codings on each visit (370 ms)."""

    # Indexed by the unique constraint it leads.
    interview = models.ForeignKey(
        Interview, on_delete=models.CASCADE, related_name="coder_counts", db_index=False
    )
    coder = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False
    )
    codings = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "coder"], name="coder_count_unique")
        ]

    def __str__(self):
        return f"{self.codings} by coder {self.coder_id} in interview {self.interview_id}"


class ReviewEvent(models.Model):
    """A supervisor's decision on a coding, with its comment; the history of Coding.status."""

    # Indexed by the Meta index it leads.
    coding = models.ForeignKey(
        Coding, on_delete=models.CASCADE, related_name="reviews", db_index=False
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews"
    )
    status = models.CharField(_("decision"), max_length=20, choices=Coding.Status.choices)
    comment = models.TextField(_("comment"), blank=True)
    # Written by an undo (coding.audit): the change that had moved the status was reverted, and the
    # status with it; `reviewer` is who undid it.
    undo = models.BooleanField(default=False, db_default=False)  # db_default: for COPY too
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        # A coding's latest decision (its last comment on the excerpts page and in exports) is the
        # first entry read backwards: with the id in the index, no sort per coding (10 % of a
        # 9,335-row export's statement at S).
        indexes = [models.Index(fields=["coding", "created_at", "id"], name="reviewevent_latest")]

    def __str__(self):
        return f"{self.get_status_display()} by {self.reviewer}"


class Memo(models.Model):
    """Free text on the project itself, or on one interview, code or coding of it."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memos")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="memos"
    )
    interview = models.ForeignKey(
        Interview, on_delete=models.CASCADE, null=True, blank=True, related_name="memos"
    )
    code = models.ForeignKey(
        Code, on_delete=models.CASCADE, null=True, blank=True, related_name="memos"
    )
    coding = models.ForeignKey(
        Coding, on_delete=models.CASCADE, null=True, blank=True, related_name="memos"
    )
    body = models.TextField(_("memo"))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(interview__isnull=True, code__isnull=True)
                | models.Q(interview__isnull=True, coding__isnull=True)
                | models.Q(code__isnull=True, coding__isnull=True),
                name="memo_one_target",
            ),
        ]
        verbose_name = _("memo")
        verbose_name_plural = _("memos")

    def __str__(self):
        return self.body[:60]


class CodingEvent(models.Model):
    """The audit trail of codings, written by a database trigger on every insert, update and delete.

    Plain ids rather than foreign keys, so the trail outlives what it describes. The acting user comes
    from coding.audit.recorded_as(); an insert without one is credited to its coder.
    """

    class Action(models.TextChoices):
        CREATE = "create", _("created")
        UPDATE = "update", _("changed")
        DELETE = "delete", _("deleted")

    coding_id = models.BigIntegerField(db_index=True)
    project_id = models.BigIntegerField()
    interview_id = models.BigIntegerField(null=True)
    # One user action (apply a code, merge, undo…) may touch several codings: they share a group,
    # which is what "undo" reverts. An undo's own events point at the group they reverted.
    group = models.BigIntegerField(null=True)
    undo_of = models.BigIntegerField(null=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    action = models.CharField(max_length=10, choices=Action.choices)
    before = models.JSONField(null=True)
    after = models.JSONField(null=True)
    # A removed coding's memos and review history, for an undo to bring them back
    # (coding.audit.remove); the trigger leaves them empty.
    memos = models.JSONField(null=True)
    reviews = models.JSONField(null=True)
    at = models.DateTimeField(db_default=models.functions.Now())

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["project_id", "-at"]),
            # The workspace asks "what changed in this interview since event N?" and "what did I do last?"
            models.Index(fields=["interview_id", "id"]),
            models.Index(
                fields=["undo_of"],
                condition=models.Q(undo_of__isnull=False),
                name="codingevent_undo_of",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} coding {self.coding_id}"


class CodingRound(models.Model):
    """A blind coding round: its coders code its interviews independently, then compare.

    While the round is open, a researcher who codes in it sees only their own codings on its
    interviews, by every page and fragment (coding/visibility.py reads these rows); supervisors and
    admins see everything. Closing the round reveals the codings, and the agreement figures
    (agreement/) to its coders. The database keeps a round's interviews and codes in its project
    (migration coding 0011).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="coding_rounds")
    name = models.CharField(_("name"), max_length=200)
    interviews = models.ManyToManyField(Interview, related_name="coding_rounds")
    coders = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="coding_rounds")
    # Empty: every code of the codebook.
    codes = models.ManyToManyField(Code, blank=True, related_name="coding_rounds")
    # Training: every coder is compared with this one (one of the coders), not with each other.
    reference_coder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reference coder"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # coding/visibility.py: the open rounds of a project, on every page that shows codings.
            models.Index(
                fields=["project"], condition=models.Q(closed_at=None), name="codinground_open"
            ),
        ]
        verbose_name = _("coding round")
        verbose_name_plural = _("coding rounds")

    def __str__(self):
        return self.name

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class RoundDone(models.Model):
    """A coder's mark that they finished coding one interview of a round."""

    round = models.ForeignKey(CodingRound, on_delete=models.CASCADE, related_name="done")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["round", "coder", "interview"], name="rounddone_once_per_interview"
            ),
        ]

    def __str__(self):
        return f"{self.coder} done {self.interview_id} in {self.round}"


class ConsensusCoder(models.Model):
    """The project's consensus identity: codings the team agreed on are this user's.

    A user who cannot log in (inactive, no password), one per project, created on first use. Its
    codings are codings like any other (excerpts, review, exports, agreement against it), so
    "consensus only" is "this coder's codings". They are written by a supervisor settling a
    disagreement (agreement/consensus.py) through `coding_apply` with that supervisor as the actor:
    the audit trail names who decided, and their Ctrl+Z undoes it.
    """

    project = models.OneToOneField(
        Project, on_delete=models.CASCADE, related_name="consensus_coder"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="consensus_of"
    )

    def __str__(self):
        return f"consensus of {self.project_id}"

    @classmethod
    def user_for(cls, project: Project):
        """The project's consensus user, created the first time it is needed."""
        found = cls.objects.filter(project=project).select_related("user").first()
        if found:
            return found.user
        with transaction.atomic():
            # A name the sign-up and admin forms refuse ("#"), so no person can ever hold it.
            user, created = get_user_model().objects.get_or_create(
                username=f"consensus#{project.pk}",
                defaults={"first_name": "Consensus", "is_active": False},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            cls.objects.get_or_create(project=project, defaults={"user": user})
        return cls.objects.select_related("user").get(project=project).user


class TrashedCode(models.Model):
    """A deleted or merged code, kept for settings.VERBATIM_TRASH_DAYS so that it can be restored
    with everything that went with it (coding.trash).

    `rows` holds the rows as they were, column for column (PostgreSQL's to_jsonb), so a restore puts
    them back with the same ids and dates: the code and its sub-codes, their codings with their
    review history, and their memos; for a merge, also which codings, memos and sub-codes moved to
    the target, to move them back. `group` is the audit group of the deletion or merge: the
    restore's events are recorded as its undo.
    """

    class Kind(models.TextChoices):
        DELETED = "deleted", _("Deleted")
        MERGED = "merged", _("Merged")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="trash")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    code_id = models.BigIntegerField()  # the code's id, which it gets back when restored
    name = models.CharField(max_length=200)
    merged_into = models.ForeignKey(
        Code, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    merged_into_name = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    group = models.BigIntegerField(null=True)
    # What went with it, for the trash page: codings per coder ({username: count}), memos, sub-codes.
    codings_by_coder = models.JSONField(default=dict)
    memos = models.PositiveIntegerField(default=0)
    subcodes = models.PositiveIntegerField(default=0)
    rows = models.JSONField(default=dict)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["project", "-at"]), models.Index(fields=["at"])]
        verbose_name = _("code in the trash")
        verbose_name_plural = _("codes in the trash")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.name}"

    @property
    def codings(self) -> int:
        return sum(self.codings_by_coder.values())


class TextChange(models.Model):
    """A coding whose words a correction of the transcript changed (corrections/services.py): the
    coding kept the mapped span, and its coder and supervisors see the old and new wording until
    someone marks it seen."""

    coding = models.ForeignKey(Coding, on_delete=models.CASCADE, related_name="text_changes")
    version = models.PositiveIntegerField(_("text version"))  # the version that changed it
    old_text = models.TextField(_("words before"))
    new_text = models.TextField(_("words after"))
    created_at = models.DateTimeField(auto_now_add=True)
    seen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["coding"], condition=models.Q(seen_at__isnull=True), name="textchange_open"
            )
        ]

    def __str__(self):
        return f"{self.old_text[:30]} → {self.new_text[:30]}"


class DetachedCoding(models.Model):
    """A coding whose whole passage a correction deleted. Not silently dropped: the coding itself was
    removed like any other (coding.audit.remove keeps its memos and review history on its audit
    event, `event`), and this row lists it for its coder to place again (same id, memos and
    history come back) or to let go. Exports list it too."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="detached")
    coding_id = models.BigIntegerField()  # the removed coding's id, given back when re-placed
    code = models.ForeignKey(Code, on_delete=models.CASCADE, related_name="+")
    coder = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("coded words"))
    start = models.PositiveIntegerField()  # where it was, in version `version - 1`
    end = models.PositiveIntegerField()
    version = models.PositiveIntegerField(_("text version"))  # the version that deleted its words
    event = models.ForeignKey(CodingEvent, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["interview", "start", "id"]
        constraints = [
            models.UniqueConstraint(fields=["coding_id"], name="detached_coding_once"),
        ]

    def __str__(self):
        return f"{self.code} « {self.text[:40]} » (detached)"
