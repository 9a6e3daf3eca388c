import pytest

from sanshi.registry.models import Role


@pytest.fixture
def admins(world):
    """The world, with a security administrator at the district (T) and one at the street T1."""
    world.secadmin = world.staff("secadmin", Role.SECURITY_ADMIN, world.district)
    world.street_secadmin = world.staff("secadmin-t1", Role.SECURITY_ADMIN, world.street)
    return world
