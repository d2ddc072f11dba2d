"""Report pages: who may see what, what they show, exports, rules, imports, query counts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from chapters.models import TrafficLightRuleSet
from meetings.models import Attendance
from referrals.models import OneToOne, Referral, ThankYou, Tier
from reports.models import ImportBatch
from reports.traffic_lights import UK_100_POINT
from tests import factories, reports_data
from tests.reports_data import END, START

RANGE = {"preset": "custom", "start": START.isoformat(), "end": END.isoformat()}
LEADER_PAGES = [
    ("reports_palms", {}),
    ("reports_export", {"kind": "palms"}),
    ("reports_export", {"kind": "slips"}),
    ("reports_export", {"kind": "attendance"}),
    ("reports_chapter_lights", {}),
    ("reports_charts", {}),
    ("reports_rules", {}),
    ("reports_import", {}),
]
MEMBER_PAGES = [("reports_home", {}), ("reports_traffic_lights", {})]


def url(name, chapter, **kwargs):
    return reverse(name, kwargs={"slug": chapter.slug, **kwargs})


@pytest.fixture
def fixture(chapter, other_chapter):
    return reports_data.build(chapter, other_chapter)


# -- Access -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "kwargs"), LEADER_PAGES + MEMBER_PAGES)
def test_member_of_other_chapter_gets_404(client_for, chapter, other_member, name, kwargs):
    assert client_for(other_member).get(url(name, chapter, **kwargs)).status_code == 404


@pytest.mark.parametrize(("name", "kwargs"), LEADER_PAGES)
def test_member_without_a_leading_role_gets_403(client_for, member, name, kwargs):
    assert client_for(member).get(url(name, member.chapter, **kwargs)).status_code == 403


@pytest.mark.parametrize(("name", "kwargs"), LEADER_PAGES + MEMBER_PAGES)
def test_president_sees_every_report(client_for, president, name, kwargs):
    assert client_for(president).get(url(name, president.chapter, **kwargs)).status_code == 200


@pytest.mark.parametrize(("name", "kwargs"), MEMBER_PAGES)
def test_member_sees_the_reports_page(client_for, member, name, kwargs):
    assert client_for(member).get(url(name, member.chapter, **kwargs)).status_code == 200


def test_anonymous_is_sent_to_sign_in(client, chapter):
    response = client.get(url("reports_home", chapter))
    assert response.status_code == 302 and "login" in response.url


def test_other_chapter_cannot_reach_member_light_or_import(client_for, fixture, other_member,
                                                           president):
    batch = ImportBatch.objects.create(chapter=fixture.chapter, kind="slips", filename="x.csv",
                                       file_sha256="0" * 64, rows=[])
    client = client_for(other_member)
    assert client.get(url("reports_member_light", fixture.chapter,
                          member_id=fixture.alice.pk)).status_code == 404
    assert client.get(url("reports_import_preview", fixture.chapter,
                          batch_id=batch.pk)).status_code == 404
    assert client.post(url("reports_import_preview", fixture.chapter,
                           batch_id=batch.pk)).status_code == 404
    assert client.post(url("reports_rules", fixture.chapter)).status_code == 404
    assert client.post(url("reports_rules_choose", fixture.chapter)).status_code == 404
    assert client.post(url("reports_import", fixture.chapter)).status_code == 404
    # A leader of this chapter cannot open another chapter's member or batch through it.
    leader = client_for(president)
    assert leader.get(url("reports_member_light", fixture.chapter,
                          member_id=fixture.olly.pk)).status_code == 404


def test_member_sees_only_their_own_traffic_light(client_for, fixture):
    client = client_for(fixture.alice)
    page = client.get(url("reports_traffic_lights", fixture.chapter)).content.decode()
    assert "Alice Archer" in page and "Ben Baker" not in page
    own = client.get(url("reports_member_light", fixture.chapter, member_id=fixture.alice.pk))
    assert own.status_code == 200
    other = client.get(url("reports_member_light", fixture.chapter, member_id=fixture.ben.pk))
    assert other.status_code == 403


def test_leader_sees_every_member_light(client_for, fixture, president):
    page = client_for(president).get(url("reports_traffic_lights", fixture.chapter))
    text = page.content.decode()
    assert all(name in text for name in ("Alice Archer", "Ben Baker", "Cara Cole"))
    detail = client_for(president).get(url("reports_member_light", fixture.chapter,
                                            member_id=fixture.ben.pk))
    assert detail.status_code == 200 and "Points per metric" in detail.content.decode()


# -- PALMS page and exports ----------------------------------------------------------------------

def test_palms_page_shows_hand_totals(client_for, fixture, president):
    response = client_for(president).get(url("reports_palms", fixture.chapter), RANGE)
    page = response.content.decode()
    assert response.status_code == 200
    assert "1,800.49" in page and "Alice" in page
    with_draft = client_for(president).get(url("reports_palms", fixture.chapter),
                                           {**RANGE, "provisional": "on"})
    assert "Include provisional" in with_draft.content.decode()


def test_palms_page_htmx_request_gets_the_table_alone(client_for, fixture, president):
    response = client_for(president).get(url("reports_palms", fixture.chapter), RANGE,
                                         headers={"HX-Request": "true"})
    page = response.content.decode()
    assert 'id="palms-report"' in page and 'id="palms-table"' in page and "<html" not in page
    bad = client_for(president).get(url("reports_palms", fixture.chapter),
                                    {"preset": "custom"}, headers={"HX-Request": "true"})
    assert bad.status_code == 200 and "errorlist" in bad.content.decode()


@pytest.mark.parametrize("query", [
    {"preset": "custom"},
    {"preset": "custom", "start": "2026-02-01", "end": "2026-01-01"},
    {"preset": "custom", "start": "not a date", "end": "2026-13-45"},
    {"preset": "custom", "start": "1900-01-01", "end": "2026-01-01"},
    {"preset": "fortnight"},
])
def test_bad_ranges_show_errors_not_500(client_for, president, query):
    response = client_for(president).get(url("reports_palms", president.chapter), query)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    export = client_for(president).get(url("reports_export", president.chapter, kind="palms"),
                                       query)
    assert export.status_code == 400


def test_unknown_export_kind_is_404(client_for, president):
    response = client_for(president).get(url("reports_export", president.chapter, kind="nope"))
    assert response.status_code == 404


def test_csv_export_streams_the_official_layout(client_for, fixture, president):
    response = client_for(president).get(url("reports_export", fixture.chapter, kind="slips"),
                                         {**RANGE, "format": "csv"})
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    lines = b"".join(response.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0] == "From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail"
    assert "Olly Other,Ben Baker,Referral,Tier 2 (outside)" in "\n".join(lines)


def test_xlsx_export_of_attendance_matrix(client_for, fixture, president):
    response = client_for(president).get(
        url("reports_export", fixture.chapter, kind="attendance"), {**RANGE, "format": "xlsx"})
    content = b"".join(response.streaming_content)
    rows = list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("First Name", "Last Name")
    marks = {row[0]: row[2:] for row in rows[1:]}
    assert [marks[name] for name in ("Alice", "Ben", "Cara", "Dan")] == [
        ("P", "P"), ("L", "P"), ("S", "M"), ("A", "A")]
    # The president holds a membership but has no marks in the range: an empty row.
    assert marks[president.first_name] == (None, None)
    assert "attachment" in response["Content-Disposition"]


# -- Rules ---------------------------------------------------------------------------------------

def _threshold_data(rules):
    data = {"window_weeks": rules["window_weeks"]}
    data.update({c["colour"]: c["min"] for c in rules["colours"] if c["colour"] != "grey"})
    for section, prefix in (("metrics", "m"), ("chapter_metrics", "c")):
        for m, metric in enumerate(rules[section]):
            for b, band in enumerate(metric["bands"]):
                for kind in ("below", "at_most"):
                    if kind in band:
                        data[f"{prefix}-{m}-{b}-bound"] = band[kind]
                data[f"{prefix}-{m}-{b}-points"] = band["points"]
    return data


def test_leader_adjusts_thresholds_in_a_chapter_copy(client_for, president):
    chapter = president.chapter
    data = _threshold_data(UK_100_POINT)
    data["m-1-0-bound"] = "0.4"  # referrals: under 0.4 a week scores nothing
    client = client_for(president)
    for _ in range(2):  # a double click saves once, into the same copy
        response = client.post(url("reports_rules", chapter), data)
        assert response.status_code == 302
    chapter.refresh_from_db()
    own = chapter.traffic_light_rule_set
    assert own.owner == chapter and own.based_on.slug == "uk-100-point"
    assert own.rules["metrics"][1]["bands"][0]["below"] == 0.4
    assert TrafficLightRuleSet.objects.filter(owner=chapter).count() == 1
    shipped = TrafficLightRuleSet.objects.get(slug="uk-100-point")
    assert shipped.rules["metrics"][1]["bands"][0]["below"] == 0.5


def test_bad_thresholds_are_shown_next_to_the_field(client_for, president):
    data = _threshold_data(UK_100_POINT)
    data["m-1-1-bound"] = "0.3"  # below the band before it
    data["green"] = "40"  # under amber
    data["m-0-0-points"] = "abc"
    response = client_for(president).post(url("reports_rules", president.chapter), data)
    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="0.3"' in page and "Enter a whole number." in page
    assert president.chapter.traffic_light_rule_set.slug == "uk-100-point"


def test_leader_chooses_power_of_one(client_for, president):
    power = TrafficLightRuleSet.objects.get(slug="power-of-one")
    client = client_for(president)
    response = client.post(url("reports_rules_choose", president.chapter), {"rule_set": power.pk})
    assert response.status_code == 302
    president.chapter.refresh_from_db()
    assert president.chapter.traffic_light_rule_set == power
    other = factories.chapter("Elsewhere")
    theirs = TrafficLightRuleSet.objects.create(name="Theirs", slug="theirs", owner=other,
                                                rules=UK_100_POINT)
    refused = client.post(url("reports_rules_choose", president.chapter), {"rule_set": theirs.pk})
    assert refused.status_code == 400


def test_member_cannot_post_rules(client_for, member):
    assert client_for(member).post(url("reports_rules", member.chapter), {}).status_code == 403
    power = TrafficLightRuleSet.objects.get(slug="power-of-one")
    response = client_for(member).post(url("reports_rules_choose", member.chapter),
                                       {"rule_set": power.pk})
    assert response.status_code == 403


# -- Import through the browser -------------------------------------------------------------------

SLIPS_CSV = (
    "Slips Audit Report\n"
    "From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail\n"
    "Alice Archer,Ben Baker,Referral,Tier 1 (inside),,,Needs a new roof\n"
    "Ben Baker,Alice Archer,TYFCB,,250,,Thanks\n"
    "Nobody Known,Somebody Else,Referral,Tier 1 (inside),,,\n"
    "Alice Archer,Ben Baker,Teleport,,,,\n"
)


def _upload(client, chapter, content: bytes, name="slips.csv", kind="slips"):
    return client.post(url("reports_import", chapter),
                       {"kind": kind, "file": _file(content, name)})


def _file(content: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_upload_preview_import_then_reimport_says_nothing_new(client_for, president):
    chapter = president.chapter
    factories.member(chapter, first_name="Alice", last_name="Archer")
    factories.member(chapter, first_name="Ben", last_name="Baker")
    client = client_for(president)
    response = _upload(client, chapter, SLIPS_CSV.encode())
    assert response.status_code == 302
    preview = client.get(response.url).content.decode()
    assert "2</strong> will be imported" in preview
    assert "unknown slip type" in preview and "is a member of this chapter" in preview
    assert "no date" in preview  # the file has no week: the preview asks for it
    missing_week = client.post(response.url, {})
    assert missing_week.status_code == 400
    done = client.post(response.url, {"week": "2026-01-07"}, follow=True)
    assert "Imported 2 rows" in done.content.decode()
    assert Referral.objects.filter(giver__chapter=chapter).count() == 1
    assert ThankYou.objects.get(credited_to__chapter=chapter).amount == Decimal("250.00")
    again = client.post(response.url, {"week": "2026-01-07"}, follow=True)
    assert "imported already" in again.content.decode()
    # The undated rows count for the week they are imported for: the same week again is
    # nothing new, another week is that week's slips.
    second = _upload(client, chapter, SLIPS_CSV.encode())
    assert "choose the week" in client.get(second.url).content.decode()
    same_week = client.post(second.url, {"week": "2026-01-07"}, follow=True)
    assert "Nothing new" in same_week.content.decode()
    assert Referral.objects.filter(giver__chapter=chapter).count() == 1


@pytest.mark.parametrize(("name", "content"), [
    ("report.txt", b"hello"),
    ("report.xlsx", b"not really a spreadsheet"),
    ("report.xls", b"\x00\x01garbage"),
    ("report.csv", b"just,some\ncells,here\n"),
    ("report.csv", b"From,To,Slip Type\n"),
])
def test_unreadable_uploads_are_refused_with_a_reason(client_for, president, name, content):
    response = _upload(client_for(president), president.chapter, content, name=name)
    assert response.status_code == 400
    assert "errorlist" in response.content.decode()
    assert not ImportBatch.objects.exists()


# -- Query counts --------------------------------------------------------------------------------

def _busy_chapter(size: int):
    chapter = factories.chapter()
    leader = factories.member(chapter, roles=("president",))
    members = [leader] + [factories.member(chapter) for _ in range(size - 1)]
    today = datetime.date.today()
    first = today - datetime.timedelta(weeks=5)
    for week in range(4):
        meeting = reports_data.completed(chapter, first + datetime.timedelta(weeks=week))
        Attendance.objects.bulk_create(
            Attendance(meeting=meeting, member=m, code="PAL"[i % 3]) for i, m in enumerate(members)
        )
        for giver, receiver in zip(members, members[1:], strict=False):
            Referral.objects.create(giver=giver, receiver=receiver, tier=Tier.INSIDE,
                                    temperature=2, meeting=meeting, receiver_meeting=meeting)
            OneToOne.objects.create(member=giver, met_with=receiver, met_on=meeting.local_date,
                                    meeting=meeting, met_with_meeting=meeting)
    return chapter, leader


@pytest.mark.parametrize(("name", "kwargs", "query"), [
    ("reports_home", {}, {}),
    ("reports_palms", {}, {"preset": "6m"}),
    ("reports_traffic_lights", {}, {}),
    ("reports_chapter_lights", {}, {}),
    ("reports_charts", {}, {}),
    ("reports_export", {"kind": "palms"}, {"preset": "6m", "format": "csv"}),
    ("reports_export", {"kind": "slips"}, {"preset": "6m", "format": "xlsx"}),
    ("reports_export", {"kind": "attendance"}, {"preset": "6m", "format": "csv"}),
])
def test_report_query_count_is_the_same_for_10_and_60_members(client_for, db, name, kwargs,
                                                              query):
    counts = []
    for size in (10, 60):
        chapter, leader = _busy_chapter(size)
        client = client_for(leader)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url(name, chapter, **kwargs), query)
            if response.streaming:
                b"".join(response.streaming_content)
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_import_preview_query_count_does_not_grow_with_rows(client_for, president):
    chapter = president.chapter
    names = [factories.member(chapter) for _ in range(12)]
    client = client_for(president)
    counts = []
    for size in (10, 60):
        lines = ["From,To,Slip Type,Inside/Outside,TYFCB,CEU Credits,Detail"]
        for n in range(size):
            giver, receiver = names[n % 12], names[(n + 1) % 12]
            lines.append(f"{giver.full_name},{receiver.full_name},Referral,Tier 1 (inside),,,"
                         f"Week: 2026-0{1 + n % 3}-0{1 + n % 7}; Temperature: 2")
        response = _upload(client, chapter, "\n".join(lines).encode())
        with CaptureQueriesContext(connection) as queries:
            page = client.get(response.url)
        assert f"{size}</strong> will be imported" in page.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_export_link_with_only_a_format_uses_the_default_range(client_for, president):
    response = client_for(president).get(url("reports_export", president.chapter, kind="palms"),
                                         {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')


def test_a_damaged_workbook_is_explained_in_plain_words(client_for, president):
    response = _upload(client_for(president), president.chapter, b"PK\x03\x04 torn off",
                       name="PALMS.xlsx")
    page = response.content.decode()
    assert response.status_code == 400
    assert "could not be read: it may be damaged or saved in another format" in page
    assert "zip" not in page.lower()
