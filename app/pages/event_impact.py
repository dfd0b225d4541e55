"""Event impact: average abnormal returns by activity type, the tests, each event, the placebo."""
from __future__ import annotations

import streamlit as st

from analytics import settings as method
from app import charts, state, ui
from app.views import event_impact as views

db, info = ui.page_header("Event impact", "Did the activities move the price beyond what the market explains? "
                          "MacKinlay (1997) event study on the stock's own trading days.")
if ui.no_workspace(db, info):
    st.stop()
view = ui.sidebar_view(db)
simulated = bool(info.get("simulated"))
if view.client_id is None or view.ticker is None:
    ui.empty_state("No client with a loaded ticker yet.", "On the **Data** page load the ticker and its benchmark and "
                   "add the client; then log activities on the **Activities** page.")
    st.stop()

TEST_COLUMNS = {
    "group": st.column_config.TextColumn("Activity type", pinned=True),
    "window_start": st.column_config.NumberColumn("From day"), "window_end": st.column_config.NumberColumn("To day"),
    "n": st.column_config.NumberColumn("Events"), "caar": st.column_config.NumberColumn("CAAR", format="percent"),
    "median_car": st.column_config.NumberColumn("Median CAR", format="percent"),
    "share_positive": st.column_config.NumberColumn("Share positive", format="percent"),
    "csect_t_p": st.column_config.NumberColumn("t-test p", format="%.3f", help="Cross-sectional t test"),
    "patell_p": st.column_config.NumberColumn("Patell p", format="%.3f", help="Patell (1976)"),
    "bmp_p": st.column_config.NumberColumn("BMP p", format="%.3f", help="Boehmer, Musumeci and Poulsen (1991)"),
    "kolari_pynnonen_p": st.column_config.NumberColumn("Kolari-Pynnonen p", format="%.3f",
                                                       help="BMP adjusted for cross-correlation (2010)"),
    "corrado_rank_p": st.column_config.NumberColumn("Corrado rank p", format="%.3f", help="Corrado (1989)"),
    "generalized_sign_p": st.column_config.NumberColumn("Gen. sign p", format="%.3f", help="Cowan (1992)"),
    "wilcoxon_p": st.column_config.NumberColumn("Wilcoxon p", format="%.3f"),
}
SHORT_TEST_COLUMNS = {
    "headline_p_adjusted": st.column_config.NumberColumn("p (corrected)", format="%.3f",
                                                         help="The headline test's p-value, Holm-corrected"),
    "headline_p": st.column_config.NumberColumn("p", format="%.3f", help="The headline test's p-value"),
    "mde_car": st.column_config.NumberColumn("Detectable CAAR", format="percent",
                                             help="Minimum detectable effect at 80% power"),
    "headline_test": st.column_config.TextColumn("Test"),
}
EVENT_COLUMNS = {
    "event_id": st.column_config.NumberColumn("Activity", pinned=True),
    "type": st.column_config.TextColumn("Type"), "title": st.column_config.TextColumn("Title"),
    "event_date": st.column_config.DateColumn("Date"), "day0_date": st.column_config.DateColumn("Day 0"),
    "window_start": st.column_config.NumberColumn("From day"), "window_end": st.column_config.NumberColumn("To day"),
    "car": st.column_config.NumberColumn("CAR", format="percent"),
    "car_t": st.column_config.NumberColumn("t", format="%.2f"),
    "p_value": st.column_config.NumberColumn("p", format="%.3f"),
    "n_est": st.column_config.NumberColumn("Estimation days"),
    "thin_warning": st.column_config.CheckboxColumn("Thin trading", help="Mostly zero-volume days: unreliable"),
}
CAMPAIGN_COLUMNS = EVENT_COLUMNS | {
    "event_id": st.column_config.TextColumn("Campaign", pinned=True),
    "n_activities": st.column_config.NumberColumn("Activities"),
    "activity_ids": st.column_config.TextColumn("Activity ids"),
    "event_date": st.column_config.DateColumn("First activity"),
    "end_date": st.column_config.DateColumn("Last day 0"),
    "span_days": st.column_config.NumberColumn("Span", help="Trading days from the first to the last day 0"),
}
OVERLAP_COLUMNS = {
    "chain": st.column_config.TextColumn("Chain", pinned=True),
    "first_day0": st.column_config.DateColumn("First day 0"), "last_day0": st.column_config.DateColumn("Last day 0"),
    "span_days": st.column_config.NumberColumn("Span", help="Trading days from the first to the last day 0"),
    "n_activities": st.column_config.NumberColumn("Activities"),
    "activity_ids": st.column_config.TextColumn("Activity ids"),
    "types": st.column_config.TextColumn("Types"),
    "union_days": st.column_config.NumberColumn("Days covered", help="Trading days in the union of the windows"),
    "repeated_days": st.column_config.NumberColumn("Days counted again",
                                                   help="Day-counts beyond the first: shared days summed in several CARs"),
}

#: Measured with python -m bench.calibration (README, Calibration): sizes at 5% with no effect.
OVER_REJECTION_WARNING = (
    "Read the headline test for a verdict. With no effect at all, the other tests reject far more often than "
    "5% in the cases this dashboard is for: on one stock with clustered activities the t, Patell, BMP, Corrado, "
    "sign, Wilcoxon and GRANK tests rejected 12-33% of simulated campaigns; Patell 15-19% when the event raises "
    "the variance. The tests flagged below rejected more than 10% in the simulated case closest to each row.")
PLACEBO_WARNING = (
    "This placebo draws each activity's date independently: on one stock with clustered activities it rejected "
    "16-33% of simulated campaigns with no effect, so it is shown for reference, not as the verdict.")
CAMPAIGN_PLACEBO_COLUMNS = {
    "group": st.column_config.TextColumn("Activity type", pinned=True),
    "window_start": st.column_config.NumberColumn("From day"), "window_end": st.column_config.NumberColumn("To day"),
    "n": st.column_config.NumberColumn("Activities"),
    "mean_car": st.column_config.NumberColumn("Mean CAR", format="percent", help="The campaign model's mean CAR"),
    "campaign_t_stat": st.column_config.NumberColumn("Campaign t", format="%.2f"),
    "placebo_mean": st.column_config.NumberColumn("Placebo mean", format="percent"),
    "placebo_sd": st.column_config.NumberColumn("Placebo SD", format="percent"),
    "percentile": st.column_config.NumberColumn("Share of placebos below", format="percent"),
    "placebo_p": st.column_config.NumberColumn("Placebo p", format="%.3f", help="Two-sided, on the mean CAR"),
    "placebo_t_p": st.column_config.NumberColumn("Placebo p (t)", format="%.3f", help="Two-sided, on the campaign t"),
    "draws": st.column_config.NumberColumn("Draws"),
    "placements": st.column_config.NumberColumn("Placements", help="Distinct start dates the whole campaign fits"),
    "independent_placements": st.column_config.NumberColumn(
        "Non-overlapping placements", help="How many copies of the campaign fit with no report day in common"),
    "note": st.column_config.TextColumn("Note", width="large"),
}

controls = st.container(border=True)
c1, c2, c3, c4 = controls.columns(4)
current = view.settings
model = state.synced_selectbox("Model", list(method.MODELS), "model", default=current.model, container=c1,
                               format_func=method.MODELS.get, help=method.BY_NAME["model"].help)
thin_options = method.compatible_thin_methods(model)
thin = state.synced_selectbox("Thin trading", list(thin_options), "thin", default=current.thin
                              if current.thin in thin_options else "auto", container=c2,
                              format_func=thin_options.get, help=method.BY_NAME["thin"].help)
if model == "constant_mean":
    c2.caption("Dimson betas adjust a market beta; the constant-mean model has none, so they are not offered.")
est_text = c3.text_input("Estimation window", method.format_window(current.est), key="w_est",
                         help=method.BY_NAME["est"].help + " Bounds: " + method.BY_NAME["est"].bounds + ".")
win_text = c4.text_input("Event windows", method.format_windows(current.windows), key="w_win",
                         help=method.BY_NAME["windows"].help + " Bounds: " + method.BY_NAME["windows"].bounds + ".")
chosen_settings = method.parse_settings({"model": model, "thin": thin, "est": est_text, "win": win_text},
                                        base=current)
ui.refusals(chosen_settings)
est, wins = chosen_settings.settings.est, chosen_settings.settings.windows
state.remember("est", method.format_window(est))
state.remember("win", method.format_windows(wins))

st.subheader("Overlapping activities")
chains = views.overlaps(db, view, wins[0])
if chains.empty:
    ui.empty_state(f"No overlapping activities: no two activities' {state.format_window(wins[0])} event windows "
                   "share a trading day, so no day is counted in more than one CAR.")
else:
    st.caption(f"{len(chains)} chains of activities whose {state.format_window(wins[0])} event windows overlap "
               "(the first event window). " + views.OVERLAP_NOTE)
    ui.table(chains, "overlapping-activities", view, key="overlaps", simulated=simulated,
             column_config=OVERLAP_COLUMNS)
merge = state.synced_checkbox("Merge overlapping activities into campaign windows", "merge",
                              help="Study each chain of overlapping activities as one campaign event")

settings = chosen_settings.settings
result = views.study(db, view, settings, merge=merge)
if result["campaign_note"]:
    st.caption(result["campaign_note"])
if result["error"]:
    ui.empty_state(ui.escape_md(result["error"]), "With too little history before the activities, load more of it on "
                   "the **Data** page or start the estimation window later (e.g. -60..-11, at least 30 days).")
    st.stop()
used = result["windows"]
if result.get("thin_note"):
    st.caption(result["thin_note"])  # our own words (the method and its reason), no user text

present = set(result["events"]["type"]) if merge else views.activity_types_present(db, view)
chosen = state.synced_selectbox("Activity type", views.group_options(present), "type", default="all",
                                format_func=views.group_label)

for text in result["warnings"]:
    st.warning(text)

if chosen == "all":
    # the pooled curve, and the types chosen to compare (not eleven lines at once)
    compare = st.multiselect("Compare types on the chart", [g for g in views.group_options(present) if g != "all"],
                             default=[t for t in current.types if t in present], format_func=views.group_label,
                             key="w_types", placeholder="Pooled curve only: choose types to compare")
    state.remember("types", ",".join(compare))
    shown_groups = ("all", *compare)
else:
    shown_groups = (chosen,)
campaign = views.campaign_placebo(db, view, settings, groups=shown_groups, merge=merge)
band = campaign["band"] if campaign is not None and not campaign["error"] else None
if band is not None and len(band) and (band["draws"] > 0).all() and set(band["group"]) == set(shown_groups):
    curves = band
    st.caption(f"CAAR of the campaign model (all activities of {view.ticker} fitted jointly), and its "
               f"{views.impact.BAND_LEVEL:.0%} band built like the campaign placebo below: the same path with the "
               "whole campaign moved to random start dates of the stock's own history, spacing kept, model refitted. "
               "A curve outside its band is a move the stock's own history rarely shows."
               + (" Simulated data." if simulated else ""))
else:
    curves = result["curves"][result["curves"]["group"].isin(shown_groups)]
    why = (campaign["error"] if campaign is not None and campaign["error"] else
           "no placement of the whole campaign fits in this history")
    st.caption("CAAR of the activities studied one by one, with a band that treats them as independent (it is too "
               f"narrow for clustered activities). The campaign placebo's band is not drawn: {why}.")
fig = charts.caar_chart(curves, title=f"{view.ticker}: cumulative average abnormal return by activity type",
                        simulated=simulated)
ui.chart(fig, "caar", view, key="caar", simulated=simulated)

st.subheader("Tests across events")
tests = result["tests"] if chosen == "all" else result["tests"][result["tests"]["group"].isin([chosen])]
if tests.empty:
    ui.empty_state("No events of this type could be studied.")
else:
    tests = tests.assign(group=tests["group"].map(views.group_label))  # labels, not codes
    if "headline_test" in tests:
        tests = tests.assign(headline_test=tests["headline_test"].map(views.impact.test_name))
    p_col = next((c for c in ("headline_p_adjusted", "headline_p", "kolari_pynnonen_p") if c in tests), None)
    if st.toggle("Show every test", key="w_all_tests", help="Every test's statistic and p-value, under its name"):
        st.warning(OVER_REJECTION_WARNING)
        for line in views.impact.size_warning_lines(tests):
            st.caption(line)
        st.caption("One row per activity type and event window. CAAR: mean CAR; each test gives its statistic and "
                   "two-sided p-value (hover a column name for the reference).")
        ui.table(tests[["group", *[c for c in tests.columns if c != "group"]]], "caar-tests", view, key="caar_tests",
                 simulated=simulated, column_config=TEST_COLUMNS)
    else:
        short = ["group", "window_start", "window_end", "n", "caar", *([p_col] if p_col else []),
                 *[c for c in ("mde_car", "headline_test") if c in tests]]
        st.caption("One row per activity type and event window. "
                   + ("p: the headline test's p-value, corrected for testing several rows (Holm, across every row of "
                      "this table: the report's per-type results read the same figures); detectable CAAR: the "
                      "smallest CAAR the test would detect 80% of the time." if p_col == "headline_p_adjusted" else
                      "p: the Kolari-Pynnonen test (clustered activities), not yet corrected for multiple testing."))
        ui.table(tests[short], "caar-tests", view, key="caar_tests", simulated=simulated,
                 column_config=TEST_COLUMNS | SHORT_TEST_COLUMNS)

st.subheader("Each event")
events = result["events"] if chosen == "all" else result["events"][result["events"]["type"] == chosen]
if "type" in events:
    events = events.assign(type=events["type"].map(views.group_label))  # labels, not codes
ui.table(events, "campaign-cars" if merge else "event-cars", view, key="event_cars", simulated=simulated,
         column_config=CAMPAIGN_COLUMNS if merge else EVENT_COLUMNS)
if not result["skipped"].empty:
    with st.expander(f"{len(result['skipped'])} {'campaigns or activities' if merge else 'activities'} "
                     "could not be studied"):
        st.dataframe(result["skipped"], hide_index=True)

st.subheader("Campaign placebo")
placebo_group = "all" if chosen == "all" else chosen
camp_table = (campaign["table"][campaign["table"]["group"] == placebo_group]
              if campaign is not None and not campaign["error"] and len(campaign["table"]) else None)
if campaign is None or campaign["error"]:
    ui.empty_state("No campaign placebo for this selection: "
                   + (campaign["error"] if campaign is not None else "no study") + ".")
elif camp_table is None or camp_table.empty or int(camp_table["draws"].iloc[0]) == 0:
    note = camp_table["note"].iloc[0] if camp_table is not None and len(camp_table) else "no placement fits"
    ui.empty_state(f"No campaign placebo: {note}.", "It needs a price history long enough to hold the whole campaign "
                   "(its estimation window included) several times outside its real dates: load more history on "
                   "the **Data** page, or choose a shorter estimation window.")
else:
    row = camp_table.iloc[0]
    st.caption(f"Where the campaign model's mean CAR over days {state.format_window(used[0])} falls among the same "
               "statistic with the whole campaign moved to random start dates of this stock's own history (its "
               f"spacing kept, the model refitted at each placement; {int(row['draws'])} seeded draws among "
               f"{int(row['placements'])} placements); p is two-sided. This placebo keeps its level on one stock "
               "with clustered activities." + (" Simulated data." if simulated else ""))
    if campaign["few"]:
        st.warning(f"Only {int(row['independent_placements'])} non-overlapping placements of the whole campaign fit "
                   f"in this history (fewer than {views.impact.FEW_INDEPENDENT_PLACEMENTS}): with this little "
                   "independent history the placebo over-rejects (7-10% at 5% measured with about 5); read the "
                   "campaign t of the tests table instead.")
    fig = charts.placebo_histogram(campaign["draws"][placebo_group], float(row["mean_car"]),
                                   p_value=float(row["placebo_p"]),
                                   title=f"Mean CAR {state.format_window(used[0])} against the campaign moved in time",
                                   simulated=simulated)
    ui.chart(fig, "campaign-placebo", view, key="campaign_placebo", simulated=simulated)
    ui.table(camp_table.assign(group=camp_table["group"].map(views.group_label)), "campaign-placebo", view,
             key="campaign_placebo", simulated=simulated, column_config=CAMPAIGN_PLACEBO_COLUMNS)

if st.toggle("Also show the per-event stock placebo", key="w_stock_placebo",
             help="Each activity's date drawn independently: over-rejects on one stock with clustered activities"):
    placebo = views.stock_placebo(db, view, settings, group=None if chosen == "all" else chosen, merge=merge)
    if placebo is None:
        ui.empty_state("No stock placebo for this selection (too few events or too little history).")
    else:
        st.caption(f"Where the actual CAAR over days {state.format_window(used[0])} falls among the CAARs of the "
                   "same number of random non-event dates of this stock (seeded); p is two-sided.")
        st.warning(PLACEBO_WARNING)
        if placebo["draws"] is not None:
            fig = charts.placebo_histogram(placebo["draws"], placebo["actual"], p_value=placebo["p_value"],
                                           title=f"CAAR {state.format_window(used[0])} against random non-event "
                                           "dates", simulated=simulated)
            ui.chart(fig, "placebo", view, key="placebo", simulated=simulated)
        ui.table(placebo["table"], "placebo", view, key="placebo", simulated=simulated)
