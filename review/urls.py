from django.urls import path

from review import views

app_name = "review"

urlpatterns = [
    # /projects/<project_id>/review/…: the queue and decisions (supervisors and admins)
    path("projects/<int:project_id>/review/", views.review_queue, name="queue"),
    path("projects/<int:project_id>/review/bulk/", views.review_bulk, name="bulk"),
    path("projects/<int:project_id>/review/discuss/", views.review_discuss, name="discuss"),
    path("projects/<int:project_id>/review/<int:coding_id>/", views.review_decide, name="decide"),
    path(
        "projects/<int:project_id>/review/<int:coding_id>/history/",
        views.review_history,
        name="history",
    ),
    # /projects/<project_id>/revise/…: a coder's codings sent back to them
    path("projects/<int:project_id>/revise/", views.to_revise, name="to-revise"),
    path("projects/<int:project_id>/revise/badge/", views.revise_badge, name="revise-badge"),
    path("projects/<int:project_id>/revise/<int:coding_id>/", views.resubmit, name="resubmit"),
]
