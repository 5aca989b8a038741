package ui

// contractFake stands in for the endpoints that other branches build at the
// same time as the dashboard (accounts, handling, history, on-call,
// silences), answering with exactly the shapes agreed in the contract.
// Every request goes to the real server first; only when the real server
// has no such route ("no API endpoint", 404) does the fake answer. Once a
// branch lands, its real endpoint takes over by itself and the tests run
// against it.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
)

type fakeNote struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Action string    `json:"action"`
	Note   string    `json:"note"`
}

type fakeAudit struct {
	Seq    uint64    `json:"seq"`
	At     time.Time `json:"at"`
	User   string    `json:"user"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
}

type contractFake struct {
	st *store.Store

	mu       sync.Mutex
	users    map[string]string // name -> role; the password is name+"-pw"
	sessions map[string]string // cookie value -> user
	notes    map[string][]fakeNote
	audit    []fakeAudit
	silences []map[string]any
	calls    []string // "METHOD path body" of the fake's alert actions
	history  map[string]any
	// used lists the routes the fake answered, for the report of what the
	// real server still lacks.
	used map[string]bool
}

const fakeCookie = "pantau_fake_session"

func newContractFake(st *store.Store) *contractFake {
	return &contractFake{st: st, users: map[string]string{}, sessions: map[string]string{}, notes: map[string][]fakeNote{}, used: map[string]bool{}}
}

func (f *contractFake) addUser(name, role string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users[name] = role
}

// tune installs the fake in front of a test server's handler.
func (f *contractFake) tune(s *Server) {
	real := s.handler
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/api/") {
			real.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		real.ServeHTTP(rec, r)
		if rec.Code == http.StatusNotFound && strings.Contains(rec.Body.String(), "no API endpoint") {
			r.Body = io.NopCloser(bytes.NewReader(body))
			if f.serve(w, r, body) {
				return
			}
		}
		out := rec.Body.Bytes()
		if r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/api/mentions/") && rec.Code == 200 {
			out = f.addNotes(out, r)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(out)
	})
}

// addNotes adds the contract's "notes" to a mention the real server sent
// without them.
func (f *contractFake) addNotes(data []byte, r *http.Request) []byte {
	var v map[string]any
	if json.Unmarshal(data, &v) != nil {
		return data
	}
	if _, ok := v["notes"]; ok {
		return data
	}
	f.mu.Lock()
	f.used["GET /api/mentions/{key} notes"] = true
	key := strings.TrimPrefix(r.URL.Path, "/api/mentions/")
	v["notes"] = nonNil(slices.Clone(f.notes[key]))
	f.mu.Unlock()
	out, _ := json.Marshal(v)
	return out
}

func (f *contractFake) user(r *http.Request) (string, string) {
	c, err := r.Cookie(fakeCookie)
	if err != nil {
		return "", ""
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.sessions[c.Value]
	return u, f.users[u]
}

// serve answers one request the real server lacks; false leaves the real
// server's 404.
func (f *contractFake) serve(w http.ResponseWriter, r *http.Request, body []byte) bool {
	path, m := r.URL.Path, r.Method
	route := m + " " + path
	f.mu.Lock()
	noAccounts := len(f.users) == 0
	f.mu.Unlock()
	user, role := f.user(r)
	if noAccounts {
		user, role = "", "admin"
	}
	need := func(roles ...string) bool {
		if role == "" {
			writeError(w, http.StatusUnauthorized, "log in")
			return false
		}
		if !slices.Contains(roles, role) {
			writeError(w, http.StatusForbidden, "not allowed")
			return false
		}
		if (m == "POST" || m == "DELETE") && !noAccounts && r.Header.Get("X-CSRF-Token") != "csrf-"+user {
			writeError(w, http.StatusForbidden, "missing CSRF token")
			return false
		}
		return true
	}
	mark := func(name string) {
		f.mu.Lock()
		f.used[name] = true
		f.mu.Unlock()
	}
	switch {
	case route == "GET /api/me":
		mark("GET /api/me")
		if noAccounts {
			writeJSON(w, 200, map[string]string{"user": "", "role": "admin", "csrf": "", "auth": "none"})
		} else if user == "" {
			writeError(w, 401, "not logged in")
		} else {
			writeJSON(w, 200, map[string]string{"user": user, "role": role, "csrf": "csrf-" + user, "auth": "login"})
		}
	case route == "POST /api/login":
		mark("POST /api/login")
		var in struct{ Username, Password string }
		json.Unmarshal(body, &in)
		f.mu.Lock()
		r, ok := f.users[in.Username]
		if !ok || in.Password != in.Username+"-pw" {
			f.mu.Unlock()
			writeError(w, 401, "wrong user name or password")
			return true
		}
		tok := fmt.Sprintf("s%d-%s", len(f.sessions)+1, in.Username)
		f.sessions[tok] = in.Username
		f.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: fakeCookie, Value: tok, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		writeJSON(w, 200, map[string]string{"user": in.Username, "role": r, "csrf": "csrf-" + in.Username})
	case route == "POST /api/logout":
		mark("POST /api/logout")
		if c, err := r.Cookie(fakeCookie); err == nil {
			f.mu.Lock()
			delete(f.sessions, c.Value)
			f.mu.Unlock()
		}
		w.WriteHeader(http.StatusNoContent)
	case m == "POST" && strings.HasPrefix(path, "/api/handling/"):
		mark("POST /api/handling/{key}")
		if !need("agent", "lead", "admin") {
			return true
		}
		f.handle(w, strings.TrimPrefix(path, "/api/handling/"), body, user)
	case route == "GET /api/audit":
		mark("GET /api/audit")
		if !need("lead", "admin") {
			return true
		}
		before, _ := strconv.ParseUint(r.URL.Query().Get("before"), 10, 64)
		f.mu.Lock()
		var out []fakeAudit
		for i := len(f.audit) - 1; i >= 0; i-- {
			if before == 0 || f.audit[i].Seq < before {
				out = append(out, f.audit[i])
			}
		}
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"entries": nonNil(out)})
	case route == "GET /api/config":
		mark("GET /api/config")
		if !need("admin") {
			return true
		}
		writeJSON(w, 200, map[string]any{
			"http":    map[string]any{"listen": "127.0.0.1:8080", "public_url": "https://pantau.example"},
			"brands":  []any{map[string]any{"name": "tokoku", "terms": []string{"tokoku", "#tokoku"}}},
			"notify":  map[string]any{"slack": map[string]any{"url": "<secret>"}},
			"sources": []any{map[string]any{"name": "news", "kind": "rss"}},
		})
	case route == "GET /api/history" || route == "GET /api/history/export":
		mark(route)
		if !need("lead", "marketing", "admin") {
			return true
		}
		f.mu.Lock()
		h := f.history
		f.mu.Unlock()
		if h == nil {
			h = map[string]any{"from": r.URL.Query().Get("from"), "to": r.URL.Query().Get("to"), "step": r.URL.Query().Get("step"), "series": []any{}}
		}
		if route == "GET /api/history" {
			writeJSON(w, 200, h)
			return true
		}
		// The export's shape as the history branch makes it: rows of
		// points and totals; here only the total row, which is what the
		// tests compare.
		total := map[string]any{"row": "total", "source": "", "brand": "", "totals": h["totals"]}
		switch r.URL.Query().Get("format") {
		case "json":
			w.Header().Set("Content-Disposition", `attachment; filename="pantau-history.json"`)
			writeJSON(w, 200, map[string]any{"from": h["from"], "to": h["to"], "step": h["step"], "rows": []any{total}})
		case "csv":
			w.Header().Set("Content-Type", "text/csv; charset=utf-8")
			w.Header().Set("Content-Disposition", `attachment; filename="pantau-history.csv"`)
			tot, _ := h["totals"].(map[string]any)
			fmt.Fprintln(w, "row,t,source,brand,mentions,complaints")
			fmt.Fprintf(w, "total,,,,%v,%v\n", tot["mentions"], tot["complaints"])
		default:
			writeError(w, 400, `query parameter "format": must be csv or json`)
		}
	case m == "POST" && strings.HasPrefix(path, "/api/alerts/") && (strings.HasSuffix(path, "/snooze") || strings.HasSuffix(path, "/escalate")):
		mark("POST /api/alerts/{id}/snooze|escalate")
		if !need("lead", "admin") {
			return true
		}
		id := strings.TrimPrefix(path, "/api/alerts/")
		id = id[:strings.LastIndexByte(id, '/')]
		f.mu.Lock()
		f.calls = append(f.calls, m+" "+path+" "+strings.TrimSpace(string(body)))
		f.mu.Unlock()
		a, ok, _ := f.st.Alert(id)
		if !ok {
			writeError(w, 404, "no alert with id "+id)
			return true
		}
		writeJSON(w, 200, map[string]any{"alert": a})
	case route == "GET /api/silences":
		mark("GET /api/silences")
		if !need("agent", "lead", "admin") {
			return true
		}
		f.mu.Lock()
		out := slices.Clone(f.silences)
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"silences": nonNil(out)})
	case route == "POST /api/silences":
		mark("POST /api/silences")
		if !need("lead", "admin") {
			return true
		}
		var s map[string]any
		if json.Unmarshal(body, &s) != nil {
			writeError(w, 400, "request body: want JSON")
			return true
		}
		f.mu.Lock()
		s["id"] = fmt.Sprintf("sil-%d", len(f.silences)+1)
		s["by"] = user
		f.silences = append(f.silences, s)
		f.mu.Unlock()
		writeJSON(w, 200, s)
	case m == "DELETE" && strings.HasPrefix(path, "/api/silences/"):
		mark("DELETE /api/silences/{id}")
		if !need("lead", "admin") {
			return true
		}
		id := strings.TrimPrefix(path, "/api/silences/")
		f.mu.Lock()
		f.silences = slices.DeleteFunc(f.silences, func(s map[string]any) bool { return s["id"] == id })
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case route == "GET /api/oncall":
		mark("GET /api/oncall")
		if !need("agent", "lead", "admin") {
			return true
		}
		writeJSON(w, 200, map[string]any{
			"now":  []any{map[string]any{"level": 1, "name": "Sari Lestari", "receivers": []string{"slack-cs", "pagerduty"}}},
			"next": []any{map[string]any{"level": 1, "name": "Budi Santoso", "from": time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)}},
		})
	default:
		return false
	}
	return true
}

// handle is the contract's POST /api/handling/{key}, through the store's
// SetHandling as the real endpoint will.
func (f *contractFake) handle(w http.ResponseWriter, key string, body []byte, user string) {
	var in struct{ Action, Note string }
	if err := json.Unmarshal(body, &in); err != nil {
		writeError(w, 400, "request body: want JSON")
		return
	}
	cur, ok, err := f.st.Mention(key)
	if err != nil || !ok {
		writeError(w, 404, "no mention with key "+key)
		return
	}
	by := user
	if by == "" {
		by = "dashboard"
	}
	state, assignee, assign := cur.Handling, "", false
	switch in.Action {
	case "assign":
		assignee, assign = by, true
	case "unassign":
		assign = true
	case "answered":
		state = store.ReplyAnswered
	case "private":
		state = store.ReplyPrivate
	case "no_reply":
		state = store.ReplyNotNeeded
	case "resolved":
		state = store.ReplyResolved
	case "reopen":
		state = ""
	default:
		writeError(w, 400, `action: must be assign, unassign, answered, private, no_reply, resolved or reopen`)
		return
	}
	m, err := f.st.SetHandling(key, state, assignee, assign, by)
	if err != nil {
		writeError(w, 500, err.Error())
		return
	}
	f.mu.Lock()
	now := time.Now().UTC()
	f.notes[key] = append(f.notes[key], fakeNote{At: now, By: by, Action: in.Action, Note: in.Note})
	f.audit = append(f.audit, fakeAudit{Seq: uint64(len(f.audit) + 1), At: now, User: by, Action: "handling." + in.Action, Target: key, Detail: in.Note})
	f.mu.Unlock()
	maskMention(&m)
	writeJSON(w, 200, m)
}

// report logs which contract routes the fake answered: what the real
// server did not have yet when the test ran.
func (f *contractFake) report(t *testing.T) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var used []string
	for k := range f.used {
		used = append(used, k)
	}
	slices.Sort(used)
	if len(used) > 0 {
		t.Logf("answered by the contract fake (not on the real server yet): %s", strings.Join(used, "; "))
	}
}

// startDashboard runs a server over st with the contract fake in front.
// With users (name -> role; each one's password is name+"-pw"), people
// must log in; without, the server runs without login.
func startDashboard(t *testing.T, st *store.Store, users map[string]string) (*testServer, *contractFake) {
	t.Helper()
	f := newContractFake(st)
	for name, role := range users {
		f.addUser(name, role)
	}
	ts := startServer(t, st, Config{}, f.tune)
	t.Cleanup(func() { f.report(t) })
	return ts, f
}
