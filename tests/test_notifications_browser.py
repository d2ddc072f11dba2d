"""Every kind of email, rendered in Chromium at a phone's width (375 px): nothing is wider than
the screen (the summary's member table and the reminder's When/Online rows stack)."""

import pytest

from tests.email_kinds import one_of_each_kind

pytestmark = [pytest.mark.browser, pytest.mark.django_db]


def test_every_kind_of_email_fits_a_phone(chapter, chromium):
    emails = one_of_each_kind(chapter)
    context = chromium.new_context(viewport={"width": 375, "height": 812})
    page = context.new_page()
    try:
        for name, message in emails.items():
            page.set_content(message.alternatives[0].content)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375, f"{name} is {width} px wide"
    finally:
        context.close()
