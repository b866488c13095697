from django.urls import path

from coding import views

app_name = "coding"

urlpatterns = [
    # /projects/<project_id>/codebook/
    path("projects/<int:project_id>/codebook/", views.codebook, name="codebook"),
]
