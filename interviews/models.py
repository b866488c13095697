import hashlib
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models.functions import Length, Lower
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class Project(models.Model):
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="projects"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("interviews:project-detail", args=[self.pk])


class Membership(models.Model):
    # What each role may do is decided in interviews/permissions.py, and only there.
    class Role(models.TextChoices):
        ADMIN = "admin", _("Admin")
        SUPERVISOR = "supervisor", _("Supervisor")
        RESEARCHER = "researcher", _("Researcher")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "user"], name="membership_one_per_user"),
        ]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self):
        return f"{self.user} · {self.get_role_display()} · {self.project}"


class Attribute(models.Model):
    """A participant attribute of a project (organisation, role, years of practice, setting…)."""

    class Type(models.TextChoices):
        TEXT = "text", _("Text")
        NUMBER = "number", _("Number")
        DATE = "date", _("Date")
        CHOICE = "choice", _("Choice")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="attributes")
    name = models.CharField(_("name"), max_length=100)
    type = models.CharField(_("type"), max_length=10, choices=Type.choices, default=Type.TEXT)
    choices = ArrayField(models.CharField(max_length=200), blank=True, default=list)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "project", name="attribute_unique_name"),
        ]
        verbose_name = _("participant attribute")
        verbose_name_plural = _("participant attributes")

    def __str__(self):
        return self.name


class Interview(models.Model):
    """A transcript. Codings, turns and search lines point into its text by offsets.

    Offsets everywhere (turns, codings) count Unicode code points of `text`, from 0, end exclusive:
    the unit of Python's str and of PostgreSQL's char_length/substr on a UTF-8 database, and the one
    REFI-QDA uses. The browser converts from its UTF-16 at the boundary (static/coding/offsets.js).
    The text changes only through a correction (corrections/services.py), which re-anchors every
    offset in the same transaction: a database trigger refuses any other change (migrations
    interviews 0002, 0008). `text_version` counts corrections; pages send it with their actions so
    that an offset read from an older text is refused.

    The row also has a column no field maps: `attribute_cells`, its attribute values as an export
    writes them, which triggers keep for the CSV's statement (migration interviews 0012).
    """

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="interviews")
    title = models.CharField(_("title"), max_length=255)
    participant = models.CharField(_("participant pseudonym"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=16, default="fr")
    source_name = models.CharField(_("imported from"), max_length=255, blank=True)
    source_format = models.CharField(_("source format"), max_length=16, blank=True)
    interviewed_on = models.DateField(_("interview date"), null=True, blank=True)
    text = models.TextField(_("text"))
    text_length = models.GeneratedField(
        expression=Length("text"), output_field=models.IntegerField(), db_persist=True
    )
    word_count = models.PositiveIntegerField(_("words"), default=0, editable=False)
    checksum = models.CharField(max_length=64, editable=False)
    text_version = models.PositiveIntegerField(_("text version"), default=1, db_default=1)
    # Audit events of this interview up to this id were made on an older text: Ctrl+Z stops there.
    undo_floor = models.BigIntegerField(default=0, db_default=0, editable=False)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("imported"), auto_now_add=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            # The same transcript twice in one project is a mistake (re-import detection).
            models.UniqueConstraint(fields=["project", "checksum"], name="interview_unique_text"),
        ]
        indexes = [models.Index(fields=["project", "title"])]
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if not self.checksum:
            self.checksum = text_checksum(self.text)
            self.word_count = len(self.text.split())
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("coding:workspace", args=[self.project_id, self.pk])


def text_checksum(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def plain_number(number: Decimal | None) -> int | Decimal | None:
    """12 rather than 12.0000 (or 1.2E+1, which is what Decimal.normalize makes of it)."""
    if number is None:
        return None
    if number == number.to_integral_value():
        return int(number)
    return number.normalize()


class AttributeValue(models.Model):
    interview = models.ForeignKey(
        Interview, on_delete=models.CASCADE, related_name="attribute_values"
    )
    attribute = models.ForeignKey(Attribute, on_delete=models.CASCADE, related_name="values")
    # One column per type, so that filters compare numbers as numbers and dates as dates.
    text = models.CharField(max_length=500, blank=True)
    number = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "attribute"], name="attribute_value_once"),
        ]
        indexes = [
            models.Index(fields=["attribute", "number"]),
            models.Index(fields=["attribute", "text"]),
        ]

    def __str__(self):
        return f"{self.attribute}: {self.value}"

    @property
    def value(self):
        return typed_value(self.attribute.type, self.text, self.number, self.date)


def typed_value(kind: str, text: str, number, date):
    """An attribute's value as its type says: a number (without trailing zeros), a date, or a
    text, of the columns a value is stored in."""
    if kind == Attribute.Type.NUMBER:
        return plain_number(number)
    if kind == Attribute.Type.DATE:
        return date
    return text


class Speaker(models.Model):
    class Role(models.TextChoices):
        INTERVIEWER = "interviewer", _("Interviewer")
        PARTICIPANT = "participant", _("Participant")
        OTHER = "other", _("Other")

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="speakers")
    label = models.CharField(_("label in the transcript"), max_length=100)
    name = models.CharField(_("display name"), max_length=100)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.OTHER)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "label"], name="speaker_unique_label"),
        ]

    def __str__(self):
        return self.name


class Turn(models.Model):
    """One speaker's turn: the utterance at [start, end) of the interview text, after its label."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="turns")
    speaker = models.ForeignKey(
        Speaker, on_delete=models.CASCADE, related_name="turns", null=True, blank=True
    )
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    timestamp = models.DurationField(_("time in the recording"), null=True, blank=True)

    class Meta:
        ordering = ["interview", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__gte=0, end__gt=models.F("start")), name="turn_range_valid"
            ),
        ]
        indexes = [models.Index(fields=["interview", "start"])]

    def __str__(self):
        return f"{self.speaker} [{self.start}, {self.end})"


class TextPiece(models.Model):
    """A thousand characters of an interview's text from `start` (code points), written only by
    the triggers of migration interviews 0011 whenever an interview is stored or its text
    corrected; together they are the text. A coding's words and contexts are cut from them
    (coding_coding_check, on every insert and move): PostgreSQL stores the text itself compressed
    and decompresses it from its first character to read any part of it, 0.5 ms near the end of
    a 60,000-character transcript, where the pieces holding the part are read in 0.02."""

    interview = models.ForeignKey(
        Interview, on_delete=models.CASCADE, related_name="+", db_index=False
    )  # the (interview, start) constraint's index serves it
    start = models.PositiveIntegerField()
    text = models.TextField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["interview", "start"], name="textpiece_interview_start")
        ]

    def __str__(self):
        return f"{self.interview_id} [{self.start}, …)"


class TimeMark(models.Model):
    """A stretch of an interview's text tied to a stretch of its recording: a subtitle cue, or the
    text between two timestamps of a transcript. Kept for every cue, so that playback can follow the
    text cue by cue; a turn's own start time is also in `Turn.timestamp`. [start, end) are code
    points of Interview.text, like a turn's."""

    interview = models.ForeignKey(Interview, on_delete=models.CASCADE, related_name="time_marks")
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    time_start = models.DurationField(_("start in the recording"))
    time_end = models.DurationField(_("end in the recording"), null=True, blank=True)

    class Meta:
        ordering = ["interview", "start"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__gte=0, end__gt=models.F("start")),
                name="time_mark_range_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(time_end__isnull=True)
                | models.Q(time_end__gte=models.F("time_start")),
                name="time_mark_times_ordered",
            ),
        ]
        indexes = [models.Index(fields=["interview", "start"])]

    def __str__(self):
        return f"{self.interview_id} [{self.start}, {self.end}) {self.time_start}"


class Recording(models.Model):
    """The audio or video recording of an interview, one per interview (replacing it is allowed).
    The file is on disk under MEDIA_ROOT through Django's storage API, never in the database;
    interviews.recordings attaches it (its bytes checked first) and deletes it from disk with its
    row, whatever deletes the row (the interview, the project)."""

    interview = models.OneToOneField(Interview, on_delete=models.CASCADE, related_name="recording")
    # Named at random by interviews.recordings.attach: nothing of the user's file name, nothing to
    # guess (only a view that checks membership serves it).
    file = models.FileField(upload_to="recordings/", max_length=200)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=50)
    size = models.PositiveBigIntegerField(_("size"))
    duration = models.DurationField(_("duration"), null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("attached"), auto_now_add=True)

    class Meta:
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        # The version changes with each new recording: a browser never mixes two files' bytes.
        url = reverse("interviews:recording", args=[self.interview.project_id, self.interview_id])
        return f"{url}?v={self.pk}"

    @property
    def is_video(self) -> bool:
        return self.content_type.startswith("video/")


class Pseudonym(models.Model):
    """One line of a project's replacement list, applied to every transcript before it is stored."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="pseudonyms")
    real_name = models.CharField(_("real name"), max_length=200)
    pseudonym = models.CharField(_("pseudonym"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["real_name"]
        constraints = [
            models.UniqueConstraint(Lower("real_name"), "project", name="pseudonym_unique_name"),
        ]
        verbose_name = _("pseudonym")
        verbose_name_plural = _("pseudonyms")

    def __str__(self):
        return f"{self.real_name} → {self.pseudonym}"


class ImportBatch(models.Model):
    """An admin's upload waiting for confirmation: one per admin and project, deleted once confirmed
    or after settings.VERBATIM_IMPORT_DRAFT_HOURS. Holds pseudonymised text only (see ImportFile)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The attribute sheet, pseudonymised: {"name": file name, "rows": [[header…], [cells…], …]}.
    sheet = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["project", "created_by"], name="import_batch_one_draft"
            ),
        ]
        verbose_name = _("import in progress")
        verbose_name_plural = _("imports in progress")

    def __str__(self):
        return f"{self.project} · {self.created_by} · {self.created_at:%Y-%m-%d %H:%M}"


class ImportFile(models.Model):
    """One uploaded transcript, as it will be stored: already pseudonymised. The original bytes and
    text are never saved; `alternatives` holds other (pseudonymised) readings of a text file whose
    encoding was unsure, so the admin can switch without uploading it again."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=255)
    format = models.CharField(max_length=16, blank=True)
    encoding = models.CharField(max_length=32, blank=True)
    encoding_sure = models.BooleanField(default=True)
    alternatives = models.JSONField(default=dict, blank=True)
    text = models.TextField(blank=True)
    labels = models.JSONField(default=list, blank=True)  # speaker labels marked by the format
    # Timed marks of the reading under each encoding ("" when the format has none), so that the
    # preview's encoding switch keeps them right: {encoding: [[start, end, time start, time end]]}.
    marks = models.JSONField(default=dict, blank=True)
    # Word and OpenDocument comments: [{"start", "end", "text", "author"}], offsets in `text`.
    comments = models.JSONField(default=list, blank=True)
    # What the reader did that the admin should know (notes moved, tracked changes accepted…).
    notices = models.JSONField(default=list, blank=True)
    replacements = models.JSONField(default=list, blank=True)  # [[real name, pseudonym, count]]
    error = models.TextField(blank=True)  # why it cannot be imported; empty when it can

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name
