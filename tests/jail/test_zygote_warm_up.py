"""What the zygote pays once for all its workers: a frozen heap (a garbage collection in a worker
would otherwise copy every page holding one of the zygote's objects) and a first seeding."""

from __future__ import annotations

from grader.jail.session import Jail, JobSpec, Session


def test_workers_start_from_a_frozen_heap(tmp_path):
    (tmp_path / "m.py").write_text(
        "import gc, sys\n"
        "def frozen():\n"
        "    return gc.get_freeze_count()\n"
        "def collected_after_import():\n"
        "    gc.collect()\n"
        "    return gc.get_freeze_count()\n")
    with Jail.start() as jail:
        session = Session(jail, JobSpec(submission_dir=str(tmp_path)))
        try:
            module = session.module("m")
            # torch, numpy and matplotlib are far more than 10,000 objects
            assert module.frozen() > 10_000
            assert module.collected_after_import() > 10_000
        finally:
            session.close()


def _huge_pages_offered() -> bool:
    try:
        with open("/sys/kernel/mm/transparent_hugepage/enabled") as handle:
            return "[never]" not in handle.read()
    except OSError:
        return False


def _kernel_at_least(major: int, minor: int) -> bool:
    import platform

    numbers = platform.release().split("-")[0].split(".")
    try:
        return (int(numbers[0]), int(numbers[1])) >= (major, minor)
    except (IndexError, ValueError):
        return False


def test_the_zygotes_heap_is_backed_by_huge_pages_so_forks_copy_few_page_table_entries():
    import pytest

    import platform

    libc, version = platform.libc_ver()
    glibc = libc == "glibc" and tuple(int(part) for part in version.split(".")[:2]) >= (2, 35)
    if not (_huge_pages_offered() and _kernel_at_least(6, 1) and glibc):
        pytest.skip("transparent huge pages, MADV_COLLAPSE (Linux 6.1) or glibc.malloc.hugetlb (glibc 2.35) "
                    "not available on this machine")
    with Jail.start() as jail:
        fields = {}
        with open(f"/proc/{jail.process.pid}/smaps_rollup") as handle:
            for line in handle:
                name, _, value = line.partition(":")
                if value.strip().endswith("kB"):
                    fields[name] = int(value.split()[0])
    # torch's heap is most of the zygote's anonymous memory; left as 4 kB pages, this is 0
    assert fields["AnonHugePages"] > fields["Anonymous"] / 2, fields
