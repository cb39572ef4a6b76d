"""Code shared by every function in api/; nothing here imports api/."""

import os

# Pydantic looks for plugins on the first model it builds by reading the entry points of every
# installed distribution (3-9 ms of a cold start, measured in bench/.venv); this project uses none.
# A deployment that wants one sets PYDANTIC_DISABLE_PLUGINS itself (to "" or a list to skip).
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
