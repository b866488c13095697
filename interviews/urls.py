from django.urls import path

from interviews import views

app_name = "interviews"

urlpatterns = [
    path("", views.project_list, name="project-list"),
    # /projects/<project_id>/
    path("projects/<int:project_id>/", views.project_detail, name="project-detail"),
    path("projects/<int:project_id>/members/", views.members, name="members"),
    path(
        "projects/<int:project_id>/members/<int:membership_id>/",
        views.member_update,
        name="member-update",
    ),
    # /projects/<project_id>/interviews/<interview_id>/
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/",
        views.interview_detail,
        name="interview-detail",
    ),
]
