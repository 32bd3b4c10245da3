"""The world's CodeArtifact GetAuthorizationToken (moto has none): a fresh token per call, journaled, faultable."""

import pytest
from botocore.exceptions import ClientError


def test_each_call_gets_a_fresh_token_and_is_journaled(world):
    client = world.client("codeartifact")
    world.clear_calls()
    first = client.get_authorization_token(domain="team", domainOwner="123456789012")
    second = client.get_authorization_token(domain="team", domainOwner="123456789012", durationSeconds=900)
    assert first["authorizationToken"] != second["authorizationToken"]
    assert first["expiration"] > second["expiration"]  # 12 hours by default, 15 minutes asked
    assert world.calls()["codeartifact:GetAuthorizationToken"] == 2
    journal = [e for e in world.control.journal() if e["operation"] == "codeartifact:GetAuthorizationToken"]
    assert journal[0]["params"] == {"domain": "team", "domainOwner": "123456789012", "durationSeconds": ""}


def test_access_denied_is_an_aws_error(world):
    world.fault("codeartifact:GetAuthorizationToken", "access_denied")
    with pytest.raises(ClientError) as err:
        world.client("codeartifact").get_authorization_token(domain="team", domainOwner="123456789012")
    assert err.value.response["Error"]["Code"] == "AccessDeniedException"
