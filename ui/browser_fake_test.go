package ui

// contractFake stands in for the endpoints that other branches build at the
// same time as the dashboard and that are not in this branch yet (the
// leads' alert operations: snooze, escalate, silences, on call), answering
// with exactly the shapes agreed in the contract. Every request goes to the
// real server first; only when the real server has no such route ("no API
// endpoint", 404) does the fake answer. Once a branch lands, its real
// endpoint takes over by itself and the tests run against it.
//
// Accounts, sessions, CSRF, handling, notes, the audit log, the config
// view and the history are real: startDashboard runs the server in login
// mode with real users.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui/accounts"
)

type contractFake struct {
	st   *store.Store
	real http.Handler // the server's own handler, behind the fake

	mu       sync.Mutex
	silences []map[string]any
	calls    []string // what the alert operations were asked: "snooze ID 1h0m0s by NAME"
	// history, when set, answers GET /api/history and its export if the
	// real server lacks them.
	history map[string]any
	// used lists the routes the fake answered, for the report of what the
	// real server still lacks.
	used map[string]bool
}

func newContractFake(st *store.Store) *contractFake {
	return &contractFake{st: st, used: map[string]bool{}}
}

// tune installs the fake in front of a test server's handler.
func (f *contractFake) tune(s *Server) {
	real := s.handler
	f.real = real
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
			if f.serve(w, r, body) {
				return
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(rec.Body.Bytes())
	})
}

// actor is who the real server says is logged in with r's cookies.
func (f *contractFake) actor(r *http.Request) string {
	me := httptest.NewRequest("GET", "/api/me", nil)
	me.Host = r.Host
	for _, c := range r.Cookies() {
		me.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	f.real.ServeHTTP(rec, me)
	var out struct{ User string }
	json.Unmarshal(rec.Body.Bytes(), &out)
	return out.User
}

// serve answers one request the real server lacks; false leaves the real
// server's 404. The real server already authenticated the request, checked
// its CSRF token and the role for the route (the permission table lists
// the planned routes), so the fake only does the work.
func (f *contractFake) serve(w http.ResponseWriter, r *http.Request, body []byte) bool {
	path, m := r.URL.Path, r.Method
	route := m + " " + path
	mark := func(name string) {
		f.mu.Lock()
		f.used[name] = true
		f.mu.Unlock()
	}
	switch {
	case route == "GET /api/history" || route == "GET /api/history/export":
		f.mu.Lock()
		h := f.history
		f.mu.Unlock()
		if h == nil {
			return false
		}
		mark(route)
		writeJSON(w, 200, h)
	case m == "POST" && strings.HasPrefix(path, "/api/alerts/") && (strings.HasSuffix(path, "/snooze") || strings.HasSuffix(path, "/escalate")):
		mark("POST /api/alerts/{id}/snooze|escalate")
		id := strings.TrimPrefix(path, "/api/alerts/")
		id, verb := id[:strings.LastIndexByte(id, '/')], id[strings.LastIndexByte(id, '/')+1:]
		var a store.Alert
		var err error
		if verb == "snooze" {
			var in struct{ Minutes int }
			json.Unmarshal(body, &in)
			a, err = f.Snooze(id, time.Duration(in.Minutes)*time.Minute, f.actor(r))
		} else {
			a, err = f.Escalate(id, f.actor(r))
		}
		if err != nil {
			writeError(w, 404, err.Error())
			return true
		}
		writeJSON(w, 200, map[string]any{"alert": a})
	case route == "GET /api/silences":
		mark("GET /api/silences")
		f.mu.Lock()
		out := slices.Clone(f.silences)
		f.mu.Unlock()
		writeJSON(w, 200, map[string]any{"silences": nonNil(out)})
	case route == "POST /api/silences":
		mark("POST /api/silences")
		var s map[string]any
		if json.Unmarshal(body, &s) != nil {
			writeError(w, 400, "request body: want JSON")
			return true
		}
		f.mu.Lock()
		s["id"] = fmt.Sprintf("sil-%d", len(f.silences)+1)
		s["by"] = f.actor(r)
		f.silences = append(f.silences, s)
		f.mu.Unlock()
		writeJSON(w, 201, s)
	case m == "DELETE" && strings.HasPrefix(path, "/api/silences/"):
		mark("DELETE /api/silences/{id}")
		id := strings.TrimPrefix(path, "/api/silences/")
		f.mu.Lock()
		f.silences = slices.DeleteFunc(f.silences, func(s map[string]any) bool { return s["id"] == id })
		f.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	case route == "GET /api/oncall":
		mark("GET /api/oncall")
		writeJSON(w, 200, map[string]any{
			"now":  []any{map[string]any{"level": 1, "name": "Sari Lestari", "receivers": []string{"slack-cs", "pagerduty"}}},
			"next": []any{map[string]any{"level": 1, "name": "Budi Santoso", "from": time.Now().Add(3 * time.Hour).UTC().Format(time.RFC3339)}},
		})
	default:
		return false
	}
	return true
}

func (f *contractFake) Snooze(id string, d time.Duration, by string) (store.Alert, error) {
	return f.alertCall(id, fmt.Sprintf("snooze %s %v by %s", id, d, by))
}

func (f *contractFake) Escalate(id, by string) (store.Alert, error) {
	return f.alertCall(id, fmt.Sprintf("escalate %s by %s", id, by))
}

func (f *contractFake) alertCall(id, call string) (store.Alert, error) {
	a, ok, err := f.st.Alert(id)
	if err != nil {
		return a, err
	}
	if !ok {
		return a, fmt.Errorf("alert %q: %w", id, store.ErrNotFound)
	}
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
	return a, nil
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

// shownConfig is what GET /api/config shows in the tests: a config as the
// daemon redacts it, secrets as "<secret>".
var shownConfig = map[string]any{
	"http":    map[string]any{"listen": "127.0.0.1:8080", "public_url": "https://pantau.example"},
	"brands":  []any{map[string]any{"name": "tokoku", "terms": []string{"tokoku", "#tokoku"}}},
	"notify":  map[string]any{"slack": map[string]any{"url": "<secret>"}},
	"sources": []any{map[string]any{"name": "news", "kind": "rss"}},
}

// startDashboard runs a server over st with the contract fake in front.
// With users (name -> role; each one's password is name+"-pw"), people
// must log in, with real accounts and sessions; without, the server runs
// without login (the loopback demo).
func startDashboard(t *testing.T, st *store.Store, users map[string]string) (*testServer, *contractFake) {
	t.Helper()
	f := newContractFake(st)
	cfg := Config{}
	opts := []Option{WithConfigView(func() any { return shownConfig })}
	if len(users) > 0 {
		cfg.Auth = AuthLogin
		path := filepath.Join(t.TempDir(), accounts.FileName)
		for name, role := range users {
			err := accounts.Update(path, func(file *accounts.File) error {
				return file.AddUser(name, accounts.Role(role), cheapHash(t, name+"-pw"), "tester", time.Now())
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		opts = append(opts, WithAccounts(accounts.NewDirectory(path)))
	}
	ts := startServer(t, st, cfg, func(s *Server) {
		if len(users) > 0 {
			if err := s.ReloadUsers(true); err != nil {
				t.Fatal(err)
			}
		}
		f.tune(s)
	}, opts...)
	t.Cleanup(func() { f.report(t) })
	return ts, f
}
