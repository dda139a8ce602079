"""Step 7, community groups: membership, volunteers, places, funding, closures, new groups,
and this week's attendance.

A group's places are ``places_per_volunteer`` x its volunteers, capped at ``max_places``;
members never exceed places (when volunteers leave, the newest members lose their place). A
group below ``volunteers_needed`` for ``weeks_short_to_close`` weeks, or out of money, closes
and releases its members and volunteers. Groups also fold at ``fold_per_year`` for reasons
outside the model; residents start new groups at ``refill_per_year`` for each group the place
is short of ``groups.count`` (density-dependent founding: the place's venues, organisers and
funders, which ``groups.count`` stands for, are taken up again; assumption) plus
``new_per_year_per_10k``. With constant levers the number of groups settles within a year or so
at ``count x refill / (refill + fold + other closures)`` (the earlier rule, a constant founding
rate with closures only for want of volunteers or money, let the number of groups drift for
years).

Waiting lists for places (issue 13): a referred resident (matched by a link worker) who finds no
free place does not simply go without: they join the waiting list of an open community group of
the kind they look for (the one with the fewest waiting per place; any kind if none of theirs is
open). Each week, free places go to a group's waiting list first, in order of waiting, before
anyone joins on their own; a resident leaves the list on finding a place otherwise, or gives up at
``queue_give_up_per_week`` (own stream ``group_queue``, one number per resident a week); those
whose group closes wait for another. Referred members pay no subscription: each costs their group
``referred_member_cost_gbp`` a week from its reserves (assumption), which small grants relieve.
"""

from __future__ import annotations

import numpy as np

from ..agents import CommunityGroup
from ..population import new_group_rows, weekly_prob
from .base import Mechanism, below, count_ids, flatnonzero
from .group_places import allocate_places, free_places, preferred_kind, queue_for_places, release_members, take_places
from .ties import segments


class Groups(Mechanism):
    name = "groups"
    stream = "groups"
    # full row: self-joining (u[0]); keyed: 0 = members leaving, 1 = volunteers stop / members
    # start volunteering, 2 = founders' key (free volunteers), 3 = attendance (members)
    rows = 1
    #: keyed luck from the ``group_queue`` stream: giving up the waiting list
    queue_stream = "group_queue"

    def step(self, model, u) -> None:
        r, g, c, week = model.residents, model.groups, model.cfg, model.week
        gp, t = c.groups, model.tally
        # folding luck: one number a week from its own stream seeds a generator whose k-th number is
        # group k's, whatever the number of group rows (a block of max(4096, rows) straight from the
        # stream fell out of common random numbers once founding had made more than 4,096 rows)
        fold_u = np.random.Generator(np.random.PCG64(int(model.streams["community_flex"].integers(2**63)))).random(
            g.n, dtype=np.float32)
        queue_u = model.streams.draws(self.queue_stream, 0, r.n, week)

        # 1. members leave; unaccompanied low-confidence newcomers are likelier to; programme
        #    participants leave when their course ends
        member = r.group >= 0
        if g.n and (g.fixed_weeks > 0).any():
            course = np.where(member, g.fixed_weeks[np.maximum(r.group, 0)], 0)
            finished = member & (course > 0) & (week - r.group_since >= course)
            release_members(model, finished)
            t["programme_completions"] += int(finished.sum())
            member = r.group >= 0
        # (members only: the same element-wise rules on the rows that can change; the members'
        # index list is kept up to date through the step instead of recomputed from the full column)
        mem = flatnonzero(member)
        early = (
            (week - r.group_since[mem] < 4)
            & ~r.group_accompanied[mem]
            & (r.confidence[mem] < c.link_workers.accompany_below_confidence)
        )
        leaving = mem[u.at(0, mem) < gp.leave_per_week + gp.early_leave_low_confidence * early]
        release_members(model, leaving)
        mem = mem[r.group[mem] >= 0]  # the members who stay: flatnonzero(r.group >= 0)

        # 2. group volunteers stop; members start volunteering for their group
        vol = flatnonzero(r.volunteer_group >= 0)
        free_mem = mem[r.volunteer_group[mem] < 0]  # members who were not group volunteers
        stop = vol[u.at(1, vol) < below(weekly_prob(gp.volunteer_stop_per_year))]
        r.volunteer_group[stop] = -1
        if g.n:
            free_mem = free_mem[g.fixed_weeks[r.group[free_mem]] == 0]  # in a community group
        start = free_mem[u.at(1, free_mem) < below(weekly_prob(gp.member_volunteer_per_year))]
        r.volunteer_group[start] = r.group[start]
        r.volunteer[start] = True

        # 3. volunteers, places, money; closures
        if g.n:
            self._update_capacity(model, members=mem)
            community = g.open & (g.fixed_weeks == 0)  # programmes are funded and staffed by the scheme
            g.funds = np.where(community, g.funds + g.income - g.cost, g.funds)
            # referred members pay no subscription: their group carries their cost from its reserves
            referred = np.bincount(r.group[mem[r.group_referred[mem]]], minlength=g.n)
            g.funds = np.where(community, g.funds - gp.referred_member_cost_gbp * referred, g.funds)
            t["cost_referred_members_gbp"] += float(gp.referred_member_cost_gbp * referred[community].sum())
            self._grants(model, community)
            short = community & (g.volunteers < gp.volunteers_needed)
            g.weeks_short = np.where(short, g.weeks_short + 1, 0)
            folded = community & (fold_u < weekly_prob(gp.fold_per_year))
            t["groups_folded"] += int(folded.sum())
            closing = community & ((g.weeks_short >= gp.weeks_short_to_close) | (g.funds < 0) | folded)
            if closing.any():
                g.open = g.open & ~closing
                g.closed_week = np.where(closing, week, g.closed_week)
                # (index lists of members and group volunteers: a tenth of the residents)
                mem = flatnonzero(r.group >= 0)
                release_members(model, mem[closing[r.group[mem]]])
                vols = flatnonzero(r.volunteer_group >= 0)
                r.volunteer_group[vols[closing[r.volunteer_group[vols]]]] = -1
                t["groups_closed"] += int(closing.sum())
                self._update_capacity(model)  # else nothing it counts has changed since the last call
            self._trim_over_capacity(model)

        # 4. new groups started by residents, and by community developers where demand is unmet
        community_open = int(np.count_nonzero(g.open & (g.fixed_weeks == 0))) if g.n else 0
        founding = gp.new_per_year_per_10k * r.n / 10_000 + gp.refill_per_year * max(gp.count - community_open, 0)
        # one number a week from the community stream seeds this week's founding (its count and the
        # new groups' attributes): founding depends on how many groups are open, so drawing from the
        # stream itself used a number of values that differed between scenarios (common random numbers)
        found = np.random.Generator(np.random.PCG64(int(model.streams["community"].integers(2**63))))
        k = int(found.poisson(founding / 52.0))
        self._start_groups(model, u, k, kinds=None, rng=found)
        cd = c.community_development
        # The development stream gives one number a week whatever the levers (common random
        # numbers): this week's developer groups are drawn from a generator it seeds. Drawing the
        # Poisson count and the groups' attributes from the stream itself used a number of
        # values that depended on community_development.fte.
        dev = np.random.Generator(np.random.PCG64(int(model.streams["development"].integers(2**63))))
        k_dev = int(dev.poisson(cd.fte * cd.groups_per_fte_year / 52.0))
        if k_dev and model.unmet_by_kind.sum() >= 1:
            kinds = np.argsort(-model.unmet_by_kind, kind="stable")[:k_dev]
            kinds = np.resize(kinds, k_dev).astype(np.int8)
            self._start_groups(model, u, k_dev, kinds=kinds, rng=dev)
            model.unmet_by_kind[kinds] = 0
            t["groups_started_by_developers"] += k_dev
        model.unmet_by_kind *= 0.95  # unmet demand is remembered for a few months

        # 5. the groups' waiting lists are served first; then residents join on their own
        self._serve_waiting_lists(model, queue_u)
        # its own row: reusing the leaving luck made every leaver with u < p_join rejoin the same week
        joiners = flatnonzero(u[0] < below(weekly_prob(gp.self_join_per_year)))
        joiners = joiners[r.group[joiners] < 0]
        allocate_places(model, joiners, preferred_kind(r, joiners), programmes=False)

        # 6. attendance this week (during a lockdown only groups that moved online meet)
        mem = flatnonzero(r.group >= 0)
        att = mem[u.at(3, mem) < gp.attendance]
        if model.lockdown and g.n:
            att = att[g.online[r.group[att]]]
        r.attended = np.zeros(r.n, bool)
        r.attended[att] = True
        if g.n:
            g.attendance = np.bincount(r.group[att], minlength=g.n)
        t["group_attendance"] += int(att.size)

    def _serve_waiting_lists(self, model, u) -> None:
        """Leave the list (a place found otherwise, or gave up), wait again if the group closed,
        then free places go to each group's list in order of waiting (fixed key on ties)."""
        r, g, t = model.residents, model.groups, model.tally
        q = flatnonzero(r.group_queue >= 0)
        if q.size == 0:
            return
        gq = r.group_queue[q]
        found = r.group[q] >= 0
        gave_up = ~found & (u.at(0, q) < below(model.cfg.groups.queue_give_up_per_week))
        closed = ~found & ~gave_up & ~g.open[gq]
        r.group_queue[q[found | gave_up | closed]] = -1
        t["group_queue_gave_up"] += int(gave_up.sum())
        if closed.any():
            again = q[closed]
            queue_for_places(model, again, preferred_kind(r, again))
        q = flatnonzero(r.group_queue >= 0)
        if q.size == 0:
            return
        gq = r.group_queue[q]
        order = np.lexsort((r.queue_key[q], r.group_queue_since[q], gq))
        q, gq = q[order], gq[order]
        start, _ = segments(gq)
        take = (np.arange(q.size) - start) < free_places(model)[gq]
        placed, slots = q[take], gq[take]
        take_places(model, placed, slots)
        r.group_referred[placed] = True
        r.group_queue[placed] = -1
        t["group_queue_placed"] += int(placed.size)

    def _update_capacity(self, model, members: np.ndarray | None = None) -> None:
        """Recount volunteers and members (``members``: the members' index list, if known) and
        set places."""
        r, g, gp = model.residents, model.groups, model.cfg.groups
        g.volunteers = count_ids(r.volunteer_group, g.n)
        g.members = count_ids(r.group, g.n) if members is None else np.bincount(r.group[members], minlength=g.n)
        run_by_volunteers = np.minimum(gp.max_places, gp.places_per_volunteer * g.volunteers)
        places = np.where(g.fixed_weeks > 0, model.cfg.programmes.places, run_by_volunteers)
        g.places = np.where(g.open, places, 0)

    def _trim_over_capacity(self, model) -> None:
        """Members beyond a group's places (places shrank): the newest members leave."""
        r, g = model.residents, model.groups
        if not (g.members > g.places).any():
            return
        over = g.members > g.places
        mem = flatnonzero(r.group >= 0)
        mem = mem[over[r.group[mem]]]  # members of those groups
        grp = r.group[mem]
        order = np.lexsort((-r.queue_key[mem], -r.group_since[mem], grp))
        mem, grp = mem[order], grp[order]
        start, _ = segments(grp)
        rank = np.arange(mem.size) - start
        out = mem[rank >= g.places[grp]]
        release_members(model, out)
        model.tally["members_displaced"] += int(out.size)
        g.members = count_ids(r.group, g.n)

    def _start_groups(self, model, u, k: int, kinds: np.ndarray | None,
                      rng: np.random.Generator | None = None) -> None:
        """Open ``k`` groups (of ``kinds`` if given, else random kinds), their attributes drawn
        from ``rng`` (default: the community stream); their founders are free volunteers with
        the lowest luck key this week (keyed decision 2 of ``u``)."""
        r, g, gp = model.residents, model.groups, model.cfg.groups
        if k == 0:
            return
        rng = model.streams["community"] if rng is None else rng
        rows = new_group_rows(g, k, model.cfg, rng, model.n_neighbourhoods, model.week)
        if kinds is not None:
            g.kind[rows] = kinds
            # developers start groups where most lonely residents have no group
            need = np.bincount(r.neighbourhood[r.lonely & (r.group < 0)], minlength=model.n_neighbourhoods)
            g.neighbourhood[rows] = np.argsort(-need, kind="stable")[np.arange(k) % need.size]
        new_ids = np.arange(rows.start, rows.stop)
        for i in new_ids:  # a handful of new groups a week: one Mesa agent each
            CommunityGroup(model, int(i))
        need_v = max(gp.volunteers_needed, 1)
        pool = flatnonzero(r.volunteer & (r.volunteer_group < 0))
        key = u.at(2, pool)
        m = k * need_v
        if m < pool.size:
            # the first m of a stable argsort by key: only keys up to the m-th smallest can be
            # among them, and sorting that subset (still in index order) stably keeps the order
            kth = np.partition(key, m - 1)[m - 1]
            keep = key <= kth
            pool, key = pool[keep], key[keep]
        pool = pool[key.argsort(kind="stable")][:m]
        founders_of = np.repeat(new_ids, need_v)[: pool.size]
        r.volunteer_group[pool] = founders_of
        # only the new groups' counts change (founders were free volunteers): no full recount
        g.volunteers[rows] = np.bincount(founders_of - rows.start, minlength=k)
        g.places[rows] = np.minimum(gp.max_places, gp.places_per_volunteer * g.volunteers[rows])
        model.tally["groups_started"] += k

    def _grants(self, model, community: np.ndarray) -> None:
        """Quarterly small grants to groups running out of reserves, poorest first."""
        gr, g = model.cfg.grants, model.groups
        if gr.budget_gbp_per_year <= 0 or model.week % 13 != 0:
            return
        low = flatnonzero(community & (g.funds < gr.low_funds_weeks * g.cost))
        if low.size == 0:
            return
        low = low[g.funds[low].argsort(kind="stable")]
        budget = gr.budget_gbp_per_year / 4.0
        n_grants = min(low.size, int(budget // gr.max_grant_gbp) if gr.max_grant_gbp > 0 else 0)
        paid = low[:n_grants]
        g.funds[paid] += gr.max_grant_gbp
        model.tally["grants_paid"] += int(paid.size)
        model.tally["cost_grants_gbp"] += float(paid.size * gr.max_grant_gbp)
