"""Each person's own data, for them to download: a page with the links, JSON and CSV."""

import json

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from chapters.downloads import attachment
from reports.personal_data import personal_data, personal_data_csv


@require_safe
@login_required
def my_data(request):
    return render(request, "membership/my_data.html", {
        "json_url": reverse("my_data_json"), "csv_url": reverse("my_data_csv"),
    })



@require_safe
@login_required
def my_data_json(request):
    data = personal_data(request.user)
    return attachment(
        json.dumps(data, indent=2, ensure_ascii=False),
        "application/json; charset=utf-8",
        f"chapterhouse-my-data-{timezone.now():%Y-%m-%d}.json",
    )


@require_safe
@login_required
def my_data_csv(request):
    return attachment(
        personal_data_csv(personal_data(request.user)),
        "text/csv; charset=utf-8",
        f"chapterhouse-my-data-{timezone.now():%Y-%m-%d}.csv",
    )
