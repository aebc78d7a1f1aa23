"""The emails of accounts and relationships: their bodies are plain-text templates (templates/email/*.txt).

Plain text is not HTML: what a person typed (their name) reaches the email as typed, never
HTML-escaped into "&lt;" or "&#39;".
"""

from __future__ import annotations

from django.core import mail

from portal.domain import AccountKind
from portal.services import auth
from portal.services import relationships as service
from tests.accounts import make_account
from tests.relationships import PORTAL_URL

TYPED_NAME = 'Ro <script>alert(1)</script> O\'Neil & "Co" {{ name }}'


def test_the_confirmation_email_says_hello_with_the_name_as_typed_and_gives_the_link(dynamo):
    user = make_account(AccountKind.CLIENT, name=TYPED_NAME, verified=False)
    mail.outbox.clear()
    assert auth.email_verification_send(user=user, link="https://portal.example/accounts/verify/abc/?a=1&b=2")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [user.email]
    assert sent.subject == "Confirm your email for the therapy portal"
    assert sent.body == (
        f"Hello {TYPED_NAME},\n\nPlease confirm your email address by opening this link:\n\n"
        "https://portal.example/accounts/verify/abc/?a=1&b=2\n\n"
        "If you did not create an account, you can ignore this message."
    )


def test_the_reset_email_says_hello_with_the_name_as_typed_and_gives_the_link(dynamo):
    user = make_account(AccountKind.THERAPIST, name=TYPED_NAME)
    mail.outbox.clear()
    auth.password_reset_send(email=user.email, link_for=lambda key, token: f"https://portal.example/r/{token}/")
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [user.email]
    assert sent.subject == "Reset your therapy portal password"
    link = sent.body.split("\n\n")[2]
    assert link.startswith("https://portal.example/r/") and link.endswith("/")
    assert sent.body == (
        f"Hello {TYPED_NAME},\n\nSomeone asked to reset the password of your account. If it was you, "
        f"open this link within an hour:\n\n{link}\n\nIf it was not you, ignore this message: "
        "your password stays as it is."
    )


def test_the_reset_email_goes_nowhere_for_an_address_without_an_account(dynamo):
    auth.password_reset_send(email="nobody@example.com", link_for=lambda key, token: "https://portal.example/")
    assert mail.outbox == []


def test_a_relationship_notice_says_what_changed_and_where_to_look_and_nothing_more(dynamo):
    client = make_account(AccountKind.CLIENT, name=TYPED_NAME)
    therapist = make_account(AccountKind.THERAPIST, name="Dr Tara")
    mail.outbox.clear()
    service.relationship_request(user=client, therapist_id=therapist.account_id, portal_url=PORTAL_URL)
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == [therapist.email]
    assert notice.subject == "News in your therapy portal"
    assert notice.body == (
        f"Hello,\n\nA client asked to work with you.\n\nLog in to see it: {PORTAL_URL}\n\n"
        "You receive this because you have an account on the therapy portal."
    )
