from __future__ import annotations

from pathlib import Path

from kfault.results import sites

REPO = Path(__file__).resolve().parents[2]

SRC = (Path(__file__).parent / "data/sites_sample.c").read_text()


def test_calls_are_found_with_their_statement_span() -> None:
    found = sites.find_sites("f.c", SRC)
    assert [(s.line, s.last, s.api) for s in found] == [(4, 5, "kzalloc"),
                                                        (6, 6, "kmem_cache_zalloc")]


def test_a_site_covers_every_line_of_its_statement() -> None:
    site = sites.find_sites("f.c", SRC)[0]
    assert site.covers("f.c", 5) and not site.covers("f.c", 6) and not site.covers("g.c", 4)


def test_the_reference_driver_uses_every_api_the_mission_names() -> None:
    apis = {s.api for s in sites.target_sites(sorted((REPO / "module").glob("*.c")))}
    for api in ("kmalloc", "kzalloc", "krealloc_array", "kmemdup", "memdup_user", "vzalloc",
                "kvmalloc_array", "kmem_cache_create", "kmem_cache_zalloc", "alloc_pages",
                "devm_kzalloc"):
        assert api in apis, api
