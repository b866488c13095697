from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    # /projects/<project_id>/…: files to download
    path("projects/<int:project_id>/excerpts/export/", views.export_excerpts, name="excerpts"),
    path("projects/<int:project_id>/codebook/export/", views.export_codebook, name="codebook"),
    path(
        "projects/<int:project_id>/codes/<int:code_id>/report/",
        views.code_report,
        name="code-report",
    ),
]
