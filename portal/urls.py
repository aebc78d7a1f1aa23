from django.urls import path

from portal.views import accounts, health, home, mfa, public, staff

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
    # homes
    path("client/", home.client_home, name="client_home"),
    path("therapist/", home.therapist_home, name="therapist_home"),
    path("staff/", staff.staff_home, name="staff_home"),
]
