from portal.dynamo.clients import ClientRepository
from portal.domain import Client


def test_it_signs_up_and_gets_a_client(dynamo):
    repo = ClientRepository()
    repo.sign_up(Client(client_id="c1", email=" A@Example.com ", name="Ann", password_hash="x"))
    assert repo.get("c1").email == "a@example.com"
