"""How often the hub sends one ZCL request: once; retrying is the library's decision.

zigpy 2 resends every request twice by itself, 0.1 s apart (``Device.request``). The
library keeps its own policy instead, as it did before zigpy did this: the chunked
transfer resends a step up to its ``attempts`` (its steps are resumable by design) and
a status read that fails is read again at the next poll. Two layers of retries would
multiply what an absent device costs (up to nine sends of a step) and sleep between
tries where the caller set no time.
"""

from typing import Final

RETRIES: Final = 0
"""zigpy's ``retries`` for every request the library sends."""
