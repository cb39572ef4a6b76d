"""Code shared by every function in api/; nothing here imports api/."""
