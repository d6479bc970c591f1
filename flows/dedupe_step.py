"""The dedupe step of a run: link copies and group stories for what was loaded."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from config.settings import Settings
from warehouse import loader
from warehouse.db import connection
from warehouse.dedupe import CHUNK, dedupe_articles
from warehouse.location import WarehouseLocation

if TYPE_CHECKING:
    from textanalysis.fingerprints import Analysis

DEDUPE_EVERY = 10 * CHUNK
"""A flow loading more than this many new or changed articles dedupes them every this
many, not only at the end: the fingerprints the workers computed wait in the flow's memory
until the dedupe that takes them (~20 KB per article, 200 MB for 10,000). Not more often:
loading stops while the writer dedupes, and the workers with it once they have extracted
what was fetched; deduping every 1,000 made the 10k end-to-end run slower and bigger
(README, "Scaling out")."""


@dataclass(frozen=True)
class Deduped:
    """What one or more dedupes of a run did."""

    links: int = 0  # copy links written
    stories: frozenset[str] = frozenset()  # stories touched

    def __add__(self, other: Deduped) -> Deduped:
        return Deduped(self.links + other.links, self.stories | other.stories)


@task(name="dedupe", cache_policy=NO_CACHE)
def dedupe(warehouse: WarehouseLocation, ready: Mapping[bytes, Analysis] | None = None) -> Deduped:
    """Link copies and group stories for every article loaded or changed since the last
    dedupe (this run's, and any a killed run left behind). ``ready``: fingerprints from
    ``fingerprints_of`` (pass it in ``quote``: Prefect need not walk it)."""
    with connection(warehouse) as con:
        article_ids = loader.pending_dedupe(con)
        result = dedupe_articles(con, article_ids, Settings(), ready)  # also watchlists
    get_run_logger().info(
        "dedupe: %d article(s) checked (%d fingerprinted by the extraction workers), "
        "%d copy link(s), %d story(ies) touched",
        len(article_ids),
        result.analyses_reused,
        len(result.links),
        len(result.stories_touched),
    )
    return Deduped(len(result.links), frozenset(result.stories_touched))


def dedupe_loaded(warehouse: WarehouseLocation, ready: dict[bytes, Analysis]) -> Deduped:
    """``dedupe`` with the fingerprints gathered since the last one, then forget them."""
    deduped = dedupe(warehouse, quote(ready))
    ready.clear()
    return deduped
