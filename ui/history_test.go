package ui

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// histDay0 is the first day of the period the history tests ask for.
var histDay0 = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)

// seedHistory stores a week of mentions (and one from the week before)
// whose figures the tests know by heart.
func seedHistory(t testing.TB, st *store.Store) {
	t.Helper()
	complaint := func(id, src, brand string, at time.Time, sev int, sent float64, topics ...string) store.Mention {
		return store.Mention{NativeID: id, Source: src, Brand: brand, Text: "complaint " + id, Author: store.Author{Handle: "cust"},
			CreatedAt: at, Score: &store.Score{Scored: true, Lang: "id", Complaint: 0.9, Severity: sev, Sentiment: sent,
				ReplyState: store.ReplyNew, Target: time.Hour, Topics: topics}}
	}
	answered := complaint("c1", "masto", "acme", histDay0.Add(10*time.Hour+15*time.Minute), 2, -0.5, "delivery", "late")
	praise := store.Mention{NativeID: "p1", Source: "=evil", Brand: "@beta", Text: "mantap", Author: store.Author{Handle: "fan"},
		CreatedAt: histDay0.Add(2*24*time.Hour + time.Hour), Score: &store.Score{Scored: true, Lang: "id", Complaint: 0.1, Sentiment: 0.8, ReplyState: store.ReplyNotNeeded}}
	overdue := complaint("c2", "rss", "acme", histDay0.Add(6*24*time.Hour+23*time.Hour+30*time.Minute), 4, -0.9, "refund")
	overdue.Score.Overdue = 2 * time.Hour
	before := complaint("c0", "masto", "acme", histDay0.Add(-4*24*time.Hour), 1, -0.2, "delivery")
	longAgo := complaint("c9", "masto", "acme", histDay0.AddDate(-1, 0, 0), 1, -0.2, "price")
	for _, m := range []store.Mention{answered, praise, overdue, before, longAgo} {
		if _, err := st.Ingest(store.Batch{Kind: "mastodon", Mentions: []store.Mention{m}}); err != nil {
			t.Fatal(err)
		}
	}
	reply := store.Mention{NativeID: "r1", Source: "masto", Brand: "acme", ByBrand: true, ReplyTo: "mastodon:c1", Text: "Mohon maaf kak",
		Author: store.Author{Handle: "acme_care"}, CreatedAt: answered.CreatedAt.Add(30 * time.Minute),
		Score: &store.Score{Scored: true, Audit: &store.Audit{Verdict: "ok"}}}
	if _, err := st.Ingest(store.Batch{Kind: "mastodon", Mentions: []store.Mention{reply}}); err != nil {
		t.Fatal(err)
	}
}

func startHistoryServer(t *testing.T) *testServer {
	st := newTestStore(t)
	seedHistory(t, st)
	return startServer(t, st, Config{}, nil, WithClock(func() time.Time { return histDay0.Add(7*24*time.Hour - 30*time.Minute) }))
}

func httpGet(t *testing.T, u string) (*http.Response, []byte) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

func getHistory(t *testing.T, ts *testServer, query string) historyResponse {
	t.Helper()
	resp, body := httpGet(t, ts.URL+"/api/history?"+query)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var h historyResponse
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestHistoryFigures(t *testing.T) {
	ts := startHistoryServer(t)
	// No parameters: the 7 days up to the end of the clock's hour.
	h := getHistory(t, ts, "")
	if !h.From.Equal(histDay0) || !h.To.Equal(histDay0.Add(7*24*time.Hour)) || h.Step != "day" ||
		!h.Previous.From.Equal(histDay0.Add(-7*24*time.Hour)) || !h.Previous.To.Equal(histDay0) {
		t.Fatalf("period %v..%v step %s previous %+v", h.From, h.To, h.Step, h.Previous)
	}
	want := historyTotals{
		Mentions: 3, BrandReplies: 1, Complaints: 2, ComplaintShare: 0.6667,
		Severity:  severityCounts{S2: 1, S4: 1},
		Sentiment: sentimentCounts{Negative: 2, Positive: 1, Mean: -0.2},
		Answered:  1, AnsweredWithinTarget: 1, UnansweredPastTarget: 1, UnansweredShare: 0.3333,
		ResponseTime: []responseCount{{"15m", 0}, {"1h", 1}, {"4h", 0}, {"24h", 0}, {"inf", 0}},
		Audit:        auditCounts{Pass: 1, PassRate: 1},
	}
	if !reflect.DeepEqual(h.Totals, want) {
		t.Errorf("totals\n got %+v\nwant %+v", h.Totals, want)
	}
	if p := h.PreviousTotals; p.Mentions != 1 || p.Complaints != 1 || p.Severity.S1 != 1 || p.BrandReplies != 0 {
		t.Errorf("previous totals %+v", p)
	}
	if len(h.Series) != 7 {
		t.Fatalf("%d points, want 7", len(h.Series))
	}
	wantPoints := map[int]historyPoint{
		0: {Mentions: 1, Complaints: 1, Negative: 1, Answered: 1},
		2: {Mentions: 1, Positive: 1},
		6: {Mentions: 1, Complaints: 1, Negative: 1, UnansweredPastTarget: 1},
	}
	for i, p := range h.Series {
		w := wantPoints[i]
		w.T = histDay0.AddDate(0, 0, i)
		if !reflect.DeepEqual(p, w) {
			t.Errorf("point %d: %+v, want %+v", i, p, w)
		}
	}
	var sources, brands []string
	for _, s := range h.BySource {
		sources = append(sources, s.Source)
	}
	for _, b := range h.ByBrand {
		brands = append(brands, b.Brand)
	}
	if !slices.Equal(sources, []string{"masto", "=evil", "rss"}) || !slices.Equal(brands, []string{"acme", "@beta"}) {
		t.Errorf("by source %v, by brand %v", sources, brands)
	}
	if h.BySource[0].Totals.Answered != 1 || h.ByBrand[0].Totals.Complaints != 2 {
		t.Errorf("group totals: %+v / %+v", h.BySource[0].Totals, h.ByBrand[0].Totals)
	}
	wantTopics := []topicTrend{{"delivery", 1, 1}, {"late", 1, 0}, {"refund", 1, 0}}
	if !reflect.DeepEqual(h.Topics, wantTopics) {
		t.Errorf("topics %+v, want %+v", h.Topics, wantTopics)
	}

	// Filters and hour steps.
	h = getHistory(t, ts, "from=2025-03-01T10:00:00Z&to=2025-03-01T12:00:00Z&step=hour&source=masto&brand=acme")
	if len(h.Series) != 2 || h.Series[0].Answered != 1 || h.Totals.BrandReplies != 1 || h.Totals.Mentions != 1 {
		t.Errorf("filtered hours: %+v %+v", h.Series, h.Totals)
	}
	if h = getHistory(t, ts, "source=rss"); h.Totals.Mentions != 1 || h.Totals.Complaints != 1 || len(h.BySource) != 1 {
		t.Errorf("source=rss: %+v", h.Totals)
	}
	// Times inside an hour widen to whole hours; week steps.
	h = getHistory(t, ts, "from=2025-03-01T00:20:00%2B07:00&to=2025-03-10T00:00:00Z&step=week")
	if !h.From.Equal(time.Date(2025, 2, 28, 17, 0, 0, 0, time.UTC)) || len(h.Series) != 2 {
		t.Errorf("from %v, %d points", h.From, len(h.Series))
	}
}

// The JSON shape is a contract with the history screen: exactly these keys.
func TestHistoryJSONShape(t *testing.T) {
	ts := startHistoryServer(t)
	_, body := httpGet(t, ts.URL+"/api/history")
	var doc map[string]any
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	keys := func(what string, v any, want ...string) {
		t.Helper()
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%s: not an object: %v", what, v)
		}
		var got []string
		for k := range m {
			got = append(got, k)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s keys %v, want %v", what, got, want)
		}
	}
	totals := func(what string, v any) {
		t.Helper()
		keys(what, v, "mentions", "brand_replies", "complaints", "complaint_share", "severity", "sentiment", "answered",
			"answered_within_target", "unanswered_past_target", "unanswered_share", "response_time", "audit")
		m := v.(map[string]any)
		keys(what+".severity", m["severity"], "1", "2", "3", "4")
		keys(what+".sentiment", m["sentiment"], "negative", "neutral", "positive", "mean")
		keys(what+".audit", m["audit"], "pass", "fail", "pass_rate")
		rt := m["response_time"].([]any)
		var les []string
		for _, b := range rt {
			keys(what+".response_time[]", b, "le", "count")
			les = append(les, b.(map[string]any)["le"].(string))
		}
		if !slices.Equal(les, []string{"15m", "1h", "4h", "24h", "inf"}) {
			t.Errorf("%s.response_time buckets %v", what, les)
		}
	}
	keys("response", doc, "from", "to", "step", "previous", "totals", "previous_totals", "series", "by_source", "by_brand", "topics")
	keys("previous", doc["previous"], "from", "to")
	totals("totals", doc["totals"])
	totals("previous_totals", doc["previous_totals"])
	keys("series[0]", doc["series"].([]any)[0], "t", "mentions", "complaints", "negative", "neutral", "positive", "answered", "unanswered_past_target")
	keys("by_source[0]", doc["by_source"].([]any)[0], "source", "totals")
	totals("by_source[0].totals", doc["by_source"].([]any)[0].(map[string]any)["totals"])
	keys("by_brand[0]", doc["by_brand"].([]any)[0], "brand", "totals")
	keys("topics[0]", doc["topics"].([]any)[0], "topic", "count", "previous")
}

// An empty store answers with zeros and empty lists, never null.
func TestHistoryEmptyStore(t *testing.T) {
	ts := startServer(t, newTestStore(t), Config{}, nil)
	_, body := httpGet(t, ts.URL+"/api/history")
	for _, k := range []string{`"by_source":[]`, `"by_brand":[]`, `"topics":[]`, `"mentions":0`} {
		if !strings.Contains(string(body), k) {
			t.Errorf("missing %s in %s", k, body)
		}
	}
}

func TestHistoryRefusesBadParameters(t *testing.T) {
	ts := startHistoryServer(t)
	cases := map[string]struct{ query, param string }{
		"from not a time":          {"from=yesterday", "from"},
		"to not a time":            {"to=2025-13-01T00:00:00Z", "to"},
		"to before from":           {"from=2025-03-02T00:00:00Z&to=2025-03-01T00:00:00Z", "to"},
		"empty period":             {"from=2025-03-01T00:00:00Z&to=2025-03-01T00:00:00Z", "to"},
		"period over 400 days":     {"from=2023-01-01T00:00:00Z&to=2025-03-01T00:00:00Z", "from"},
		"before 1970":              {"from=1969-06-01T00:00:00Z&to=1969-06-02T00:00:00Z", "from"},
		"unknown step":             {"step=minute", "step"},
		"hour steps over 31 days":  {"from=2025-01-01T00:00:00Z&to=2025-03-01T00:00:00Z&step=hour", "step"},
		"unknown parameter":        {"form=2025-01-01T00:00:00Z", "form"},
		"repeated parameter":       {"source=a&source=b", "source"},
		"huge value":               {"brand=" + strings.Repeat("x", 5000), "brand"},
		"hostile step is clipped":  {"step=" + url.QueryEscape("<script>"+strings.Repeat("a", 200)), "step"},
		"export format":            {"format=xlsx", "format"},
		"export format is checked": {"format=%3Dcmd", "format"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := "/api/history?"
			if strings.HasPrefix(tc.query, "format") {
				path = "/api/history/export?"
			}
			resp, body := httpGet(t, ts.URL+path+tc.query)
			var e struct{ Error string }
			json.Unmarshal(body, &e)
			if resp.StatusCode != 400 || !strings.Contains(e.Error, `"`+tc.param+`"`) {
				t.Fatalf("status %d error %q, want 400 naming %q", resp.StatusCode, e.Error, tc.param)
			}
			if len(e.Error) > 300 {
				t.Errorf("error is %d bytes: hostile input echoed whole", len(e.Error))
			}
		})
	}
	// A refused request changed nothing: the history is as before.
	if h := getHistory(t, ts, ""); h.Totals.Mentions != 3 {
		t.Errorf("after refusals: %+v", h.Totals)
	}
}

// The CSV export parses back to the numbers the JSON API returns, and
// names that a spreadsheet would run as formulas are neutralised.
func TestHistoryExportCSVMatchesAPI(t *testing.T) {
	ts := startHistoryServer(t)
	h := getHistory(t, ts, "")
	resp, body := httpGet(t, ts.URL+"/api/history/export?format=csv")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); cd != `attachment; filename="pantau-history-20250301T0000Z-20250308T0000Z.csv"` {
		t.Errorf("Content-Disposition %q", cd)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("Content-Type %q", ct)
	}
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], exportColumns) {
		t.Fatalf("header %v", recs[0])
	}
	col := map[string]int{}
	for i, c := range recs[0] {
		col[c] = i
	}
	num := func(rec []string, c string) int64 {
		n, err := strconv.ParseInt(rec[col[c]], 10, 64)
		if err != nil {
			t.Fatalf("column %s: %q: %v", c, rec[col[c]], err)
		}
		return n
	}
	// Point rows summed per t give the series; the total row the totals.
	sums := map[string]*historyPoint{}
	var total []string
	var names []string
	for _, rec := range recs[1:] {
		switch rec[col["row"]] {
		case rowPoint:
			p := sums[rec[col["t"]]]
			if p == nil {
				p = &historyPoint{}
				sums[rec[col["t"]]] = p
			}
			p.Mentions += num(rec, "mentions")
			p.Complaints += num(rec, "complaints")
			p.Negative += num(rec, "negative")
			p.Positive += num(rec, "positive")
			p.Neutral += num(rec, "neutral")
			p.Answered += num(rec, "answered")
			p.UnansweredPastTarget += num(rec, "unanswered_past_target")
			names = append(names, rec[col["source"]], rec[col["brand"]])
		case rowTotal:
			total = rec
		}
	}
	for _, p := range h.Series {
		got := sums[p.T.Format(time.RFC3339)]
		if got == nil {
			got = &historyPoint{}
		}
		got.T = p.T
		if *got != p {
			t.Errorf("point %v: csv %+v, api %+v", p.T, *got, p)
		}
	}
	if total == nil {
		t.Fatal("no total row")
	}
	T := h.Totals
	for c, want := range map[string]int64{"mentions": T.Mentions, "brand_replies": T.BrandReplies, "complaints": T.Complaints,
		"severity_2": T.Severity.S2, "severity_4": T.Severity.S4, "answered_within_target": T.AnsweredWithinTarget,
		"response_1h": T.ResponseTime[1].Count, "audit_pass": T.Audit.Pass, "unanswered_past_target": T.UnansweredPastTarget} {
		if got := num(total, c); got != want {
			t.Errorf("total %s: csv %d, api %d", c, got, want)
		}
	}
	if f, _ := strconv.ParseFloat(total[col["sentiment_mean"]], 64); f != T.Sentiment.Mean {
		t.Errorf("sentiment mean: csv %v, api %v", f, T.Sentiment.Mean)
	}
	if !slices.Contains(names, "'=evil") || !slices.Contains(names, "'@beta") || slices.Contains(names, "=evil") {
		t.Errorf("formula names not neutralised: %v", names)
	}
}

func TestHistoryExportJSON(t *testing.T) {
	ts := startHistoryServer(t)
	resp, body := httpGet(t, ts.URL+"/api/history/export?format=json&brand=acme")
	if resp.StatusCode != 200 || !strings.HasSuffix(resp.Header.Get("Content-Disposition"), `.json"`) {
		t.Fatalf("status %d, disposition %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	var doc exportDoc
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	last := doc.Rows[len(doc.Rows)-1]
	if last.Row != rowTotal || last.Totals.Mentions != 2 || last.Brand != "acme" {
		t.Errorf("total row %+v", last)
	}
	var points int64
	for _, r := range doc.Rows {
		if r.Row == rowPoint {
			points += r.Totals.Mentions
			if r.Brand != "acme" {
				t.Errorf("brand filter: row %+v", r)
			}
		}
	}
	if points != 2 {
		t.Errorf("point rows hold %d mentions, want 2", points)
	}
	// No personal data: neither the texts nor the authors are exported.
	for _, secret := range []string{"complaint c1", "cust", "acme_care", "Mohon"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("export contains %q", secret)
		}
	}
}
