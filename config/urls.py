from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path

from config.views import favicon, healthz, readyz, server_error, too_many_requests

admin.site.site_header = "Chapterhouse back office"
admin.site.site_title = "Chapterhouse back office"
# Staff sign in through allauth too, so rate limits and two-factor apply to the back office.
admin.site.login = secure_admin_login(admin.site.login)

# allauth answers a rate limit with the root URLconf's handler429.
handler429 = too_many_requests
# Errors in the site's layout; a database or Redis that is away answers 503 (config/views.py).
handler500 = server_error

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("reports.urls_home")),
    path("", include("reports.urls")),
    path("", include("members.urls")),
    path("", include("notifications.urls")),
    path("", include("meetings.urls")),
    path("", include("referrals.urls")),
    path("", include("members.urls_roster")),
    path("", include("members.urls_membership")),
    path("", include("reports.urls_admin")),
]
