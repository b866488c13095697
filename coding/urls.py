from django.urls import path

from coding import codebook_views, views

app_name = "coding"

urlpatterns = [
    # Codebook: /projects/<project_id>/codebook/…  (coding/codebook_views.py)
    path("projects/<int:project_id>/codebook/", codebook_views.codebook, name="codebook"),
    # Coding workspace: /projects/<project_id>/interviews/<interview_id>/codings/…  (coding/views.py)
]
