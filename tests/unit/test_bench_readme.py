import json
from pathlib import Path

from bench.readme import END, ROOT, START, render, update


def _results() -> dict:
    return json.loads((ROOT / "bench" / "results.json").read_text())


def test_the_readme_shows_the_figures_of_the_committed_results() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split(START, 1)[1].split(END, 1)[0]
    assert section.strip() == render(_results()).strip()


def test_update_replaces_only_the_marked_section(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\nbefore\n{START}\nold figures\n{END}\nafter\n")
    results = _results()
    results["cold_start"] = {**results["cold_start"], "ratio": 9.99}
    update(readme, results)
    text = readme.read_text()
    assert text.startswith("# title\n\nbefore\n") and text.endswith(f"{END}\nafter\n")
    assert "old figures" not in text
    assert "9.99×, **above the 1.3× target**" in text


def test_failed_throughput_requests_are_shown() -> None:
    results = _results()
    results["throughput"] = {
        "submissions_per_second": {"1": 100.0, "4": 120.0, "16": 110.0},
        "failed_requests": {"1": 0, "4": 0, "16": 3},
    }
    text = render(results)
    assert "16 clients: 110.0 (failed requests, not counted: 3 at 16 clients)." in text
    results["throughput"]["failed_requests"]["16"] = 0
    assert "failed" not in render(results)


def test_the_export_figures_are_shown_with_the_gateway_verdict() -> None:
    results = _results()
    assert "export" in results  # make bench measures it (bench/run.py, section 6)
    text = render(results)
    assert "**Export** of a seller with " in text
    slow = {**results["export"]}
    slow["formats"] = {"csv": {**results["export"]["formats"]["csv"], "total_s": 31.0}}
    text = render({**results, "export": slow})
    assert "| 31.0 s |" in text and "| **no** |" in text


def test_the_pages_figures_are_shown_and_say_whether_compressed() -> None:
    results = _results()
    assert "pages" in results  # make bench measures it (bench/run.py, section 7)
    text = render(results)
    assert "**Pages** signed in" in text and "| `/center/` |" in text and "| `/console/` |" in text
    pages = {**results["pages"]}
    pages["pages"] = {
        "/center/": {
            **results["pages"]["pages"]["/center/"],
            "bytes": 2048,
            "static_bytes": 1536,
            "api_bytes": 512,
            "requests": 3,
            "fcp_ms": 80.0,
            "content_ms": 200.5,
            "content_encodings": ["gzip", "identity"],
        }
    }
    text = render({**results, "pages": pages})
    assert "| 2.0 KiB (1.5 + 0.5) | 3 | 80 ms | 200.5 ms |" in text
    assert "as served (gzip, identity)" in text and "uncompressed" not in text
