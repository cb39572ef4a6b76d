"""A function's cold start: no garbage collection while its modules load, and what they built frozen after.

Every function in api/ imports this module first (ruff.toml's isort section "startup" keeps it
first). Loading a function builds a few hundred thousand objects that live as long as the
process (modules, classes, SQLAlchemy's and pydantic's tables) and next to no garbage, yet the
cyclic collector would walk them again and again as they pile up. `create_app`, the last thing
a function does, calls `loaded()`: those objects are frozen out of every later collection's walk
(`gc.freeze`, so warm requests' collections skip them too) and collection resumes.
"""

import gc

_paused = gc.isenabled()
if _paused:
    gc.disable()


def loaded() -> None:
    """The function's modules have loaded: freeze what they built and let the collector run again."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
