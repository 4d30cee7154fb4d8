"""The session engine (``SESSION_ENGINE``): Django's ``cached_db`` sessions — read from the cache,
written through to the database, so a restarted cache signs nobody out — whose new keys are not
looked up before the insert that would refuse a taken one (``accounts.private_apis``)."""

from accounts.private_apis import SessionStore

__all__ = ["SessionStore"]
