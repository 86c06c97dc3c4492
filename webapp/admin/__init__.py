"""Administration: every job, with retry and cancel."""
