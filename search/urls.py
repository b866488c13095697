from django.urls import path

from search import views

app_name = "search"

urlpatterns = [
    # /projects/<project_id>/search/…
    path("projects/<int:project_id>/search/", views.search_transcripts, name="search"),
    path("projects/<int:project_id>/search/code-all/", views.code_all, name="code-all"),
    path(
        "projects/<int:project_id>/search/code-all/undo/", views.code_all_undo, name="code-all-undo"
    ),
]
