package ui

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pantau/pantau/store"
)

type mentionView struct {
	Seq     uint64
	Mention store.Mention
	Thread  []store.Mention
	Samples []store.Sample
	Notes   []struct {
		At     string `json:"at"`
		By     string `json:"by"`
		Action string `json:"action"`
		Note   string `json:"note"`
	}
}

func TestHandlingActions(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ingest(t, f.st, mention("h1", "paketku hilang, kecewa bgt min"))
	s := f.login("agen")
	steps := []struct {
		action, note string
		handling     store.ReplyState
		assignee     string
	}{
		{"assign", "", "", "agen"},
		{"private", "moved to DM, order 123", store.ReplyPrivate, "agen"},
		{"unassign", "", store.ReplyPrivate, ""},
		{"answered", "replied on the thread", store.ReplyAnswered, ""},
		{"no_reply", "", store.ReplyNotNeeded, ""},
		{"resolved", "refund done\nthanks <b>team</b>", store.ReplyResolved, ""},
		{"reopen", "customer came back", "", ""},
	}
	for i, st := range steps {
		before := lastSeq(t, f.st)
		body, _ := json.Marshal(map[string]string{"action": st.action, "note": st.note})
		w := f.request("POST", "/api/handling/rss:h1", string(body), s)
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", st.action, w.Code, w.Body)
		}
		v := decode[mentionView](t, w)
		if v.Mention.Handling != st.handling || v.Mention.AssignedTo != st.assignee || v.Mention.HandledBy != "agen" {
			t.Errorf("%s: handling %q assigned %q by %q", st.action, v.Mention.Handling, v.Mention.AssignedTo, v.Mention.HandledBy)
		}
		if len(v.Notes) != i+1 {
			t.Fatalf("%s: %d notes, want %d", st.action, len(v.Notes), i+1)
		}
		if n := v.Notes[i]; n.Action != st.action || n.By != "agen" || n.Note != st.note || n.At == "" {
			t.Errorf("%s: note %+v", st.action, n)
		}
		// The other screens hear of it: a mention event and an audit event.
		evs, _ := f.st.EventsSince(before, 10)
		var types []string
		for _, e := range evs {
			types = append(types, e.Type)
		}
		if !slices.Contains(types, store.EventMentionHandled) || !slices.Contains(types, store.EventAudit) {
			t.Errorf("%s: events %v", st.action, types)
		}
	}
	// GET shows the same notes.
	v := decode[mentionView](t, f.request("GET", "/api/mentions/rss:h1", "", s))
	if len(v.Notes) != len(steps) || v.Notes[5].Note != "refund done\nthanks <b>team</b>" {
		t.Errorf("notes on GET: %+v", v.Notes)
	}
}

func TestHandlingRefusesBadInput(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ingest(t, f.st, mention("h2", "x"))
	s := f.login("agen")
	before := lastSeq(t, f.st)
	tests := map[string]struct {
		path, body string
		status     int
		want       string
	}{
		"unknown action":   {"/api/handling/rss:h2", `{"action":"delete"}`, 400, `delete`},
		"no action":        {"/api/handling/rss:h2", `{"note":"hi"}`, 400, "action"},
		"malformed JSON":   {"/api/handling/rss:h2", `{"action":`, 400, "request body"},
		"unknown field":    {"/api/handling/rss:h2", `{"action":"assign","by":"boss"}`, 400, "unknown field"},
		"note too long":    {"/api/handling/rss:h2", `{"action":"resolved","note":"` + strings.Repeat("é", 1001) + `"}`, 400, "note: longer than 1000"},
		"control in note":  {"/api/handling/rss:h2", `{"action":"resolved","note":"a\u001bb"}`, 400, "control"},
		"body too large":   {"/api/handling/rss:h2", `{"action":"resolved","note":"` + strings.Repeat("x", 9000) + `"}`, 413, "larger than"},
		"unknown mention":  {"/api/handling/rss:nope", `{"action":"assign"}`, 404, "no mention"},
		"unknown mention2": {"/api/handling/rss:nope", `{"action":"resolved"}`, 404, "no mention"},
		"key too long":     {"/api/handling/" + strings.Repeat("k", 1100), `{"action":"assign"}`, 400, "mention key"},
		"query parameter":  {"/api/handling/rss:h2?x=1", `{"action":"assign"}`, 400, "query parameter"},
	}
	for name, tc := range tests {
		w := f.request("POST", tc.path, tc.body, s)
		if w.Code != tc.status || !strings.Contains(w.Body.String(), tc.want) {
			t.Errorf("%s: %d %s, want %d with %q", name, w.Code, w.Body, tc.status, tc.want)
		}
	}
	// A note of exactly 1000 runes is fine.
	if w := f.request("POST", "/api/handling/rss:h2", `{"action":"resolved","note":"`+strings.Repeat("é", 1000)+`"}`, s); w.Code != 200 {
		t.Errorf("1000-rune note: %d %s", w.Code, w.Body)
	}
	// Nothing refused changed anything or was audited.
	evs, _ := f.st.EventsSince(before, 100)
	if len(evs) != 2 {
		t.Errorf("%d events after the refusals and one good action, want 2", len(evs))
	}
}

// fakeHandling records calls, standing in for the alerting pipeline.
type fakeHandling struct {
	st    *store.Store
	mu    sync.Mutex
	calls []string
	err   error
}

func (f *fakeHandling) SetHandling(key string, state store.ReplyState, assignee string, assign bool, by string) (store.Mention, error) {
	f.mu.Lock()
	f.calls = append(f.calls, strings.Join([]string{key, string(state), assignee, map[bool]string{true: "assign", false: "keep"}[assign], by}, " "))
	f.mu.Unlock()
	if f.err != nil {
		return store.Mention{}, f.err
	}
	return f.st.SetHandling(key, state, assignee, assign, by)
}

func TestHandlingGoesThroughThePipeline(t *testing.T) {
	st := newTestStore(t)
	fh := &fakeHandling{st: st}
	h := New(Config{}, st, testLogger(t), WithHandlingActions(fh)).Handler()
	ingest(t, st, mention("h3", "x"))
	call(t, h, "POST", "/api/handling/rss:h3", `{"action":"private"}`, nil)
	call(t, h, "POST", "/api/handling/rss:h3", `{"action":"assign"}`, nil)
	want := []string{"rss:h3 private  keep demo", "rss:h3 private demo assign demo"}
	if !slices.Equal(fh.calls, want) {
		t.Errorf("calls %q, want %q", fh.calls, want)
	}
	fh.err = errors.New("pipeline on fire")
	if w := call(t, h, "POST", "/api/handling/rss:h3", `{"action":"resolved"}`, nil); w.Code != 500 || strings.Contains(w.Body.String(), "fire") {
		t.Errorf("pipeline failure: %d %s", w.Code, w.Body)
	}
}

func TestAuditEndpointPagesNewestFirst(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ingest(t, f.st, mention("a1", "x"))
	lead := f.login("lead")
	for _, a := range []string{"assign", "private", "resolved"} {
		if w := f.request("POST", "/api/handling/rss:a1", `{"action":"`+a+`"}`, lead); w.Code != 200 {
			t.Fatal(w.Code)
		}
	}
	type page struct {
		Entries []store.AuditEntry `json:"entries"`
	}
	p := decode[page](t, f.request("GET", "/api/audit?limit=2", "", lead))
	if len(p.Entries) != 2 || p.Entries[0].Action != "mention.resolved" || p.Entries[1].Action != "mention.private" || p.Entries[0].Seq <= p.Entries[1].Seq {
		t.Fatalf("first page: %+v", p.Entries)
	}
	if e := p.Entries[0]; e.User != "lead" || e.Target != "rss:a1" || e.At.IsZero() {
		t.Errorf("entry %+v", e)
	}
	p2 := decode[page](t, f.request("GET", "/api/audit?limit=2&before="+jsonNum(p.Entries[1].Seq), "", lead))
	if len(p2.Entries) != 2 || p2.Entries[0].Action != "mention.assign" || p2.Entries[1].Action != "login" {
		t.Errorf("second page: %+v", p2.Entries)
	}
	for _, bad := range []string{"?limit=0", "?limit=x", "?before=-1", "?since=3"} {
		if w := f.request("GET", "/api/audit"+bad, "", lead); w.Code != 400 {
			t.Errorf("GET /api/audit%s: %d", bad, w.Code)
		}
	}
}

func jsonNum(n uint64) string { b, _ := json.Marshal(n); return string(b) }

// Routes without their own audit note are audited by the middleware:
// what others add is covered without a line of theirs.
func TestGenericAuditOfStateChanges(t *testing.T) {
	f := newAuthFixture(t, Config{})
	ingest(t, f.st, mention("g1", "nomor hp 0812 3456 7890"))
	lead := f.login("lead")
	if w := f.request("POST", "/api/reveal/rss:g1", "", lead); w.Code != 200 {
		t.Fatalf("reveal: %d %s", w.Code, w.Body)
	}
	es := f.audit()
	last := es[len(es)-1]
	if last.Action != "mention.reveal" || last.User != "lead" || last.Target != "rss:g1" {
		t.Errorf("reveal audit %+v", last)
	}
	// A refused request is not audited.
	n := len(es)
	f.request("POST", "/api/alerts/none/ack", "", lead)
	if len(f.audit()) != n {
		t.Error("a 404 was audited")
	}
	// The lead acts as themself whatever "by" the body claims.
	now := f.clock.Now()
	f.st.PutAlert(store.Alert{ID: "x", State: store.AlertOpen, OpenedAt: now, UpdatedAt: now})
	w := f.request("POST", "/api/alerts/x/ack", `{"by":"someone-else"}`, lead)
	if w.Code != 200 {
		t.Fatalf("ack: %d %s", w.Code, w.Body)
	}
	if a, _, _ := f.st.Alert("x"); a.By != "lead" {
		t.Errorf("acked by %q, want the logged-in user", a.By)
	}
	es = f.audit()
	if last := es[len(es)-1]; last.Action != "alert.acknowledge" || last.Target != "x" || last.User != "lead" {
		t.Errorf("ack audit %+v", last)
	}

	// A route another branch adds (here a stand-in for silences) is
	// audited with its method and pattern.
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/silences", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })
	r := httptest.NewRequest("POST", "/api/silences", strings.NewReader(`{}`))
	r.Header.Set("Cookie", sessionCookie+"="+lead.cookie.Value)
	r.Header.Set(csrfHeader, lead.csrf)
	rec := httptest.NewRecorder()
	f.srv.authenticate(mux).ServeHTTP(rec, r)
	if rec.Code != http.StatusCreated {
		t.Fatalf("stand-in route: %d %s", rec.Code, rec.Body)
	}
	es = f.audit()
	if last := es[len(es)-1]; last.Action != "POST /api/silences" || last.User != "lead" || last.Target != "/api/silences" {
		t.Errorf("generic audit %+v", last)
	}
}
