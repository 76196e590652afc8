"""Hub enrolment with one-time tokens, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from buildinghub.credentials import SigningKey
from buildinghub.telemetry.cloud_client import CloudClient, CloudRefused
from cloud_connector.hubs import create_enrolment
from cloud_connector.schema import hubs
from tests.cloud_site import BUILDING, CloudSite, cloud_site


@pytest.fixture
async def site(database_url: str) -> AsyncIterator[CloudSite]:
    async with cloud_site(database_url) as site:
        yield site


def new_hub(site: CloudSite) -> CloudClient:
    return CloudClient(site.session, site.cloud.url, SigningKey.generate())


async def enrolled_hubs(site: CloudSite) -> int:
    async with site.cloud.engine.connect() as connection:
        count = await connection.execute(select(func.count()).select_from(hubs))
        return int(count.scalar_one())


async def test_a_used_token_enrols_no_second_hub(site: CloudSite) -> None:
    token = await create_enrolment(site.cloud.engine, BUILDING)
    await new_hub(site).enrol(token)

    with pytest.raises(CloudRefused) as refused:
        await new_hub(site).enrol(token)

    assert (refused.value.status, refused.value.reason) == (409, "token_used")
    assert await enrolled_hubs(site) == 2  # the site's own hub and the first one


async def test_the_same_hub_sending_its_token_again_is_answered_as_enrolled(
    site: CloudSite,
) -> None:
    token = await create_enrolment(site.cloud.engine, BUILDING)
    hub = new_hub(site)
    await hub.enrol(token)

    assert await hub.enrol(token) == BUILDING
    assert await enrolled_hubs(site) == 2


async def test_an_enrolled_hub_cannot_use_up_another_token(site: CloudSite) -> None:
    token = await create_enrolment(site.cloud.engine, BUILDING)

    with pytest.raises(CloudRefused) as refused:
        await site.client.enrol(token)

    assert (refused.value.status, refused.value.reason) == (409, "hub_enrolled")
    # The token was not spent: a new hub still enrols with it.
    assert await new_hub(site).enrol(token) == BUILDING
