"""Which emails about a session's changes have been claimed: a string set on the session's own item.

Each change of a session moves its version, so a notice is named by its kind,
its recipient and the version the change left (``approved:client:3``). Claiming
adds that name to the item's ``noticesSent`` set on condition that it is not in
it yet: one caller wins, so a retried request or two runs send one email, and a
notice of one kind (or of another change) never stands in the way of another.
"""

from __future__ import annotations

from boto3.dynamodb.conditions import Attr

from portal.domain import Conflict
from portal.dynamo.base import Repository
from portal.dynamo.gateway import new_request_token
from portal.dynamo.schema import SESSIONS

NOTICES_SENT = "noticesSent"


class SessionNoticeRepository(Repository):
    def claim(self, session_id: str, notice: str) -> bool:
        """True for exactly one caller per ``notice`` of this session (False when the session is gone)."""
        try:
            self.db.update(
                SESSIONS,
                {"sessionId": session_id},
                add={NOTICES_SENT: {notice}},
                condition=Attr("sessionId").exists() & ~Attr(NOTICES_SENT).contains(notice),
                # A claim that landed is ours on botocore's retry, not "already sent".
                token=new_request_token(),
            )
        except Conflict:
            return False
        return True

    def release(self, session_id: str, notice: str) -> None:
        """Undo a claim whose email the mail server refused, so a later attempt may send it."""
        try:
            self.db.update(
                SESSIONS,
                {"sessionId": session_id},
                delete_from_sets={NOTICES_SENT: {notice}},
                condition=Attr("sessionId").exists(),
            )
        except Conflict:
            pass
