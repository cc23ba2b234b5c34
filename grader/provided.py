"""Modules every worker provides itself, whatever is installed: intake keeps their imports.

`torch.utils.tensorboard` needs the `tensorboard` package, which students' code imports but the
grader does not require: the worker installs a `SummaryWriter` that records `add_scalar` calls
(grader.jail.worker.ScalarLog), so the scorer gets the student's curves as data.
"""

WORKER_MODULES: dict[str, frozenset[str]] = {
    "torch.utils.tensorboard": frozenset({"SummaryWriter"}),
    "tensorboardX": frozenset({"SummaryWriter"}),
}
