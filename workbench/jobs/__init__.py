"""Jobs: sweep specs and their expansion (``spec``), the job lifecycle, executors, resume."""
