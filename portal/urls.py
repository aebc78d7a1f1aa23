from django.urls import path

from portal.views import accounts, data_rights, health, home, journal, mfa, public, security, staff, therapist

urlpatterns = [
    path("", public.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    # accounts
    path("accounts/signup/client/", accounts.signup_client, name="signup_client"),
    path("accounts/signup/therapist/", accounts.signup_therapist, name="signup_therapist"),
    path("accounts/login/", accounts.login_view, name="login"),
    path("accounts/login/code/", mfa.mfa_login, name="mfa_verify"),
    path("accounts/logout/", accounts.logout_view, name="logout"),
    path("accounts/session/keep-alive/", accounts.keep_alive, name="keep_alive"),
    path("accounts/session/status/", accounts.session_status, name="session_status"),
    path("accounts/verify/resend/", accounts.resend_verification, name="resend_verification"),
    path("accounts/verify/<str:token>/", accounts.verify_email, name="verify_email"),
    path("accounts/password/reset/", accounts.password_reset, name="password_reset"),
    path(
        "accounts/password/reset/<str:uidb64>/<str:token>/",
        accounts.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("accounts/password/change/", accounts.password_change, name="password_change"),
    path("accounts/two-factor/setup/", mfa.mfa_setup, name="mfa_setup"),
    path("accounts/security/", security.security, name="security"),
    path("accounts/security/sessions/end-others/", security.end_other_sessions, name="end_other_sessions"),
    path(
        "accounts/security/recovery-codes/", security.regenerate_recovery_codes, name="regenerate_recovery_codes"
    ),
    path("accounts/security/two-factor/off/", security.turn_off_mfa, name="turn_off_mfa"),
    # homes
    path("client/", home.client_home, name="client_home"),
    path("client/journal/", journal.journal, name="journal"),
    path("client/journal/export.csv", journal.journal_export, name="journal_export"),
    path("client/journal/chart/", journal.journal_chart, name="journal_chart"),
    path("client/journal/<str:entry_id>/", journal.entry_detail, name="journal_entry"),
    path("client/journal/<str:entry_id>/edit/", journal.entry_edit, name="journal_entry_edit"),
    path("client/journal/<str:entry_id>/delete/", journal.entry_delete, name="journal_entry_delete"),
    path("client/journal/<str:entry_id>/share/", journal.entry_share, name="journal_entry_share"),
    path("therapist/", home.therapist_home, name="therapist_home"),
    path("therapist/clients/<str:client_id>/journal/", therapist.client_journal, name="therapist_client_journal"),
    path("staff/", staff.staff_home, name="staff_home"),
    path("staff/sessions/", staff.staff_sessions, name="staff_sessions"),
    path("staff/audit/", staff.staff_audit, name="staff_audit"),
    path("staff/accounts/<str:kind>/<str:account_id>/", staff.staff_account, name="staff_account"),
    path(
        "staff/accounts/<str:kind>/<str:account_id>/relationships/",
        staff.staff_relationships,
        name="staff_relationships",
    ),
    path(
        "staff/accounts/<str:kind>/<str:account_id>/<str:action>/",
        staff.staff_account_action,
        name="staff_account_action",
    ),
    # data rights: take everything away, or leave for good
    path("client/account/data/", data_rights.client_data_export, name="client_data_export"),
    path("therapist/account/data/", data_rights.therapist_data_export, name="therapist_data_export"),
    path("client/account/delete/", data_rights.account_delete, name="account_delete"),
    path("account/deleted/", data_rights.account_deleted, name="account_deleted"),
]
