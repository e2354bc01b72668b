from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views import defaults
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from accounts.api.urls import app_urlpatterns as accounts_api
from accounts.api.urls import platform_urlpatterns
from automations.api.urls import urlpatterns as automations_api
from conversations.api.urls import urlpatterns as conversations_api
from inboxes.api.urls import urlpatterns as inboxes_api
from nexloo import devmail
from nexloo.core.api import api_aware, api_not_found
from teams.api.urls import urlpatterns as teams_api

api_v1 = [*accounts_api, *inboxes_api, *teams_api, *conversations_api, *automations_api]

urlpatterns = [
    path("", include("accounts.urls")),
    path("", include("inboxes.urls")),
    path("", include("teams.urls")),
    path("", include("conversations.urls")),
    path("", include("automations.urls")),
    path("", include("whatsapp.urls")),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include(api_v1)),
    path("platform/api/v1/", include(platform_urlpatterns)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("django-admin/", admin.site.urls),
]

# Django's error pages are HTML; under /api/ they are JSON (see nexloo.core.api).
handler400 = api_aware(defaults.bad_request, 400)
handler403 = api_aware(defaults.permission_denied, 403)
handler404 = api_aware(defaults.page_not_found, 404)
handler500 = api_aware(defaults.server_error, 500)

if settings.DEV_MAILBOX:
    urlpatterns += [
        path("dev/mail/", devmail.mailbox, name="dev_mailbox"),
        path("dev/mail/<str:message_id>/", devmail.mailbox_message, name="dev_mailbox_message"),
    ]

# Last: any other /api/… path is a JSON 404, also with DEBUG on.
urlpatterns += [re_path(r"^(?:platform/)?api/", api_not_found)]
