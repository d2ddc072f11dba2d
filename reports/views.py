"""Reports: PALMS summary, traffic lights, charts, exports and imports.

Members see the reports page with their own traffic light (and their own numbers); the
leadership team sees every member, the chapter's lights, the charts, exports and imports.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from chapters.htmx import is_htmx
from members.access import get_chapter_for_user
from members.models import Member
from reports import charts, exports, imports
from reports.forms import (
    ExportForm,
    ImportConfirmForm,
    ImportUploadForm,
    ReportRangeForm,
    RuleSetChoiceForm,
    ThresholdsForm,
)
from reports.models import ImportBatch
from reports.palms import palms_rows, palms_totals
from reports.rule_sets import rule_set_adjust, rule_set_choose
from reports.scoring import chapter_light, member_lights, rules_for

PREVIEW_ROWS = 50


def _leader(request, slug):
    access = get_chapter_for_user(request, slug)
    access.require_leader()
    return access


def _context(access, **extra):
    return {"access": access, "chapter": access.chapter, **extra}


@require_safe
@login_required
def reports_home(request, slug):
    """The member's own traffic light and numbers; for leaders, the way to every report."""
    access = get_chapter_for_user(request, slug)
    chapter, member = access.chapter, access.member
    today = chapter.today()
    light = own_row = suggestions = None
    if member is not None:
        lights = member_lights(chapter=chapter, today=today, member_ids=[member.pk])
        light = lights[0] if lights else None
        form = ReportRangeForm(today=today)
        start, end = form.window
        rows = palms_rows(chapter=chapter, start=start, end=end, member_ids=[member.pk])
        own_row = rows[0] if rows else None
        coverage, _ = charts.one_to_one_coverage(chapter=chapter)
        six_months = ReportRangeForm(today=today, default_preset="6m").window
        matrix = charts.referral_matrix(chapter=chapter, start=six_months[0], end=six_months[1])
        suggestions = charts.one_to_one_suggestions(
            coverage=coverage, referrals=matrix, member_id=member.pk, limit=3)
    return render(request, "reports/home.html", _context(
        access, light=light, own_row=own_row, own_window=ReportRangeForm(today=today).window,
        suggestions=suggestions, rules=rules_for(chapter),
        chapter_light=chapter_light(chapter=chapter, today=today) if access.is_leader else None,
    ))


@require_safe
@login_required
def reports_palms(request, slug):
    """The PALMS summary for a range, with a totals row and exports in the same layout."""
    access = _leader(request, slug)
    chapter = access.chapter
    form = ReportRangeForm(request.GET, today=chapter.today())
    rows, totals = [], None
    if form.ok:
        start, end = form.window
        rows = palms_rows(chapter=chapter, start=start, end=end,
                          include_provisional=form.include_provisional)
        totals = palms_totals(rows)
    context = _context(access, form=form, rows=rows, totals=totals,
                       headers=exports.PALMS_HEADERS)
    if is_htmx(request):
        # HTMX swaps only successful responses: errors come back as 200 to be shown.
        return render(request, "reports/palms.html#palms_report", context)
    return render(request, "reports/palms.html", context, status=200 if form.ok else 400)


@require_safe
@login_required
def reports_export(request, slug, kind):
    """A report as CSV (streamed) or XLSX (written row by row to a temporary file)."""
    access = _leader(request, slug)
    if kind not in exports.KINDS:
        raise Http404
    chapter = access.chapter
    form = ExportForm(request.GET, today=chapter.today())
    if not form.ok:
        return render(request, "reports/palms.html", _context(
            access, form=form, rows=[], totals=None, headers=exports.PALMS_HEADERS,
        ), status=400)
    fmt = (form.cleaned_data.get("format") if form.is_bound else None) or "csv"
    start, end = form.window
    rows = exports.table(kind, chapter=chapter, start=start, end=end,
                         include_provisional=form.include_provisional)
    name = exports.filename(kind, chapter, start, end, fmt)
    if fmt == "xlsx":
        return FileResponse(exports.xlsx_file(rows, exports.TITLES[kind]), as_attachment=True,
                            filename=name)
    response = StreamingHttpResponse(exports.csv_lines(rows), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_safe
@login_required
def reports_traffic_lights(request, slug):
    """Every member's light for leaders; a member sees their own."""
    access = get_chapter_for_user(request, slug)
    if not access.is_leader and access.member is None:
        raise PermissionDenied
    member_ids = None if access.is_leader else [access.member.pk]
    lights = member_lights(chapter=access.chapter, member_ids=member_ids)
    scored = [light for light in lights if light.scored]
    colours = {colour: sum(1 for light in scored if light.colour == colour)
               for colour in ("green", "amber", "red", "grey")}
    return render(request, "reports/traffic_lights.html", _context(
        access, lights=lights, colours=colours, rules=rules_for(access.chapter),
        scored=len(scored), half=(len(scored) + 1) // 2,
    ))


@require_safe
@login_required
def reports_member_light(request, slug, member_id):
    """One member's light in full: points per metric, bands, what drops out, the forecast."""
    access = get_chapter_for_user(request, slug)
    get_object_or_404(Member, chapter=access.chapter, pk=member_id)
    if not access.is_leader and (access.member is None or access.member.pk != member_id):
        raise PermissionDenied("Members see their own traffic light only.")
    lights = member_lights(chapter=access.chapter, member_ids=[member_id])
    if not lights:
        raise Http404
    return render(request, "reports/member_light.html", _context(
        access, light=lights[0], rules=rules_for(access.chapter),
    ))


@require_safe
@login_required
def reports_chapter_lights(request, slug):
    access = _leader(request, slug)
    return render(request, "reports/chapter_lights.html", _context(
        access, light=chapter_light(chapter=access.chapter), rules=rules_for(access.chapter),
    ))


@require_safe
@login_required
def reports_charts(request, slug):
    """Referrals, TYFCB and attendance per week; the referral matrix; one-to-one coverage."""
    access = _leader(request, slug)
    chapter = access.chapter
    form = ReportRangeForm(request.GET, today=chapter.today(), default_preset="6m")
    context = _context(access, form=form, heat_legend=charts.HEAT_LEGEND)
    if form.ok:
        start, end = form.window
        window = {"start": start, "end": end, "include_provisional": form.include_provisional}
        matrix = charts.referral_matrix(chapter=chapter, **window)
        coverage, covered = charts.one_to_one_coverage(chapter=chapter)
        suggestions = charts.one_to_one_suggestions(coverage=coverage, referrals=matrix)
        context.update(
            weekly=charts.weekly_charts(chapter=chapter, **window), matrix=matrix,
            coverage=coverage, covered=covered, suggestions=suggestions,
            referral_pairs=[s for s in suggestions if s.referrals][:3],
        )
    return render(request, "reports/charts.html", context, status=200 if form.ok else 400)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def reports_rules(request, slug):
    """Choose the chapter's traffic-light variant and adjust its thresholds."""
    access = _leader(request, slug)
    chapter = access.chapter
    rules = rules_for(chapter)
    if request.method == "POST":
        form = ThresholdsForm(request.POST, rules=rules)
        if form.is_valid():
            rule_set_adjust(chapter=chapter, rules=form.cleaned_rules)
            messages.success(request, "Thresholds saved: the lights now use them.")
            return redirect("reports_rules", slug=chapter.slug)
    else:
        form = ThresholdsForm(rules=rules)
    return render(request, "reports/rules.html", _context(
        access, form=form, choice=RuleSetChoiceForm(chapter=chapter),
        rule_set=chapter.traffic_light_rule_set,
    ), status=400 if form.is_bound and form.errors else 200)


@require_POST
@login_required
def reports_rules_choose(request, slug):
    access = _leader(request, slug)
    chapter = access.chapter
    form = RuleSetChoiceForm(request.POST, chapter=chapter)
    if form.is_valid():
        rule_set_choose(chapter=chapter, rule_set=form.cleaned_data["rule_set"])
        messages.success(request, f"The lights now use {form.cleaned_data['rule_set'].name}.")
        return redirect("reports_rules", slug=chapter.slug)
    return render(request, "reports/rules.html", _context(
        access, form=ThresholdsForm(rules=rules_for(chapter)), choice=form,
        rule_set=chapter.traffic_light_rule_set,
    ), status=400)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def reports_import(request, slug):
    """Upload the official tool's slips audit or attendance matrix for a preview."""
    access = _leader(request, slug)
    chapter = access.chapter
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = imports.batch_create(
                    chapter=chapter, kind=form.cleaned_data["kind"], filename=upload.name,
                    content=upload.read(), user=request.user,
                )
            except imports.UnreadableFile as problem:
                form.add_error("file", str(problem))
            else:
                return redirect("reports_import_preview", slug=chapter.slug, batch_id=batch.pk)
    else:
        form = ImportUploadForm()
    batches = ImportBatch.objects.filter(chapter=chapter).only(
        "pk", "kind", "filename", "status", "created_at", "imported_count", "already_count",
        "skipped_count", "chapter_id",
    )[:10]
    return render(request, "reports/import.html", _context(
        access, form=form, batches=batches,
    ), status=400 if form.is_bound and form.errors else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def reports_import_preview(request, slug, batch_id):
    """What an import will do (rows recognised, members matched, rows skipped and why),
    and the import itself on confirmation."""
    access = _leader(request, slug)
    chapter = access.chapter
    batch = get_object_or_404(ImportBatch.objects.select_related("chapter"), chapter=chapter,
                              pk=batch_id)
    plan = imports.plan_batch(batch) if batch.status == ImportBatch.Status.PREVIEW else None
    needs_week = bool(plan and plan.needs_week)
    form = ImportConfirmForm(request.POST if request.method == "POST" else None,
                             needs_week=needs_week)
    if request.method == "POST":
        if batch.status != ImportBatch.Status.PREVIEW:
            messages.info(request, "This file was imported already.")
            return redirect("reports_import_preview", slug=chapter.slug, batch_id=batch.pk)
        if form.is_valid():
            try:
                result = imports.import_batch(batch=batch, week=form.cleaned_data["week"],
                                              user=request.user)
            except imports.ImportConflict as conflict:
                messages.error(request, str(conflict))
            else:
                if result.nothing_new:
                    messages.info(request, "Nothing new: every row of this file is already in "
                                           "Chapterhouse.")
                else:
                    messages.success(request, f"Imported {result.imported} rows.")
            return redirect("reports_import_preview", slug=chapter.slug, batch_id=batch.pk)
    return render(request, "reports/import_preview.html", _context(
        access, batch=batch, plan=plan, form=form, limit=PREVIEW_ROWS,
        new_rows=plan.new[:PREVIEW_ROWS] if plan else [],
        skipped_rows=plan.skipped[:PREVIEW_ROWS] if plan else [],
    ), status=400 if form.is_bound and form.errors else 200)
