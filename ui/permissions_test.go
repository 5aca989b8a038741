package ui

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/store/secret"
	"github.com/pantau/pantau/ui/accounts"
)

// Every route against every role, through the real server: the server
// refuses, not just the buttons.
func TestPermissionTableByRole(t *testing.T) {
	f := newAuthFixture(t, Config{}, WithConfigView(func() any { return map[string]string{"k": "v"} }))
	ingest(t, f.st, mention("p1", "kecewa bgt min"))
	now := time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)
	if _, err := f.st.PutAlert(store.Alert{ID: "a1", Rule: "r", MentionKey: "rss:p1", State: store.AlertOpen, OpenedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	const (
		A = 1 << iota // agent
		L             // lead
		M             // marketing
		D             // admin
	)
	routes := []struct {
		method, path, body string
		allowed            int
	}{
		{"GET", "/api/me", "", A | L | M | D},
		{"GET", "/api/mentions", "", A | L | D},
		{"GET", "/api/mentions/rss:p1", "", A | L | D},
		{"GET", "/api/alerts", "", A | L | D},
		{"GET", "/api/alerts/a1", "", A | L | D},
		{"GET", "/api/sources", "", A | L | D},
		{"GET", "/api/events", "", A | L | D},
		{"GET", "/api/reply-report", "", A | L | D},
		{"GET", "/ws", "", A | L | D},
		{"POST", "/api/handling/rss:p1", `{"action":"assign"}`, A | L | D},
		{"POST", "/api/reveal/rss:p1", "", L | D},
		{"POST", "/api/alerts/a1/ack", "", L | D},
		{"POST", "/api/alerts/a1/resolve", "", L | D},
		{"GET", "/api/audit", "", L | D},
		{"GET", "/api/config", "", D},
		{"POST", "/api/logout", "", A | L | M | D},
	}
	roles := []struct {
		user string
		bit  int
	}{{"agen", A}, {"lead", L}, {"mkt", M}, {"admin", D}}
	for _, rl := range roles {
		for _, rt := range routes {
			s := f.login(rl.user)
			w := f.request(rt.method, rt.path, rt.body, s)
			refused := w.Code == http.StatusForbidden || w.Code == http.StatusUnauthorized
			if want := rt.allowed&rl.bit != 0; want == refused {
				t.Errorf("%s: %s %s: %d %s (want allowed=%v)", rl.user, rt.method, rt.path, w.Code, strings.TrimSpace(w.Body.String()), want)
			}
			if refused && w.Code != http.StatusForbidden {
				t.Errorf("%s: %s %s: %d, want 403 for a role without the permission", rl.user, rt.method, rt.path, w.Code)
			}
		}
	}
	// A marketing user's refused action left the mention alone.
	if m, _, _ := f.st.Mention("rss:p1"); m.AssignedTo == "mkt" {
		t.Error("marketing assigned a mention")
	}
}

// Routes other branches add are in the table already; their patterns'
// wildcard names do not matter.
func TestPermissionTableCoversPlannedRoutes(t *testing.T) {
	tests := []struct {
		pattern string
		allowed []accounts.Role
	}{
		{"GET /api/queue", []accounts.Role{"agent", "lead", "admin"}},
		{"GET /api/oncall", []accounts.Role{"agent", "lead", "admin"}},
		{"GET /api/silences", []accounts.Role{"agent", "lead", "admin"}},
		{"POST /api/silences", []accounts.Role{"lead", "admin"}},
		{"DELETE /api/silences/{id}", []accounts.Role{"lead", "admin"}},
		{"POST /api/alerts/{alert}/snooze", []accounts.Role{"lead", "admin"}},
		{"POST /api/alerts/{id}/escalate", []accounts.Role{"lead", "admin"}},
		{"GET /api/history", []accounts.Role{"lead", "marketing", "admin"}},
		{"GET /api/history/export", []accounts.Role{"lead", "marketing", "admin"}},
		{"GET /api/history/{period...}", []accounts.Role{"lead", "marketing", "admin"}},
	}
	for _, tc := range tests {
		rule, ok := lookupRule(tc.pattern)
		if !ok {
			t.Errorf("%s: not in the table", tc.pattern)
			continue
		}
		for _, r := range accounts.Roles {
			want := false
			for _, a := range tc.allowed {
				want = want || a == r
			}
			if rule.allows(r) != want {
				t.Errorf("%s for %s: allowed %v, want %v", tc.pattern, r, rule.allows(r), want)
			}
		}
	}
}

// A route missing from the table is refused to everyone, admin included.
func TestDefaultDenyForRoutesNotInTable(t *testing.T) {
	f := newAuthFixture(t, Config{})
	mux := http.NewServeMux()
	reached := false
	mux.HandleFunc("GET /api/brand-new", func(w http.ResponseWriter, r *http.Request) { reached = true })
	mux.HandleFunc("POST /api/mentions/{key}/delete", func(w http.ResponseWriter, r *http.Request) { reached = true })
	h := f.srv.authenticate(mux)
	s := f.login("admin")
	for _, target := range []string{"GET /api/brand-new", "POST /api/mentions/x/delete"} {
		method, path, _ := strings.Cut(target, " ")
		r := httptest.NewRequest(method, path, nil)
		r.Header.Set("Cookie", sessionCookie+"="+s.cookie.Value)
		r.Header.Set(csrfHeader, s.csrf)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "no permission rule") {
			t.Errorf("%s: %d %s", target, w.Code, w.Body)
		}
	}
	if reached {
		t.Error("a route missing from the table was served")
	}
	// An unknown API path is a 404 once logged in, not a leak of anything.
	if w := f.request("GET", "/api/nope", "", s); w.Code != http.StatusNotFound {
		t.Errorf("unknown path: %d", w.Code)
	}
}

func TestRuleKeyNormalisesWildcards(t *testing.T) {
	for in, want := range map[string]string{
		"GET /api/mentions/{key...}":   "GET /api/mentions/{}",
		"POST /api/alerts/{id}/ack":    "POST /api/alerts/{}/ack",
		"/api/":                        "ANY /api/",
		"GET /{$}":                     "GET /{$}",
		"DELETE /api/silences/{s}/{t}": "DELETE /api/silences/{}/{}",
	} {
		if got := ruleKey(in); got != want {
			t.Errorf("ruleKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestConfigViewForAdminsOnly(t *testing.T) {
	type section struct {
		Token secret.Secret `json:"token"`
		Name  string        `json:"name"`
	}
	f := newAuthFixture(t, Config{}, WithConfigView(func() any { return section{Token: secret.New("TOKEN-abc123"), Name: "news"} }))
	w := f.request("GET", "/api/config", "", f.login("admin"))
	if w.Code != 200 || strings.Contains(w.Body.String(), "TOKEN-abc123") || !strings.Contains(w.Body.String(), `"name":"news"`) {
		t.Errorf("admin: %d %s", w.Code, w.Body)
	}
	if w := f.request("GET", "/api/config", "", f.login("lead")); w.Code != 403 {
		t.Errorf("lead: %d", w.Code)
	}
}
