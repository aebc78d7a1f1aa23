"""Identity on DynamoDB: the user shim, backends, sessions, throttling, role checks."""
