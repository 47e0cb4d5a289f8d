"""Every path of the lifecycle, driven to its end through the HTTP API with the right demo users."""
import pytest

from app.db import db
from app.services.demo_seed import DEMO_USERS
from tests.drive import ServiceDriver, complaint_for, travel
from tests.lifecycle_paths import PATHS


class ApiDriver:
    def __init__(self, client, auth, traveller, app):
        self.client, self.auth, self.traveller, self.app = client, auth, traveller, app
        self.codes = {}

    def file(self, data):
        resp = self.client.post("/api/v1/complaints", json=data, headers=self.auth("intake_12345"))
        assert resp.status_code == 201, resp.get_json()
        body = resp.get_json()
        self.codes[body["case_no"]] = body["query_code"]
        return body["case_no"], body["query_code"]

    def view(self, case_no):
        resp = self.client.get(f"/api/v1/cases/{case_no}", headers=self.auth("supervisor_city"))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    def user_for(self, task):
        for name, (role, org) in DEMO_USERS.items():
            if role == task["role"] and org == task["org"]:
                return name
        raise AssertionError(f"no demo user for {task['role']} at {task['org']}")

    def complete(self, case_no, spec_id, data):
        case = self.view(case_no)
        [task] = [t for t in case["ready_tasks"] if t["task"] == spec_id] or [None]
        assert task, f"{spec_id} not ready: {[t['task'] for t in case['ready_tasks']]}"
        if task["role"] == "complainant":
            public = self.client.get(f"/api/v1/public/cases/{case_no}?query_code={self.codes[case_no]}").get_json()
            assert task["id"] in [t["id"] for t in public["my_tasks"]]
            resp = self.client.post(
                f"/api/v1/public/cases/{case_no}/tasks/{task['id']}/complete?query_code={self.codes[case_no]}",
                json={"data": data})
        else:
            headers = self.auth(self.user_for(task))
            inbox = self.client.get("/api/v1/tasks", headers=headers).get_json()["tasks"]
            assert task["id"] in [t["id"] for t in inbox]
            form = self.client.get(f"/api/v1/tasks/{task['id']}", headers=headers).get_json()
            assert form["schema"]["type"] == "object"
            resp = self.client.post(f"/api/v1/tasks/{task['id']}/complete", json={"data": data}, headers=headers)
        assert resp.status_code == 200, resp.get_json()
        from datetime import timedelta

        self.traveller.shift(timedelta(hours=2))

    def fire_timer(self, case_no, spec_id):
        with self.app.app_context():
            ServiceDriver(self.traveller).fire_timer(case_no, spec_id)
            db.session.remove()

    def withdraw(self, case_no, reason):
        resp = self.client.post(f"/api/v1/public/cases/{case_no}/withdraw?query_code={self.codes[case_no]}",
                                json={"reason": reason})
        assert resp.status_code == 200, resp.get_json()


@pytest.mark.parametrize("name", sorted(PATHS))
def test_path_reaches_its_outcome_through_the_api(app, client, auth, name):
    path = PATHS[name]
    with travel() as traveller:
        driver = ApiDriver(client, auth, traveller, app)
        case_no, code = driver.file(complaint_for(path))
        for step in path["steps"]:
            if "task" in step:
                driver.complete(case_no, step["task"], step.get("data", {}))
            elif "fire_timer" in step:
                driver.fire_timer(case_no, step["fire_timer"])
            else:
                driver.withdraw(case_no, step["withdraw"].get("reason", ""))
        final = driver.view(case_no)
        assert final["status"] == "closed" and final["outcome"] == path["outcome"]
        public = client.get(f"/api/v1/public/cases/{case_no}?query_code={code}").get_json()
        assert public["status"] == "closed" and public["my_tasks"] == []


