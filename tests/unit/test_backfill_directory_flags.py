"""backfill_directory_flags: therapists who turned two-factor on before the directory's flag existed are listed again."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from portal.domain import AccountKind
from portal.dynamo.connection import get_gateway
from portal.dynamo.schema import THERAPISTS
from portal.dynamo.therapists import TherapistRepository
from tests.accounts import make_account


def test_it_marks_therapists_with_two_factor_on_so_the_directory_lists_them(dynamo) -> None:  # type: ignore[no-untyped-def]
    with_mfa = make_account(AccountKind.THERAPIST)
    make_account(AccountKind.THERAPIST, mfa_secret="")
    gateway = get_gateway()
    # As an account made before the flag: the secret only.
    gateway.update(THERAPISTS, {"therapistId": with_mfa.account_id}, remove=("mfaEnabled",))
    repository = TherapistRepository()
    repository.update_fields(with_mfa.account_id, acceptingClients=True)
    assert with_mfa.account_id not in {t.therapist_id for t in repository.search_listed("anxiety").items}

    out = StringIO()
    call_command("backfill_directory_flags", stdout=out)
    call_command("backfill_directory_flags", stdout=StringIO())

    assert "1 therapists" in out.getvalue()
    assert with_mfa.account_id in {t.therapist_id for t in repository.search_listed("anxiety").items}
