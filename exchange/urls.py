from django.urls import path

from exchange import views

app_name = "exchange"

urlpatterns = [
    # /exchange/import/: a .qdpx as a new project
    path("exchange/import/", views.import_project, name="import"),
    path("exchange/import/preview/", views.import_preview, name="import-preview"),
    path("exchange/import/discard/", views.import_discard, name="import-discard"),
    # /projects/<project_id>/exchange/: downloads, a codebook to import, imported accounts
    path("projects/<int:project_id>/exchange/", views.exchange_page, name="project"),
    path(
        "projects/<int:project_id>/exchange/project.qdpx",
        views.export_project,
        name="export-project",
    ),
    path(
        "projects/<int:project_id>/exchange/codebook.qdc",
        views.export_codebook,
        name="export-codebook",
    ),
    path(
        "projects/<int:project_id>/exchange/codebook/",
        views.import_codebook,
        name="import-codebook",
    ),
    path(
        "projects/<int:project_id>/exchange/codebook/preview/",
        views.codebook_preview,
        name="codebook-preview",
    ),
    path(
        "projects/<int:project_id>/exchange/codebook/discard/",
        views.codebook_discard,
        name="codebook-discard",
    ),
    path("projects/<int:project_id>/exchange/accounts/", views.hand_over, name="hand-over"),
]
