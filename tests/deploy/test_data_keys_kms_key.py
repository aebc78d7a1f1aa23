"""The deploy template's KMS key for data keys: only the stack's roles use it, each for exactly its operations."""

from __future__ import annotations

from typing import Any

from portal.dynamo.deployment import cloudformation_template
from portal.dynamo.kms_keys import CONTEXT_KEY


def _user(statements: list[dict[str, Any]], role: str) -> dict[str, Any]:
    users = [s for s in statements if s["Principal"] == {"AWS": {"Fn::GetAtt": [role, "Arn"]}}]
    assert len(users) == 1, role
    return users[0]


def test_the_web_role_makes_and_unwraps_and_the_maintenance_role_only_wraps_with_the_owner_context() -> None:
    template = cloudformation_template()
    key = template["Resources"]["DataKeysKmsKey"]
    assert key["Type"] == "AWS::KMS::Key" and key["DeletionPolicy"] == "Retain"
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]

    web = _user(statements, "WebRole")
    assert web["Effect"] == "Allow" and sorted(web["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    # rotate_data_keys moves keys wrapped by a local master key under KMS: Encrypt, never Decrypt.
    maintenance = _user(statements, "MaintenanceRole")
    assert maintenance["Effect"] == "Allow" and maintenance["Action"] == ["kms:Encrypt"]
    for user in (web, maintenance):
        assert user["Condition"]["ForAllValues:StringEquals"] == {"kms:EncryptionContextKeys": [CONTEXT_KEY]}
        assert user["Condition"]["Null"] == {"kms:EncryptionContextKeys": "false"}

    # No other statement grants a cryptographic operation to anyone.
    crypto = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt", "kms:*")
    for statement in statements:
        if statement is web or statement is maintenance:
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a.startswith(crypto) or a in ("*", "kms:*") for a in actions), statement


def test_the_key_is_made_only_when_asked_and_its_arn_is_an_output() -> None:
    template = cloudformation_template()
    assert template["Parameters"]["MakeDataKeysKmsKey"]["Default"] == "false"
    condition = template["Resources"]["DataKeysKmsKey"]["Condition"]
    assert template["Conditions"][condition] == {"Fn::Equals": [{"Ref": "MakeDataKeysKmsKey"}, "true"]}
    assert template["Outputs"]["DataKeysKmsKeyArn"]["Value"] == {"Fn::GetAtt": ["DataKeysKmsKey", "Arn"]}
