"""The rows of one synthetic complaint case for generate_cases.py: the case, its process instance
(carrying the template state), its ready task with a due date from the real due rule, the tasks
completed before it, the waiting timers of a rectification, and its hash-chained audit trail."""
from __future__ import annotations

import random
import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from case_tables import (
    CHANNELS, RESPONDENTS, REROUTED_TO_CITY_HOUSING, TASKS, HISTORY, CLOSED_PATHS, TASK_LANE, TASK_NAME,
    PLACES, WORDS, TRADES, PROJECTS, SCOPES, CONTRACT_KINDS,
)


def _weighted(rng: random.Random, table: dict):
    keys = list(table)
    return rng.choices(keys, weights=[table[k][0] for k in keys])[0]


class Generator:
    """Builds the rows of synthetic cases; `take()` hands over what was built since the last call."""

    def __init__(self, rng, now, directory, calendar, users, definition_id, state_json, serializer_version,
                 template_data, next_ids, open_share: float = 0.35):
        from app.services.audit import GENESIS, _digest
        from app.services.intake import hash_query_code

        self.rng, self.now, self.dir, self.cal = rng, now, directory, calendar
        self.users = users  # (role, org_id) -> [(id, username)]
        self.definition_id, self.state_json, self.serializer_version = definition_id, state_json, serializer_version
        self.template_data = template_data
        self.ids = next_ids  # table -> next id
        self.open_share = open_share
        self.case_seq: dict[int, int] = {}
        self._digest, self._genesis, self._hash_code = _digest, GENESIS, hash_query_code
        self.rows: dict[str, list] = {}
        self.ready_by_org: dict[str, int] = {}

    def _id(self, table: str) -> int:
        value = self.ids[table]
        self.ids[table] = value + 1
        return value

    def _due(self, rule: str, start: datetime, data_deadline: datetime | None):
        from app.errors import CalendarNotCovered

        try:
            if rule.startswith("until"):
                due = data_deadline
            else:
                n = int(rule.split()[0])
                due = self.cal.add_workdays(start, n) if "workdays" in rule else self.cal.add_calendar_days(start, n)
        except CalendarNotCovered as exc:
            return None, {"rule": rule, "start": start.isoformat(), "provisional": True, "error": exc.message}
        return due.astimezone(timezone.utc), {"rule": rule, "start": start.isoformat(),
                                              "calendar_version": self.cal.version}

    def _span(self, rule: str) -> timedelta:
        n = 20 if rule.startswith("until") else int(rule.split()[0])
        return timedelta(days=n * 1.4 if "workdays" in rule or rule.startswith("until") else n)

    def _user(self, role: str, org_id: int | None):
        if role == "complainant" or org_id is None:
            return None, "complainant"
        found = self.users.get((role, org_id))
        return found[0] if found else (None, "system")

    def _enterprise(self, region: str):
        rng = self.rng
        place = rng.choice(PLACES)
        word, trade = rng.choice(WORDS), rng.choice(TRADES)
        if rng.random() < 0.12:
            return "individual_business", f"{place}{word}{trade[:2]}经营部"
        return "sme", f"{place}{word}{trade}有限公司"

    def _uscc(self, region: str) -> str:
        """A valid 统一社会信用代码: 91 + region + organisation code (with its own check) + check."""
        from app.identifiers import USCC_CHARSET, org_code_check_char, uscc_check_char

        body = "MA" + "".join(self.rng.choice(USCC_CHARSET) for _ in range(6))
        first17 = "91" + region + body + org_code_check_char(body)
        return first17 + uscc_check_char(first17)

    def add_case(self, index: int) -> None:
        from app import clock
        from app.calendar import end_of_day
        from app.errors import CalendarNotCovered

        rng, now = self.rng, self.now
        respondent_code = _weighted(rng, RESPONDENTS)
        respondent = self.dir.by_code[respondent_code]
        handling_code = RESPONDENTS[respondent_code][1]
        if respondent_code in REROUTED_TO_CITY_HOUSING and rng.random() < 0.45:
            handling_code = "BB-HOUSING"
        region = respondent.region_code
        supervising_code = self.dir.credit_office_for(respondent_code)
        channel = _weighted(rng, CHANNELS)
        accepting_code = CHANNELS[channel][1] or supervising_code
        is_open = rng.random() < self.open_share
        if is_open:
            spec = _weighted(rng, TASKS)
            _w, lane, stage, rule, process_id, name = TASKS[spec]
            history = HISTORY[spec]
            span = self._span(rule)
            overdue_share = 0.0 if spec == "report_rectification" else 0.33  # its boundary timer would have fired
            task_created = now - span * rng.uniform(0.0, 1.0 + overdue_share) - timedelta(minutes=rng.randint(1, 600))
            received = task_created - timedelta(days=rng.uniform(0.5, 6.0) * (1 + len(history)))
            outcome, closed_at = None, None
        else:
            weights = [p[0] for p in CLOSED_PATHS]
            _w, outcome, history = rng.choices(CLOSED_PATHS, weights=weights)[0]
            received = now - timedelta(days=rng.uniform(30, 540))
            closed_at = received + timedelta(days=rng.uniform(3, 25) * len(history))
            if closed_at >= now:
                closed_at = now - timedelta(hours=rng.uniform(1, 48))
            spec = lane = stage = rule = process_id = name = None
            task_created = closed_at
        received = received.replace(microsecond=rng.randint(0, 999999))
        year = received.astimezone(timezone(timedelta(hours=8))).year
        seq = self.case_seq.get(year, 0) + 1
        self.case_seq[year] = seq
        case_no = f"BB-{year}-{seq:06d}"
        case_id, instance_id = self._id("cases"), self._id("process_instances")

        kind, enterprise = self._enterprise(region)
        scope = rng.choice(SCOPES)
        project = rng.choice(PROJECTS)
        title = f"{respondent.name[:3] if respondent.level != 'city' else '蚌埠市'}{project}{CONTRACT_KINDS[scope]}"
        signed = date(received.year - rng.randint(1, 4), rng.randint(1, 12), rng.randint(1, 28))
        contract_no = f"{respondent_code.replace('-', '')[:6]}-{signed.year}-{index:06d}"
        total = Decimal(rng.randrange(50_000, 20_000_000, 1000))
        claimed = (total * Decimal(rng.uniform(0.05, 0.6))).quantize(Decimal("1.00"))
        uscc = self._uscc(region)
        submission = {
            "complainant": {"kind": kind, "name": enterprise, "uscc": uscc, "contact_name": "联系人",
                            "contact_phone": f"13{rng.randint(100000000, 999999999)}"},
            "respondent": {"org_code": respondent_code, "name": respondent.name},
            "contract": {"title": title, "contract_no": contract_no, "signed_on": signed.isoformat(),
                         "scope_area": scope, "amount_total": str(total), "amount_claimed": str(claimed)},
            "facts": f"合同约定款项{claimed}元已到期，{respondent.name}至今未履行付款义务。",
            "demands": f"请求督促{respondent.name}依约支付{claimed}元。", "channel": channel,
            "declarations": {"truthful": True, "consent_contact": True},
        }
        data = dict(self.template_data)
        data.update({
            "case_no": case_no, "received_at": received.astimezone(timezone(timedelta(hours=8))).isoformat(
                timespec="seconds"), "channel": channel, "accepting_org": accepting_code,
            "respondent_org": respondent_code, "respondent": {"name": respondent.name, "kind": respondent.kind,
                                                              "level": respondent.level, "region_code": region},
            "complainant_kind": kind, "complainant_name": enterprise, "amount_claimed": str(claimed),
            "scope_area": scope, "contract_title": title,
        })
        if history and history[0][1].get("intake_decision") == "accept":
            data.update({"handling_org": handling_code, "supervising_org": supervising_code})
        for _spec, submitted in history:
            data.update(submitted)
        if outcome:
            data["outcome"] = outcome
        org_ids = {"intake_officer": self.dir.by_code[accepting_code].id, "handler": self.dir.by_code[handling_code].id,
                   "supervisor": self.dir.by_code[supervising_code].id, "complainant": None}
        routed = "handling_org" in data

        # history: completed tasks and their audit entries, spread between receipt and the current task
        steps = len(history)
        moments = sorted(received + (task_created - received) * rng.uniform(0.05, 0.95) for _ in range(steps))
        intake_user = self._user("intake_officer", org_ids["intake_officer"])
        audit = [(received, intake_user, "process_started", {"key": "breach_complaint", "version": 1}, False),
                 (received, intake_user, "complaint_registered",
                  {"case_no": case_no, "channel": channel, "accepting_org": accepting_code}, True)]
        for (done_spec, submitted), at in zip(history, moments):
            done_lane = TASK_LANE[done_spec]
            done_org = org_ids[done_lane]
            user_id, label = self._user(done_lane, done_org)
            task_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            self.rows.setdefault("task_log", []).append({
                "id": self._id("task_log"), "task_id": task_id, "instance_id": instance_id, "case_id": case_id,
                "spec_id": done_spec, "name": TASK_NAME[done_spec], "role": done_lane,
                "stage": TASKS[done_spec][2], "state": "completed", "org_id": done_org,
                "created_at": at - timedelta(hours=rng.uniform(2, 60)), "due_at": None, "completed_at": at,
                "completed_by_id": user_id, "completed_by_label": label, "data": submitted,
            })
            audit.append((at, (user_id, label), "task_completed",
                          {"task_id": task_id, "task": done_spec, "name": TASK_NAME[done_spec], "role": done_lane}, True))

        next_timer_at = None
        if is_open:
            org_id = org_ids[lane] if (lane != "handler" or routed) else None
            deadline = None
            if spec == "report_rectification":  # choose_remedy set a 20-working-day deadline
                try:
                    deadline_day = clock.local(self.cal.add_workdays(task_created, 20)).date()
                except CalendarNotCovered:
                    deadline_day = clock.local(task_created + timedelta(days=28)).date()
                deadline = end_of_day(deadline_day)
                data["rectify_deadline"] = deadline_day.isoformat()
            due_at, basis = self._due(rule, task_created, deadline)
            task_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            claimed_by = None
            if lane != "complainant" and org_id is not None and rng.random() < 0.3:
                claimed_by = rng.choice(self.users.get((lane, org_id), [(None, None)]))[0]
            level = 0
            if due_at is not None:
                used = (now - task_created) / max(due_at - task_created, timedelta(minutes=1))
                level = 3 if used >= 1 else 2 if used >= 0.8 else 1 if used >= 0.5 else 0
            self.rows.setdefault("ready_tasks", []).append({
                "id": task_id, "instance_id": instance_id, "case_id": case_id, "spec_id": spec, "name": name,
                "process_id": process_id, "role": lane, "org_id": org_id, "stage": stage,
                "form": f"{spec}.schema.json", "ui_form": f"{spec}.ui.json",
                "instructions": f"请办理投诉 {case_no}：{respondent.name}（{enterprise}）。", "created_at": task_created,
                "due_at": due_at, "due_rule": rule, "due_basis": basis, "claimed_by_id": claimed_by,
                "escalation_level": level, "original_due_at": None, "paused_workdays": 0, "extended_workdays": 0,
            })
            if org_id is not None:
                code = self.dir.by_id[org_id].code
                self.ready_by_org[f"{lane}:{code}"] = self.ready_by_org.get(f"{lane}:{code}", 0) + 1
            if spec == "report_rectification":
                reminder = now + timedelta(hours=rng.uniform(1, 47))
                for timer_spec, kind, due in (("rectify_deadline_timer", "date", deadline),
                                              ("rectify_reminder_timer", "cycle", reminder)):
                    self.rows.setdefault("timers", []).append({
                        "id": self._id("timers"), "instance_id": instance_id, "case_id": case_id,
                        "task_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "spec_id": timer_spec,
                        "attached_to": "report_rectification", "kind": kind, "due_at": due.astimezone(timezone.utc),
                        "fired_at": None, "attempts": 0, "last_error": None, "next_attempt_at": None,
                    })
                next_timer_at = min(deadline, reminder).astimezone(timezone.utc)
        else:
            audit.append((closed_at, (None, "system"), "case_closed", {"outcome": outcome}, True))

        self.rows.setdefault("process_instances", []).append({
            "id": instance_id, "definition_id": self.definition_id, "status": "running" if is_open else "completed",
            "state_json": self.state_json, "serializer_version": self.serializer_version, "data": data,
            "lock_version": 1 + steps, "started_at": received, "updated_at": task_created,
            "completed_at": closed_at, "next_timer_at": next_timer_at, "started_by_id": intake_user[0],
            "case_id": case_id,
        })
        self.rows.setdefault("cases", []).append({
            "id": case_id, "case_no": case_no, "query_code_hash": self._hash_code(f"Q{index:09d}"),
            "status": "open" if is_open else "closed", "stage": stage if is_open else "closed", "outcome": outcome,
            "channel": channel, "external_id": None, "idempotency_key": None,
            "dedupe_key": f"{uscc}|{respondent_code}|{contract_no}", "complainant_kind": kind,
            "complainant_name": enterprise, "complainant_uscc": uscc, "contact_name": "联系人",
            "contact_phone": submission["complainant"]["contact_phone"], "respondent_org_id": respondent.id,
            "accepting_org_id": org_ids["intake_officer"], "handling_org_id": org_ids["handler"] if routed else None,
            "supervising_org_id": org_ids["supervisor"] if routed else None, "region_code": region,
            "contract_title": title, "contract_no": contract_no, "contract_signed_on": signed, "scope_area": scope,
            "amount_total": total, "amount_claimed": claimed, "facts": submission["facts"],
            "demands": submission["demands"], "submission": submission, "instance_id": instance_id,
            "received_at": received, "closed_at": closed_at, "needs_attention": False, "attention_reason": None,
            "created_by_id": intake_user[0],
        })
        self._chain(case_id, instance_id, audit)

    def _chain(self, case_id: int, instance_id: int, entries: list) -> None:
        chain, prev, seq = f"case:{case_id}", self._genesis, 0
        for at, (user_id, label), action, detail, public in sorted(entries, key=lambda e: e[0]):
            seq += 1
            digest = self._digest(prev, seq, at, label, action, case_id, instance_id, detail)
            self.rows.setdefault("audit_events", []).append({
                "id": self._id("audit_events"), "chain": chain, "seq": seq, "at": at, "actor_id": user_id,
                "actor_label": label, "case_id": case_id, "instance_id": instance_id, "action": action,
                "detail": detail, "public": public, "prev_hash": prev, "hash": digest,
            })
            prev = digest
        self.rows.setdefault("audit_chains", []).append({"chain": chain, "seq": seq, "last_hash": prev})

    def take(self) -> dict[str, list]:
        rows, self.rows = self.rows, {}
        return rows
