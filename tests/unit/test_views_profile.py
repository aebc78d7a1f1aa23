"""The therapist's own profile: name, specialization, bio and accepting new clients."""

from __future__ import annotations

from django.test import Client as HttpClient

from portal.domain import AccountKind
from portal.dynamo.mappings import MappingRepository
from portal.dynamo.relationships import RelationshipRepository
from portal.dynamo.therapists import TherapistRepository
from tests.accounts import logged_in, make_account
from tests.relationships import connect


def test_it_shows_and_saves_the_profile(dynamo, client: HttpClient):
    therapist = logged_in(client, AccountKind.THERAPIST, name="Dr Tara")
    page = client.get("/therapist/profile/")
    assert page.status_code == 200 and 'value="Dr Tara"' in page.content.decode()

    saved = client.post(
        "/therapist/profile/",
        {"name": "Dr Tara Vale", "specialization": "grief", "bio": "Loss and change.", "accepting_clients": "on"},
        follow=True,
    )
    assert "Your profile is saved." in saved.content.decode()
    stored = TherapistRepository().get(therapist.account_id)
    assert (stored.name, stored.specialization, stored.bio, stored.accepting_clients) == (
        "Dr Tara Vale",
        "grief",
        "Loss and change.",
        True,
    )

    client.post("/therapist/profile/", {"name": "Dr Tara Vale", "specialization": "grief", "bio": ""})
    stored = TherapistRepository().get(therapist.account_id)
    assert (stored.bio, stored.accepting_clients) == ("", False)
    assert "not accepting new clients" in client.get("/therapist/profile/").content.decode()


def test_it_keeps_what_was_typed_when_the_bio_is_too_long_or_the_specialization_unknown(dynamo, client):
    therapist = logged_in(client, AccountKind.THERAPIST, name="Dr Tara")
    long_bio = "x" * 1001
    response = client.post("/therapist/profile/", {"name": "Dr New", "specialization": "grief", "bio": long_bio})
    assert response.status_code == 400
    body = response.content.decode()
    assert "at most 1000 characters" in body and 'value="Dr New"' in body
    bad = client.post("/therapist/profile/", {"name": "Dr New", "specialization": "astrology", "bio": ""})
    assert bad.status_code == 400
    assert TherapistRepository().get(therapist.account_id).name == "Dr Tara"


def test_it_sets_bio_and_accepting_at_sign_up(dynamo, client):
    response = client.post(
        "/accounts/signup/therapist/",
        {
            "name": "Dr Sign",
            "email": "sign@example.com",
            "specialization": "family",
            "bio": "Families in change.",
            "password": "a quiet harbour at dawn",
            "password_again": "a quiet harbour at dawn",
            "time_zone": "UTC",
        },
    )
    assert response.status_code == 302
    stored = TherapistRepository().find_by_email("sign@example.com")
    assert (stored.bio, stored.accepting_clients) == ("Families in change.", False)


def test_it_refuses_anonymous_and_client_visitors(dynamo, client):
    assert client.post("/therapist/profile/", {"name": "x"}).status_code == 302
    logged_in(client, AccountKind.CLIENT)
    assert client.get("/therapist/profile/").status_code == 403


def test_it_copies_a_new_name_onto_every_relationship_so_lists_show_it(dynamo, client):
    therapist = logged_in(client, AccountKind.THERAPIST, name="Dr Old")
    working = make_account(AccountKind.CLIENT)
    connect(working, therapist)
    client.post("/therapist/profile/", {"name": "Dr New", "specialization": "anxiety", "bio": ""})

    assert MappingRepository().get(working.account_id, therapist.account_id).therapist_name == "Dr New"
    assert RelationshipRepository().get(working.account_id, therapist.account_id).therapist_name == "Dr New"


def test_it_shows_and_saves_the_cancellation_window(dynamo, client):
    therapist = logged_in(client, AccountKind.THERAPIST, name="Dr Tara")
    form = {"name": "Dr Tara", "specialization": "grief", "bio": ""}
    # The current window (24 hours unless set) is the field's value.
    page = client.get("/therapist/profile/").content.decode()
    assert 'name="cancellation_window_hours"' in page and 'value="24"' in page

    assert client.post("/therapist/profile/", {**form, "cancellation_window_hours": "48"}).status_code == 302
    assert TherapistRepository().get(therapist.account_id).cancellation_window_hours == 48
    assert 'value="48"' in client.get("/therapist/profile/").content.decode()

    # Left empty, the window stays as it was.
    assert client.post("/therapist/profile/", form).status_code == 302
    assert TherapistRepository().get(therapist.account_id).cancellation_window_hours == 48

    # Out of range: refused on the form, nothing saved.
    refused = client.post("/therapist/profile/", {**form, "cancellation_window_hours": "-1"})
    assert refused.status_code == 400
    assert TherapistRepository().get(therapist.account_id).cancellation_window_hours == 48
