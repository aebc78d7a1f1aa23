"""Everything that talks to DynamoDB lives in this package; items never leave it."""
