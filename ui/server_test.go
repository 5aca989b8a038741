package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

// call sends one request to h as a browser on this machine would.
func call(t *testing.T, h http.Handler, method, target, body string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, target, nil)
	} else {
		r = httptest.NewRequest(method, target, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
	}
	r.Host = "127.0.0.1:8080"
	for k, v := range header {
		if k == "Host" {
			r.Host = v
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, body %s", ct, w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("decode %s: %v", w.Body, err)
	}
	return v
}

type mentionList struct {
	Seq      uint64          `json:"seq"`
	Mentions []store.Mention `json:"mentions"`
}

type apiError struct {
	Error string `json:"error"`
}

func keys(ms []store.Mention) []string {
	out := []string{}
	for _, m := range ms {
		out = append(out, m.Key)
	}
	return out
}

// seedMentions stores a small, varied set: two sources, two brands, scores
// in two languages and one unscored mention.
func seedMentions(t *testing.T, st *store.Store) {
	t.Helper()
	a := mention("1", "Pesanan saya belum sampai, kecewa bgt min")
	a.Brand = "tokoku"
	b := mention("2", "Great service today, thanks!")
	b.Brand = "tokoku"
	b.Title = "Praise"
	ingest(t, st, a, b)
	c := mention("3", "Refund nggak dibales sudah 3 hari")
	c.Brand = "other"
	if _, err := st.Ingest(store.Batch{Source: "masto", Kind: "mastodon", Mentions: []store.Mention{c}}); err != nil {
		t.Fatal(err)
	}
	err := st.SaveScores(map[string]store.Score{
		"rss:1":      {Scorer: "t", Lang: "id", Scored: true, Complaint: 0.9, Severity: 2, Reasons: []string{"'kecewa'"}},
		"rss:2":      {Scorer: "t", Lang: "en", Scored: true, Complaint: 0.05},
		"mastodon:3": {Scorer: "t", Lang: "id", Scored: true, Complaint: 0.7, Severity: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestListMentions(t *testing.T) {
	st := newTestStore(t)
	seedMentions(t, st)
	h := New(Config{}, st, testLogger(t)).Handler()
	all, err := st.Mentions(store.MentionQuery{})
	if err != nil {
		t.Fatal(err)
	}
	// The newest batch is the mastodon one; before its SeenAt leaves the RSS batch.
	before := url.QueryEscape(all[0].SeenAt.Format(time.RFC3339Nano))

	tests := map[string]struct {
		query string
		want  []string
	}{
		"all, newest first": {"", []string{"mastodon:3", "rss:2", "rss:1"}},
		"source":            {"?source=masto", []string{"mastodon:3"}},
		"kind":              {"?kind=rss", []string{"rss:2", "rss:1"}},
		"brand":             {"?brand=tokoku", []string{"rss:2", "rss:1"}},
		"detected language": {"?lang=en", []string{"rss:2"}},
		"min complaint":     {"?min_complaint=0.7", []string{"mastodon:3", "rss:1"}},
		"text, any case":    {"?q=KECEWA", []string{"rss:1"}},
		"text in title":     {"?q=praise", []string{"rss:2"}},
		"before":            {"?before=" + before, []string{"rss:2", "rss:1"}},
		"limit":             {"?limit=1", []string{"mastodon:3"}},
		"combined":          {"?brand=tokoku&min_complaint=0.5&lang=id", []string{"rss:1"}},
		"nothing matches":   {"?source=nope", []string{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := call(t, h, "GET", "/api/mentions"+tc.query, "", nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			got := decode[mentionList](t, w)
			if !slices.Equal(keys(got.Mentions), tc.want) {
				t.Errorf("keys %v, want %v", keys(got.Mentions), tc.want)
			}
			if got.Seq != lastSeq(t, st) {
				t.Errorf("seq %d, want %d", got.Seq, lastSeq(t, st))
			}
		})
	}
}

func TestBadQueryParameters(t *testing.T) {
	st := newTestStore(t)
	h := New(Config{}, st, testLogger(t)).Handler()
	tests := map[string]struct {
		target string
		param  string // the parameter the error must name
	}{
		"limit zero":             {"/api/mentions?limit=0", "limit"},
		"limit not a number":     {"/api/mentions?limit=ten", "limit"},
		"limit too big":          {"/api/mentions?limit=1001", "limit"},
		"min_complaint above 1":  {"/api/mentions?min_complaint=2", "min_complaint"},
		"min_complaint NaN":      {"/api/mentions?min_complaint=NaN", "min_complaint"},
		"before not RFC 3339":    {"/api/mentions?before=yesterday", "before"},
		"unknown parameter":      {"/api/mentions?min_complain=0.5", "min_complain"},
		"repeated parameter":     {"/api/mentions?source=a&source=b", "source"},
		"overlong q":             {"/api/mentions?q=" + strings.Repeat("x", 300), "q"},
		"alert state":            {"/api/alerts?state=closed", "state"},
		"alert limit":            {"/api/alerts?limit=-1", "limit"},
		"events since":           {"/api/events?since=-1", "since"},
		"events limit":           {"/api/events?limit=5000", "limit"},
		"parameter on sources":   {"/api/sources?x=1", "x"},
		"websocket since":        {"/ws?since=abc", "since"},
		"parameter on a mention": {"/api/mentions/rss:1?full=1", "full"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := call(t, h, "GET", tc.target, "", nil)
			if w.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", w.Code, w.Body)
			}
			e := decode[apiError](t, w)
			if !strings.Contains(e.Error, `"`+tc.param+`"`) {
				t.Errorf("error %q does not name %q", e.Error, tc.param)
			}
		})
	}
}

func TestGetMention(t *testing.T) {
	st := newTestStore(t)
	// Bluesky keys hold at:// URIs, with "//" that a path must not lose.
	root := mention("at://did:plc:abc/app.bsky.feed.post/1", "Aplikasinya error terus, gk bisa login")
	reply := mention("at://did:plc:brand/app.bsky.feed.post/2", "Halo kak, mohon maaf. Boleh DM nomor pesanannya?")
	reply.ByBrand = true
	reply.Author.Handle = "tokoku.bsky.social"
	reply.ReplyTo = store.MentionKey("bluesky", root.NativeID)
	reply.CreatedAt = root.CreatedAt.Add(20 * time.Minute)
	likes := int64(12)
	rootKey := store.MentionKey("bluesky", root.NativeID)
	if _, err := st.Ingest(store.Batch{
		Source: "bsky", Kind: "bluesky",
		Mentions: []store.Mention{root, reply},
		Samples:  []store.MentionSample{{Key: rootKey, Sample: store.Sample{At: root.CreatedAt, Likes: &likes}}},
	}); err != nil {
		t.Fatal(err)
	}
	h := New(Config{}, st, testLogger(t)).Handler()

	w := call(t, h, "GET", "/api/mentions/"+url.PathEscape(rootKey), "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("status %d: %s", w.Code, w.Body)
	}
	got := decode[struct {
		Mention store.Mention   `json:"mention"`
		Thread  []store.Mention `json:"thread"`
		Samples []store.Sample  `json:"samples"`
	}](t, w)
	if got.Mention.Key != rootKey {
		t.Errorf("key %q, want %q", got.Mention.Key, rootKey)
	}
	if got.Mention.AnsweredBy != "tokoku.bsky.social" {
		t.Errorf("answered by %q", got.Mention.AnsweredBy)
	}
	if len(got.Thread) != 2 || got.Thread[1].Text != reply.Text {
		t.Errorf("thread %+v", got.Thread)
	}
	if len(got.Samples) != 1 || got.Samples[0].Likes == nil || *got.Samples[0].Likes != 12 {
		t.Errorf("samples %+v", got.Samples)
	}

	w = call(t, h, "GET", "/api/mentions/"+url.PathEscape("rss:missing"), "", nil)
	if w.Code != http.StatusNotFound {
		t.Fatalf("missing mention: status %d", w.Code)
	}
	if e := decode[apiError](t, w); !strings.Contains(e.Error, "rss:missing") {
		t.Errorf("error %q does not name the key", e.Error)
	}
}

func putAlert(t *testing.T, st *store.Store, id string, state store.AlertState, prio float64, at time.Time) {
	t.Helper()
	_, err := st.PutAlert(store.Alert{
		ID: id, Rule: "unanswered", MentionKey: "rss:1", Source: "news", State: state,
		Summary: "Complaint unanswered", Priority: prio, OpenedAt: at, UpdatedAt: at,
	})
	if err != nil {
		t.Fatal(err)
	}
}

type alertList struct {
	Seq    uint64        `json:"seq"`
	Alerts []store.Alert `json:"alerts"`
}

func alertIDs(as []store.Alert) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, a.ID)
	}
	return out
}

func TestListAlerts(t *testing.T) {
	st := newTestStore(t)
	t0 := time.Date(2025, 3, 14, 8, 0, 0, 0, time.UTC)
	putAlert(t, st, "a-open", store.AlertOpen, 0.9, t0)
	putAlert(t, st, "b-ack", store.AlertAcknowledged, 0.5, t0.Add(time.Minute))
	putAlert(t, st, "c-resolved", store.AlertResolved, 0.1, t0.Add(2*time.Minute))
	h := New(Config{}, st, testLogger(t)).Handler()
	tests := map[string]struct {
		query string
		want  []string
	}{
		"all":          {"", []string{"c-resolved", "b-ack", "a-open"}},
		"open":         {"?state=open", []string{"a-open"}},
		"acknowledged": {"?state=acknowledged", []string{"b-ack"}},
		"resolved":     {"?state=resolved", []string{"c-resolved"}},
		"active":       {"?state=active", []string{"b-ack", "a-open"}},
		"active limit": {"?state=active&limit=1", []string{"b-ack"}},
		"source":       {"?source=elsewhere", []string{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := call(t, h, "GET", "/api/alerts"+tc.query, "", nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if got := alertIDs(decode[alertList](t, w).Alerts); !slices.Equal(got, tc.want) {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAlertActionsThroughStore(t *testing.T) {
	st := newTestStore(t)
	// Alert ids hold mention keys, so they can hold '/' and '|'.
	id := store.AlertID("unanswered", "bluesky:at://did:plc:abc/app.bsky.feed.post/1")
	putAlert(t, st, id, store.AlertOpen, 0.8, time.Now())
	h := New(Config{}, st, testLogger(t)).Handler()
	path := "/api/alerts/" + url.PathEscape(id)

	w := call(t, h, "POST", path+"/ack", `{"by":"Sari"}`, nil)
	if w.Code != http.StatusOK {
		t.Fatalf("ack: status %d: %s", w.Code, w.Body)
	}
	got := decode[struct {
		Alert store.Alert `json:"alert"`
	}](t, w).Alert
	if got.State != store.AlertAcknowledged || got.By != "Sari" {
		t.Errorf("after ack: state %q by %q", got.State, got.By)
	}

	// Without a body the actor is "demo".
	w = call(t, h, "POST", path+"/resolve", "", nil)
	if w.Code != http.StatusOK {
		t.Fatalf("resolve: status %d: %s", w.Code, w.Body)
	}
	stored, _, err := st.Alert(id)
	if err != nil {
		t.Fatal(err)
	}
	if stored.State != store.AlertResolved || stored.By != defaultActedBy {
		t.Errorf("stored: state %q by %q", stored.State, stored.By)
	}
	evs, err := st.EventsSince(0, 100)
	if err != nil {
		t.Fatal(err)
	}
	// Each action is audited too, as an audit event after its alert event.
	evs = slices.DeleteFunc(evs, func(e store.Event) bool { return e.Type == store.EventAudit })
	if n := len(evs); n != 3 || evs[n-1].Type != store.EventAlert {
		t.Errorf("want 3 alert events (put, ack, resolve), got %d", n)
	}

	w = call(t, h, "POST", path+"/ack", "", nil)
	if w.Code != http.StatusConflict {
		t.Errorf("ack of a resolved alert: status %d: %s", w.Code, w.Body)
	}
}

func TestAlertActionErrors(t *testing.T) {
	st := newTestStore(t)
	putAlert(t, st, "a1", store.AlertOpen, 0.8, time.Now())
	h := New(Config{}, st, testLogger(t)).Handler()
	tests := map[string]struct {
		path, body string
		status     int
		mention    string // in the error message
	}{
		"unknown alert":     {"/api/alerts/nope/ack", "", 404, "nope"},
		"body not JSON":     {"/api/alerts/a1/ack", "Sari", 400, "request body"},
		"unknown field":     {"/api/alerts/a1/ack", `{"who":"x"}`, 400, "request body"},
		"two values":        {"/api/alerts/a1/ack", `{"by":"x"} {}`, 400, "request body"},
		"name too long":     {"/api/alerts/a1/ack", `{"by":"` + strings.Repeat("a", 65) + `"}`, 400, "by"},
		"control character": {"/api/alerts/a1/ack", `{"by":"a\u0007b"}`, 400, "by"},
		"body too large":    {"/api/alerts/a1/ack", `{"by":"` + strings.Repeat("a", 5000) + `"}`, 413, "larger than"},
		"unknown action":    {"/api/alerts/a1/close", "", 404, "POST /api/alerts/a1/close"},
		"wrong method":      {"/api/mentions", "", 404, "POST /api/mentions"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := call(t, h, "POST", tc.path, tc.body, nil)
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
			if e := decode[apiError](t, w); !strings.Contains(e.Error, tc.mention) {
				t.Errorf("error %q does not mention %q", e.Error, tc.mention)
			}
		})
	}
	if a, _, _ := st.Alert("a1"); a.State != store.AlertOpen {
		t.Errorf("a refused action changed the alert to %q", a.State)
	}
}

// fakeActions records the calls that the alerting pipeline would get.
type fakeActions struct {
	calls []string
	err   error
}

func (f *fakeActions) Acknowledge(id, by string) (store.Alert, error) {
	f.calls = append(f.calls, "ack "+id+" "+by)
	return store.Alert{ID: id, State: store.AlertAcknowledged, By: by}, f.err
}

func (f *fakeActions) Resolve(id, by string) (store.Alert, error) {
	f.calls = append(f.calls, "resolve "+id+" "+by)
	return store.Alert{ID: id, State: store.AlertResolved, By: by}, f.err
}

func TestAlertActionsThroughPipeline(t *testing.T) {
	st := newTestStore(t)
	fa := &fakeActions{}
	h := New(Config{}, st, testLogger(t), WithAlertActions(fa)).Handler()
	if w := call(t, h, "POST", "/api/alerts/x1/ack", `{"by":" Budi "}`, nil); w.Code != 200 {
		t.Fatalf("ack: %d %s", w.Code, w.Body)
	}
	if w := call(t, h, "POST", "/api/alerts/x1/resolve", "", nil); w.Code != 200 {
		t.Fatalf("resolve: %d %s", w.Code, w.Body)
	}
	want := []string{"ack x1 Budi", "resolve x1 demo"}
	if !slices.Equal(fa.calls, want) {
		t.Errorf("calls %q, want %q", fa.calls, want)
	}

	fa.err = fmt.Errorf("alerting: %w", store.ErrNotFound)
	if w := call(t, h, "POST", "/api/alerts/x2/ack", "", nil); w.Code != 404 {
		t.Errorf("not found from the pipeline: status %d", w.Code)
	}
	fa.err = errors.New("outbox: disk on fire at /var/lib/pantau")
	w := call(t, h, "POST", "/api/alerts/x2/ack", "", nil)
	if w.Code != 500 {
		t.Fatalf("pipeline failure: status %d", w.Code)
	}
	if strings.Contains(w.Body.String(), "/var/lib") {
		t.Errorf("internal error details leaked: %s", w.Body)
	}
}

func TestSourcesAndEvents(t *testing.T) {
	st := newTestStore(t)
	seedMentions(t, st)
	if _, err := st.RecordSourceError("news", "rss", time.Now(), "HTTP 503", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	h := New(Config{}, st, testLogger(t)).Handler()

	w := call(t, h, "GET", "/api/sources", "", nil)
	if w.Code != 200 {
		t.Fatalf("sources: %d %s", w.Code, w.Body)
	}
	src := decode[struct {
		Sources []store.SourceState `json:"sources"`
	}](t, w).Sources
	if len(src) != 2 || src[1].Source != "news" || src[1].ConsecutiveErrors != 1 || src[1].LastErrorText != "HTTP 503" {
		t.Errorf("sources %+v", src)
	}

	type eventPage struct {
		Events []store.Event `json:"events"`
		More   bool          `json:"more"`
	}
	last := lastSeq(t, st)
	w = call(t, h, "GET", "/api/events?since=2&limit=3", "", nil)
	page := decode[eventPage](t, w)
	if len(page.Events) != 3 || page.Events[0].Seq != 3 || page.Events[2].Seq != 5 || !page.More {
		t.Errorf("page after 2: %+v", page)
	}
	w = call(t, h, "GET", fmt.Sprintf("/api/events?since=%d", last-1), "", nil)
	page = decode[eventPage](t, w)
	if len(page.Events) != 1 || page.Events[0].Seq != last || page.More {
		t.Errorf("last page: %+v", page)
	}
	if page.Events[0].Type != store.EventSourceHealth {
		t.Errorf("last event type %q", page.Events[0].Type)
	}
	w = call(t, h, "GET", fmt.Sprintf("/api/events?since=%d", last), "", nil)
	if page = decode[eventPage](t, w); page.Events == nil || len(page.Events) != 0 {
		t.Errorf("after the last: %+v (want an empty list, not null)", page)
	}
}

func TestHealthz(t *testing.T) {
	st := newTestStore(t)
	ingest(t, st, mention("1", "hi"))
	h := New(Config{}, st, testLogger(t)).Handler()
	w := call(t, h, "GET", "/healthz", "", nil)
	got := decode[map[string]any](t, w)
	if w.Code != 200 || got["status"] != "ok" || got["last_seq"] != float64(lastSeq(t, st)) {
		t.Errorf("healthz %d %v", w.Code, got)
	}
}

func TestSecurityHeaders(t *testing.T) {
	st := newTestStore(t)
	h := New(Config{}, st, testLogger(t)).Handler()
	for _, path := range []string{"/", "/api/mentions", "/assets/app.js", "/api/nothing"} {
		w := call(t, h, "GET", path, "", nil)
		hd := w.Header()
		csp := hd.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'",
			"connect-src 'self' ws://127.0.0.1:8080 wss://127.0.0.1:8080", "object-src 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: CSP %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP allows inline code: %q", path, csp)
		}
		if hd.Get("X-Content-Type-Options") != "nosniff" || hd.Get("Referrer-Policy") != "no-referrer" || hd.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: headers %v", path, hd)
		}
	}
}

func TestStaticFiles(t *testing.T) {
	st := newTestStore(t)
	h := New(Config{}, st, testLogger(t)).Handler()
	tests := map[string]struct {
		path, ctype string
	}{
		"index":   {"/", "text/html; charset=utf-8"},
		"script":  {"/assets/app.js", "text/javascript; charset=utf-8"},
		"style":   {"/assets/app.css", "text/css; charset=utf-8"},
		"favicon": {"/assets/favicon.svg", "image/svg+xml"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := call(t, h, "GET", tc.path, "", nil)
			if w.Code != 200 || w.Header().Get("Content-Type") != tc.ctype || w.Body.Len() == 0 {
				t.Fatalf("status %d type %q len %d", w.Code, w.Header().Get("Content-Type"), w.Body.Len())
			}
			etag := w.Header().Get("ETag")
			if etag == "" {
				t.Fatal("no ETag")
			}
			w = call(t, h, "GET", tc.path, "", map[string]string{"If-None-Match": etag})
			if w.Code != http.StatusNotModified {
				t.Errorf("revalidation: status %d, want 304", w.Code)
			}
		})
	}
	if w := call(t, h, "GET", "/assets/", "", nil); w.Code != 404 {
		t.Errorf("directory listing: status %d", w.Code)
	}
	if w := call(t, h, "GET", "/assets/missing.js", "", nil); w.Code != 404 {
		t.Errorf("missing asset: status %d", w.Code)
	}
}

// TestDashboardHasNoInlineCode keeps the page compatible with the CSP and
// honest about not rendering HTML from data.
func TestDashboardHasNoInlineCode(t *testing.T) {
	index, err := staticFS.ReadFile("static/index.html")
	if err != nil {
		t.Fatal(err)
	}
	page := strings.ToLower(string(index))
	if n := strings.Count(page, "<script"); n != strings.Count(page, "<script src=") {
		t.Errorf("index.html has an inline <script>")
	}
	for _, bad := range []string{" onclick=", " onload=", " onerror=", " style=", "<style", "javascript:", "http://", "https://"} {
		if strings.Contains(page, bad) {
			t.Errorf("index.html contains %q (inline code, inline style or an external resource)", bad)
		}
	}
	js, err := staticFS.ReadFile("static/assets/app.js")
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{".innerHTML", ".outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"} {
		if strings.Contains(string(js), bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
}

func TestHostCheck(t *testing.T) {
	st := newTestStore(t)
	h := New(Config{}, st, testLogger(t)).Handler()
	tests := map[string]struct {
		host   string
		status int
	}{
		"loopback v4":           {"127.0.0.1:8080", 200},
		"loopback v6":           {"[::1]:8080", 200},
		"localhost":             {"localhost:8080", 200},
		"localhost no port":     {"localhost", 200},
		"rebound DNS name":      {"attacker.example:8080", 421},
		"other address":         {"192.0.2.7:8080", 421},
		"port with junk":        {"127.0.0.1:80;script-src", 421},
		"empty port":            {"127.0.0.1:", 421},
		"public url not set up": {"pantau.example.com", 421},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := call(t, h, "GET", "/api/mentions", "", map[string]string{"Host": tc.host})
			if w.Code != tc.status {
				t.Errorf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
		})
	}
	h = New(Config{PublicURL: "https://pantau.example.com/"}, st, testLogger(t)).Handler()
	if w := call(t, h, "GET", "/api/mentions", "", map[string]string{"Host": "pantau.example.com"}); w.Code != 200 {
		t.Errorf("configured public host: status %d", w.Code)
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	st := newTestStore(t)
	putAlert(t, st, "a1", store.AlertOpen, 0.8, time.Now())
	h := New(Config{AllowedOrigins: []string{"https://ops.example.com"}}, st, testLogger(t)).Handler()
	tests := map[string]struct {
		header map[string]string
		status int
	}{
		"foreign site":        {map[string]string{"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}, 403},
		"foreign origin only": {map[string]string{"Origin": "https://evil.example"}, 403},
		"same origin":         {map[string]string{"Origin": "http://127.0.0.1:8080", "Sec-Fetch-Site": "same-origin"}, 200},
		"configured origin":   {map[string]string{"Origin": "https://ops.example.com", "Sec-Fetch-Site": "cross-site"}, 200},
		"not a browser":       {nil, 200},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			w := call(t, h, "POST", "/api/alerts/a1/ack", "", tc.header)
			if w.Code != tc.status {
				t.Errorf("status %d, want %d: %s", w.Code, tc.status, w.Body)
			}
		})
	}
}

// fakeListener reports a public address, as a listener made by mistake
// would, without binding one.
type fakeListener struct{ net.Listener }

func (fakeListener) Addr() net.Addr { return &net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 8080} }

func TestServeRefusesPublicListener(t *testing.T) {
	st := newTestStore(t)
	err := New(Config{}, st, testLogger(t)).Serve(t.Context(), fakeListener{})
	if err == nil || !strings.Contains(err.Error(), "no authentication") {
		t.Errorf("Serve on a public address: %v", err)
	}
}

func TestWebsocketNeedsServe(t *testing.T) {
	st := newTestStore(t)
	h := New(Config{}, st, testLogger(t)).Handler()
	w := call(t, h, "GET", "/ws", "", nil)
	if w.Code != http.StatusServiceUnavailable {
		t.Errorf("status %d, want 503 while the hub is not running", w.Code)
	}
}
