from django.urls import path

from interviews import import_views, recording_views, views

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
    # /projects/<project_id>/import/ and the replacement list (admins)
    path("projects/<int:project_id>/import/", import_views.import_upload, name="import"),
    path(
        "projects/<int:project_id>/import/preview/",
        import_views.import_preview,
        name="import-preview",
    ),
    path(
        "projects/<int:project_id>/import/attributes/",
        import_views.import_attributes,
        name="import-attributes",
    ),
    path(
        "projects/<int:project_id>/import/confirm/",
        import_views.import_confirm,
        name="import-confirm",
    ),
    path(
        "projects/<int:project_id>/import/discard/",
        import_views.import_discard,
        name="import-discard",
    ),
    path("projects/<int:project_id>/pseudonyms/", import_views.pseudonym_list, name="pseudonyms"),
    # The interview page is the coding workspace: coding:workspace in coding/urls.py.
    # /projects/<project_id>/interviews/<interview_id>/recording/ (served with ranges; attached by admins)
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/recording/",
        recording_views.recording,
        name="recording",
    ),
    path(
        "projects/<int:project_id>/interviews/<int:interview_id>/recording/delete/",
        recording_views.recording_delete,
        name="recording-delete",
    ),
]
