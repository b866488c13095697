from django.urls import path

from agreement import views

app_name = "agreement"

urlpatterns = [
    # Figures: /projects/<project_id>/agreement/…
    path("projects/<int:project_id>/agreement/", views.agreement, name="figures"),
    path("projects/<int:project_id>/agreement/export/", views.agreement_export, name="export"),
    path(
        "projects/<int:project_id>/agreement/codes/<int:code_id>/",
        views.code_detail,
        name="code",
    ),
    # Side by side and consensus: /projects/<project_id>/agreement/compare/<interview>/<code>/…
    path(
        "projects/<int:project_id>/agreement/compare/<int:interview_id>/<int:code_id>/",
        views.side_by_side,
        name="compare",
    ),
    path(
        "projects/<int:project_id>/agreement/compare/<int:interview_id>/<int:code_id>/settle/",
        views.settle,
        name="settle",
    ),
    path(
        "projects/<int:project_id>/agreement/decisions/<int:decision_id>/undo/",
        views.undo_decision,
        name="undo-decision",
    ),
    # Coding rounds: /projects/<project_id>/agreement/rounds/…
    path("projects/<int:project_id>/agreement/rounds/", views.rounds, name="rounds"),
    path(
        "projects/<int:project_id>/agreement/rounds/<int:round_id>/",
        views.round_detail,
        name="round",
    ),
    path(
        "projects/<int:project_id>/agreement/rounds/<int:round_id>/done/",
        views.round_done,
        name="round-done",
    ),
    path(
        "projects/<int:project_id>/agreement/rounds/<int:round_id>/close/",
        views.round_close,
        name="round-close",
    ),
]
