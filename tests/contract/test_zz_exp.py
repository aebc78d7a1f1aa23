from concurrent.futures import ThreadPoolExecutor
import time, collections
import pytest
from portal.dynamo.clients import ClientRepository
from portal.dynamo.messages import MessageRepository
from portal.domain import Client, EmailTaken, Sender
from portal.ids import new_id

@pytest.mark.parametrize("rep", range(5))
def test_signup(dynamo, rep):
    repo = ClientRepository()
    def one(i):
        try:
            repo.sign_up(Client(client_id=new_id(), email="same@example.com", name=f"n{i}", password_hash="x"))
            return "ok"
        except EmailTaken:
            return "taken"
        except Exception as e:
            return repr(e)
    with ThreadPoolExecutor(20) as ex:
        res = list(ex.map(one, range(20)))
    print(collections.Counter(res))
    items = dynamo.client.scan(TableName=dynamo.table_name(__import__("portal.dynamo.schema").dynamo.schema.CLIENTS))["Items"]
    print("stored", len(items))
    assert res.count("ok") == 1 and len(items) == 1

def test_messages(dynamo):
    repo = MessageRepository()
    c, t = new_id(), new_id()
    def worker(w):
        errs = []
        for i in range(20):
            try:
                repo.send(client_id=c, therapist_id=t, sender=Sender.CLIENT, content=f"{w}:{i}", idempotency_key=new_id())
            except Exception as e:
                errs.append(repr(e)[:200])
        return errs
    t0 = time.time()
    with ThreadPoolExecutor(50) as ex:
        errs = [e for r in ex.map(worker, range(50)) for e in r]
    print("time", time.time() - t0, "errors", len(errs), collections.Counter(errs).most_common(3))
    n = 0; cursor = None
    while True:
        p = repo.list_conversation(c, t, limit=100, cursor=cursor)
        n += len(p.items); cursor = p.next_cursor
        if not cursor: break
    print("stored", n)
    assert n == 1000
