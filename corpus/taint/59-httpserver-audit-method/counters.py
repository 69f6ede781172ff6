"""In-process counters of the cache."""

import collections

HITS = collections.Counter()
MISSES = collections.Counter()


def snapshot(zone):
    return {"zone": zone, "hits": HITS[zone], "misses": MISSES[zone]}
