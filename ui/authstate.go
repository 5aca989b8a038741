package ui

import (
	"net/http"
	"sync"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui/accounts"
)

// authState is the part of the Server that accounts, sessions and the
// agents' actions need.
type authState struct {
	users      Users
	directory  *accounts.Directory // set with WithAccounts: reloadable
	handling   HandlingActions
	handlingMu sync.Mutex
	limiter    *failureLimiter
	// hashSlots bounds concurrent password hashing (CPU and memory).
	hashSlots  chan struct{}
	now        func() time.Time
	configView func() any
	// usersEvery is how often Serve checks the users file for changes.
	usersEvery time.Duration
	reloadMu   sync.Mutex // one ReloadUsers at a time
	lastPurge  time.Time
}

// WithAccounts gives the server its accounts: the users file, which Serve
// re-reads when it changes (ReloadUsers does it at once).
func WithAccounts(d *accounts.Directory) Option {
	return func(s *Server) { s.directory, s.users = d, d }
}

// WithClock sets the clock sessions and login limits run on, and that
// places the history's default period.
func WithClock(now func() time.Time) Option {
	return func(s *Server) { s.now = now }
}

// initAuth fills in what the options left unset.
func (s *Server) initAuth() {
	if s.now == nil {
		s.now = time.Now
	}
	if s.users == nil {
		// Login mode without accounts: nobody can log in, which is safe.
		s.users = accounts.NewDirectory("")
	}
	if s.handling == nil {
		s.handling = storeHandling{st: s.st}
	}
	s.limiter = newFailureLimiter(loginFailures, loginWindow)
	s.hashSlots = make(chan struct{}, 2)
	s.usersEvery = 3 * time.Second
	s.hub.eventFilter = func(r *http.Request) func(e *store.Event) bool { return eventsFor(who(r)) }
	s.hub.sessionValid = func(r *http.Request) func() bool {
		id := who(r)
		if id == nil || id.tokenHash == nil {
			return nil
		}
		return func() bool { return s.sessionValid(id.tokenHash) }
	}
}

// authRoutes registers the accounts' and the agents' routes.
func (s *Server) authRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/login", s.login)
	mux.HandleFunc("POST /api/logout", s.logout)
	mux.HandleFunc("GET /api/me", s.me)
	mux.HandleFunc("POST /api/handling/{key...}", s.handleMention)
	mux.HandleFunc("GET /api/audit", s.auditLog)
	mux.HandleFunc("GET /api/config", s.showConfig)
}

// actor is who acts on a request: the logged-in user, or without login
// the name the request gives (the "by" of an alert action).
func (s *Server) actor(r *http.Request, given string) string {
	if id := who(r); id != nil && s.loginMode() {
		return id.user
	}
	return given
}
