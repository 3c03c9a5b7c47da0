from tests.service_fixtures import database_url, redis_url, settings  # noqa: F401 - fixtures
