from django.urls import path

from excerpts import views

app_name = "excerpts"

urlpatterns = [
    # /projects/<project_id>/…: the excerpts, the code overview, codes × interviews
    path("projects/<int:project_id>/excerpts/", views.excerpts, name="list"),
    path("projects/<int:project_id>/codes/overview/", views.code_overview, name="overview"),
    path("projects/<int:project_id>/codes/matrix/", views.code_matrix, name="matrix"),
]
