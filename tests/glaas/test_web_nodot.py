"""A server without Graphviz's dot still shows the lineage: as a plain list of links, with a
note saying what the picture needs. A real server whose PATH has no dot on it."""
from __future__ import annotations

import re

from tests.glaas.web_support import api, pipeline_batch


def test_without_dot_the_lineage_is_a_list_of_links(make_server, tmp_path) -> None:
    empty_bin = tmp_path / "bin-without-dot"
    empty_bin.mkdir()
    server = make_server(env={"PATH": str(empty_bin)})
    batch, lin = pipeline_batch("nodot", "public")
    assert api(server.url, "POST", "/api/v1/lineage", batch)[0] == 200
    for path, records in ((f"/artifact/{lin.artifacts['model.pt']}", 4 + 3),  # upstream files, all 3 jobs
                          (f"/dag/{lin.session}", 5 + 3)):
        status, page = api(server.url, "GET", path)
        assert status == 200
        assert "<svg" not in page
        assert "The lineage picture needs Graphviz&#39;s dot on the server; here it is as a list." in page
        listed = re.findall(r'<li>(job|artifact): <a href="(/(?:job|artifact)/[0-9a-f]+)">', page)
        assert len(listed) == records
        assert {href for _, href in listed} >= {f"/job/{uid}" for uid in lin.jobs.values()}
