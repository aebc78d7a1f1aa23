"""The deploy template's KMS key for data keys: only the app role uses it, for exactly two operations."""

from __future__ import annotations

from portal.dynamo.deployment import cloudformation_template
from portal.dynamo.kms_keys import CONTEXT_KEY


def test_the_key_lets_only_the_app_role_make_and_unwrap_data_keys_with_the_owner_context() -> None:
    template = cloudformation_template()
    key = template["Resources"]["DataKeysKmsKey"]
    assert key["Type"] == "AWS::KMS::Key" and key["DeletionPolicy"] == "Retain"
    assert key["Properties"]["EnableKeyRotation"] is True
    statements = key["Properties"]["KeyPolicy"]["Statement"]

    users = [s for s in statements if s["Principal"] == {"AWS": {"Ref": "AppRoleArn"}}]
    assert len(users) == 1
    [app] = users
    assert app["Effect"] == "Allow" and sorted(app["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert app["Condition"]["ForAllValues:StringEquals"] == {"kms:EncryptionContextKeys": [CONTEXT_KEY]}
    assert app["Condition"]["Null"] == {"kms:EncryptionContextKeys": "false"}

    # No other statement grants a cryptographic operation to anyone.
    crypto = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncrypt", "kms:*")
    for statement in statements:
        if statement is app:
            continue
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any(a.startswith(crypto) or a in ("*", "kms:*") for a in actions), statement


def test_the_key_is_made_when_the_app_role_is_given_and_its_arn_is_an_output() -> None:
    template = cloudformation_template()
    assert template["Parameters"]["AppRoleArn"]["Default"] == ""
    condition = template["Resources"]["DataKeysKmsKey"]["Condition"]
    assert condition in template["Conditions"]
    assert template["Outputs"]["DataKeysKmsKeyArn"]["Value"] == {"Fn::GetAtt": ["DataKeysKmsKey", "Arn"]}
