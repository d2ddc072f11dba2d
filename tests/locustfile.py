"""The load of `make bench` section 8: members and leaders of many chapters at once, and beside
them people who only open the simplest signed-in page, the baseline under the same load.

Started by tests/bench.py (locust --headless), which signs the people in beforehand and hands
them over in the file named by BENCH_PEOPLE: one JSON object a person with the Cookie header,
the CSRF token, the chapter's slug, the slip's receiver and the week's meeting. Not a test.
"""

import itertools
import json
import os
import uuid

from locust import HttpUser, task

PEOPLE = json.loads(open(os.environ["BENCH_PEOPLE"]).read())  # noqa: SIM115 - read once
_next = {kind: itertools.cycle(PEOPLE[kind]) for kind in PEOPLE}
# The name the bare page's figures are kept under (tests/bench.py reads it back).
BARE = "bare: own profile form"


class Person(HttpUser):
    abstract = True
    kind = ""

    def on_start(self):
        self.person = next(_next[self.kind])
        self.client.headers.update(
            {"Cookie": self.person["cookie"], "X-CSRFToken": self.person["csrf"]}
        )
        self.chapter = f"/chapters/{self.person['slug']}/"

    def get(self, path: str, name: str):
        with self.client.get(path, name=name, allow_redirects=False,
                             catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}")

    def post(self, path: str, data: dict, name: str):
        with self.client.post(path, data=data, name=name, allow_redirects=False,
                              catch_response=True) as answer:
            if answer.status_code not in (200, 302):
                answer.failure(f"{answer.status_code}")


class Member(Person):
    kind = "members"

    @task(6)
    def dashboard(self):
        self.get(self.chapter, "member: dashboard")

    @task(3)
    def inbox(self):
        self.get(self.chapter + "referrals/", "member: inbox")

    @task(1)
    def log_a_slip(self):
        self.post(self.chapter + "slips/referral/new/", {
            "receiver": self.person["receiver"], "tier": "inside", "temperature": 3,
            "notes": "bench", "token": str(uuid.uuid4()),
        }, "member: log a slip")


class Leader(Person):
    kind = "leaders"

    @task(4)
    def attendance_mark(self):
        meeting = self.person["meeting"]
        self.post(f"{self.chapter}meetings/{meeting}/attendance/mark/",
                  {"member": self.person["receiver"], "code": "P"}, "leader: attendance mark")

    @task(2)
    def weekly_report(self):
        self.get(f"{self.chapter}meetings/{self.person['meeting']}/report/",
                 "leader: weekly report")

    @task(1)
    def palms(self):
        self.get(self.chapter + "reports/palms/", "leader: PALMS")


class Bare(Person):
    kind = "members"

    @task
    def profile(self):
        self.get(self.chapter + "profile/", BARE)
