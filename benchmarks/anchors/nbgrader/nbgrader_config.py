# nbgrader's course configuration of the speed comparison (benchmarks/compare_anchors.py copies this
# course into a temporary folder, with tp_nn_checks.py beside the source notebook, and runs there).
c = get_config()  # noqa: F821 (nbgrader's config loader defines it)
c.CourseDirectory.course_id = "tp_nn_anchor"
c.CourseDirectory.db_url = "sqlite:///gradebook.db"
# The Circles training of check 10 takes about a second; the default 30 s per cell is enough, 120 s
# leaves room on a loaded machine.
c.Execute.timeout = 120
