"""Doubles that make the local engines behave the way AWS DynamoDB may."""
