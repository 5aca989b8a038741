package ui

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui/accounts"
)

// testPassword is every fixture user's password.
const testPassword = "kopi-susu-gula-aren-2025"

// manualClock only moves when told to.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a bytes.Buffer safe for the logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// authFixture is a login-mode server over a real store and a real users
// file, with every log line captured.
type authFixture struct {
	t         *testing.T
	st        *store.Store
	usersPath string
	clock     *manualClock
	srv       *Server
	h         http.Handler
	logs      *syncBuffer
}

// fixtureRoles are the fixture's users, one per role.
var fixtureRoles = map[string]accounts.Role{
	"agen":  accounts.RoleAgent,
	"lead":  accounts.RoleLead,
	"mkt":   accounts.RoleMarketing,
	"admin": accounts.RoleAdmin,
}

func newAuthFixture(t *testing.T, cfg Config, opts ...Option) *authFixture {
	t.Helper()
	cfg.Auth = AuthLogin
	dir := t.TempDir()
	f := &authFixture{
		t:         t,
		st:        newTestStore(t),
		usersPath: filepath.Join(dir, accounts.FileName),
		clock:     &manualClock{t: time.Date(2025, 3, 14, 9, 0, 0, 0, time.UTC)},
		logs:      &syncBuffer{},
	}
	for name, role := range fixtureRoles {
		f.addUser(name, role)
	}
	logger := slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	opts = append([]Option{WithAccounts(accounts.NewDirectory(f.usersPath)), WithClock(f.clock.Now)}, opts...)
	f.srv = New(cfg, f.st, logger, opts...)
	if err := f.srv.ReloadUsers(true); err != nil {
		t.Fatal(err)
	}
	f.h = f.srv.Handler()
	return f
}

// cheapHash hashes with tiny argon2 parameters: the tests check logic,
// not cost, and the race detector makes full-cost hashing slow.
func cheapHash(t testing.TB, pw string) string {
	t.Helper()
	h, err := accounts.HashPasswordCost(pw, 64, 1)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (f *authFixture) addUser(name string, role accounts.Role) {
	f.t.Helper()
	err := accounts.Update(f.usersPath, func(file *accounts.File) error {
		return file.AddUser(name, role, cheapHash(f.t, testPassword), "tester", f.clock.Now())
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// changeUsers edits the users file as the CLI would, and has the server
// pick the change up.
func (f *authFixture) changeUsers(fn func(*accounts.File) error) {
	f.t.Helper()
	if err := accounts.Update(f.usersPath, fn); err != nil {
		f.t.Fatal(err)
	}
	if err := f.srv.ReloadUsers(false); err != nil {
		f.t.Fatal(err)
	}
}

// session is a logged-in browser: its cookie and CSRF token.
type session struct {
	cookie *http.Cookie
	csrf   string
}

// request sends method path with body as sess (nil: not logged in); a
// state-changing request carries the session's CSRF token.
func (f *authFixture) request(method, path, body string, sess *session) *httptest.ResponseRecorder {
	f.t.Helper()
	hdr := map[string]string{}
	if sess != nil {
		hdr["Cookie"] = sess.cookie.Name + "=" + sess.cookie.Value
		if method != http.MethodGet {
			hdr[csrfHeader] = sess.csrf
		}
	}
	return f.requestWith(method, path, body, hdr)
}

func (f *authFixture) requestWith(method, path, body string, hdr map[string]string) *httptest.ResponseRecorder {
	f.t.Helper()
	var r *http.Request
	if body == "" {
		r = httptest.NewRequest(method, path, nil)
	} else {
		r = httptest.NewRequest(method, path, strings.NewReader(body))
	}
	r.Host = "127.0.0.1:8080"
	r.RemoteAddr = "192.0.2.7:41000"
	for k, v := range hdr {
		if k == "RemoteAddr" {
			r.RemoteAddr = v
			continue
		}
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.h.ServeHTTP(w, r)
	return w
}

func loginBody(user, pw string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": pw})
	return string(b)
}

// login logs name in with the fixture password and returns the session.
func (f *authFixture) login(name string) *session {
	f.t.Helper()
	w := f.request("POST", "/api/login", loginBody(name, testPassword), nil)
	if w.Code != http.StatusOK {
		f.t.Fatalf("login %s: %d %s", name, w.Code, w.Body)
	}
	var out struct{ User, Role, CSRF string }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		f.t.Fatal(err)
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == sessionCookie {
			return &session{cookie: c, csrf: out.CSRF}
		}
	}
	f.t.Fatalf("login %s: no session cookie", name)
	return nil
}

// auditActions lists the audit log's actions, oldest first.
func (f *authFixture) audit() []store.AuditEntry {
	f.t.Helper()
	es, err := f.st.AuditLog(0, 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	// newest first from the store: turn around
	for i, j := 0, len(es)-1; i < j; i, j = i+1, j-1 {
		es[i], es[j] = es[j], es[i]
	}
	return es
}

func writeFile(path, content string) error {
	return os.WriteFile(path, []byte(content), 0o600)
}
