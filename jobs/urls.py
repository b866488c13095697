from django.urls import path

from jobs import views

app_name = "jobs"

urlpatterns = [
    # /jobs/
    path("jobs/", views.job_list, name="list"),
    path("jobs/<int:job_id>/", views.job_detail, name="detail"),
    path("jobs/<int:job_id>/cancel/", views.job_cancel, name="cancel"),
    path("jobs/<int:job_id>/retry/", views.job_retry, name="retry"),
    path("jobs/<int:job_id>/download/", views.job_download, name="download"),
]
