from tests.dashboard.test_pages import client, dash_settings, instructor, queue, sessions  # noqa: F401 - fixtures
from tests.service_fixtures import database_url, redis_url, settings  # noqa: F401 - fixtures
