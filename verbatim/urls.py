from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from verbatim.health import health
from verbatim.login import LoginForm

handler500 = "verbatim.errors.server_error"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("health/", health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("interviews.urls")),
    path("", include("coding.urls")),
    path("", include("excerpts.urls")),
    path("", include("review.urls")),
    path("", include("search.urls")),
    path("", include("exports.urls")),
    path("", include("agreement.urls")),
    path("", include("jobs.urls")),
    path("", include("exchange.urls")),
    path("", include("analysis.urls")),
    path("", include("corrections.urls")),
]
