from django.urls import path

from analysis import views

app_name = "analysis"

urlpatterns = [
    # /projects/<project_id>/analysis/…: tables, charts and queries
    path("projects/<int:project_id>/analysis/", views.analysis_index, name="index"),
    path(
        "projects/<int:project_id>/analysis/cooccurrence/", views.cooccurrence, name="cooccurrence"
    ),
    path("projects/<int:project_id>/analysis/crosstab/", views.crosstab, name="crosstab"),
    path("projects/<int:project_id>/analysis/speakers/", views.speakers, name="speakers"),
    path("projects/<int:project_id>/analysis/frequencies/", views.frequencies, name="frequencies"),
    path("projects/<int:project_id>/analysis/codeline/", views.codeline, name="codeline"),
    path("projects/<int:project_id>/analysis/progress/", views.progress, name="progress"),
    path(
        "projects/<int:project_id>/analysis/interviews/<int:interview_id>/portrait/",
        views.portrait,
        name="portrait",
    ),
    path("projects/<int:project_id>/analysis/query/", views.query_page, name="query"),
    path("projects/<int:project_id>/analysis/query/save/", views.save_query, name="save-query"),
    path(
        "projects/<int:project_id>/analysis/query/<int:query_id>/delete/",
        views.delete_query,
        name="delete-query",
    ),
    path("projects/<int:project_id>/analysis/query/code/", views.code_results, name="code-results"),
    path("projects/<int:project_id>/analysis/query/undo/", views.undo_results, name="undo-results"),
]
