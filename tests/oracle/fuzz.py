#!/usr/bin/env python3
"""Differential fuzzer: oracle.py versus `jiaoban simulate`.

    python3 fuzz.py --count 500 --seed 1 [--only N] [--bin PATH] [--keep-going]

Each case i is generated from Random(seed, i) and is reproducible alone with
`--only i`.  Valid timelines are replayed with and without --reminders and
the parsed JSON compared (extra fields in the binary's objects are allowed by
timeline.md and are only counted); bad ones must exit 2 on both sides with
nothing on stdout and the same `line N:` / `--as-of:` prefix.  Every
mismatching case is saved under mismatches/<seed>-<i>/.
"""
import argparse
import collections
import copy
import datetime as dt
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import oracle  # noqa: E402
from oracle import Engine, BadInput, fmt_dt  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(ROOT, "target", "debug", "jiaoban")
WORKFLOW = os.path.join(ROOT, "workflows", "water-environment.toml")

UNITS = ["中兴街道", "竹行街道", "新开街道", "老洪港管理办公室", "小海街道"]
ODD_UNITS = [" ", "中兴街道 ", "Unit A", "\t", "a\"b"]
D = dt.timedelta
S1 = D(seconds=1)


# ------------------------------------------------------------------ generation
def line_of(ev, rng, key_order=True):
    items = list(ev.items())
    if not key_order:
        rng.shuffle(items)
    return json.dumps(dict(items), ensure_ascii=rng.random() < 0.1, separators=(",", ":"))


def at_str(t, rng, plus=0.1):
    s = fmt_dt(t)
    if rng.random() < plus:
        s += "+08:00"
    return s


def time_candidates(eng, now, rng):
    c = [now] * 6 + [now + S1, now + D(minutes=rng.randint(1, 300)),
                     now + D(hours=rng.randint(1, 48)),
                     now + D(days=rng.randint(1, 20), seconds=rng.randint(0, 86399))]
    s = oracle.next_schedule_after(now - S1)
    for x in (s, s - S1, s + S1, s, s):
        c.append(x)
    s2 = oracle.next_schedule_after(s)
    c += [s2, s2 + S1]
    clocks = [dt.time(0, 0, 0), dt.time(0, 0, 1), dt.time(8, 29, 59), dt.time(8, 30, 0),
              dt.time(9, 0, 0), dt.time(12, 0, 0), dt.time(17, 29, 59), dt.time(17, 30, 0),
              dt.time(23, 59, 59)]
    for iss in eng.order:
        if iss.d is not None and not iss.final or (iss.d is not None and rng.random() < 0.2):
            for k in rng.sample([12, 13, 14, 15, 16, 17, 27, 28, 29, 30, 31, 32, 35, 45], 3):
                c.append(dt.datetime.combine(iss.d + D(days=k), rng.choice(clocks)))
        if iss.state == "reported" and iss.last_report is not None:
            w = iss.last_report + oracle.RECHECK_WAIT
            c += [w - S1, w, w + S1, oracle.next_working(w)]
        c += correction_times(iss, rng, clocks)
    q = oracle.quarter_of(now.date())
    nq = oracle.next_quarter(q)
    fd = oracle.quarter_first_day(nq)
    due = oracle.quarter_due(q)
    pdue = oracle.quarter_due((q[0] - 1, 4) if q[1] == 1 else (q[0], q[1] - 1))
    for day in (fd, due - D(days=3), due, due + D(days=1), pdue, pdue + D(days=1), pdue - D(days=3)):
        c.append(dt.datetime.combine(day, rng.choice(clocks)))
        c.append(dt.datetime.combine(day, dt.time(0, 0, 0)))
    c.append(dt.datetime.combine(due, dt.time(23, 59, 59)))
    # weekends / nights
    nd = now.date() + D(days=1)
    while nd.weekday() != 5:
        nd += D(days=1)
    c += [dt.datetime.combine(nd, dt.time(10, 0)), dt.datetime.combine(nd + D(days=2), dt.time(8, 29, 59)),
          dt.datetime.combine(now.date(), dt.time(17, 30)), dt.datetime.combine(now.date(), dt.time(20, 0))]
    c = [x for x in c if x >= now]
    # prefer near instants
    c.sort()
    if rng.random() < 0.7:
        c = c[: max(3, len(c) // 2)]
    return c


def correction_times(iss, rng, clocks):
    """Instants at the edges of the corrections of one issue."""
    c = []
    if iss.state == "assigned" and iss.d is not None:
        for k in (0, 1, oracle.RETURN_WINDOW, oracle.RETURN_WINDOW + 1):
            day = iss.d + D(days=k)
            c += [dt.datetime.combine(day, rng.choice(clocks)), dt.datetime.combine(day, dt.time(23, 59, 59))]
    if iss.state == "returned" and iss.d is not None:
        m31 = oracle.midnight(iss.d + D(days=oracle.OVERDUE_START))
        c += [m31 - S1, m31, m31 + S1, m31 + D(hours=rng.randint(1, 200)),
              dt.datetime.combine(iss.d + D(days=rng.randint(1, 20)), rng.choice(clocks))]
    if iss.final and iss.charge_q is not None:
        due = oracle.quarter_due(iss.charge_q)
        c += [dt.datetime.combine(due, dt.time(23, 59, 59)), oracle.midnight(due + D(days=1)),
              dt.datetime.combine(due, rng.choice(clocks))]
    return c


def issue_time(eng, now, rng):
    """A time aimed at the edges of one open issue's life (issue-first mode)."""
    live = [i for i in eng.order if i.state in ("assigned", "rectifying", "reported", "rechecked", "returned")]
    if not live:
        return None
    iss = rng.choice(live)
    clocks = [dt.time(0, 0, 0), dt.time(0, 0, 1), dt.time(23, 59, 59), dt.time(8, 30, 0),
              dt.time(8, 29, 59), dt.time(17, 30, 0), dt.time(17, 29, 59),
              dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))]
    c = []
    if iss.state == "assigned":
        c += [now, now + D(hours=rng.randint(0, 30)), oracle.next_working(now)]
    if iss.state in ("assigned", "rectifying"):
        for k in (12, 13, 14, 15, 16, 17, 27, 28, 29, 30, 31):
            m = oracle.midnight(iss.d + D(days=k))
            c += [dt.datetime.combine(m.date(), rng.choice(clocks)), m - S1, m,
                  oracle.next_working(m), oracle.next_working(m) - S1]
        c += [now + D(days=rng.randint(0, 12), seconds=rng.randint(0, 86399))] * 4
    if iss.state == "reported":
        cq = oracle.quarter_of(iss.last_report.date())
        due = oracle.quarter_due(cq)
        for day in (due - D(days=1), due, due + D(days=1)):
            c.append(dt.datetime.combine(day, rng.choice(clocks)))
        c += [oracle.midnight(due + D(days=1)), dt.datetime.combine(due, dt.time(23, 59, 59))]
        m31 = oracle.midnight(iss.d + D(days=31))
        c += [m31 - S1, m31, m31 + S1, m31 + D(days=rng.randint(0, 10))]
        w = iss.last_report + oracle.RECHECK_WAIT
        c += [w - S1, w, oracle.next_working(w), oracle.next_working(w) - S1]
        c += [now + D(days=rng.randint(0, 5), seconds=rng.randint(0, 86399))] * 4
    if iss.state == "rechecked":
        c += [now, now + D(days=rng.randint(0, 5))]
    c += correction_times(iss, rng, clocks)
    c = [x for x in c if x >= now]
    return (rng.choice(c), iss) if c else None


def start_instant(rng):
    y = rng.choice([2021, 2022, 2023, 2024])
    if rng.random() < 0.03:  # far-away years: the rules have no year limit
        y = rng.choice([1, 1900, 1969, 1970, 2100, 2101, 2200, 9998])
    r = rng.random()
    if r < 0.4:
        m = rng.choice([3, 6, 9, 12])
        day = rng.randint(1, 31 if m in (3, 12) else 30)
    else:
        m = rng.randint(1, 12)
        day = rng.choice([1, 16, 15, 31, 30, rng.randint(1, 28)])
    while True:
        try:
            dd = dt.date(y, m, day)
            break
        except ValueError:
            day -= 1
    tm = rng.choice([dt.time(9, 0, 0), dt.time(8, 59, 59), dt.time(9, 0, 1), dt.time(0, 0, 0),
                     dt.time(rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59))])
    return dt.datetime.combine(dd, tm)


def gen_valid(rng):
    """Returns (lines, engine) of a valid timeline built by trial against the oracle engine."""
    eng = Engine()
    lines = []
    units = rng.sample(UNITS, rng.randint(1, 4))
    if rng.random() < 0.1:
        units.append(rng.choice(ODD_UNITS))
    now = start_instant(rng)
    n_events = rng.randint(3, 45) if rng.random() < 0.9 else rng.randint(60, 200)
    # a quarter of the cases are timelines of the earlier spec, without corrections
    corrections = 0 if rng.random() < 0.25 else 1
    nid = nv = 0
    prefix = rng.choice(["W-", "Q-", "E-", "问题", "x"])
    tries = 0
    while len(lines) < n_events and tries < n_events * 6:
        tries += 1
        t = target = None
        try:
            if rng.random() < 0.6:
                r = issue_time(eng, now, rng)
                if r:
                    t, target = r
            if t is None:
                t = rng.choice(time_candidates(eng, now, rng))
        except (OverflowError, TypeError, ValueError):  # near year 9999
            t = now
        trial = copy.deepcopy(eng)
        try:
            trial.advance_to(t)
        except OverflowError:  # a timer past year 9999: Python's dates end there
            continue
        by_state = collections.defaultdict(list)
        for iss in trial.order:
            by_state[iss.state].append(iss.id)
        nreg = len(by_state["registered"])
        opts = [("register", max(2, 14 - 3 * nreg)), ("violation", 3), ("dispatch", 4)]
        if by_state["assigned"]:
            opts.append(("accept", 14))
        if by_state["rectifying"]:
            opts.append(("report", 14))
        if by_state["reported"]:
            opts.append(("recheck", 16))
        if by_state["rechecked"]:
            opts.append(("close", 5))
        if by_state["assigned"]:
            opts.append(("return", 12 * corrections))
        if by_state["returned"]:
            opts += [("reassign", 10), ("reject_return", 8)]
        withdrawable = [i for i in trial.order if i.state != "withdrawn"]
        if withdrawable:
            opts.append(("withdraw", 2 * corrections))
        open_ids = [v for v, rec in trial.violations.items() if not rec[3]]
        if open_ids:
            opts.append(("revoke", 3 * corrections))
        kinds, weights = zip(*opts)
        kind = rng.choices(kinds, weights)[0]
        nxt = {"assigned": "accept", "rectifying": "report", "reported": "recheck", "rechecked": "close",
               "returned": "reassign"}
        if target is not None and trial.issues[target.id].state in nxt and rng.random() < 0.85:
            kind = nxt[trial.issues[target.id].state]
            if kind == "accept" and corrections and rng.random() < 0.4:
                kind = "return"
            if kind == "reassign" and rng.random() < 0.4:
                kind = "reject_return"
            by_state[trial.issues[target.id].state] = [target.id]
        ev = {"at": at_str(t, rng), "event": kind}
        if kind == "register":
            nid += 1
            ev.update({"issue": "%s%03d" % (prefix, nid), "unit": rng.choice(units),
                       "title": rng.choice(["x", "排污口", " ", "t"])})
            if rng.random() < 0.5:
                ev["source"] = rng.choice(oracle.SOURCES + [None])
            if rng.random() < 0.5:
                ev["category"] = rng.choice(oracle.CATEGORIES + [None])
        elif kind == "violation":
            ev["unit"] = rng.choice(units + ["新单位"]) if rng.random() < 0.9 else rng.choice(units)
            if rng.random() < 0.6:
                ev["note"] = rng.choice(["未按调度指令关闸", "", None])
            if rng.random() < 0.5 * corrections:
                nv += 1
                ev["id"] = "V-%d" % nv if rng.random() < 0.9 else None
        elif kind == "return":
            ev["issue"] = rng.choice(by_state["assigned"])
        elif kind == "reassign":
            ev["issue"] = rng.choice(by_state["returned"])
            here = trial.issues[ev["issue"]].unit
            ev["unit"] = rng.choice([u for u in units + ["新单位"] if u != here] or ["别的单位"])
        elif kind == "reject_return":
            ev["issue"] = rng.choice(by_state["returned"])
        elif kind == "withdraw":
            pick = [i for i in withdrawable if i.final] if rng.random() < 0.5 else withdrawable
            ev["issue"] = rng.choice(pick or withdrawable).id
        elif kind == "revoke":
            ev["violation"] = rng.choice(open_ids)
        elif kind == "accept":
            ev["issue"] = rng.choice(by_state["assigned"])
        elif kind == "report":
            ev["issue"] = rng.choice(by_state["rectifying"])
        elif kind == "recheck":
            ev["issue"] = rng.choice(by_state["reported"])
            ev["passed"] = rng.random() < 0.65
        elif kind == "close":
            ev["issue"] = rng.choice(by_state["rechecked"])
        if rng.random() < 0.08:  # unused fields are ignored
            ev[rng.choice(["note", "unit", "passed", "extra", "title", "source", "category", "issue"])] = \
                rng.choice(["n", 1, True, None, [1], "", "bad"])
            if ev["event"] in ("accept", "report", "recheck", "close", "return", "reassign", "reject_return",
                               "withdraw") and not isinstance(ev.get("issue"), str):
                continue
            if ev["event"] == "reassign" and not isinstance(ev.get("unit"), str):
                continue
            if ev["event"] == "register" and (not isinstance(ev.get("issue"), str) or ev.get("source") not in
                                              oracle.SOURCES + [None] or ev.get("category") not in oracle.CATEGORIES + [None]):
                continue
            if ev["event"] in ("register", "violation") and "unit" in ev and not isinstance(ev["unit"], str):
                ev["unit"] = rng.choice(units)
            if ev["event"] == "register" and not isinstance(ev.get("title"), str):
                ev["title"] = "t"
            if ev["event"] == "recheck" and not isinstance(ev.get("passed"), bool):
                ev["passed"] = True
        line = line_of(ev, rng, key_order=rng.random() < 0.8)
        try:
            trial.feed(line)
        except BadInput:
            continue
        except OverflowError:  # a deadline past year 9999 (d + the return window)
            continue
        eng = trial
        lines.append(line)
        now = t
    return lines, eng


def pick_as_of(eng, rng):
    try:
        return pick_as_of1(eng, rng)
    except (OverflowError, TypeError, ValueError):  # near year 9999
        return None


def pick_as_of1(eng, rng):
    last = eng.last
    r = rng.random()
    if r < 0.35:
        return None
    c = [last, last + S1, last + D(days=rng.randint(1, 40), seconds=rng.randint(0, 86399)),
         last + D(days=rng.randint(100, 800)),
         oracle.next_schedule_after(last), oracle.next_schedule_after(last) - S1]
    for iss in eng.order:
        if iss.d is not None:
            for k in (13, 16, 28, 30, 31):
                m = oracle.midnight(iss.d + D(days=k))
                c += [m, m - S1, oracle.next_working(m), oracle.next_working(m) - S1]
        if iss.last_report is not None:
            w = iss.last_report + oracle.RECHECK_WAIT
            c += [oracle.next_working(w), oracle.next_working(w) - S1]
    q = oracle.quarter_of(last.date())
    due = oracle.quarter_due(q)
    pdue = oracle.quarter_due((q[0] - 1, 4) if q[1] == 1 else (q[0], q[1] - 1))
    for day in (oracle.quarter_first_day(oracle.next_quarter(q)), due - D(days=3), due + D(days=1),
                pdue + D(days=1), pdue - D(days=3)):
        m = oracle.midnight(day)
        c += [m, m - S1, oracle.next_working(m), oracle.next_working(m) - S1]
    c = [x for x in c if x >= last]
    t = rng.choice(c)
    return at_str(t, rng, 0.1)


# ------------------------------------------------------------------ corruption
WRONG = [0, 1.5, True, False, None, [], {}, ["x"], ""]
MOVES = ["accept", "report", "recheck", "close", "return", "reassign", "reject_return", "withdraw"]


# Every way corrupt1 breaks a timeline. Bad cases take them in turn, so a
# run of N bad cases tries each about N / len(KINDS) times.
KINDS = ["badjson", "nonobject", "unknown-event", "missing", "empty", "wrongtype",
         "source", "category", "unknown-id", "duplicate", "move", "backwards",
         "offset", "timefmt", "blank", "empty-file", "as-of-early", "as-of-bad",
         "sched-accept", "ws-required", "null-optional", "multi",
         "violation-id", "revoke", "return-late",
         "dupkey", "surrogate", "badutf8", "oddspace", "crlf", "bom"]


def corrupt(lines, rng, kind=None):
    """Returns (lines, as_of_override, description). The oracle decides what is expected."""
    for _ in range(5):
        try:
            return corrupt1(lines, rng, kind)
        except (ValueError, KeyError, TypeError, IndexError, AttributeError, OverflowError):
            continue
    return list(lines), None, "noop"


def corrupt1(lines, rng, kind=None):
    lines = list(lines)
    n = len(lines)
    i = rng.randrange(n) if n else 0
    ev = json.loads(lines[i]) if n else {}
    kind = kind or rng.choice(KINDS)
    desc = kind
    as_of = None
    if kind == "badjson":
        s = lines[i]
        lines[i] = rng.choice([s[:-1], s[: len(s) // 2], s + "}", s + ",", s.replace(":", "=", 1),
                               "{'at':1}", s + " x", s.replace('"', "", 2), "{", "NaN",
                               s[:-1] + ',"n":NaN}', s[:-1] + ',}'])
    elif kind == "nonobject":
        lines[i] = rng.choice(["[]", "[%s]" % lines[i], "1", "null", '"text"', "true"])
    elif kind == "unknown-event":
        ev["event"] = rng.choice(["Register", "reopen", "", "recheck_pass", " dispatch", 1, None])
        lines[i] = json.dumps(ev, ensure_ascii=False)
    elif kind in ("missing", "empty", "wrongtype", "ws-required"):
        req = {"register": ["issue", "unit", "title"], "accept": ["issue"], "report": ["issue"],
               "close": ["issue"], "recheck": ["issue", "passed"], "violation": ["unit"],
               "dispatch": [], "return": ["issue"], "reassign": ["issue", "unit"], "reject_return": ["issue"],
               "withdraw": ["issue"], "revoke": ["violation"]}[ev["event"]] + ["at", "event"]
        f = rng.choice(req)
        desc += ":" + f
        if kind == "missing":
            ev.pop(f, None)
        elif kind == "empty":
            ev[f] = ""
        elif kind == "ws-required":
            ev[f] = rng.choice([" ", "\t", "  "])
        else:
            ev[f] = rng.choice(WRONG)
        lines[i] = json.dumps(ev, ensure_ascii=False)
    elif kind in ("source", "category", "null-optional"):
        regs = [j for j in range(n) if json.loads(lines[j])["event"] == "register"]
        if regs:
            i = rng.choice(regs)
            ev = json.loads(lines[i])
            f = rng.choice(["source", "category"]) if kind == "null-optional" else kind
            if kind == "null-optional":
                ev[f] = None
            else:
                ev[f] = rng.choice(["", " ", "巡查", "其它", 1, True, [], {}, "入河污染源" if f == "source" else "巡查发现",
                                    "其他 ", "OTHER"])
            lines[i] = json.dumps(ev, ensure_ascii=False)
    elif kind == "unknown-id":
        ev = {"at": json.loads(lines[i])["at"], "event": rng.choice(MOVES),
              "issue": rng.choice(["NOPE", " ", "w-001", "W-001 "]), "passed": True, "unit": "竹行街道"}
        lines.insert(i + 1, json.dumps(ev, ensure_ascii=False))
    elif kind == "duplicate":
        regs = [json.loads(l) for l in lines if json.loads(l)["event"] == "register"]
        if regs:
            r = rng.choice(regs)
            ev = {"at": json.loads(lines[i])["at"], "event": "register", "issue": r["issue"],
                  "unit": "竹行街道", "title": "dup"}
            lines.insert(i + 1, json.dumps(ev, ensure_ascii=False))
    elif kind == "move":
        ids = [json.loads(l)["issue"] for l in lines if json.loads(l)["event"] == "register"]
        if ids:
            ev = {"at": json.loads(lines[i])["at"], "event": rng.choice(MOVES),
                  "issue": rng.choice(ids), "passed": rng.random() < 0.5}
            if ev["event"] == "reassign" or rng.random() < 0.2:
                ev["unit"] = rng.choice(UNITS)
            lines.insert(i + 1, json.dumps(ev, ensure_ascii=False))
    elif kind == "violation-id":
        ids = [json.loads(l).get("id") for l in lines if json.loads(l)["event"] == "violation"]
        ev = {"at": json.loads(lines[i])["at"], "event": "violation", "unit": rng.choice(UNITS),
              "id": rng.choice([x for x in ids if x] + ["", 7, True, [], None, "V-new"])}
        lines.insert(i + 1, json.dumps(ev, ensure_ascii=False))
    elif kind == "revoke":
        ids = [json.loads(l).get("id") for l in lines if json.loads(l)["event"] == "violation"]
        ev = {"at": json.loads(lines[i])["at"], "event": "revoke",
              "violation": rng.choice([x for x in ids if isinstance(x, str)] + ["V-none", "", 3, None])}
        lines.insert(i + 1, json.dumps(ev, ensure_ascii=False))
    elif kind == "return-late":
        # a return on d + R + 1 of some dispatched issue (or one on d + R)
        regs = [json.loads(l)["issue"] for l in lines if json.loads(l)["event"] == "register"]
        if regs:
            iid = rng.choice(regs)
            last = max(oracle.parse_time(json.loads(l)["at"][:19]) for l in lines)
            day = last.date() + D(days=rng.choice([0, 1, oracle.RETURN_WINDOW, oracle.RETURN_WINDOW + 1]))
            lines.append(json.dumps({"at": fmt_dt(dt.datetime.combine(day, dt.time(0, 0, 0))), "event": "return",
                                     "issue": iid}, ensure_ascii=False))
    elif kind == "backwards":
        if n:
            t = oracle.parse_time(ev["at"]) - rng.choice([S1, D(hours=1), D(days=1)])
            ev2 = dict(ev)
            ev2["at"] = fmt_dt(t)
            if i + 1 < n:
                # make line i+1 earlier than line i
                ev2 = json.loads(lines[i + 1])
                ev2["at"] = fmt_dt(oracle.parse_time(ev["at"]) - S1)
                lines[i + 1] = json.dumps(ev2, ensure_ascii=False)
            else:
                lines.append(json.dumps({"at": fmt_dt(t), "event": "dispatch"}))
    elif kind == "offset":
        ev["at"] = ev["at"][:19] + rng.choice(["+00:00", "Z", "+0800", "+08:00", "+09:00", "-08:00", "+08", " +08:00",
                                               "+08:00:00", "+08:30"])
        lines[i] = json.dumps(ev, ensure_ascii=False)
    elif kind == "timefmt":
        t = ev["at"][:19]
        ev["at"] = rng.choice([t.replace("T", " "), t[:16], t + ".0", t + ".500", t.replace("-", "/"),
                               "2021-02-29T08:00:00", "2021-04-31T08:00:00", t[:11] + "24:00:00",
                               t[:11] + "23:60:00", t[:11] + "23:59:60", t.lower(), t[:10], "0" + t,
                               t[:5] + "1" + t[6:] if t[5] == "0" else t, 20210101, t + " "])
        lines[i] = json.dumps(ev, ensure_ascii=False)
    elif kind == "blank":
        for _ in range(rng.randint(1, 3)):
            lines.insert(rng.randint(0, len(lines)), rng.choice(["", "", " ", "\t", "  "]))
    elif kind == "empty-file":
        lines = rng.choice([[], [""], ["", ""], [" "]])
    elif kind == "as-of-early":
        last = max(oracle.parse_time(json.loads(l)["at"][:19]) for l in lines)
        as_of = fmt_dt(last - rng.choice([S1, D(days=1), D(days=400)]))
    elif kind == "as-of-bad":
        last = max(oracle.parse_time(json.loads(l)["at"][:19]) for l in lines)
        as_of = rng.choice([fmt_dt(last).replace("T", " "), fmt_dt(last) + "Z", fmt_dt(last) + "+00:00",
                            "tomorrow", fmt_dt(last) + "+08:00", fmt_dt(last + D(days=3)) + "+08:00",
                            "2099-02-30T00:00:00", fmt_dt(last)[:16]])
    elif kind == "sched-accept":
        # accept at the very instant of the scheduled dispatch: the dispatch runs after events -> bad
        t = start_instant(rng)
        s = oracle.next_schedule_after(t)
        lines = [json.dumps({"at": fmt_dt(t), "event": "register", "issue": "S-1", "unit": "中兴街道", "title": "x"},
                            ensure_ascii=False),
                 json.dumps({"at": fmt_dt(s + rng.choice([D(0), D(0), S1])), "event": "accept", "issue": "S-1"})]
    elif kind == "dupkey":
        f = rng.choice(["at", "event", "issue", "unit", "title", "source", "category", "passed", "note", "zz",
                        "id", "violation"])
        v = ev.get(f, rng.choice(["x", 1, None, True, "巡查发现"]))
        extra_kv = "," + json.dumps(f) + ":" + json.dumps(v, ensure_ascii=False)
        lines[i] = lines[i].rstrip()[:-1] + extra_kv * (1 if f in ev else 2) + "}"
        desc += ":" + f
    elif kind in ("surrogate", "badutf8"):
        f = rng.choice(["issue", "unit", "title", "note", "zz", "source", "id", "violation"])
        bad = rng.choice(["\\ud800", "\\udc00", "\\ud800x"]) if kind == "surrogate" else \
            rng.choice(["\udcff", "\udcc3", "\udce4\udcb8"])
        lines[i] = lines[i].rstrip()[:-1] + "," + json.dumps(f) + ':"a' + bad + '"}' if f not in ev else \
            lines[i].replace(json.dumps(f) + ":" + json.dumps(ev[f], ensure_ascii=False),
                             json.dumps(f) + ':"a' + bad + '"', 1) if isinstance(ev[f], str) else lines[i]
        desc += ":" + f
    elif kind == "oddspace":
        lines.insert(rng.randint(0, len(lines)), rng.choice(["\x0b", "\x0c", "\u3000", "\xa0", "\x1c", " \r", "\r"]))
    elif kind == "crlf":
        lines = [l + "\r" for l in lines]
    elif kind == "bom":
        lines[0] = "\ufeff" + lines[0]
    elif kind == "multi":
        # two corruptions: the first bad line must win
        l1, _, d1 = corrupt(lines, rng)
        l2, _, d2 = corrupt(l1, rng)
        lines, desc = l2, "multi(%s,%s)" % (d1, d2)
    return lines, as_of, desc


# ------------------------------------------------------------------ running
def run_binary(path, as_of, reminders, bin_path, stdin=False):
    cmd = [bin_path, "simulate", "--workflow", WORKFLOW, "--events", "-" if stdin else path]
    if as_of is not None:
        cmd += ["--as-of", as_of]
    if reminders:
        cmd.append("--reminders")
    for attempt in range(60):
        if os.path.exists(bin_path):
            try:
                with open(path, "rb") as fin:
                    p = subprocess.run(cmd, capture_output=True, timeout=60, stdin=fin if stdin else None)
                if p.returncode in (126, 127) or (p.returncode < 0 and not os.path.exists(bin_path)):
                    raise FileNotFoundError
                return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
            except (FileNotFoundError, PermissionError, OSError):
                pass
        time.sleep(5)
    raise SystemExit("binary %s unavailable" % bin_path)


def run_oracle(data, as_of, reminders):
    doc, err = oracle.simulate(data, as_of, reminders)
    if err is not None:
        return 2, "", err + "\n"
    return 0, json.dumps(doc, ensure_ascii=False, indent=1) + "\n", ""


PREFIX_RE = re.compile(r"^(line \d+:|--as-of:)")


def prefix(err):
    first = err.split("\n", 1)[0]
    m = PREFIX_RE.match(first)
    return m.group(1) if m else "<no prefix: %r>" % first[:80]


def jdiff(a, b, path="$", out=None, extra=None):
    """Differences where a (oracle) and b (binary) disagree; extra keys in b only noted."""
    if out is None:
        out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in a:
            if k not in b:
                out.append("%s.%s missing in binary" % (path, k))
            else:
                jdiff(a[k], b[k], "%s.%s" % (path, k), out, extra)
        for k in b:
            if k not in a and extra is not None:
                extra.add(re.sub(r"\[\d+\]", "[]", "%s.%s" % (path, k)))
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: length oracle=%d binary=%d" % (path, len(a), len(b)))
        for i, (x, y) in enumerate(zip(a, b)):
            jdiff(x, y, "%s[%d]" % (path, i), out, extra)
    elif type(a) != type(b) or a != b:
        out.append("%s: oracle=%s binary=%s" % (path, json.dumps(a, ensure_ascii=False),
                                                 json.dumps(b, ensure_ascii=False)))
    return out


def compare(o, b, extra):
    orc, oout, oerr = o
    brc, bout, berr = b
    if orc == 2 or brc == 2 or orc != 0 or brc != 0:
        probs = []
        if orc != brc:
            probs.append("exit oracle=%d binary=%d" % (orc, brc))
        if brc == 2 and bout.strip():
            probs.append("binary printed to stdout on error")
        if orc == 2 and brc == 2 and prefix(oerr) != prefix(berr):
            probs.append("prefix oracle=%r binary=%r" % (prefix(oerr), prefix(berr)))
        if orc == 2 and brc != 2:
            probs.append("oracle error: %s" % oerr.split("\n")[0])
        if brc == 2 and orc != 2:
            probs.append("binary error: %s" % berr.split("\n")[0])
        return probs
    try:
        bj = json.loads(bout)
    except ValueError as e:
        return ["binary stdout is not JSON: %s" % e]
    return jdiff(json.loads(oout), bj, extra=extra)


def signature(probs):
    s = []
    for p in probs:
        p = re.sub(r"\[\d+\]", "[]", p)
        p = re.sub(r"oracle=.*", "", p)
        p = re.sub(r"line \d+", "line N", p)
        p = re.sub(r" at line N column \d+", "", p)
        s.append(p.strip())
    return " | ".join(sorted(set(s)))[:300]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--only", type=int, default=None, help="run only case number N")
    ap.add_argument("--bin", default=BIN)
    ap.add_argument("--out", default=os.path.join(HERE, "mismatches"))
    ap.add_argument("--bad-ratio", type=float, default=0.4)
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="jiaoban-fuzz-")
    cases = [args.only] if args.only is not None else range(args.count)
    n_runs = n_bad = n_valid = 0
    mismatched = []
    sigs = collections.Counter()
    sig_example = {}
    extra = set()
    kinds = collections.Counter()
    n_corrupted = 0
    for ci in cases:
        rng = random.Random(args.seed * 1000003 + ci)
        lines, eng = gen_valid(rng)
        as_of = pick_as_of(eng, rng)
        desc = "valid"
        if rng.random() < args.bad_ratio:
            lines, ao, desc = corrupt(lines, rng, KINDS[(args.seed + n_corrupted) % len(KINDS)])
            n_corrupted += 1
            if ao is not None:
                as_of = ao
            elif desc.startswith(("as-of", "multi")):
                pass
            else:
                as_of = as_of if rng.random() < 0.3 else None
        kinds[desc.split(":")[0].split("(")[0]] += 1
        data = ("\n".join(lines) + ("\n" if lines and rng.random() < 0.9 else "")).encode("utf-8", "surrogateescape")
        path = os.path.join(tmp, "case-%d.jsonl" % ci)
        with open(path, "wb") as f:
            f.write(data)
        case_probs = []
        outs = []
        use_stdin = rng.random() < 0.05
        for rem in (False, True):
            o = run_oracle(data, as_of, rem)
            b = run_binary(path, as_of, rem, args.bin, use_stdin)
            n_runs += 1
            probs = compare(o, b, extra)
            outs.append((rem, o, b, probs))
            if probs:
                case_probs.append((rem, probs))
            if o[0] == 2 and b[0] == 2:
                break  # a bad input is bad either way
        if outs[0][1][0] == 2:
            n_bad += 1
        else:
            n_valid += 1
        if case_probs:
            mismatched.append(ci)
            sig = signature([p for _, ps in case_probs for p in ps])
            years = [int(y) for y in re.findall(rb'"at"\s*:\s*"([0-9]{4})-', data)]
            tags = [k for k in ("badutf8", "surrogate", "dupkey") if k in desc]
            if years and (min(years) < 1970 or max(years) > 2100):
                tags.append("year outside 1970-2100")
            if years and min(years) < 1000:
                tags.append("year < 1000")
            if tags:
                sig = "[%s] %s" % (", ".join(tags), sig)
            sigs[sig] += 1
            sig_example.setdefault(sig, ci)
            d = os.path.join(args.out, "%d-%d" % (args.seed, ci))
            if os.path.isdir(d):
                shutil.rmtree(d)
            os.makedirs(d)
            with open(os.path.join(d, "events.jsonl"), "wb") as f:
                f.write(data)
            with open(os.path.join(d, "README.txt"), "w") as f:
                f.write("case %d seed %d kind %s\nas_of: %s\nevents from stdin: %s\n" % (ci, args.seed, desc, as_of, use_stdin))
                for rem, o, b, probs in outs:
                    f.write("\n--reminders=%s\n" % rem)
                    for p in probs:
                        f.write("  " + p + "\n")
            for rem, o, b, probs in outs:
                tag = "reminders" if rem else "plain"
                for who, r in (("oracle", o), ("binary", b)):
                    with open(os.path.join(d, "%s.%s.out" % (who, tag)), "w") as f:
                        f.write(r[1])
                    with open(os.path.join(d, "%s.%s.err" % (who, tag)), "w") as f:
                        f.write("exit %d\n%s" % (r[0], r[2]))
            if args.verbose or args.only is not None:
                print("case %d (%s, as_of=%s):" % (ci, desc, as_of))
                for rem, ps in case_probs:
                    for p in ps[:10]:
                        print("   [rem=%s] %s" % (rem, p))
    shutil.rmtree(tmp, ignore_errors=True)
    print("cases: %d (valid %d, bad %d), binary runs: %d" % (len(cases), n_valid, n_bad, n_runs))
    print("generated kinds: %s" % dict(sorted(kinds.items())))
    print("mismatching cases: %d" % len(mismatched))
    for sig, cnt in sigs.most_common():
        print("  %4d x  %s   (e.g. case %d)" % (cnt, sig, sig_example[sig]))
    if extra:
        print("extra fields in binary output (allowed): %s" % ", ".join(sorted(extra)))
    if mismatched:
        print("saved in %s/%d-<case>/" % (args.out, args.seed))
    return 1 if mismatched else 0


if __name__ == "__main__":
    sys.exit(main())
