"""System checks of how members sign in (shown by `manage.py check --deploy`)."""

from allauth import app_settings as allauth_settings
from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def check_client_address_behind_proxy(app_configs, **kwargs):
    """Behind a proxy, sign-in's per-address limits need to be told which address is the client."""
    behind_proxy = settings.SECURE_PROXY_SSL_HEADER is not None
    told = allauth_settings.TRUSTED_PROXY_COUNT > 0 or allauth_settings.TRUSTED_CLIENT_IP_HEADER
    if behind_proxy and not told:
        return [
            checks.Warning(
                "SECURE_PROXY_SSL is on, but neither TRUSTED_PROXY_COUNT nor "
                "TRUSTED_CLIENT_IP_HEADER is set: every request seems to come from the proxy's "
                "address, so one person's wrong passwords shut everyone out of sign-in.",
                hint="Set TRUSTED_PROXY_COUNT=1 for one proxy that sets X-Forwarded-For "
                "(README, Deployment), or TRUSTED_CLIENT_IP_HEADER to the header your "
                "platform puts the client's address in.",
                id="members.W001",
            )
        ]
    return []
