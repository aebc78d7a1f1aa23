"""Business rules. Functions named <thing>_<action>(*, ...) that raise domain errors."""
