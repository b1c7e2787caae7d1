#!/usr/bin/env python3
"""Independent reference implementation ("oracle") of `jiaoban simulate`.

Written from /work/shared/spec/{rules,timeline}.md and the examples only,
with the numbers of workflows/water-environment.toml hard-coded. Items 1-12
below were written before and apart from the Rust engine; item 13 (the
corrections) was added from the spec by the engineer who had just written
the Rust side of them, so on corrections the two are less independent than
elsewhere: a misreading of the spec shared by both would not show.

    python3 oracle.py --events FILE [--as-of T] [--reminders]

Interpretations where the spec is silent or ambiguous (oracle's choices):

 1. Order of work at one instant t:
      a. "day begins" (only when t is 00:00:00): issues whose day d+31 is
         today become final (case 2) or are marked "awaiting recheck at
         d+31" (for case 3), in order of dispatch, then registration;
      b. the events at t, in file order;
      c. the scheduled dispatch at t (09:00:00 on the 1st and 16th);
      d. the reminders whose sending instant is t are judged (after a-c).
 2. Every dispatch takes the whole pool, so "order of dispatch, then of
    registration" equals registration order among dispatched issues.
 3. A dispatch whose pool is empty makes no list and no mail.
 4. Dispatch mails: one key per (dispatch instant, unit); a second list at the
    same instant (out-of-cycle event and the scheduled one, or two dispatch
    events) adds no key.  Issue reminders (warn-16/tier-16/warn-31/tier-31)
    are scheduled when the issue is dispatched; recheck-wait:<id>:<n> when the
    n-th report is made (n counts every report of the issue, from 1) and is
    owed iff at sending the issue is `reported` and its report count is n.
 5. Reminder at instant x is sent at x if Mon-Fri 08:30<=time<17:30, else at
    08:30 of the next such working day (no holidays). Only reminders sent at
    or before as_of are listed. Quarter reminders: for each listed quarter,
    always sent (if their sending instant <= as_of).
 6. Units: the `unit` of `register` and `violation` events, in order of first
    appearance (file order); names are used verbatim (no trimming), so " A"
    and "A" are two units. A `unit` field on other events is ignored.
 7. Blank line = empty or only ASCII whitespace (space, \t, \r, \n, \x0c);
    any other character (\x0b, U+3000, NBSP, a BOM...) makes a non-JSON line.
    Lines are separated by "\n" (a "\r" before it is JSON whitespace); a
    final "\n" does not start a new line. A file with no event lines is bad
    at `line 1:`. Each line must be UTF-8 (RFC 8259 8.1), else it is bad.
 8. `at`: exactly `YYYY-MM-DDTHH:MM:SS` with an optional `+08:00`; must be a
    real calendar date/time; anything else (fractional seconds, other
    offsets, `Z`, space separator, surrounding blanks) is bad.  The same
    format for --as-of; a malformed --as-of is reported with `--as-of:`
    before the file is read; an --as-of earlier than the last event only
    after the whole file is valid. Years 0001-9999 all work alike (the rules
    name no year limit: scheduled dispatches run in every year); years are
    written with four digits (quarter "0001Q1"), the due date of 9999Q4 as
    "+10000-01-10".
 9. Required string fields must be JSON strings and non-empty ("" is bad,
    "  " is fine). `passed` must be a JSON bool. `null` for a required field
    is "missing". `source`/`category`: null = absent; any other non-member
    value (wrong type, "", unknown text) is bad. `note` on a violation is
    optional and never checked (oracle choice: ignored whatever its type).
10. JSON: strict (no NaN/Infinity); the line must be an object. A repeated
    key: the last value wins (as ECMAScript JSON.parse, Python, serde_json
    Value). Fields an event does not use are ignored whatever they hold
    (wrong type, lone surrogate escape). A used string holding an unpaired
    surrogate escape (e.g. "unit":"\ud800") is not Unicode text: the line is
    bad (the binary instead accepts it and turns it into U+FFFD x3).
11. Checks of a line: JSON object -> event known -> `at` valid -> fields ->
    time not earlier than previous event -> issue known / not duplicate ->
    move allowed.  All give `line N:` so the order does not matter.
12. Points: case 1 uses days = c - d with c = date of the latest report (the
    one the passing recheck accepted); an issue already final is never
    charged again. Open list: assigned/rectifying -> tier(as_of date - d);
    reported -> tier(c - d); returned -> tier(as_of date - d).
13. Corrections (rules.md "Corrections", timeline.md new events):
      - return: only from assigned, local date <= d + 3 (d of the current
        assignment). The n-th return (n counts every return of the issue)
        schedules `return:<id>:<n>` at next_working(return instant), owed iff
        at sending the issue is returned and its return count is still n.
      - reassign: only from returned, `unit` required and != current unit.
        New assignment a+1 (the first dispatch is a = 1): unit := new, d :=
        date of the reassignment, its place in "order of dispatch" is the
        reassignment. Tier reminders of a >= 2 carry "#a" in the key and are
        owed only while the issue is in assignment a and assigned/rectifying.
        `ruling:<id>:<n>` (n = the return being ruled on) and `assign:<id>:<a>`
        are scheduled at next_working(reassign instant), always owed.
        A reassignment forgets that d+31 began while returned.
      - reject_return: only from returned; same unit, same d, same
        assignment; if d+31 began while returned (and not yet final): final
        0.05, completed null, days 31, in quarter_of(rejection date).
        `ruling:<id>:<n>` always.
      - withdraw: from any state except withdrawn. Not final: never charged,
        out of pool/open list. Final, quarter q of its item not frozen at the
        withdrawal date (date <= due(q)): the item disappears. Frozen and
        points != 0: a correction item in quarter_of(withdrawal date), with
        "corrects": q and points = -points. `withdrawn:<id>` (always owed) at
        next_working(withdrawal) iff it had ever been dispatched.
      - violation `id`: optional (null = absent); given, a non-empty string
        never given to an earlier violation (revoked ones included).
      - revoke: `violation` names an earlier id not yet revoked. Not frozen at
        the revocation date: item removed; frozen: a correction item
        {"kind": "correction", "violation": id, ...} of -0.01 in the
        revocation's quarter. `revoked:<id>` always, at next_working.
      - Correction items count in no column, only in points; they are added
        to `items` at the instant the correction is made (file order).
      - years: one per calendar year of the listed quarters; points = sum of
        the unit's quarter points in that year; remaining = clamp(3 - points,
        0, 3).
"""
import argparse
import copy
import datetime as dt
import json
import re
import sys
from decimal import Decimal

# ---- workflow numbers (water-environment.toml) ----
TIERS = [(15, Decimal("0.00")), (30, Decimal("0.02"))]
OVERDUE = Decimal("0.05")
VIOLATION = Decimal("0.01")
DUE_DAY = 10
DISPATCH_DAYS = (1, 16)
DISPATCH_TIME = dt.time(9, 0, 0)
WARN_BEFORE = 3
RECHECK_WAIT = dt.timedelta(hours=72)
QUARTER_DUE_BEFORE = 3
WORK_START = dt.time(8, 30)
WORK_END = dt.time(17, 30)
WORK_DAYS = {0, 1, 2, 3, 4}
RETURN_WINDOW = 3
SCORE = Decimal("3.00")
SOURCES = ["巡查发现", "12345移交", "群众举报", "领导交办", "新闻媒体曝光"]
CATEGORIES = ["入河污染源", "阻水障碍物", "未执行调度", "其他"]

TIER2_START = TIERS[0][0] + 1          # 16
OVERDUE_START = TIERS[-1][0] + 1       # 31

MOVES = {"accept": ("assigned", "rectifying"),
         "report": ("rectifying", "reported"),
         "close": ("rechecked", "closed")}

TIME_RE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\+08:00)?$")


class BadInput(Exception):
    pass


def parse_time(s):
    if not isinstance(s, str):
        raise ValueError("not a string")
    m = TIME_RE.match(s)
    if not m:
        raise ValueError("not YYYY-MM-DDTHH:MM:SS[+08:00]: %r" % s)
    y, mo, d, h, mi, se = (int(x) for x in m.groups()[:6])
    return dt.datetime(y, mo, d, h, mi, se)  # raises ValueError if impossible


def fmt_dt(t):
    return "%04d-%02d-%02dT%02d:%02d:%02d" % (t.year, t.month, t.day, t.hour, t.minute, t.second)


def fmt_date(d):
    if isinstance(d, FarDate):
        return str(d)
    return "%04d-%02d-%02d" % (d.year, d.month, d.day)


class FarDate:
    """A date in year 10000 (the due date of 9999Q4): later than any datetime.date."""

    def __init__(self, y, m, d):
        self.t = (y, m, d)

    def __str__(self):
        return "+%05d-%02d-%02d" % self.t

    def __ge__(self, other):
        return True

    def __sub__(self, delta):
        return self


def safe_date(y, m, d):
    return dt.date(y, m, d) if y <= 9999 else FarDate(y, m, d)


def fmt_pts(p):
    return str(p.quantize(Decimal("0.01")))


def tier(days):
    for up_to, pts in TIERS:
        if days <= up_to:
            return pts
    return OVERDUE


def quarter_of(d):
    return (d.year, (d.month - 1) // 3 + 1)


def next_quarter(q):
    y, n = q
    return (y + 1, 1) if n == 4 else (y, n + 1)


def quarter_first_day(q):
    return safe_date(q[0], 3 * (q[1] - 1) + 1, 1)


def quarter_due(q):
    nq = next_quarter(q)
    return safe_date(nq[0], 3 * (nq[1] - 1) + 1, DUE_DAY)


def qname(q):
    return "%04dQ%d" % q


def next_working(x):
    """First instant >= x inside working hours."""
    d = x.date()
    if d.weekday() in WORK_DAYS:
        if x.time() < WORK_START:
            return dt.datetime.combine(d, WORK_START)
        if x.time() < WORK_END:
            return x
    try:
        d += dt.timedelta(days=1)
        while d.weekday() not in WORK_DAYS:
            d += dt.timedelta(days=1)
    except OverflowError:
        return NEVER
    return dt.datetime.combine(d, WORK_START)


NEVER = dt.datetime.max  # instants beyond year 9999 never come


def plus_days(d, n):
    try:
        return d + dt.timedelta(days=n)
    except OverflowError:
        return None


def midnight(d):
    if d is None or isinstance(d, FarDate):
        return None
    return dt.datetime.combine(d, dt.time(0, 0, 0))


def next_schedule_after(a):
    """Smallest scheduled dispatch instant strictly after a."""
    d = a.date()
    while True:
        for day in DISPATCH_DAYS:
            try:
                t = dt.datetime.combine(dt.date(d.year, d.month, day), DISPATCH_TIME)
            except ValueError:
                continue
            if t > a:
                return t
        # first day of next month
        if d.year == 9999 and d.month == 12:
            return NEVER
        d = dt.date(d.year + (d.month == 12), d.month % 12 + 1, 1)


def is_schedule(t):
    return t.day in DISPATCH_DAYS and t.time() == DISPATCH_TIME


class Issue:
    __slots__ = ("id", "unit", "reg", "state", "d", "dseq", "reports",
                 "last_report", "final", "await31", "a", "returns", "ret31",
                 "item", "charge_q", "charge_pts")

    def __init__(self, iid, unit, reg):
        self.id = iid
        self.unit = unit
        self.reg = reg
        self.state = "registered"
        self.d = None
        self.dseq = None
        self.reports = 0
        self.last_report = None
        self.final = False
        self.await31 = False
        self.a = 0            # assignment number (1 at first dispatch)
        self.returns = 0
        self.ret31 = False    # day d+31 began while returned
        self.item = None      # the (quarter, item) entry of its charge
        self.charge_q = None
        self.charge_pts = None


class Engine:
    def __init__(self):
        self.issues = {}
        self.order = []          # issues in registration order
        self.pool = []
        self.units = []
        self.unit_set = set()
        self.items = []          # (quarter, item dict) in order of becoming final
        self.pending = []        # [send_at, key, kind, data]
        self.sent = []           # (send_at, key)
        self.dispatch_keys = set()
        self.dseq = 0
        self.violations = {}     # id -> [quarter, entry, unit, revoked]
        self.cur = None          # instant whose events are being applied
        self.first = None
        self.last = None
        self.nlines_events = 0

    # ---------- helpers ----------
    def note_unit(self, u):
        if u not in self.unit_set:
            self.unit_set.add(u)
            self.units.append(u)

    def finalize(self, iss, q, completed, days, pts):
        iss.final = True
        entry = (q, {"kind": "issue", "issue": iss.id, "unit": iss.unit,
                     "dispatched": fmt_date(iss.d),
                     "completed": fmt_date(completed) if completed else None,
                     "days": days, "points": pts})
        self.items.append(entry)
        iss.item = entry
        iss.charge_q = q
        iss.charge_pts = pts

    def remove_item(self, entry):
        for k, e in enumerate(self.items):
            if e is entry:
                del self.items[k]
                return

    def schedule_tiers(self, iss):
        """The warn/tier reminders of the issue's current assignment."""
        suffix = "#%d" % iss.a if iss.a >= 2 else ""
        for name, day in (("warn-%d" % TIER2_START, TIER2_START - WARN_BEFORE),
                          ("tier-%d" % TIER2_START, TIER2_START),
                          ("warn-%d" % OVERDUE_START, OVERDUE_START - WARN_BEFORE),
                          ("tier-%d" % OVERDUE_START, OVERDUE_START)):
            nominal = midnight(plus_days(iss.d, day))
            if nominal is None:
                continue
            self.pending.append([next_working(nominal), "%s:%s%s" % (name, iss.id, suffix), "unit", (iss.id, iss.a)])

    def mail_now(self, t, key, kind="always", data=None):
        self.pending.append([next_working(t), key, kind, data])

    def by_dispatch(self):
        """Dispatched issues in order of dispatch (reassignment), then registration."""
        return sorted((i for i in self.order if i.d is not None), key=lambda i: i.dseq)

    def dispatch_pool(self, t):
        if not self.pool:
            return
        d = t.date()
        for iid in self.pool:
            iss = self.issues[iid]
            iss.state = "assigned"
            iss.d = d
            iss.a = 1
            self.dseq += 1
            iss.dseq = self.dseq
            key = "dispatch:%s:%s" % (fmt_dt(t), iss.unit)
            if key not in self.dispatch_keys:
                self.dispatch_keys.add(key)
                self.pending.append([next_working(t), key, "always", None])
            self.schedule_tiers(iss)
        self.pool = []

    # ---------- phases of one instant ----------
    def day_begin(self, t):
        if t.time() != dt.time(0, 0, 0):
            return
        today = t.date()
        for iss in self.by_dispatch():
            if iss.final or iss.state == "withdrawn":
                continue
            if plus_days(iss.d, OVERDUE_START) == today:
                if iss.state in ("assigned", "rectifying"):
                    self.finalize(iss, quarter_of(today), None, OVERDUE_START, OVERDUE)
                elif iss.state == "reported":
                    iss.await31 = True
                elif iss.state == "returned":
                    iss.ret31 = True

    def post(self, t):
        if is_schedule(t):
            self.dispatch_pool(t)
        keep = []
        due = []
        for p in self.pending:
            (due if p[0] == t else keep).append(p)
        self.pending = keep
        for send_at, key, kind, data in due:
            ok = True
            if kind == "unit":
                iid, a = data
                iss = self.issues[iid]
                ok = iss.state in ("assigned", "rectifying") and iss.a == a
            elif kind == "recheck":
                iid, n = data
                iss = self.issues[iid]
                ok = iss.state == "reported" and iss.reports == n
            elif kind == "return":
                iid, n = data
                iss = self.issues[iid]
                ok = iss.state == "returned" and iss.returns == n
            if ok:
                self.sent.append((send_at, key))

    def next_instant_after(self, a):
        cands = [next_schedule_after(a)]
        cands += [p[0] for p in self.pending if p[0] > a]
        for iss in self.order:
            if iss.d is not None and not iss.final:
                m = midnight(plus_days(iss.d, OVERDUE_START))
                if m is not None and m > a:
                    cands.append(m)
        return min(cands)

    def run_between(self, a, b, inclusive):
        """Process every instant u with a < u < b (or <= b)."""
        u = a
        while True:
            u = self.next_instant_after(u)
            if u == NEVER or u > b or (u == b and not inclusive):
                return
            self.day_begin(u)
            self.post(u)

    def advance_to(self, t):
        if self.cur is not None and t == self.cur:
            return
        if self.cur is not None:
            self.post(self.cur)
            self.run_between(self.cur, t, False)
        self.day_begin(t)
        self.cur = t

    def finish(self, as_of):
        if self.cur is not None:
            self.post(self.cur)
            self.run_between(self.cur, as_of, True)

    # ---------- one line ----------
    def check_line(self, raw):
        """Validate one non-blank line; returns the event dict or raises BadInput."""
        try:
            ev = json.loads(raw, parse_constant=_reject_constant, object_pairs_hook=_pairs)
        except (ValueError, RecursionError) as e:
            raise BadInput("not JSON: %s" % e)
        if not isinstance(ev, _Obj):
            raise BadInput("not a JSON object")
        kind = ev.get("event")
        used = USED_FIELDS.get(kind, ()) if isinstance(kind, str) else ()
        for f in ("at", "event") + used:
            v = ev.get(f)
            if isinstance(v, str) and _has_surrogate(v):
                raise BadInput("field `%s` is not valid Unicode" % f)
        if not isinstance(kind, str):
            raise BadInput("`event` missing or not a string")
        if kind not in ("register", "dispatch", "accept", "report", "recheck", "close", "violation",
                        "return", "reassign", "reject_return", "withdraw", "revoke"):
            raise BadInput("unknown event %r" % kind)
        at = ev.get("at")
        if not isinstance(at, str) or at == "":
            raise BadInput("`at` missing, empty or not a string")
        try:
            t = parse_time(at)
        except ValueError as e:
            raise BadInput("bad `at`: %s" % e)

        def req_str(name):
            v = ev.get(name)
            if v is None:
                raise BadInput("`%s` missing" % name)
            if not isinstance(v, str):
                raise BadInput("`%s` is not a string" % name)
            if v == "":
                raise BadInput("`%s` is empty" % name)
            return v

        if kind == "register":
            req_str("issue"); req_str("unit"); req_str("title")
            for name, lst in (("source", SOURCES), ("category", CATEGORIES)):
                v = ev.get(name)
                if v is not None and (not isinstance(v, str) or v not in lst):
                    raise BadInput("`%s` %r is not in the workflow's list" % (name, v))
        elif kind in ("accept", "report", "close", "return", "reject_return", "withdraw"):
            req_str("issue")
        elif kind == "reassign":
            req_str("issue"); req_str("unit")
        elif kind == "revoke":
            req_str("violation")
        elif kind == "recheck":
            req_str("issue")
            p = ev.get("passed")
            if p is None:
                raise BadInput("`passed` missing")
            if not isinstance(p, bool):
                raise BadInput("`passed` is not a bool")
        elif kind == "violation":
            req_str("unit")
            vid = ev.get("id")
            if vid is not None:
                if not isinstance(vid, str) or vid == "":
                    raise BadInput("violation `id` must be a non-empty string")
                if vid in self.violations:
                    raise BadInput("violation id %r used before" % vid)
        if self.last is not None and t < self.last:
            raise BadInput("time %s is earlier than the previous line's" % fmt_dt(t))
        iid = ev.get("issue")
        if kind == "register":
            if iid in self.issues:
                raise BadInput("duplicate issue id %r" % iid)
        elif kind in ("accept", "report", "recheck", "close", "return", "reassign", "reject_return", "withdraw"):
            if iid not in self.issues:
                raise BadInput("unknown issue id %r" % iid)
        elif kind == "revoke":
            v = self.violations.get(ev["violation"])
            if v is None:
                raise BadInput("unknown violation %r" % ev["violation"])
            if v[3]:
                raise BadInput("violation %r already revoked" % ev["violation"])
        return kind, t, ev

    def feed(self, raw):
        kind, t, ev = self.check_line(raw)
        # state checks need the clock advanced to t (scheduled dispatches
        # before t have happened, the one at t has not)
        self.advance_to(t)
        if self.first is None:
            self.first = t
        self.last = t
        self.nlines_events += 1
        if kind == "register":
            iss = Issue(ev["issue"], ev["unit"], len(self.order))
            self.issues[iss.id] = iss
            self.order.append(iss)
            self.pool.append(iss.id)
            self.note_unit(iss.unit)
        elif kind == "dispatch":
            self.dispatch_pool(t)
        elif kind == "violation":
            self.note_unit(ev["unit"])
            item = {"kind": "violation", "unit": ev["unit"], "date": fmt_date(t.date()), "points": VIOLATION}
            vid = ev.get("id")
            if vid is not None:
                item["violation"] = vid
            entry = (quarter_of(t.date()), item)
            self.items.append(entry)
            if vid is not None:
                self.violations[vid] = [entry[0], entry, ev["unit"], False]
        elif kind == "revoke":
            v = self.violations[ev["violation"]]
            q, entry, unit, _ = v
            v[3] = True
            if t.date() <= quarter_due(q):
                self.remove_item(entry)
            elif VIOLATION != 0:
                self.items.append((quarter_of(t.date()), {
                    "kind": "correction", "violation": ev["violation"], "unit": unit,
                    "corrects": qname(q), "date": fmt_date(t.date()), "points": -VIOLATION}))
            self.mail_now(t, "revoked:%s" % ev["violation"])
        elif kind in ("return", "reassign", "reject_return", "withdraw"):
            self.correct(kind, self.issues[ev["issue"]], t, ev)
        else:
            iss = self.issues[ev["issue"]]
            frm = "reported" if kind == "recheck" else MOVES[kind][0]
            if iss.state != frm:
                raise BadInput("%s not allowed for %s in state %s" % (kind, iss.id, iss.state))
            if kind == "report":
                iss.state = "reported"
                iss.reports += 1
                iss.last_report = t
                try:
                    wait_until = next_working(t + RECHECK_WAIT)
                except OverflowError:
                    wait_until = NEVER
                self.pending.append([wait_until,
                                     "recheck-wait:%s:%d" % (iss.id, iss.reports),
                                     "recheck", (iss.id, iss.reports)])
            elif kind == "recheck":
                k = t.date()
                if ev["passed"]:
                    iss.state = "rechecked"
                    if not iss.final:
                        c = iss.last_report.date()
                        days = (c - iss.d).days
                        qc = quarter_of(c)
                        q = qc if k <= quarter_due(qc) else quarter_of(k)
                        self.finalize(iss, q, c, days, tier(days))
                else:
                    iss.state = "rectifying"
                    if not iss.final and iss.await31:
                        self.finalize(iss, quarter_of(k), None, OVERDUE_START, OVERDUE)
            else:
                iss.state = MOVES[kind][1]

    def correct(self, kind, iss, t, ev):
        if kind == "return":
            if iss.state != "assigned":
                raise BadInput("return of %s in state %s" % (iss.id, iss.state))
            if t.date() > iss.d + dt.timedelta(days=RETURN_WINDOW):
                raise BadInput("return of %s after d+%d" % (iss.id, RETURN_WINDOW))
            iss.state = "returned"
            iss.returns += 1
            self.mail_now(t, "return:%s:%d" % (iss.id, iss.returns), "return", (iss.id, iss.returns))
        elif kind == "reassign":
            if iss.state != "returned":
                raise BadInput("reassign of %s in state %s" % (iss.id, iss.state))
            if ev["unit"] == iss.unit:
                raise BadInput("reassign of %s to its own unit" % iss.id)
            self.note_unit(ev["unit"])
            iss.unit = ev["unit"]
            iss.state = "assigned"
            iss.d = t.date()
            iss.a += 1
            iss.ret31 = False
            self.dseq += 1
            iss.dseq = self.dseq
            self.schedule_tiers(iss)
            self.mail_now(t, "ruling:%s:%d" % (iss.id, iss.returns))
            self.mail_now(t, "assign:%s:%d" % (iss.id, iss.a))
        elif kind == "reject_return":
            if iss.state != "returned":
                raise BadInput("reject_return of %s in state %s" % (iss.id, iss.state))
            iss.state = "assigned"
            if not iss.final and iss.ret31:
                self.finalize(iss, quarter_of(t.date()), None, OVERDUE_START, OVERDUE)
            self.mail_now(t, "ruling:%s:%d" % (iss.id, iss.returns))
        elif kind == "withdraw":
            if iss.state == "withdrawn":
                raise BadInput("%s is already withdrawn" % iss.id)
            if iss.state == "registered":
                self.pool.remove(iss.id)
            iss.state = "withdrawn"
            if iss.final:
                q = iss.charge_q
                if t.date() <= quarter_due(q):
                    self.remove_item(iss.item)
                elif iss.charge_pts != 0:
                    self.items.append((quarter_of(t.date()), {
                        "kind": "correction", "issue": iss.id, "unit": iss.unit,
                        "corrects": qname(q), "date": fmt_date(t.date()), "points": -iss.charge_pts}))
            if iss.d is not None:
                self.mail_now(t, "withdrawn:%s" % iss.id)

    # ---------- report ----------
    def report(self, as_of, with_reminders):
        q = quarter_of(self.first.date())
        qlast = quarter_of(as_of.date())
        quarters = []
        while q <= qlast:
            quarters.append(q)
            q = next_quarter(q)
        out_q = []
        for q in quarters:
            items = [it for (qq, it) in self.items if qq == q]
            stats = {u: {"unit": u, "points": Decimal("0"), "on_time": 0, "late_16_30": 0,
                         "late_over_30": 0, "violations": 0} for u in self.units}
            total = Decimal("0")
            for it in items:
                s = stats[it["unit"]]
                s["points"] += it["points"]
                total += it["points"]
                if it["kind"] == "correction":
                    pass
                elif it["kind"] == "violation":
                    s["violations"] += 1
                elif it["points"] == OVERDUE:
                    s["late_over_30"] += 1
                elif it["points"] == TIERS[0][1]:
                    s["on_time"] += 1
                else:
                    s["late_16_30"] += 1
            units = []
            for u in self.units:
                s = dict(stats[u])
                s["points"] = fmt_pts(s["points"])
                units.append(s)
            out_items = []
            for it in items:
                it = dict(it)
                it["points"] = fmt_pts(it["points"])
                out_items.append(it)
            out_q.append({"quarter": qname(q), "due": fmt_date(quarter_due(q)),
                          "total": fmt_pts(total), "units": units, "items": out_items})
        years = []
        for q, qrep in zip(quarters, out_q):
            if not years or years[-1]["year"] != q[0]:
                years.append({"year": q[0], "score": fmt_pts(SCORE),
                              "units": [{"unit": u, "points": Decimal("0")} for u in self.units]})
            for row, urow in zip(years[-1]["units"], qrep["units"]):
                row["points"] += Decimal(urow["points"])
        for y in years:
            for row in y["units"]:
                row["remaining"] = fmt_pts(min(SCORE, max(Decimal("0"), SCORE - row["points"])))
                row["points"] = fmt_pts(row["points"])
        open_ = []
        for iss in self.by_dispatch():
            if iss.final or iss.state == "withdrawn":
                continue
            days = (as_of.date() - iss.d).days
            if iss.state == "reported":
                prov = tier((iss.last_report.date() - iss.d).days)
            else:
                prov = tier(days)
            open_.append({"issue": iss.id, "unit": iss.unit, "state": iss.state,
                          "dispatched": fmt_date(iss.d), "days": days,
                          "provisional_points": fmt_pts(prov)})
        doc = {"as_of": fmt_dt(as_of), "quarters": out_q, "years": years, "open": open_}
        if with_reminders:
            rs = [s for s in self.sent if s[0] <= as_of]
            for q in quarters:
                nq = next_quarter(q)
                for key, nominal in (("quarter-report:" + qname(q), midnight(quarter_first_day(nq))),
                                     ("quarter-due:" + qname(q),
                                      midnight(quarter_due(q) - dt.timedelta(days=QUARTER_DUE_BEFORE)))):
                    if nominal is None:
                        continue
                    s = next_working(nominal)
                    if s <= as_of:
                        rs.append((s, key))
            rs.sort()
            doc["reminders"] = [{"key": k, "at": fmt_dt(a)} for (a, k) in rs]
        return doc


class _Obj(dict):
    dups = ()


def _pairs(pairs):
    o = _Obj()
    d = set()
    for k, v in pairs:
        if k in o:
            d.add(k)
        o[k] = v
    o.dups = d
    return o


def _has_surrogate(s):
    return any(0xD800 <= ord(ch) <= 0xDFFF for ch in s)


# fields each event reads (others are ignored, whatever they hold); `note` is
# never read: it has no effect on anything simulate prints.
USED_FIELDS = {"register": ("issue", "unit", "title", "source", "category"),
               "dispatch": (), "accept": ("issue",), "report": ("issue",),
               "close": ("issue",), "recheck": ("issue", "passed"), "violation": ("unit", "id"),
               "return": ("issue",), "reassign": ("issue", "unit"), "reject_return": ("issue",),
               "withdraw": ("issue",), "revoke": ("violation",)}

BLANK = " \t\r\n\x0c"   # ASCII whitespace


def _reject_constant(c):
    raise ValueError("invalid JSON constant %s" % c)


def simulate(data, as_of_arg=None, reminders=False):
    """data: bytes of the events file. Returns (doc, None) or (None, error line)."""
    as_of = None
    if as_of_arg is not None:
        try:
            as_of = parse_time(as_of_arg)
        except ValueError as e:
            return None, "--as-of: %s" % e
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    eng = Engine()
    for i, braw in enumerate(lines, 1):
        if braw.strip(BLANK.encode()) == b"":
            continue
        try:
            raw = braw.decode("utf-8")
        except UnicodeDecodeError:
            return None, "line %d: not UTF-8 text, so not JSON" % i
        try:
            eng.feed(raw)
        except BadInput as e:
            return None, "line %d: %s" % (i, e)
    if eng.nlines_events == 0:
        return None, "line 1: no events"
    if as_of is None:
        as_of = eng.last
    else:
        if as_of < eng.last:
            return None, "--as-of: %s is earlier than the last event (%s)" % (fmt_dt(as_of), fmt_dt(eng.last))
    eng.finish(as_of)
    return eng.report(as_of, reminders), None


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", required=True)
    ap.add_argument("--as-of")
    ap.add_argument("--reminders", action="store_true")
    ap.add_argument("--workflow")  # accepted and ignored: numbers are hard-coded
    args = ap.parse_args(argv)
    if args.events == "-":
        data = sys.stdin.buffer.read()
    else:
        with open(args.events, "rb") as f:
            data = f.read()
    doc, err = simulate(data, args.as_of, args.reminders)
    if err is not None:
        sys.stderr.write(err + "\n")
        return 2
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
