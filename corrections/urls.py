from django.urls import path

from corrections import views

app_name = "corrections"

urlpatterns = [
    # /projects/<project_id>/pseudonyms/<rule_id>/apply/: a name of the list, in stored interviews
    path(
        "projects/<int:project_id>/pseudonyms/<int:rule_id>/apply/",
        views.pseudonymise,
        name="pseudonymise",
    ),
    # /projects/<project_id>/interviews/<interview_id>/correct/…: correcting the text
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/correct/",
        views.correction,
        name="correction",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/correct/<int:start>-<int:end>/",
        views.correct_passage,
        name="passage",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/correct/text/",
        views.correct_text,
        name="text",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/correct/upload/",
        views.correct_upload,
        name="upload",
    ),
    # …/versions/: the history, and restoring a version
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/versions/",
        views.versions,
        name="versions",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/versions/<int:number>/restore/",
        views.restore,
        name="restore",
    ),
    # …/corrected-codings/: codings a correction changed or detached
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/corrected-codings/",
        views.corrected_codings,
        name="codings",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/corrected-codings/"
        "changed/<int:change_id>/seen/",
        views.change_seen,
        name="change-seen",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/corrected-codings/"
        "detached/<int:detached_id>/place/",
        views.place_again,
        name="place-again",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/corrected-codings/"
        "detached/<int:detached_id>/let-go/",
        views.let_go,
        name="let-go",
    ),
]
