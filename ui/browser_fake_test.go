package ui

// The browser tests run the real server: accounts, sessions, CSRF, the
// permission table, handling, notes, the audit log, the config view, the
// history and the leads' alert endpoints. Only the alert routing behind
// those endpoints (ui.AlertOps, which the daemon adapts from the alerting
// router) is a test double here: it records what the leads asked for.

import (
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui/accounts"
)

// fakeRouting is the alert routing the leads' endpoints act through: it
// records snoozes and escalations, keeps silences in memory and names who
// is on call.
type fakeRouting struct {
	st *store.Store

	mu       sync.Mutex
	calls    []string // "snooze ID 1h0m0s by NAME", "escalate ID by NAME"
	silences []store.Silence
}

var _ AlertOps = (*fakeRouting)(nil)

func (f *fakeRouting) Snooze(id string, d time.Duration, by string) (store.Alert, error) {
	return f.alertCall(id, fmt.Sprintf("snooze %s %v by %s", id, d, by))
}

func (f *fakeRouting) Escalate(id, by string) (store.Alert, error) {
	return f.alertCall(id, fmt.Sprintf("escalate %s by %s", id, by))
}

func (f *fakeRouting) alertCall(id, call string) (store.Alert, error) {
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

func (f *fakeRouting) Silences() ([]store.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.silences), nil
}

func (f *fakeRouting) AddSilence(s store.Silence) (store.Silence, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s.ID = fmt.Sprintf("sil-%d", len(f.silences)+1)
	f.silences = append(f.silences, s)
	return s, nil
}

func (f *fakeRouting) DeleteSilence(id, by string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.silences)
	f.silences = slices.DeleteFunc(f.silences, func(s store.Silence) bool { return s.ID == id })
	if len(f.silences) == n {
		return fmt.Errorf("silence %q: %w", id, store.ErrNotFound)
	}
	return nil
}

func (f *fakeRouting) OnCall() (OnCall, error) {
	return OnCall{
		Now:  []OnDuty{{Level: 1, Name: "Sari Lestari", Receivers: []string{"slack-cs", "pagerduty"}}},
		Next: []Handover{{Level: 1, Name: "Budi Santoso", From: time.Now().Add(3 * time.Hour).UTC()}},
	}, nil
}

// shownConfig is what GET /api/config shows in the tests: a config as the
// daemon redacts it, secrets as "<secret>".
var shownConfig = map[string]any{
	"http":    map[string]any{"listen": "127.0.0.1:8080", "public_url": "https://pantau.example"},
	"brands":  []any{map[string]any{"name": "tokoku", "terms": []string{"tokoku", "#tokoku"}}},
	"notify":  map[string]any{"slack": map[string]any{"url": "<secret>"}},
	"sources": []any{map[string]any{"name": "news", "kind": "rss"}},
}

// startDashboard runs a server over st. With users (name -> role; each
// one's password is name+"-pw"), people must log in, with real accounts
// and sessions; without, the server runs without login (the loopback
// demo, where everyone acts as the admin "demo").
func startDashboard(t *testing.T, st *store.Store, users map[string]string) (*testServer, *fakeRouting) {
	t.Helper()
	f := &fakeRouting{st: st}
	cfg := Config{}
	opts := []Option{WithAlertOps(f), WithConfigView(func() any { return shownConfig })}
	return startWith(t, st, cfg, users, f, opts)
}

// demoOptions are the options of a server without login, for tests that
// start their own.
func demoOptions(st *store.Store) []Option {
	return []Option{WithAlertOps(&fakeRouting{st: st}), WithConfigView(func() any { return shownConfig })}
}

func startWith(t *testing.T, st *store.Store, cfg Config, users map[string]string, f *fakeRouting, opts []Option) (*testServer, *fakeRouting) {
	t.Helper()
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
	}, opts...)
	return ts, f
}
