package ui

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

type queueAnswer struct {
	Seq       uint64          `json:"seq"`
	State     string          `json:"state"`
	Total     int             `json:"total"`
	Truncated bool            `json:"truncated"`
	Mentions  []store.Mention `json:"mentions"`
}

// seedQueue stores customers' mentions in every state the queue knows,
// a brand reply, and scores that make the order by priority differ from
// the order of arrival.
func seedQueue(t *testing.T, st *store.Store) {
	t.Helper()
	at := func(min int) time.Time { return time.Date(2025, 3, 14, 8, min, 0, 0, time.UTC) }
	mk := func(id, text, brand string, created int) store.Mention {
		m := mention(id, text)
		m.Brand, m.CreatedAt = brand, at(created)
		return m
	}
	low := mk("low", "Kapan promo ongkir balik?", "tokoku", 1)
	high := mk("high", "Refund belum masuk, kecewa bgt", "tokoku", 2)
	mid := mk("mid", "Checkout error 502 again", "acme", 3)
	fresh := mk("fresh", "Baru saja: aplikasi crash", "tokoku", 4) // unscored
	answered := mk("answered", "Paket hilang, tolong dicek", "tokoku", 5)
	handled := mk("handled", "Saya sudah DM ya", "tokoku", 6)
	nothing := mk("thanks", "Thanks, great app!", "tokoku", 7)
	sameHigh := mk("samehigh", "Saldo terpotong dua kali", "tokoku", 8)
	ingest(t, st, low, high, mid, fresh, answered, handled, nothing, sameHigh)
	reply := mk("reply", "Mohon maaf kak, sudah kami cek", "tokoku", 9)
	reply.ByBrand, reply.ReplyTo = true, "rss:answered"
	ingest(t, st, reply)
	sc := func(lang string, prio float64, sev int, rs store.ReplyState, overdue time.Duration) store.Score {
		return store.Score{Scorer: "t", Lang: lang, Scored: true, Complaint: prio, Severity: sev, Priority: prio, ReplyState: rs, Overdue: overdue}
	}
	if err := st.SaveScores(map[string]store.Score{
		"rss:low":      sc("id", 0.2, 1, store.ReplyNew, 0),
		"rss:high":     sc("id", 0.9, 4, store.ReplyNew, 2*time.Hour),
		"rss:mid":      sc("en", 0.5, 2, store.ReplyNew, 0),
		"rss:answered": sc("id", 0.8, 3, store.ReplyNew, 0), // stale: the answer came after
		"rss:handled":  sc("id", 0.7, 3, store.ReplyNew, 0),
		"rss:thanks":   sc("en", 0, 0, store.ReplyNotNeeded, 0),
		"rss:samehigh": sc("id", 0.9, 3, store.ReplyNew, 0),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetHandling("rss:handled", store.ReplyPrivate, "", false, "sari"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SetHandling("rss:mid", "", "budi", true, "budi"); err != nil {
		t.Fatal(err)
	}
}

func TestQueueOrderAndStates(t *testing.T) {
	st := newTestStore(t)
	seedQueue(t, st)
	h := New(Config{}, st, testLogger(t)).Handler()
	cases := []struct {
		name, query string
		want        []string
	}{
		// Priority first; the two at 0.9 newest first; unscored last.
		{"open by default", "", []string{"rss:samehigh", "rss:high", "rss:mid", "rss:low", "rss:fresh"}},
		{"open", "?state=open", []string{"rss:samehigh", "rss:high", "rss:mid", "rss:low", "rss:fresh"}},
		{"unassigned", "?state=unassigned", []string{"rss:samehigh", "rss:high", "rss:low", "rss:fresh"}},
		{"assigned", "?state=assigned", []string{"rss:mid"}},
		{"overdue", "?state=overdue", []string{"rss:high"}},
		{"answered", "?state=answered", []string{"rss:answered"}},
		{"private", "?state=private", []string{"rss:handled"}},
		{"no reply needed", "?state=no_reply_needed", []string{"rss:thanks"}},
		{"settled", "?state=settled", []string{"rss:answered", "rss:handled", "rss:thanks"}},
		{"all, never the brand's reply", "?state=all", []string{"rss:samehigh", "rss:high", "rss:answered", "rss:handled", "rss:mid", "rss:low", "rss:thanks", "rss:fresh"}},
		{"source", "?source=news", []string{"rss:samehigh", "rss:high", "rss:mid", "rss:low", "rss:fresh"}},
		{"other source", "?source=elsewhere", []string{}},
		{"kind", "?kind=mastodon", []string{}},
		{"brand", "?brand=acme", []string{"rss:mid"}},
		{"lang", "?lang=en", []string{"rss:mid"}},
		{"min severity", "?min_severity=3", []string{"rss:samehigh", "rss:high"}},
		{"min complaint", "?min_complaint=0.5", []string{"rss:samehigh", "rss:high", "rss:mid"}},
		{"search text, any case", "?q=KECEWA", []string{"rss:high"}},
		{"search author", "?q=user_low", []string{"rss:low"}},
		{"search settled", "?q=dm+ya&state=all", []string{"rss:handled"}},
		{"limit", "?limit=2", []string{"rss:samehigh", "rss:high"}},
		{"filters together", "?brand=tokoku&min_severity=1&q=saldo", []string{"rss:samehigh"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			w := call(t, h, "GET", "/api/queue"+tc.query, "", nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			got := decode[queueAnswer](t, w)
			if strings.Join(keys(got.Mentions), " ") != strings.Join(tc.want, " ") {
				t.Errorf("got %q, want %q", keys(got.Mentions), tc.want)
			}
			if got.Seq != lastSeq(t, st) {
				t.Errorf("seq %d, want %d", got.Seq, lastSeq(t, st))
			}
			if got.Truncated {
				t.Error("truncated with a handful of mentions")
			}
		})
	}
	// total counts every match, the limit cuts the list only.
	got := decode[queueAnswer](t, call(t, h, "GET", "/api/queue?limit=1", "", nil))
	if got.Total != 5 || len(got.Mentions) != 1 || got.State != "open" {
		t.Errorf("limit=1: total %d, %d mentions, state %q; want 5, 1, open", got.Total, len(got.Mentions), got.State)
	}
}

// TestQueueFollowsHandling: an action takes a mention out of the queue and
// "reopen" (handling cleared) brings it back, as the pipeline would.
func TestQueueFollowsHandling(t *testing.T) {
	st := newTestStore(t)
	seedQueue(t, st)
	h := New(Config{}, st, testLogger(t)).Handler()
	inQueue := func() bool {
		for _, m := range decode[queueAnswer](t, call(t, h, "GET", "/api/queue", "", nil)).Mentions {
			if m.Key == "rss:high" {
				return true
			}
		}
		return false
	}
	if !inQueue() {
		t.Fatal("rss:high not in the queue at first")
	}
	if _, err := st.SetHandling("rss:high", store.ReplyResolved, "", false, "sari"); err != nil {
		t.Fatal(err)
	}
	if inQueue() {
		t.Error("a resolved mention stays in the queue")
	}
	if _, err := st.SetHandling("rss:high", "", "", false, "sari"); err != nil {
		t.Fatal(err)
	}
	if !inQueue() {
		t.Error("a reopened mention is not back in the queue")
	}
}

// TestQueueMasksAndSearchesMasked: the queue sends masked text, and
// searching for the hidden personal data finds nothing.
func TestQueueMasksAndSearchesMasked(t *testing.T) {
	st := newTestStore(t)
	text := "Tolong hubungi saya di 081234567890"
	ingest(t, st, mention("pii", text))
	start := strings.Index(text, "0812")
	if err := st.SaveScores(map[string]store.Score{"rss:pii": {Scorer: "t", Lang: "id", Scored: true, Priority: 0.5,
		PII: []store.Span{{Kind: "phone", Start: start, End: len(text)}}}}); err != nil {
		t.Fatal(err)
	}
	h := New(Config{}, st, testLogger(t)).Handler()
	got := decode[queueAnswer](t, call(t, h, "GET", "/api/queue", "", nil))
	if len(got.Mentions) != 1 || strings.Contains(got.Mentions[0].Text, "081234567890") {
		t.Fatalf("queue sent %+v", got.Mentions)
	}
	if n := len(decode[queueAnswer](t, call(t, h, "GET", "/api/queue?q=081234567890", "", nil)).Mentions); n != 0 {
		t.Errorf("searching the masked phone number found %d mentions", n)
	}
}

func TestQueueBadParameters(t *testing.T) {
	st := newTestStore(t)
	h := New(Config{}, st, testLogger(t)).Handler()
	cases := map[string]string{
		"?limit=0":            "limit",
		"?limit=501":          "limit",
		"?limit=ten":          "limit",
		"?min_severity=5":     "min_severity",
		"?min_severity=-1":    "min_severity",
		"?min_complaint=2":    "min_complaint",
		"?state=closed":       "state",
		"?before=2025-01-01Z": "before",
		"?q=a&q=b":            "q",
		"?q=" + strings.Repeat("x", maxParamLen+1): "q",
	}
	for query, param := range cases {
		w := call(t, h, "GET", "/api/queue"+query, "", nil)
		if w.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400", clip(query, 40), w.Code)
			continue
		}
		if e := decode[apiError](t, w); !strings.Contains(e.Error, `"`+param+`"`) {
			t.Errorf("%s: error %q does not name %q", clip(query, 40), e.Error, param)
		}
	}
}
