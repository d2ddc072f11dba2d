"""Powers end when they should: a suspended leader leads nothing and cannot lift their own
suspension, a leave pauses a leader's powers, and nobody changes their own membership or roles
except to resign."""

import datetime

import pytest
from django.urls import reverse

from members.models import AuditEntry, LeadershipRole, Member, Role

pytestmark = pytest.mark.django_db


def url(name, chapter, *args):
    return reverse(name, args=[chapter.slug, *args])


def test_a_suspended_vice_president_loses_every_leader_page_and_cannot_reinstate_themselves(
    client, chapter, president, vice_president
):
    client.force_login(president.user)
    answer = client.post(url("membership_suspend", chapter, vice_president.pk),
                         {"suspend-reason": "Unpaid dues"})
    assert answer.status_code == 302
    vice_president.refresh_from_db()
    assert vice_president.status == Member.Status.SUSPENDED
    # The suspension ended the term (yesterday was its last day), on the audit trail.
    term = LeadershipRole.objects.get(member=vice_president)
    assert term.ends_on is not None and term.ends_on < chapter.today()
    assert AuditEntry.objects.filter(member=vice_president, action=AuditEntry.Action.ROLE_ENDED,
                                     actor=president.user).exists()

    client.force_login(vice_president.user)
    # Still a member who signs in and sees the chapter, but no leader page or action.
    assert client.get(reverse("chapter_home", args=[chapter.slug])).status_code == 200
    for page in (url("membership_list", chapter), url("role_list", chapter),
                 url("audit_list", chapter),
                 url("membership_detail", chapter, vice_president.pk)):
        assert client.get(page).status_code in (403, 404), page
    answer = client.post(url("membership_reinstate", chapter, vice_president.pk))
    assert answer.status_code in (403, 404)
    vice_president.refresh_from_db()
    assert vice_president.status == Member.Status.SUSPENDED
    assert not AuditEntry.objects.filter(action=AuditEntry.Action.REINSTATED).exists()


def test_roles_a_suspended_member_still_holds_grant_nothing(client, chapter, vice_president):
    """A term left open on a suspended member (written by the admin or a bulk update) is not
    in force: access grants roles by the holder's status, not by the term alone."""
    Member.objects.filter(pk=vice_president.pk).update(status=Member.Status.SUSPENDED)
    assert LeadershipRole.objects.current(chapter.today()).filter(member=vice_president).exists()
    client.force_login(vice_president.user)
    assert client.get(url("membership_list", chapter)).status_code == 403


def test_a_leave_pauses_a_leaders_powers_and_the_return_restores_them(
    client, chapter, president, vice_president
):
    today = chapter.today()
    client.force_login(president.user)
    answer = client.post(url("membership_leave", chapter, vice_president.pk), {
        "starts_on": today.isoformat(),
        "ends_on": (today + datetime.timedelta(days=30)).isoformat(), "reason": "Medical",
    })
    assert answer.status_code == 302
    client.force_login(vice_president.user)
    assert client.get(url("membership_list", chapter)).status_code == 403
    # The term is kept through the leave.
    term = LeadershipRole.objects.get(member=vice_president)
    assert term.ends_on is None

    client.force_login(president.user)
    assert client.post(url("membership_leave_end", chapter, vice_president.pk)).status_code == 302
    client.force_login(vice_president.user)
    assert client.get(url("membership_list", chapter)).status_code == 200


@pytest.mark.parametrize("action, data", [
    ("membership_suspend", {"suspend-reason": "Testing the rule"}),
    ("membership_renew", {}),
    ("membership_leave", {"starts_on": "{today}", "ends_on": "{later}", "reason": "Medical"}),
])
def test_a_leader_cannot_change_their_own_membership(client, chapter, president, action, data):
    today = chapter.today()
    data = {key: value.format(today=today, later=today + datetime.timedelta(days=20))
            for key, value in data.items()}
    before = Member.objects.get(pk=president.pk)
    client.force_login(president.user)
    answer = client.post(url(action, chapter, president.pk), data)
    assert answer.status_code == 400
    assert "Your own membership and roles are changed by another leader" in answer.content.decode()
    after = Member.objects.get(pk=president.pk)
    assert (after.status, after.renewal_due_on) == (before.status, before.renewal_due_on)


def test_a_leader_cannot_give_themselves_a_role(client, chapter, president):
    client.force_login(president.user)
    answer = client.post(url("role_list", chapter), {
        "member": president.pk, "role": Role.MEMBERSHIP_COMMITTEE,
        "starts_on": chapter.today().isoformat(),
    })
    assert answer.status_code == 400
    assert "Your own membership and roles are changed by another leader" in answer.content.decode()
    assert not LeadershipRole.objects.filter(member=president,
                                             role=Role.MEMBERSHIP_COMMITTEE).exists()


def test_a_leader_may_resign_their_role_and_their_membership(client, chapter, president,
                                                              vice_president):
    client.force_login(vice_president.user)
    term = LeadershipRole.objects.get(member=vice_president)
    assert client.post(url("role_end", chapter, term.pk)).status_code == 302
    term.refresh_from_db()
    assert term.ends_on is not None and term.ends_on < chapter.today()

    client.force_login(president.user)
    page = client.get(url("membership_detail", chapter, president.pk)).content.decode()
    assert "This is your own membership" in page
    assert url("membership_suspend", chapter, president.pk) not in page
    answer = client.post(url("membership_drop", chapter, president.pk),
                         {"drop-reason": "Moving abroad"})
    assert answer.status_code == 302
    assert Member.objects.get(pk=president.pk).status == Member.Status.DROPPED


# --- Every "today" is the chapter's own date ---------------------------------------------------

# 20:00 UTC on 17 November is 07:00 on 18 November in Sydney (UTC+11 in summer).
EVENING_UTC = datetime.datetime(2026, 11, 17, 20, 0, tzinfo=datetime.UTC)
SYDNEY_TODAY = datetime.date(2026, 11, 18)


@pytest.fixture
def sydney(time_machine):
    from tests import factories

    time_machine.move_to(EVENING_UTC)
    chapter = factories.chapter("Harbour Side Builders", time_zone="Australia/Sydney")
    assert chapter.today() == SYDNEY_TODAY
    return chapter


def test_a_role_ended_in_a_chapter_ahead_of_utc_ends_at_its_own_midnight(client, sydney):
    from members import membership
    from tests import factories

    president = factories.member(sydney, roles=(Role.PRESIDENT,))
    vice_president = factories.member(sydney, roles=(Role.VICE_PRESIDENT,))
    client.force_login(vice_president.user)
    assert client.get(url("membership_list", sydney)).status_code == 200
    membership.role_end(term=LeadershipRole.objects.get(member=vice_president),
                        by=president.user)
    # Its last day was 17 November in Sydney, which is still the date in UTC.
    assert LeadershipRole.objects.get(member=vice_president).ends_on == datetime.date(2026, 11, 17)
    assert client.get(url("membership_list", sydney)).status_code == 403


def test_terms_lapse_and_begin_on_the_chapters_date(client, sydney):
    from tests import factories

    lapsed = factories.member(sydney)
    LeadershipRole.objects.create(member=lapsed, role=Role.PRESIDENT,
                                  starts_on=datetime.date(2026, 5, 18),
                                  ends_on=datetime.date(2026, 11, 17))
    starting = factories.member(sydney)
    LeadershipRole.objects.create(member=starting, role=Role.VICE_PRESIDENT,
                                  starts_on=SYDNEY_TODAY)
    client.force_login(lapsed.user)
    assert client.get(url("membership_list", sydney)).status_code == 403
    client.force_login(starting.user)
    assert client.get(url("membership_list", sydney)).status_code == 200


def test_an_invitation_accepted_in_sydney_joins_on_sydneys_date(client, sydney):
    from members.invitations import invitation_accept, invitation_create
    from tests import factories

    invitation = invitation_create(
        chapter=sydney, email="new@example.test", first_name="Nia", last_name="New",
        classification=factories.classification("Joinery"), business_name="Nia Joinery",
        invited_by=None,
    )
    member = invitation_accept(invitation=invitation, user=None,
                               password="a-long-passphrase-2026")
    assert member.joined_on == SYDNEY_TODAY


# --- Access is read from the database: a write by any path applies on the next request ---------
# (Run on PostgreSQL with REDIS_URL set, these hold with the real shared cache.)


def test_a_role_moved_to_another_member_by_a_bulk_update_moves_its_powers_at_once(
    client, chapter, vice_president, member
):
    client.force_login(vice_president.user)
    assert client.get(url("membership_list", chapter)).status_code == 200
    LeadershipRole.objects.filter(member=vice_president).update(member=member)
    assert client.get(url("membership_list", chapter)).status_code == 403
    client.force_login(member.user)
    assert client.get(url("membership_list", chapter)).status_code == 200


def test_a_role_reassigned_in_the_admin_leaves_the_previous_holder_nothing(
    client, chapter, admin_user, vice_president, member
):
    client.force_login(vice_president.user)
    assert client.get(url("membership_list", chapter)).status_code == 200
    term = LeadershipRole.objects.get(member=vice_president)
    client.force_login(admin_user)
    change = reverse("admin:members_leadershiprole_change", args=[term.pk])
    answer = client.post(change, {
        "member": member.pk, "role": term.role, "starts_on": term.starts_on.isoformat(),
        "ends_on": "",
    })
    assert answer.status_code == 302, answer.content.decode()[-2000:]
    client.force_login(vice_president.user)
    assert client.get(url("membership_list", chapter)).status_code == 403


def test_a_membership_moved_to_another_account_leaves_the_old_account_outside(
    client, chapter, member
):
    from tests import factories

    old_account = member.user
    new_account = factories.user("new-owner@example.test")
    client.force_login(old_account)
    home = reverse("chapter_home", args=[chapter.slug])
    assert client.get(home).status_code == 200
    Member.objects.filter(pk=member.pk).update(user=new_account)
    assert client.get(home).status_code == 404
    client.force_login(new_account)
    assert client.get(home).status_code == 200


def test_a_member_dropped_by_a_bulk_update_gets_404_on_the_next_request(client, chapter,
                                                                         member):
    client.force_login(member.user)
    home = reverse("chapter_home", args=[chapter.slug])
    assert client.get(home).status_code == 200
    assert client.get(home).status_code == 200  # whatever a second visit may keep
    Member.objects.filter(pk=member.pk).update(status=Member.Status.DROPPED)
    assert client.get(home).status_code == 404
    assert client.get(reverse("roster", args=[chapter.slug])).status_code == 404
    # Nor does the navigation of any page offer the chapter any more.
    assert chapter.name not in client.get(reverse("my_data")).content.decode()


def test_an_account_closed_by_a_bulk_update_is_signed_out_on_the_next_request(client, chapter,
                                                                              member):
    from members.models import User

    client.force_login(member.user)
    home = reverse("chapter_home", args=[chapter.slug])
    assert client.get(home).status_code == 200
    User.objects.filter(pk=member.user_id).update(is_active=False)
    answer = client.get(home)
    assert answer.status_code == 302 and "/accounts/login/" in answer["Location"]
