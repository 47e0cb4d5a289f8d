"""Administrators manage accounts and API tokens; revoked tokens and inactive users are refused."""


def test_an_admin_creates_a_user_and_issues_a_working_token(client, auth):
    created = client.post("/api/v1/users", json={"username": "clerk_api", "password": "long-enough-pw",
                                                 "role": "intake_officer", "org": "BB-JUSTICE"}, headers=auth("admin"))
    assert created.status_code == 201, created.get_json()
    token = client.post("/api/v1/users/clerk_api/tokens", json={"name": "司法局对接"}, headers=auth("admin")).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    revoked = client.post("/api/v1/users/clerk_api/tokens/revoke", headers=auth("admin"))
    assert revoked.get_json()["revoked"] == 1
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 401


def test_a_deactivated_user_is_refused_and_can_come_back(client, auth):
    client.post("/api/v1/users", json={"username": "clerk_off", "password": "long-enough-pw",
                                       "role": "handler", "org": "HY-GOV"}, headers=auth("admin"))
    token = client.post("/api/v1/users/clerk_off/tokens", json={}, headers=auth("admin")).get_json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.put("/api/v1/users/clerk_off/active", json={"active": False}, headers=auth("admin")).status_code == 200
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 401
    client.put("/api/v1/users/clerk_off/active", json={"active": True}, headers=auth("admin"))
    assert client.get("/api/v1/tasks", headers=bearer).status_code == 200
    client.put("/api/v1/users/clerk_off/active", json={"active": False}, headers=auth("admin"))  # leave it retired


def test_only_admins_manage_accounts_and_bad_input_is_422(client, auth):
    body = {"username": "x1", "password": "long-enough-pw", "role": "handler", "org": "HY-GOV"}
    assert client.post("/api/v1/users", json=body, headers=auth("supervisor_city")).status_code == 403
    bad = client.post("/api/v1/users", json={**body, "role": "king", "password": "short"}, headers=auth("admin"))
    assert bad.status_code == 422 and {"role", "password"} <= set(bad.get_json()["errors"])
    assert client.post("/api/v1/users/nobody/tokens", json={}, headers=auth("admin")).status_code == 404
