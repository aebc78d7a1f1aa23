from concurrent.futures import ThreadPoolExecutor
import time, collections, traceback, threading
import pytest
from portal.dynamo.messages import MessageRepository
from portal.domain import Sender
from portal.ids import new_id

@pytest.mark.parametrize("locked", [False, True])
def test_messages(moto_dynamo, locked, monkeypatch):
    if locked:
        from moto.core.botocore_stubber import BotocoreStubber
        lock = threading.Lock()
        orig = BotocoreStubber.process_request
        def pr(self, request):
            with lock:
                return orig(self, request)
        monkeypatch.setattr(BotocoreStubber, "process_request", pr)
    repo = MessageRepository()
    c, t = new_id(), new_id()
    tbs = []
    def worker(w):
        for i in range(20):
            try:
                repo.send(client_id=c, therapist_id=t, sender=Sender.CLIENT, content=f"{w}:{i}", idempotency_key=new_id())
            except Exception as e:
                if not tbs: tbs.append(traceback.format_exc())
    t0 = time.time()
    with ThreadPoolExecutor(50) as ex:
        list(ex.map(worker, range(50)))
    print("locked", locked, "time", time.time() - t0)
    if tbs: print(tbs[0][-3000:])
