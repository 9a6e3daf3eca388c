def test_openapi_document_lists_the_endpoints(db, client):
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/v1/requests", "/api/v1/track/{tracking_code}", "/api/v1/auth/token", "/api/v1/cases/{case_id}",
                 "/api/v1/cases/{case_id}/transitions", "/api/v1/meetings"):
        assert path in paths
    assert "201" in paths["/api/v1/requests"]["post"]["responses"]


def test_docs_page_works_offline(db, client):
    html = client.get("/api/v1/docs").content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn." not in html and "unpkg" not in html
    assert client.get("/static/ninja/swagger-ui-bundle.js").status_code == 200
