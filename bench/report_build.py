"""Benchmark: the report build at 10,000 and at 100,000 responses, against the SQL floor.

Generates the data once in its own database (default `pmo_bench_reports`, see
bench/report_data.py), runs `ANALYZE` as the owner role and checks that it analysed the main
tables, then prints, from this one run:

- the report build time of the 10,000- and of the 100,000-response campaign (best of 3), and how
  much it grows against the response count;
- the floor: one hand-written aggregate over the same answers, run as the operator role, which
  has BYPASSRLS (the owner role is bound by the forced RLS policies, so it is no floor), and the
  build's ratio to it;
- the RLS overhead: the same query as the application role inside the firm (`pmo.firm_id` set),
  over the query without RLS;
- the peak memory a build allocates (tracemalloc) at both sizes, and that of the report's CSV
  download, which is streamed line by line.

The floor and the RLS query run with the settings the build's transaction takes
(`reports.aggregation.BUILD_SETTINGS`: no JIT, a lower parallel tuple cost), so the ratio
compares like with like.

With `--policies` it also measures the RLS query at both sizes under other tenant policies
(the earlier per-row one, two variants and the installed one), installing each in turn on the
three tables the query reads and putting back the installed policies after.

Run: .venv/bin/python bench/report_build.py [--fresh] [--policies]
Targets: build <= 3x the unprotected floor at both sizes, build time growing no faster than the
response count, RLS overhead <= 1.2x, memory flat in the response count.
"""

import os
import sys
import time
import tracemalloc

# first: points the database settings at the bench database
from report_data import HUGE, LARGE, MAIN_TABLES, analyze, generate, prepare_database

FLOOR_SQL = """
SELECT i.dimension_id, count(DISTINCT a.respondent_id),
       avg(CASE WHEN i.reverse THEN 5 - a.value ELSE a.value - 1 END * 25.0)
FROM assessments_answer a
JOIN assessments_item i ON i.id = a.item_id
JOIN assessments_respondent r ON r.id = a.respondent_id
WHERE r.campaign_id = %s AND r.completed_at IS NOT NULL AND a.value IS NOT NULL
GROUP BY i.dimension_id
"""

# Tenant policies to compare with `--policies`: {label: statements for one table}.
_BEFORE = "(firm_id = pmo_current_firm() OR pmo_all_firms())"
_ONCE = "(firm_id = (SELECT pmo_current_firm()) OR (SELECT pmo_all_firms()))"
_FIRM_ONLY = "(firm_id = (SELECT pmo_current_firm()))"
_OWNER_ONLY = "((SELECT pmo_all_firms()))"
POLICIES = {
    "firm_id = pmo_current_firm() OR pmo_all_firms()  (before)": (
        f"CREATE POLICY pmo_tenant_isolation ON {{table}} USING {_BEFORE} WITH CHECK {_BEFORE}",
    ),
    "firm_id = (SELECT pmo_current_firm()) OR (SELECT pmo_all_firms())": (
        f"CREATE POLICY pmo_tenant_isolation ON {{table}} USING {_ONCE} WITH CHECK {_ONCE}",
    ),
    "firm_id = (SELECT pmo_current_firm()); the bypass a policy TO the owner only": (
        f"CREATE POLICY pmo_tenant_isolation ON {{table}} USING {_FIRM_ONLY} "
        f"WITH CHECK {_FIRM_ONLY}",
        f"CREATE POLICY pmo_owner_all_firms ON {{table}} TO {{owner}} USING {_OWNER_ONLY} "
        f"WITH CHECK {_OWNER_ONLY}",
    ),
}


def best_of(runs, fn):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def interleaved(rounds, *fns) -> list[float]:
    """The best time of each function, run in turn `rounds` times, so that a busy moment on a
    shared machine weighs on all of them alike."""
    best = [float("inf")] * len(fns)
    for _ in range(rounds):
        for n, fn in enumerate(fns):
            best[n] = min(best[n], best_of(1, fn))
    return best


def _queries(firm):
    """(the floor query without RLS, the same query under RLS), each a function of a campaign
    id returning the rows."""
    import psycopg

    # No server-side prepared statements: each run is planned for its campaign, as Django does.
    operator = psycopg.connect(
        os.environ["DATABASE_OPERATOR_URL"], autocommit=True, prepare_threshold=None
    )
    app = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True, prepare_threshold=None)
    # The settings the build's transaction takes (reports.aggregation.BUILD_SETTINGS), so that
    # the floor runs as the build's queries do.
    from reports.aggregation import BUILD_SETTINGS

    for conn in (operator, app):
        for setting in BUILD_SETTINGS:
            conn.execute(setting.replace("SET LOCAL", "SET"))
    bypass = operator.execute("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user")
    app_bypass = app.execute("SELECT rolbypassrls FROM pg_roles WHERE rolname = current_user")
    if not bypass.fetchone()[0] or app_bypass.fetchone()[0]:
        raise SystemExit("the operator role must have BYPASSRLS and the application role not")

    def unprotected(campaign_id):
        return operator.execute(FLOOR_SQL, [campaign_id]).fetchall()

    def protected(campaign_id):
        with app.transaction():
            app.execute("SELECT set_config('pmo.firm_id', %s, true)", [str(firm.pk)])
            return app.execute(FLOOR_SQL, [campaign_id]).fetchall()

    return unprotected, protected


def _installed_policies(conn) -> list[str]:
    """CREATE POLICY statements that recreate the main tables' policies as they are now."""
    statements = []
    for table, name, permissive, roles, cmd, qual, check in conn.execute(
        "SELECT tablename, policyname, permissive, roles, cmd, qual, with_check "
        "FROM pg_policies WHERE tablename = ANY(%s)",
        [list(MAIN_TABLES)],
    ):
        sql = f"CREATE POLICY {name} ON {table} AS {permissive} FOR {cmd} TO {', '.join(roles)}"
        sql += f" USING ({qual})" if qual else ""
        sql += f" WITH CHECK ({check})" if check else ""
        statements.append(sql)
    return statements


def _install(conn, statements_by_table: dict[str, list[str]]) -> None:
    with conn.transaction():
        for table, statements in statements_by_table.items():
            for (name,) in conn.execute(
                "SELECT policyname FROM pg_policies WHERE tablename = %s", [table]
            ).fetchall():
                conn.execute(f"DROP POLICY {name} ON {table}")
            for sql in statements:
                conn.execute(sql)


def compare_policies(protected, unprotected, campaign_id, rounds=3) -> tuple[float, list]:
    """(the floor, [(policy, RLS query time)]) for each of POLICIES and the installed policies,
    installed in turn `rounds` times, each next to a run of the floor (best times); the
    installed policies are put back at the end."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_OWNER_URL"], autocommit=True) as conn:
        installed = _installed_policies(conn)
        owner = conn.execute(
            "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = current_database()"
        ).fetchone()[0]
        variants = {
            label: {t: [s.format(table=t, owner=owner) for s in statements] for t in MAIN_TABLES}
            for label, statements in POLICIES.items()
        }
        variants["installed"] = {t: [s for s in installed if f" ON {t} " in s] for t in MAIN_TABLES}
        best = dict.fromkeys(variants, float("inf"))
        floor = float("inf")
        try:
            for _ in range(rounds):
                for label, tables in variants.items():
                    _install(conn, tables)
                    protected(campaign_id)  # warm
                    floor_time, rls_time = interleaved(
                        2, lambda: unprotected(campaign_id), lambda: protected(campaign_id)
                    )
                    floor, best[label] = min(floor, floor_time), min(best[label], rls_time)
        finally:
            _install(conn, variants["installed"])
    return floor, list(best.items())


def main():
    fresh = "--fresh" in sys.argv
    prepare_database(fresh)
    import django

    django.setup()
    from pmo_platform.tenancy import firm_context
    from reports import services
    from reports.models import Report

    firm, campaigns = generate()
    analysed = analyze()
    sizes = {"large": LARGE, "huge": HUGE}

    def build(campaign):
        with firm_context(firm):
            Report.objects.filter(campaign=campaign, status__in=["queued", "building"]).delete()
            report = services.report_request(firm=firm, campaign=campaign, trigger="requested")
            services.report_build(firm=firm, report_id=report.pk)

    def peak(campaign):
        tracemalloc.start()
        build(campaign)
        _current, peak_bytes = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return peak_bytes

    def csv_peak(campaign):
        """(bytes sent, peak memory) of the report's CSV download, streamed line by line."""
        from reports import exports

        with firm_context(firm):
            report = Report.objects.filter(campaign=campaign, status="ready").latest("number")
            tracemalloc.start()
            sent = sum(len(line) for line in exports.report_csv_stream(firm=firm, report=report))
            _current, peak_bytes = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        return sent, peak_bytes

    unprotected, protected = _queries(firm)
    figures = {}
    for name in sizes:
        campaign = campaigns[name]
        build(campaign)  # warm caches
        if sorted(unprotected(campaign.pk)) != sorted(protected(campaign.pk)):
            raise SystemExit("the query under RLS does not give the rows it gives without RLS")
        floor_time, rls_time = interleaved(
            5, lambda c=campaign: unprotected(c.pk), lambda c=campaign: protected(c.pk)
        )
        figures[name] = {
            "build": best_of(3, lambda c=campaign: build(c)),
            "floor": floor_time,
            "rls": rls_time,
            "peak": peak(campaign),
            "csv": csv_peak(campaign),
        }
    others = {}
    if "--policies" in sys.argv:
        for name in sizes:
            others[name] = compare_policies(protected, unprotected, campaigns[name].pk)

    print()
    print("ANALYZE as the owner role:")
    for table, rows, when in analysed:
        print(f"  {table:<24} {rows:>9} live rows, analysed {when:%H:%M:%S}")
    print("floor: the hand-written aggregate as the operator role (BYPASSRLS), i.e. without RLS")
    print("RLS:   the same query as the application role inside the firm")
    for name, size in sizes.items():
        f = figures[name]
        print(f"{size:>7} responses:")
        print(f"  report build            {f['build'] * 1000:9.1f} ms")
        print(f"  floor (no RLS)          {f['floor'] * 1000:9.1f} ms")
        print(f"  same query under RLS    {f['rls'] * 1000:9.1f} ms")
        print(f"  build / floor           {f['build'] / f['floor']:9.2f} x   (target <= 3 x)")
        print(f"  RLS overhead            {f['rls'] / f['floor']:9.2f} x   (target <= 1.2 x)")
        print(f"  peak memory of a build  {f['peak'] / 1024:9.0f} KiB")
        sent, csv_peak_bytes = f["csv"]
        print(f"  CSV download (streamed) {csv_peak_bytes / 1024:9.0f} KiB peak for {sent} bytes")
    small, large = figures["large"], figures["huge"]
    growth = HUGE / LARGE
    print(f"growth {LARGE} -> {HUGE} responses ({growth:.0f} x the responses):")
    build_growth = large["build"] / small["build"]
    print(f"  build time              {build_growth:9.2f} x   (target <= {growth:.0f} x)")
    print(f"  floor time              {large['floor'] / small['floor']:9.2f} x")
    print(f"  peak memory             {large['peak'] / small['peak']:9.2f} x   (flat is ~1 x)")
    for name, (policy_floor, results) in others.items():
        print(
            f"RLS query at {sizes[name]} responses under each tenant policy in turn, against "
            f"the floor measured alongside ({policy_floor * 1000:.1f} ms):"
        )
        for label, seconds in results:
            print(f"  {seconds * 1000:9.1f} ms  {seconds / policy_floor:5.2f} x  {label}")


if __name__ == "__main__":
    main()
