"""Reports: the versioned per-student model and its renderings (JSON, Markdown, CSV, console)."""
