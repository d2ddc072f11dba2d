"""Every meetings URL asked by each persona: members of other chapters get 404, members
without the role get 403, and each role reaches what it needs."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from meetings.models import Attendance, Meeting, Visitor
from members.models import Role
from tests import factories

pytestmark = pytest.mark.django_db

# (url name, method, who may use it, args from the world)
MEMBER, LEADER, HOST, EDUCATION, REPORT = "member", "leader", "host", "education", "report"
URLS = [
    ("meeting_list", "get", MEMBER, "chapter"),
    ("meeting_next", "get", MEMBER, "chapter"),
    ("meeting_detail", "get", MEMBER, "meeting"),
    ("checkin", "get", MEMBER, "checkin"),
    ("checkin", "post", MEMBER, "checkin"),
    ("meeting_edit", "get", LEADER, "meeting"),
    ("meeting_edit", "post", LEADER, "meeting"),
    ("meeting_status", "post", LEADER, "meeting"),
    ("attendance", "get", LEADER, "meeting"),
    ("attendance_mark", "post", LEADER, "meeting"),
    ("attendance_rows", "get", LEADER, "meeting"),
    ("attendance_mark_rest", "post", LEADER, "meeting"),
    ("checkin_code", "get", LEADER, "meeting"),
    ("meeting_report", "get", LEADER, "meeting"),
    ("meeting_report_numbers", "get", LEADER, "meeting"),
    ("absence_list", "get", LEADER, "chapter"),
    ("visitor_invite", "post", LEADER, "visitor"),
    ("meeting_visitors", "get", HOST, "meeting"),
    ("meeting_visitors", "post", HOST, "meeting"),
    ("visitor_list", "get", HOST, "chapter"),
    ("visitor_classification_check", "get", HOST, "chapter"),
    ("visitor_follow_up", "post", HOST, "visitor"),
    ("meeting_agenda", "get", EDUCATION, "meeting"),
    ("meeting_agenda", "post", EDUCATION, "meeting"),
    ("meeting_report_complete", "post", REPORT, "meeting"),
    ("attendance_correct", "get", REPORT, "correct"),
    ("attendance_correct", "post", REPORT, "correct"),
]
IDS = [f"{method}-{name}" for name, method, _, _ in URLS]


@pytest.fixture
def world(chapter, member):
    now = timezone.now()
    meeting = factories.meeting(
        chapter, timezone.localdate(), starts_at=now - datetime.timedelta(minutes=5),
        ends_at=now + datetime.timedelta(minutes=85),
    )
    visitor = Visitor.objects.create(meeting=meeting, name="Vera Visitor")
    return {"chapter": chapter, "meeting": meeting, "visitor": visitor, "member": member}


def url_for(name, kind, world):
    chapter, meeting = world["chapter"], world["meeting"]
    args = {
        "chapter": [chapter.slug],
        "meeting": [chapter.slug, meeting.pk],
        "visitor": [chapter.slug, world["visitor"].pk],
        "checkin": [chapter.slug, meeting.pk, meeting.checkin_token],
        "correct": [chapter.slug, meeting.pk, world["member"].pk],
    }[kind]
    return reverse(name, args=args)


def ask(client, method, url, world):
    data = {"member": world["member"].pk, "code": "P", "status": "cancelled",
            "follow_up": "contacted"} if method == "post" else {}
    return getattr(client, method)(url, data)


@pytest.mark.parametrize(("name", "method", "level", "kind"), URLS, ids=IDS)
def test_member_of_other_chapter_gets_404(client_for, other_member, world, name, method, level,
                                          kind):
    response = ask(client_for(other_member), method, url_for(name, kind, world), world)
    assert response.status_code == 404
    assert Meeting.objects.get(pk=world["meeting"].pk).status == "scheduled"
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(("name", "method", "level", "kind"), URLS, ids=IDS)
def test_signed_out_visitor_is_sent_to_sign_in(client, world, name, method, level, kind):
    response = ask(client, method, url_for(name, kind, world), world)
    assert response.status_code == 302 and "/accounts/login/" in response.url


@pytest.mark.parametrize(("name", "method", "level", "kind"), URLS, ids=IDS)
def test_member_without_the_role_gets_403(client_for, member, world, name, method, level, kind):
    response = ask(client_for(member), method, url_for(name, kind, world), world)
    if level == MEMBER:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
        assert Meeting.objects.get(pk=world["meeting"].pk).status == "scheduled"


ROLE_OF = {
    "president": (Role.PRESIDENT,),
    "vice_president": (Role.VICE_PRESIDENT,),
    "secretary": (Role.SECRETARY_TREASURER,),
    "visitor_host": (Role.VISITOR_HOST,),
    "education": (Role.EDUCATION_COORDINATOR,),
}
MAY = {
    "president": {MEMBER, LEADER, HOST, EDUCATION, REPORT},
    "vice_president": {MEMBER, LEADER, HOST, EDUCATION, REPORT},
    "secretary": {MEMBER, LEADER, HOST, EDUCATION},
    "visitor_host": {MEMBER, HOST},
    "education": {MEMBER, EDUCATION},
    "admin": {MEMBER, LEADER, HOST, EDUCATION, REPORT},
}


@pytest.mark.parametrize("persona", list(MAY))
def test_each_role_reaches_what_it_needs_and_no_more(client_for, admin_user, world, persona):
    if persona == "admin":
        person = admin_user
    else:
        person = factories.member(world["chapter"], roles=ROLE_OF[persona])
    client = client_for(person)
    wrong = []
    for name, method, level, kind in URLS:
        response = ask(client, method, url_for(name, kind, world), world)
        if persona == "admin" and name == "checkin" and method == "post":
            # A site admin sees every chapter but is no member of it: nothing to check in.
            expected = {403}
        elif level in MAY[persona]:
            # 400: reached, and the (deliberately incomplete) form was refused.
            expected = {200, 302, 400}
        else:
            expected = {403}
        if response.status_code not in expected:
            wrong.append((method, name, response.status_code))
    assert wrong == []


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("meeting_detail", "meeting"), ("attendance", "meeting"), ("meeting_report", "meeting"),
        ("checkin_code", "meeting"), ("meeting_visitors", "meeting"), ("meeting_agenda", "meeting"),
        ("meeting_edit", "meeting"),
    ],
)
def test_a_meeting_of_another_chapter_is_404_under_your_own_chapter(
    client_for, president, other_chapter, name, kind
):
    theirs = factories.meeting(other_chapter, timezone.localdate())
    url = reverse(name, args=[president.chapter.slug, theirs.pk])
    assert client_for(president).get(url).status_code == 404


def test_objects_of_another_chapter_are_404_in_posts(client_for, president, other_member,
                                                     world):
    client = client_for(president)
    chapter, meeting = world["chapter"], world["meeting"]
    their_meeting = factories.meeting(other_member.chapter, timezone.localdate())
    their_visitor = Visitor.objects.create(meeting=their_meeting, name="Theirs")
    assert client.post(reverse("attendance_mark", args=[chapter.slug, meeting.pk]),
                       {"member": other_member.pk, "code": "P"}).status_code == 404
    assert client.get(reverse("attendance_correct",
                              args=[chapter.slug, meeting.pk, other_member.pk])).status_code == 404
    for name in ("visitor_follow_up", "visitor_invite"):
        response = client.post(reverse(name, args=[chapter.slug, their_visitor.pk]),
                               {"follow_up": "contacted"})
        assert response.status_code == 404
    their_visitor.refresh_from_db()
    assert their_visitor.follow_up == "new"
    assert not Attendance.objects.exists()


def test_their_check_in_token_does_not_open_our_meeting(client_for, member, other_chapter,
                                                        world):
    theirs = factories.meeting(other_chapter, timezone.localdate())
    url = reverse("checkin", args=[world["chapter"].slug, world["meeting"].pk,
                                   theirs.checkin_token])
    assert client_for(member).post(url).status_code == 404


@pytest.mark.parametrize(
    "name", ["attendance_mark", "meeting_status", "attendance_mark_rest",
             "meeting_report_complete", "visitor_follow_up"],
)
def test_state_changing_urls_refuse_get(client_for, president, world, name):
    kind = "visitor" if name.startswith("visitor") else "meeting"
    response = client_for(president).get(url_for(name, kind, world))
    assert response.status_code == 405


def test_nav_shows_meeting_links_by_role(client_for, president, member, chapter):
    home = reverse("chapter_home", args=[chapter.slug])
    leader_nav = client_for(president).get(home).content.decode()
    assert reverse("meeting_list", args=[chapter.slug]) in leader_nav
    assert reverse("absence_list", args=[chapter.slug]) in leader_nav
    member_nav = client_for(member).get(home).content.decode()
    assert reverse("meeting_list", args=[chapter.slug]) in member_nav
    assert reverse("absence_list", args=[chapter.slug]) not in member_nav
    assert reverse("visitor_list", args=[chapter.slug]) not in member_nav
