"""A change shows on the very next request: the member dashboard and who may see which chapter
after slips logged through the forms, attendance taps, the schedule keeper, renamed members
and chapters, dropped and expired memberships, ended roles, staff flags and new passwords."""

import datetime
import re
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings import services as meeting_services
from members.models import Member
from tests import factories
from tests.referrals_world import open_week, referral

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(chapter):
    return factories.member(chapter, first_name="Cora", last_name="Colleague",
                            classification_name="Roofing")


def home(chapter):
    return reverse("chapter_home", args=[chapter.slug])


def numbers(html: str) -> dict[str, list[str]]:
    """The dashboard's numbers table: column code -> values for this week, 30 days, 6 months."""
    table = {}
    for row in re.findall(r"<tr>\s*<th scope=\"row\">(.*?)</tr>", html, re.S):
        code = re.search(r"<abbr [^>]*>([^<]+)</abbr>", row).group(1)
        table[code] = re.findall(r"<td class=\"num\">([^<]*)</td>", row)
    return table


def test_a_second_visit_shows_the_same_dashboard(client_for, chapter, member, colleague):
    open_week(chapter)
    referral(colleague, member, prospect_name="Wendy Waiting")
    client = client_for(member)
    first = client.get(home(chapter))
    second = client.get(home(chapter))

    # The same page, but for the CSRF token, which is masked afresh on every response.
    def unmasked(response):
        return re.sub(r"[A-Za-z0-9]{64}", "TOKEN", response.content.decode())

    assert unmasked(second) == unmasked(first)
    assert "Wendy Waiting" in second.content.decode()


def test_a_referral_logged_through_the_form_shows_at_once_on_both_dashboards(
    client_for, chapter, member, colleague
):
    open_week(chapter)
    receiver_page = client_for(member).get(home(chapter)).content.decode()
    assert numbers(receiver_page)["RRI"] == ["0", "0", "0"]
    giver = client_for(colleague)
    giver.get(home(chapter))
    answer = giver.post(reverse("referral_new", args=[chapter.slug]), {
        "receiver": member.pk, "tier": "inside", "temperature": 4, "notes": "Needs a roof",
        "token": uuid.uuid4(),
    })
    assert answer.status_code == 302
    assert numbers(giver.get(home(chapter)).content.decode())["RGI"] == ["1", "1", "1"]
    receiver_page = client_for(member).get(home(chapter)).content.decode()
    assert numbers(receiver_page)["RRI"] == ["1", "1", "1"]
    assert 'Waiting for you <span class="badge badge-warn">1</span>' in receiver_page
    assert "Cora Colleague referred" in receiver_page


def test_an_attendance_tap_shows_at_once_in_the_members_numbers(
    client_for, chapter, member, president
):
    meeting = open_week(chapter)
    assert numbers(client_for(member).get(home(chapter)).content.decode())["P"][0] == "0"
    tap = client_for(president).post(
        reverse("attendance_mark", args=[chapter.slug, meeting.pk]),
        {"member": member.pk, "code": "P"}, headers={"HX-Request": "true"},
    )
    assert tap.status_code == 200
    assert numbers(client_for(member).get(home(chapter)).content.decode())["P"][0] == "1"
    # The numbers' own refresh (HTMX, when the page is shown again) shows it too.
    refresh = client_for(member).get(home(chapter), headers={"HX-Request": "true"})
    assert numbers(refresh.content.decode())["P"][0] == "1"


def test_meetings_the_schedule_keeper_retimes_show_at_once(client_for, chapter, member,
                                                           time_machine):
    # A Monday: the next meeting has not started, so the schedule keeper may re-time it.
    time_machine.move_to(datetime.datetime(2026, 11, 16, 12, 0, tzinfo=datetime.UTC))
    client = client_for(member)
    # The dashboard keeps the schedule itself: the chapter's next meeting shows at once.
    upcoming = meeting_services.next_meeting(chapter)
    assert upcoming.starts_at.isoformat() in client.get(home(chapter)).content.decode()
    chapter.meeting_time = datetime.time(7, 30)
    chapter.save(update_fields=["meeting_time"])
    meeting_services.meetings_schedule(chapter=chapter)
    upcoming.refresh_from_db()
    page = client.get(home(chapter)).content.decode()
    assert upcoming.starts_at.astimezone(chapter.zone).time() == datetime.time(7, 30)
    assert upcoming.starts_at.isoformat() in page


def test_a_member_renamed_shows_renamed_on_other_dashboards(client_for, chapter, member,
                                                            colleague):
    open_week(chapter)
    referral(colleague, member, prospect_name="Wendy Waiting")
    client = client_for(member)
    assert "from Cora Colleague" in client.get(home(chapter)).content.decode()
    colleague.user.last_name = "Carpenter"
    colleague.user.save()
    page = client.get(home(chapter)).content.decode()
    assert "from Cora Carpenter" in page and "Cora Colleague" not in page


def test_a_member_of_two_chapters_sees_each_chapters_own_dashboard(client_for, chapter,
                                                                   other_chapter, member):
    elsewhere = Member.objects.create(
        user=member.user, chapter=other_chapter, business_name="Second Ltd",
        classification=factories.classification("Plumbing"), status=Member.Status.ACTIVE,
        joined_on=member.joined_on, renewal_due_on=member.renewal_due_on,
    )
    colleague_there = factories.member(other_chapter, first_name="Olga", last_name="Other")
    open_week(other_chapter)
    referral(colleague_there, elsewhere, prospect_name="Only Elsewhere")
    client = client_for(member)
    assert "Only Elsewhere" not in client.get(home(chapter)).content.decode()
    assert "Only Elsewhere" in client.get(home(other_chapter)).content.decode()


def test_a_meeting_that_ended_gives_way_to_the_next_at_once(client_for, chapter, member,
                                                           time_machine):
    now = timezone.now()
    ending = factories.meeting(chapter, now.astimezone(chapter.zone).date(),
                               starts_at=now - datetime.timedelta(minutes=30),
                               ends_at=now + datetime.timedelta(seconds=90))
    client = client_for(member)
    shown = ending.starts_at.isoformat(timespec="seconds")  # as <time datetime> writes it
    assert shown in client.get(home(chapter)).content.decode()
    time_machine.move_to(now + datetime.timedelta(minutes=2), tick=False)
    assert shown not in client.get(home(chapter)).content.decode()


# --- The page carries the request's own CSRF token and its messages ---------------------------


def csrf_of(page: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


def test_the_dashboard_carries_a_csrf_token_that_works_for_each_browser(chapter, member,
                                                                       colleague):
    from django.test import Client

    open_week(chapter)
    for device in range(2):  # two browsers of one member: two CSRF secrets
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(member.user)
        browser.get(home(chapter))
        page = browser.get(home(chapter)).content.decode()
        answer = browser.post(reverse("referral_new", args=[chapter.slug]), {
            "receiver": colleague.pk, "tier": "inside", "temperature": 3, "token": uuid.uuid4(),
            "csrfmiddlewaretoken": csrf_of(page),
        })
        assert answer.status_code == 302, f"browser {device}: {answer.status_code}"


def test_a_message_shows_once_on_the_dashboard(client_for, chapter, member, colleague):
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.http import HttpRequest, HttpResponse

    open_week(chapter)
    client = client_for(member)
    client.get(home(chapter))
    # A message waiting in the browser's cookie, as a redirect after a form leaves it.
    storage = CookieStorage(HttpRequest())
    storage.add(constants.SUCCESS, "Your one-to-one is logged.")
    response = HttpResponse()
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value
    assert "Your one-to-one is logged." in client.get(home(chapter)).content.decode()
    assert "Your one-to-one is logged." not in client.get(home(chapter)).content.decode()


# --- Who may see a chapter: a change applies on the very next request ---------------------------


def test_a_dropped_member_gets_404_at_once(client_for, chapter, member, president):
    from members import membership

    client = client_for(member)
    assert client.get(home(chapter)).status_code == 200
    membership.membership_drop(member=member, by=president.user, reason="Moved away")
    assert client.get(home(chapter)).status_code == 404
    assert client.get(reverse("roster", args=[chapter.slug])).status_code == 404


def test_a_membership_that_expires_overnight_gets_404_at_once(client_for, chapter, member):
    from members import membership

    client = client_for(member)
    assert client.get(home(chapter)).status_code == 200
    Member.objects.filter(pk=member.pk).update(
        renewal_due_on=timezone.localdate() - datetime.timedelta(days=2))
    assert membership.memberships_expire() == 1
    assert client.get(home(chapter)).status_code == 404


def test_a_leader_whose_term_ends_loses_leader_pages_at_once(client_for, chapter, president,
                                                             vice_president):
    from members import membership
    from members.models import LeadershipRole

    client = client_for(vice_president)
    members_page = reverse("membership_list", args=[chapter.slug])
    assert client.get(members_page).status_code == 200
    membership.role_end(term=LeadershipRole.objects.get(member=vice_president),
                        by=president.user)
    assert client.get(members_page).status_code == 403
    assert client.get(home(chapter)).status_code == 200


def test_an_admin_no_longer_staff_gets_404_at_once(client_for, chapter, admin_user):
    client = client_for(admin_user)
    assert client.get(home(chapter)).status_code == 200
    admin_user.is_staff = False
    admin_user.save()
    assert client.get(home(chapter)).status_code == 404


def test_a_new_password_signs_out_the_other_browsers_at_once(client_for, chapter, member):
    client = client_for(member)
    assert client.get(home(chapter)).status_code == 200
    member.user.set_password("a-new-long-passphrase-2026")
    member.user.save()
    answer = client.get(home(chapter))
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]


def test_a_renamed_chapter_shows_its_new_name_at_once(client_for, chapter, member):
    client = client_for(member)
    client.get(home(chapter))
    chapter.name = "Riverside Renamed"
    chapter.save()
    assert "Riverside Renamed" in client.get(home(chapter)).content.decode()
