from django.urls import path

from referrals import views

_chapter = "chapters/<slug:slug>/"
_slip = _chapter + "slips/<str:kind>/<int:slip_id>/"

urlpatterns = [
    path(_chapter + "slips/", views.slip_hub, name="slip_hub"),
    path(_chapter + "slips/referral/new/", views.referral_new, name="referral_new"),
    path(_chapter + "slips/thank-you/new/", views.thank_you_new, name="thank_you_new"),
    path(_chapter + "slips/one-to-one/new/", views.one_to_one_new, name="one_to_one_new"),
    path(_chapter + "slips/ceu/new/", views.ceu_new, name="ceu_new"),
    path(_chapter + "slips/testimonial/new/", views.testimonial_new, name="testimonial_new"),
    path(_chapter + "slips/visitor/new/", views.visitor_new, name="visitor_new"),
    path(_slip + "saved/", views.slip_saved, name="slip_saved"),
    path(_slip + "edit/", views.slip_edit, name="slip_edit"),
    path(_slip + "delete/", views.slip_delete, name="slip_delete"),
    path(_slip + "correct/", views.slip_correct, name="slip_correct"),
    path(_chapter + "corrections/", views.slip_corrections, name="slip_corrections"),
    path(_chapter + "referrals/", views.referral_inbox, name="referral_inbox"),
    path(_chapter + "referrals/given/", views.referral_given, name="referral_given"),
    path(
        _chapter + "referrals/<int:referral_id>/", views.referral_detail, name="referral_detail"
    ),
    path(
        _chapter + "referrals/<int:referral_id>/status/",
        views.referral_status,
        name="referral_status",
    ),
    path(_chapter + "thank-yous/", views.thank_you_list, name="thank_you_list"),
    path(_chapter + "one-to-ones/", views.one_to_one_list, name="one_to_one_list"),
    path(_chapter + "slips/find-member/", views.member_search, name="member_search"),
]
