package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui/accounts"
)

// Authentication modes (http.auth).
const (
	AuthLogin = "login"
	AuthNone  = "none"
)

// Session cookie and CSRF header names, and session defaults.
const (
	sessionCookie      = "pantau_session"
	csrfHeader         = "X-CSRF-Token"
	DefaultSessionIdle = 2 * time.Hour
	DefaultSessionMax  = 12 * time.Hour
	// touchEvery bounds how often a session's LastSeen is written: a write
	// per request would make every poll a disk sync.
	touchEvery = time.Minute
	// demoUser is who acts when there is no login.
	demoUser = "demo"
)

// Users is where the server finds accounts: the daemon's live view of the
// users file.
type Users interface {
	Lookup(name string) (accounts.User, bool)
}

// identity is who a request acts as.
type identity struct {
	user string
	role accounts.Role
	csrf string
	// tokenHash is the session's key in the store; nil without login.
	tokenHash []byte
}

type identityKey struct{}

// who returns the request's identity, set by authenticate (nil when the
// route is public and nobody is logged in).
func who(r *http.Request) *identity {
	id, _ := r.Context().Value(identityKey{}).(*identity)
	return id
}

// loginMode reports whether users must log in.
func (s *Server) loginMode() bool { return s.cfg.Auth == AuthLogin }

// authenticate runs before every dashboard route: it finds who is asking
// (a session cookie, or the demo admin without login), refuses what their
// role may not do by the permission table, checks the CSRF token of every
// state-changing API request, and audits the changes that succeed.
func (s *Server) authenticate(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, pattern := mux.Handler(r)
		rule, known := lookupRule(pattern)
		id, why := s.identify(w, r)
		switch {
		case known && rule.public:
		case !known && !protectedPath(r.URL.Path):
			// Not the API (a page path that 404s, say): nothing to guard.
		case id == nil:
			writeError(w, http.StatusUnauthorized, why)
			return
		case !known:
			// Default deny: a route missing from the permission table.
			writeError(w, http.StatusForbidden, fmt.Sprintf("%s %s: no permission rule for this endpoint", r.Method, clip(r.URL.Path, 200)))
			return
		case !rule.allows(id.role):
			writeError(w, http.StatusForbidden, fmt.Sprintf("role %s may not %s %s", id.role, r.Method, clip(r.URL.Path, 200)))
			return
		}
		if id != nil {
			r = r.WithContext(context.WithValue(r.Context(), identityKey{}, id))
		}
		if !changesState(r) || !protectedPath(r.URL.Path) {
			mux.ServeHTTP(w, r)
			return
		}
		// Public routes (the login itself) need no token: a browser with an
		// old session open in another tab may log in again.
		if s.loginMode() && id != nil && !rule.public && !csrfMatches(r.Header.Get(csrfHeader), id.csrf) {
			writeError(w, http.StatusForbidden, "missing or wrong "+csrfHeader+" header: reload the page")
			return
		}
		s.audited(mux, w, r, pattern)
	})
}

// changesState reports whether a request's method changes anything.
func changesState(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

func csrfMatches(got, want string) bool {
	return want != "" && len(got) == len(want) && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// identify returns who the request acts as, or nil and why not.
func (s *Server) identify(w http.ResponseWriter, r *http.Request) (*identity, string) {
	if !s.loginMode() {
		return &identity{user: demoUser, role: accounts.RoleAdmin}, ""
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, "not logged in"
	}
	hash, ok := tokenHash(c.Value)
	if !ok {
		return nil, "not logged in"
	}
	sess, found, err := s.st.Session(hash)
	if err != nil {
		s.log.Error("read session", "err", err)
		return nil, "not logged in"
	}
	if !found {
		return nil, "not logged in (the session ended)"
	}
	now := s.now()
	u, ok := s.users.Lookup(sess.User)
	switch {
	case !ok || u.Stamp != sess.Stamp:
		s.endSession(hash)
		return nil, "not logged in (the account changed: log in again)"
	case now.Sub(sess.LastSeen) > s.cfg.sessionIdle() || now.Sub(sess.Created) > s.cfg.sessionMax():
		s.endSession(hash)
		return nil, "session expired: log in again"
	}
	if now.Sub(sess.LastSeen) >= touchEvery {
		if err := s.st.TouchSession(hash, now); err != nil {
			s.log.Warn("touch session", "err", err)
		}
	}
	return &identity{user: u.Name, role: u.Role, csrf: sess.CSRF, tokenHash: hash}, ""
}

func (s *Server) endSession(hash []byte) {
	if _, err := s.st.DeleteSession(hash); err != nil {
		s.log.Warn("end session", "err", err)
	}
}

// sessionValid reports whether the session behind hash still stands, for
// long-lived connections (the websocket) to notice a logout, an expiry or
// an account change.
func (s *Server) sessionValid(hash []byte) bool {
	sess, found, err := s.st.Session(hash)
	if err != nil || !found {
		return err != nil // a store hiccup does not cut everyone off
	}
	u, ok := s.users.Lookup(sess.User)
	now := s.now()
	return ok && u.Stamp == sess.Stamp &&
		now.Sub(sess.LastSeen) <= s.cfg.sessionIdle() && now.Sub(sess.Created) <= s.cfg.sessionMax()
}

// Tokens are 256 random bits, base64url without padding (43 bytes).
const tokenLen = 43

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// tokenHash returns the store key of a session token, and false for a
// value that cannot be one of ours.
func tokenHash(token string) ([]byte, bool) {
	if len(token) != tokenLen {
		return nil, false
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, false
	}
	sum := sha256.Sum256([]byte(token))
	return sum[:], true
}

// setSessionCookie sets (or, with an empty token, clears) the cookie.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	c := &http.Cookie{
		Name:     sessionCookie,
		Value:    token,
		Path:     "/",
		HttpOnly: true,
		Secure:   !s.cfg.InsecureCookie,
		SameSite: http.SameSiteStrictMode,
	}
	if token == "" {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(s.cfg.sessionMax() / time.Second)
	}
	http.SetCookie(w, c)
}

// eventsFor returns the filter of the events a request's identity may
// see: audit entries only for those who may read the audit log.
func eventsFor(id *identity) func(*store.Event) bool {
	seeAudit := id != nil && permissions[ruleKey("GET /api/audit")].allows(id.role)
	return func(e *store.Event) bool { return seeAudit || e.Type != store.EventAudit }
}

func filterEvents(evs []store.Event, keep func(*store.Event) bool) []store.Event {
	out := evs[:0]
	for i := range evs {
		if keep(&evs[i]) {
			out = append(out, evs[i])
		}
	}
	return out
}
