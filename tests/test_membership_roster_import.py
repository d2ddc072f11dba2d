"""Roster import and export: per-row verdicts, a dry run, idempotent re-import, a progress bar,
and an export in the import's own columns."""

import io

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from chapters.models import Classification, Industry
from members import roster_import
from members.models import AuditEntry, Invitation, Member, RosterImport, User
from tests import factories
from tests.membership_world import roster_csv

HEADER = ["First name", "Last name", "Email", "Phone", "Business", "Classification"]


def five_hundred_rows(chapter) -> tuple[list[list[str]], dict[int, str]]:
    """500 rows: 480 good and 20 bad, with the verdict each bad line must get."""
    industry = Industry.objects.create(name="Trades")
    Classification.objects.bulk_create(
        [Classification(industry=industry, name=f"Trade {number}") for number in range(480)]
    )
    for number in range(4):
        factories.member(chapter, classification_name=f"Held {number}")
    rows = [
        [f"First{n}", f"Last{n}", f"row{n}@example.test", f"+44 7700 {n:06d}",
         f"Business {n}", f"Trade {n}"]
        for n in range(480)
    ]
    bad = (
        [["Dup", "Licate", f"ROW{n}@example.test", "", "Dup Ltd", "Trade 1"]
         for n in range(4)]
        + [["Taken", "Seat", f"taken{n}@example.test", "", "Taken Ltd", f"Held {n}"]
           for n in range(4)]
        + [["Un", "Known", f"unknown{n}@example.test", "", "Unknown Ltd", f"Astrology {n}"]
           for n in range(4)]
        + [["Bad", "Phone", f"phone{n}@example.test", phone, "Phone Ltd", "Trade 2"]
           for n, phone in enumerate(["call me", "12", "+44 abc 123", "1234567890123456789"])]
        + [["", "Noname", "noname@example.test", "", "X", "Trade 3"],
           ["No", "Email", "", "", "X", "Trade 3"],
           ["Bad", "Email", "not-an-address", "", "X", "Trade 3"],
           ["No", "Business", "nobiz@example.test", "", "", "Trade 3"]]
    )
    expected = {}
    kinds = (["duplicate_email"] * 4 + ["classification_taken"] * 4
             + ["unknown_classification"] * 4 + ["malformed_phone"] * 4 + ["invalid"] * 4)
    # Spread the bad rows through the file (line 1 is the heading).
    for index, row in enumerate(bad):
        rows.insert(25 * (index + 1), row)
    for line, row in enumerate(rows, start=2):
        for bad_row, kind in zip(bad, kinds, strict=True):
            if row is bad_row:
                expected[line] = kind
    return rows, expected


def snapshot(chapter):
    return sorted(
        Member.objects.filter(chapter=chapter).values_list(
            "user__email", "status", "classification_id", "phone", "business_name",
            "joined_on", "renewal_due_on",
        )
    )


def test_500_rows_with_20_bad_import_480_and_report_each_and_reimport_changes_nothing(
    chapter, president
):
    rows, expected = five_hundred_rows(chapter)
    assert len(rows) == 500 and len(expected) == 20
    parsed = roster_import.parse_roster("roster.csv", roster_csv(rows, HEADER))
    before = Member.objects.filter(chapter=chapter).count()

    outcome = roster_import.import_rows(
        chapter=chapter, rows=parsed, by=president.user, send_emails=False
    )
    assert (outcome.created, outcome.unchanged, outcome.rejected) == (480, 0, 20)
    assert Member.objects.filter(chapter=chapter).count() == before + 480
    refused = {r["line"]: r["verdict"] for r in outcome.results if r["verdict"] != "created"}
    assert refused == expected
    messages = {r["line"]: r["message"] for r in outcome.results if r["verdict"] != "created"}
    assert all(messages.values())
    assert "row0@example.test is already on line 2." == messages[min(k for k, v in expected.items()
                                                 if v == "duplicate_email")]
    assert any("Held 0 is held by" in text for text in messages.values())
    assert any("“Astrology 0” is not a known classification." == text
               for text in messages.values())
    assert any("“call me” is not a phone number" in text for text in messages.values())

    state, users, entries = snapshot(chapter), User.objects.count(), AuditEntry.objects.count()
    again = roster_import.import_rows(
        chapter=chapter, rows=parsed, by=president.user, send_emails=False
    )
    assert (again.created, again.unchanged, again.rejected) == (0, 480, 20)
    assert {r["line"]: r["verdict"] for r in again.results
            if r["verdict"] != "unchanged"} == expected
    assert snapshot(chapter) == state
    assert User.objects.count() == users
    assert AuditEntry.objects.count() == entries


def test_imported_members_get_a_verified_account_and_a_set_password_email(
    chapter, president, other_member, django_capture_on_commit_callbacks
):
    factories.classification("Plumbing")
    factories.classification("Catering")
    rows = roster_import.parse_roster("r.csv", roster_csv([
        ["Pat", "Pipe", "pat@example.test", "", "Pat Plumbing", "plumbing"],
        # Someone who already has an account (a member of another chapter) is invited.
        ["Otto", "Olsen", other_member.user.email, "", "Otto Catering", "Catering"],
    ], HEADER))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = roster_import.import_rows(
            chapter=chapter, rows=rows, by=president.user, send_emails=True
        )
    assert outcome.created == 2
    pat = User.objects.get(email="pat@example.test")
    assert not pat.has_usable_password()
    assert EmailAddress.objects.get(user=pat).verified
    assert not Member.objects.filter(chapter=chapter, user=other_member.user).exists()
    assert Invitation.objects.pending().filter(chapter=chapter,
                                               email=other_member.user.email).exists()
    by_address = {message.to[0]: message for message in mail.outbox}
    assert "/accounts/password/reset/key/" in by_address["pat@example.test"].body
    assert "/accounts/password/reset/key/" not in by_address[other_member.user.email].body


def test_the_set_password_link_works(
    client, chapter, president, django_capture_on_commit_callbacks
):
    factories.classification("Plumbing")
    rows = roster_import.parse_roster("r.csv", roster_csv(
        [["Pat", "Pipe", "pat@example.test", "", "Pat Plumbing", "Plumbing"]], HEADER))
    with django_capture_on_commit_callbacks(execute=True):
        roster_import.import_rows(chapter=chapter, rows=rows, by=president.user, send_emails=True)
    link = next(line for line in mail.outbox[0].body.splitlines() if "/reset/key/" in line)
    path = link.split("127.0.0.1:8000", 1)[-1].strip()
    response = client.get(path, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    done = client.post(form_url, {"password1": "A-long-pass-phrase-1",
                                  "password2": "A-long-pass-phrase-1"})
    assert done.status_code == 302
    assert User.objects.get(email="pat@example.test").check_password("A-long-pass-phrase-1")


def test_xlsx_rows_with_dates_and_numeric_phones(chapter, president):
    import datetime

    factories.classification("Plumbing")
    due = datetime.date.today() + datetime.timedelta(days=200)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["first_name", "Surname", "E-mail", "Mobile", "Company", "Classification",
                  "Industry", "Joined", "Renewal due"])
    sheet.append(["Pat", "Pipe", "pat@example.test", 447700900123, "Pat Plumbing", "Plumbing",
                  "Services", datetime.datetime(2024, 3, 1), due.isoformat()])
    buffer = io.BytesIO()
    workbook.save(buffer)
    rows = roster_import.parse_roster("roster.xlsx", buffer.getvalue())
    assert rows[0]["phone"] == "447700900123"
    assert rows[0]["joined_on"] == "2024-03-01"
    roster_import.import_rows(chapter=chapter, rows=rows, by=president.user, send_emails=False)
    pat = Member.objects.get(user__email="pat@example.test")
    assert pat.joined_on == datetime.date(2024, 3, 1)
    assert pat.renewal_due_on == due


def test_dates_far_off_are_refused(chapter):
    factories.classification("Plumbing")
    rows = roster_import.parse_roster("r.csv", roster_csv([
        ["A", "A", "a@example.test", "", "A", "Plumbing", "9999-12-31", ""],
        ["B", "B", "b@example.test", "", "B", "Plumbing", "", "9999-12-31"],
        ["C", "C", "c@example.test", "", "C", "Plumbing", "31/02/2024", ""],
    ], HEADER + ["Joined", "Renewal due"]))
    messages = [verdict.message for verdict in roster_import.assess_rows(chapter, rows)]
    assert messages == [
        "The joining date 31 Dec 9999 is in the future.",
        "The renewal date 31 Dec 9999 is more than two years away.",
        "Joined date “31/02/2024” was not understood (use 2025-01-31).",
    ]


@pytest.mark.parametrize(("name", "content", "message"), [
    ("roster.txt", b"x", "Upload a .csv or .xlsx file."),
    ("roster.csv", b"", "The file is empty."),
    ("roster.csv", b"Name,Email\nA,a@example.test\n", "missing: First name, Last name"),
    ("roster.xlsx", b"not a spreadsheet", "could not be opened"),
    ("roster.csv", b"First name,Last name,Email,Business,Classification\n",
     "no members"),
])
def test_unreadable_files_say_what_to_fix(name, content, message):
    with pytest.raises(roster_import.RosterFileError, match=message):
        roster_import.parse_roster(name, content)


def test_upload_preview_confirm_in_the_browser(
    client_for, chapter, president, django_capture_on_commit_callbacks
):
    factories.classification("Plumbing")
    factories.member(chapter, classification_name="Catering", first_name="Cat",
                     last_name="Erer")
    client = client_for(president)
    upload = SimpleUploadedFile("roster.csv", roster_csv([
        ["Pat", "Pipe", "pat@example.test", "", "Pat Plumbing", "Plumbing"],
        ["Carl", "Cook", "carl@example.test", "", "Carl Cooks", "Catering"],
    ], HEADER))
    response = client.post(reverse("roster_import_upload", args=[chapter.slug]),
                           {"file": upload})
    assert response.status_code == 302
    batch = RosterImport.objects.get()
    assert batch.send_emails is False  # the box was left unticked
    preview = client.get(response.url)
    content = preview.content.decode()
    assert "Dry run: nothing has changed yet" in content
    assert "Catering is held by Cat Erer" in content
    assert "Import 1 member" in content
    assert not Member.objects.filter(user__email="pat@example.test").exists()

    confirm = reverse("roster_import_confirm", args=[chapter.slug, batch.pk])
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(confirm).status_code == 302
        assert client.post(confirm).status_code == 302  # a double click imports once
    batch.refresh_from_db()
    assert batch.status == RosterImport.Status.IMPORTED
    assert (batch.created_count, batch.rejected_count, batch.processed) == (1, 1, 2)
    assert Member.objects.filter(user__email="pat@example.test").count() == 1
    done = client.get(response.url).content.decode()
    assert "Imported" in done and "Catering is held by Cat Erer" in done
    assert AuditEntry.objects.filter(action=AuditEntry.Action.ROSTER_IMPORTED).count() == 1


def test_progress_bar_while_importing(client_for, chapter, president):
    batch = RosterImport.objects.create(
        chapter=chapter, filename="big.csv", file_sha256="0" * 64, rows=[], total=800,
        processed=200, status=RosterImport.Status.IMPORTING,
    )
    url = reverse("roster_import_preview", args=[chapter.slug, batch.pk])
    partial = client_for(president).get(url, headers={"HX-Request": "true"})
    content = partial.content.decode()
    assert "<html" not in content
    assert '<progress id="import-bar" max="800" value="200">25%</progress>' in content
    assert 'data-hx-trigger="every 1s"' in content


def test_a_bad_upload_shows_the_reason_next_to_the_field(client_for, chapter, president):
    response = client_for(president).post(
        reverse("roster_import_upload", args=[chapter.slug]),
        {"file": SimpleUploadedFile("roster.pdf", b"%PDF")},
    )
    assert response.status_code == 400
    assert "Upload a .csv or .xlsx file." in response.content.decode()
    empty = client_for(president).post(reverse("roster_import_upload", args=[chapter.slug]))
    assert empty.status_code == 400


def test_command_dry_run_changes_nothing_then_imports(chapter, tmp_path):
    factories.classification("Plumbing")
    path = tmp_path / "roster.csv"
    path.write_bytes(roster_csv([
        ["Pat", "Pipe", "pat@example.test", "", "Pat Plumbing", "Plumbing"],
        ["Bad", "Phone", "bad@example.test", "phone me", "Bad Ltd", "Plumbing"],
    ], HEADER))
    out = io.StringIO()
    call_command("import_roster", str(path), chapter=chapter.slug, dry_run=True, no_email=True,
                 stdout=out, stderr=io.StringIO())
    assert "1 would be added" in out.getvalue()
    assert "line 3: Malformed phone number" in out.getvalue()
    assert not Member.objects.filter(user__email="pat@example.test").exists()
    out = io.StringIO()
    call_command("import_roster", str(path), chapter=chapter.slug, no_email=True, stdout=out,
                 stderr=io.StringIO())
    assert "1 added" in out.getvalue()
    assert Member.objects.filter(user__email="pat@example.test").exists()


def test_export_in_the_import_columns_round_trips(client_for, chapter, other_chapter, president):
    factories.member(chapter, classification_name="Plumbing", phone="+44 7700 900123")
    response = client_for(president).get(reverse("roster_export_csv", args=[chapter.slug]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    rows = roster_import.parse_roster("export.csv", response.content)
    assert len(rows) == Member.objects.filter(chapter=chapter).count()
    plumbing = next(row for row in rows if row["classification"] == "Plumbing")
    assert plumbing["phone"] == "+44 7700 900123"
    verdicts = roster_import.assess_rows(other_chapter, rows)
    # Every row has an account here, so in another chapter each becomes an invitation.
    assert {verdict.verdict for verdict in verdicts} == {"invite"}

    xlsx = client_for(president).get(reverse("roster_export_xlsx", args=[chapter.slug]))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert [cell.value for cell in sheet[1]][:6] == HEADER[:4] + ["Business", "Classification"]


def test_export_query_count_does_not_grow(client_for, chapter, president):
    client = client_for(president)
    url = reverse("roster_export_csv", args=[chapter.slug])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _ in range(10):
        factories.member(chapter)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_preview_query_count_does_not_grow(client_for, chapter, president):
    factories.classification("Plumbing")
    client = client_for(president)

    def batch(count):
        rows = [{"line": n + 2, "first_name": "A", "last_name": "B",
                 "email": f"p{n}@example.test", "phone": "", "business_name": "B",
                 "classification": "Plumbing" if n % 2 else f"Nope {n}", "industry": "",
                 "joined_on": "", "renewal_due_on": ""} for n in range(count)]
        return RosterImport.objects.create(chapter=chapter, filename="r.csv",
                                           file_sha256="0" * 64, rows=rows, total=count)

    small, large = batch(2), batch(60)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("roster_import_preview", args=[chapter.slug, small.pk]))
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("roster_import_preview", args=[chapter.slug, large.pk]))
    assert len(many) == len(few)


def test_500_rows_through_the_browser_and_a_second_upload_has_nothing_to_add(
    client_for, chapter, president, django_capture_on_commit_callbacks
):
    rows, expected = five_hundred_rows(chapter)
    client = client_for(president)
    content = roster_csv(rows, HEADER)
    url = reverse("roster_import_upload", args=[chapter.slug])
    response = client.post(url, {"file": SimpleUploadedFile("roster.csv", content)})
    preview = client.get(response.url).content.decode()
    assert "Import 480 members" in preview
    batch = RosterImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("roster_import_confirm", args=[chapter.slug, batch.pk]))
    batch.refresh_from_db()
    assert (batch.created_count, batch.unchanged_count, batch.rejected_count) == (480, 0, 20)
    assert {r["line"]: r["verdict"] for r in batch.results
            if r["verdict"] != "created"} == expected
    done = client.get(response.url).content.decode()
    assert "Refused rows (20)" in done

    state = snapshot(chapter)
    again = client.post(url, {"file": SimpleUploadedFile("roster.csv", content)})
    second = client.get(again.url).content.decode()
    assert "There is nothing to add." in second
    assert '<span class="badge">480</span> already in the chapter' in second
    assert '<span class="badge badge-bad">20</span> with a problem' in second
    # A page of 50 rows at a time, the problems first.
    assert "Rows of the file (1–50 of 500)" in second and "Page 1 of 10" in second
    assert second.count('<td><span class="badge verdict-') == 50
    last = client.get(again.url + "?page=10").content.decode()
    assert "Rows of the file (451–500 of 500)" in last
    assert "Already in the chapter" in last and "Classification taken" not in last
    assert snapshot(chapter) == state


def test_an_import_whose_worker_died_can_be_started_again(
    client_for, chapter, president, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    factories.classification("Plumbing")
    rows = roster_import.parse_roster("r.csv", roster_csv(
        [["Pat", "Pipe", "pat@example.test", "", "Pat Plumbing", "Plumbing"]], HEADER))
    batch = RosterImport.objects.create(
        chapter=chapter, filename="r.csv", file_sha256="0" * 64, rows=rows, total=1,
        status=RosterImport.Status.IMPORTING,
        started_at=timezone.now() - datetime.timedelta(hours=1), send_emails=False,
    )
    client = client_for(president)
    page = client.get(reverse("roster_import_preview", args=[chapter.slug, batch.pk]))
    assert "Start it again" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("roster_import_confirm", args=[chapter.slug, batch.pk]))
    batch.refresh_from_db()
    assert batch.status == RosterImport.Status.IMPORTED
    assert Member.objects.filter(user__email="pat@example.test").count() == 1


# --- An account of another chapter is never attached without the person's word -------------------


def test_an_account_of_another_chapter_becomes_an_invitation_and_its_name_is_not_shown(
    client_for, chapter, president, other_member, django_capture_on_commit_callbacks
):
    factories.classification("Catering")
    factories.classification("Plumbing")
    closed = factories.user("closed@example.test", first_name="Clara", last_name="Closed")
    User.objects.filter(pk=closed.pk).update(is_active=False)
    account_name = other_member.user.get_full_name()
    client = client_for(president)
    content = roster_csv([
        # The file's name for the person, not the account's.
        ["Anon", "Filename", other_member.user.email, "", "Otto Catering", "Catering"],
        ["Cleo", "Closed", "closed@example.test", "", "Cleo Pipes", "Plumbing"],
    ], HEADER)
    upload = client.post(reverse("roster_import_upload", args=[chapter.slug]),
                         {"file": SimpleUploadedFile("roster.csv", content)})
    preview = client.get(upload.url).content.decode()
    assert roster_import.HAS_ACCOUNT in preview
    assert account_name not in preview and "Anon Filename" in preview
    # A closed account is answered as an unknown address is: "Will be added", nothing more.
    assert "closed account" not in preview.lower() and "Clara" not in preview
    assert preview.count("Will be added") == 1

    batch = RosterImport.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("roster_import_confirm", args=[chapter.slug, batch.pk]))
    batch.refresh_from_db()
    assert batch.created_count == 2 and batch.rejected_count == 0
    # Nobody was attached: each got an invitation they accept (or not).
    assert not Member.objects.filter(chapter=chapter, user=other_member.user).exists()
    assert not Member.objects.filter(chapter=chapter, user=closed).exists()
    assert set(Invitation.objects.pending().filter(chapter=chapter).values_list(
        "email", flat=True)) == {other_member.user.email, "closed@example.test"}
    done = client.get(upload.url).content.decode()
    assert account_name not in done and "closed account" not in done.lower()
