"""Simulated respondents of the autosave benchmark (run by bench/autosave.py, never alone).

BENCH_TARGET=autosave: each user takes the next unused respondent from BENCH_TOKENS (a JSON
file: firm slug, item ids, tokens), GETs its survey page (the CSRF cookie, as a browser does),
then autosaves every statement once, in random order, with the CSRF header, and moves on to the
next respondent. Every POST writes a new (respondent, item): the answer rows in the database
must equal the successful POSTs. BENCH_TARGET=floor: GET the floor once for the cookie, then
POST one row per request. No think time unless BENCH_PACING: then a random wait between
requests, 0 to 2 x BENCH_PACING seconds (on average one request per BENCH_PACING seconds per
user, arriving at random as respondents do, not in step)."""

import itertools
import json
import os
import random
import time

from locust import HttpUser, between, constant, events, task
from locust.contrib.fasthttp import FastHttpUser

TARGET = os.environ["BENCH_TARGET"]
PACING = float(os.environ.get("BENCH_PACING") or 0)
with open(os.environ["BENCH_TOKENS"]) as _file:
    DATA = json.load(_file)
_next_token = itertools.count()  # one process, gevent: no two users take the same respondent
_next_floor = itertools.count(1)
# Every POST answered "saved" is counted ("all", checked against the rows); those that began
# after the ramp (BENCH_RAMP seconds from the start: the users starting, each opening its
# connections at once, which is the load tool's start-up and not the server) are measured: their
# latency in ms, and when the first began and the last ended.
RAMP_END = time.perf_counter() + float(os.environ.get("BENCH_RAMP") or 0)
SAVED = {"all": 0, "ms": [], "first": None, "last": None}


@events.quitting.add_listener
def _write_counts(environment, **kwargs):
    with open(os.environ["BENCH_COUNTS"], "w") as file:
        json.dump(SAVED, file)


BASE = HttpUser if os.environ.get("BENCH_CLIENT") == "requests" else FastHttpUser


class Respondent(BASE):
    wait_time = between(0, 2 * PACING) if PACING else constant(0)

    def on_start(self):
        self.queue = []
        self.floor_id = next(_next_floor)
        self.floor_item = 0
        if TARGET == "floor":
            self.client.get("/bench/floor/", name="floor GET (cookie)")
            self.csrf = self._csrf()  # set by the GET

    def _csrf(self) -> str:
        jar = self.client.cookiejar if BASE is FastHttpUser else self.client.cookies
        return next(c.value for c in jar if c.name == "csrftoken")

    def _next_respondent(self):
        token = DATA["tokens"][next(_next_token)]  # IndexError: the pool is too small
        base = f"/f/{DATA['firm']}/s/{token}/"
        with self.client.get(base, name="survey GET", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"survey page {response.status_code}")
        self.csrf = self._csrf()
        items = list(DATA["items"])
        random.shuffle(items)
        self.queue = [(base + "answer/", item) for item in items]

    @task
    def answer(self):
        if TARGET == "floor":
            self.floor_item += 1
            body = {"respondent": self.floor_id, "item": self.floor_item, "value": 3}
            url, name = "/bench/floor/", "floor POST"
        else:
            if not self.queue:
                self._next_respondent()
            url, item = self.queue.pop()
            body = {"item": item, "value": random.choice([1, 2, 3, 4, 5, "dk"])}
            name = "autosave POST"
        began = time.perf_counter()
        with self.client.post(
            url,
            data=json.dumps(body),
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf},
            name=name,
            catch_response=True,
        ) as response:
            if response.status_code != 200 or not response.json().get("saved"):
                response.failure(f"{response.status_code} {response.text[:120]}")
            else:
                ended = time.perf_counter()
                SAVED["all"] += 1
                if began >= RAMP_END:
                    SAVED["ms"].append((ended - began) * 1000)
                    SAVED["first"] = min(SAVED["first"] or began, began)
                    SAVED["last"] = ended
