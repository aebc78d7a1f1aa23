from django.urls import include, path

from portal.views import (
    account_settings,
    accounts,
    calendar,
    data_rights,
    directory,
    health,
    home,
    journal,
    journal_select,
    measures,
    messaging,
    mfa,
    profile,
    public,
    relationships,
    security,
    sessions_client,
    sessions_therapist,
    staff,
    therapist,
)

_accounts = [
    path("signup/client/", accounts.signup_client, name="signup_client"),
    path("signup/therapist/", accounts.signup_therapist, name="signup_therapist"),
    path("login/", accounts.login_view, name="login"),
    path("login/code/", mfa.mfa_login, name="mfa_verify"),
    path("logout/", accounts.logout_view, name="logout"),
    path("session/keep-alive/", accounts.keep_alive, name="keep_alive"),
    path("session/status/", accounts.session_status, name="session_status"),
    path("verify/resend/", accounts.resend_verification, name="resend_verification"),
    path("verify/<str:token>/", accounts.verify_email, name="verify_email"),
    path("password/reset/", accounts.password_reset, name="password_reset"),
    path(
        "password/reset/<str:uidb64>/<str:token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/change/", accounts.password_change, name="password_change"),
    path("two-factor/setup/", mfa.mfa_setup, name="mfa_setup"),
    path("security/", security.security, name="security"),
    path("account/settings/", account_settings.account_settings, name="account_settings"),
    path("security/sessions/end-others/", security.end_other_sessions, name="end_other_sessions"),
    path("security/recovery-codes/", security.regenerate_recovery_codes, name="regenerate_recovery_codes"),
    path("security/two-factor/off/", security.turn_off_mfa, name="turn_off_mfa"),
]

_client = [
    path("", home.client_home, name="client_home"),
    path("journal/", journal.journal, name="journal"),
    path("journal/export.csv", journal.journal_export, name="journal_export"),
    path("journal/chart/", journal.journal_chart, name="journal_chart"),
    path("journal/access/", journal.journal_access, name="journal_access"),
    path("journal/select/", journal_select.journal_select, name="journal_select"),
    path("journal/<str:entry_id>/", journal.entry_detail, name="journal_entry"),
    path("journal/<str:entry_id>/edit/", journal.entry_edit, name="journal_entry_edit"),
    path("journal/<str:entry_id>/delete/", journal.entry_delete, name="journal_entry_delete"),
    path("journal/<str:entry_id>/share/", journal.entry_share, name="journal_entry_share"),
    path("therapists/", directory.directory, name="directory"),
    path("therapists/<str:therapist_id>/", directory.therapist_profile, name="therapist_profile"),
    path(
        "therapists/<str:therapist_id>/photo/<slug:version>.jpg",
        directory.therapist_photo_view,
        name="therapist_photo",
    ),
    path("therapists/<str:therapist_id>/request/", directory.request_therapist, name="relationship_request"),
    path("my-therapists/", relationships.my_therapists, name="my_therapists"),
    path("my-therapists/make-private/", relationships.unshare_all, name="journal_unshare_all"),
    path("my-therapists/<str:therapist_id>/end/", relationships.client_end, name="client_relationship_end"),
    path(
        "my-therapists/<str:therapist_id>/<str:action>/",
        relationships.client_action,
        name="client_relationship_action",
    ),
    path("sessions/", sessions_client.sessions, name="client_sessions"),
    path("sessions/earlier/", sessions_client.sessions_earlier, name="client_sessions_earlier"),
    path("sessions/<str:session_id>/", sessions_client.session_detail, name="client_session"),
    path(
        "sessions/<str:session_id>/withdraw/",
        sessions_client.session_withdraw,
        name="client_session_withdraw",
    ),
    path("sessions/<str:session_id>/cancel/", sessions_client.session_cancel, name="client_session_cancel"),
    path("sessions/<str:session_id>/move/", sessions_client.session_move, name="client_session_move"),
    path("sessions/<str:session_id>/session.ics", sessions_client.session_ics, name="client_session_ics"),
    path("account/data/", data_rights.client_data_export, name="client_data_export"),
    path("account/delete/", data_rights.account_delete, name="account_delete"),
    path("questionnaires/", measures.measures_due, name="measures_due"),
    path("questionnaires/<str:measure>/", measures.measure_history_client, name="measure_history_client"),
    path(
        "questionnaires/<str:measure>/results/<str:result_id>/",
        measures.measure_result,
        name="measure_result",
    ),
    path("questionnaires/<str:measure>/<str:therapist_id>/", measures.measure_form, name="measure_form"),
]

_therapist = [
    path("profile/", profile.profile, name="therapist_profile_edit"),
    path("profile/photo/", profile.profile_photo, name="therapist_profile_photo"),
    path("profile/photo/<slug:version>.jpg", profile.own_photo, name="therapist_own_photo"),
    path("clients/", relationships.my_clients, name="my_clients"),
    path("clients/invite/", relationships.invite, name="relationship_invite"),
    path("clients/<str:client_id>/end/", relationships.therapist_end, name="therapist_relationship_end"),
    path("", home.therapist_home, name="therapist_home"),
    path("sessions/", sessions_therapist.sessions, name="therapist_sessions"),
    path("sessions/earlier/", sessions_therapist.sessions_earlier, name="therapist_sessions_earlier"),
    path("sessions/<str:session_id>/", sessions_therapist.session_detail, name="therapist_session"),
    path(
        "sessions/<str:session_id>/reschedule/",
        sessions_therapist.session_reschedule,
        name="therapist_session_reschedule",
    ),
    path(
        "sessions/<str:session_id>/session.ics",
        sessions_therapist.session_ics,
        name="therapist_session_ics",
    ),
    path(
        "sessions/<str:session_id>/<str:action>/",
        sessions_therapist.session_action,
        name="therapist_session_action",
    ),
    path("clients/<str:client_id>/journal/", therapist.client_journal, name="therapist_client_journal"),
    path(
        "clients/<str:client_id>/<str:action>/",
        relationships.therapist_action,
        name="therapist_relationship_action",
    ),
    path("account/data/", data_rights.therapist_data_export, name="therapist_data_export"),
    path("questionnaires/alerts/", measures.measure_alerts, name="measure_alerts"),
    path("questionnaires/<str:client_id>/", measures.therapist_measures, name="therapist_measures"),
    path("questionnaires/<str:client_id>/stop/", measures.therapist_measure_stop, name="therapist_measure_stop"),
    path(
        "questionnaires/<str:client_id>/alerts/<str:result_id>/",
        measures.measure_alert_acknowledge,
        name="measure_alert_acknowledge",
    ),
]

_calendar = [
    path("feed/", calendar.feed_manage, name="calendar_feed_manage"),
    path("<str:token>.ics", calendar.feed, name="calendar_feed"),
]

_staff = [
    path("", staff.staff_home, name="staff_home"),
    path("sessions/", staff.staff_sessions, name="staff_sessions"),
    path("audit/", staff.staff_audit, name="staff_audit"),
    path("accounts/<str:kind>/<str:account_id>/", staff.staff_account, name="staff_account"),
    path(
        "accounts/<str:kind>/<str:account_id>/relationships/",
        staff.staff_relationships,
        name="staff_relationships",
    ),
    path(
        "accounts/<str:kind>/<str:account_id>/<str:action>/",
        staff.staff_account_action,
        name="staff_account_action",
    ),
]

_account = [
    path("deleted/", data_rights.account_deleted, name="account_deleted"),
]

_messages = [
    path("", messaging.conversations, name="conversations"),
    path("badge/", messaging.unread_badge, name="messages_badge"),
    path("<str:other_id>/", messaging.thread, name="message_thread"),
    path("<str:other_id>/poll/", messaging.poll, name="message_poll"),
]

# Grouped by the first part of the path: resolving a request tries each group's
# prefix, then only that group's routes (a flat list was tried route by route,
# some sixty for the pages furthest down). Within a group the order is the
# order the routes must be tried in.
urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/", include(_accounts)),
    path("client/", include(_client)),
    path("therapist/", include(_therapist)),
    path("calendar/", include(_calendar)),
    path("staff/", include(_staff)),
    path("account/", include(_account)),
    path("messages/", include(_messages)),
]

# Booking by availability (portal/views/booking.py).
from portal.views import booking as booking_views  # noqa: E402

_booking = [
    path("availability/", booking_views.availability, name="booking_availability"),
    path("series/new/", booking_views.series_new, name="booking_series_new"),
    path("series/<str:series_id>/", booking_views.series_detail, name="booking_series"),
    path("series/<str:series_id>/cancel/", booking_views.series_cancel, name="booking_series_cancel"),
    path("<str:therapist_id>/", booking_views.week, name="booking_week"),
    path("<str:therapist_id>/request/", booking_views.book, name="booking_request"),
    path("<str:therapist_id>/wait/", booking_views.wait, name="booking_wait"),
]
urlpatterns.append(path("booking/", include(_booking)))

# Clinical notes: their own prefixes, so no catch-all session route above can take them.
from portal.views import clinical_notes  # noqa: E402

urlpatterns += [
    path("therapist/notes/<str:session_id>/", clinical_notes.therapist_note, name="therapist_session_note"),
    path(
        "therapist/notes/<str:session_id>/addendum/",
        clinical_notes.therapist_note_addendum,
        name="therapist_note_addendum",
    ),
    path(
        "therapist/notes/<str:session_id>/corrections/<str:request_id>/",
        clinical_notes.therapist_correction_answer,
        name="therapist_correction_answer",
    ),
    path("client/notes/<str:session_id>/", clinical_notes.client_session_notes, name="client_session_notes"),
    path(
        "client/notes/<str:session_id>/corrections/<str:request_id>/statement/",
        clinical_notes.client_correction_statement,
        name="client_correction_statement",
    ),
]
