package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pantau/pantau/store"
	"github.com/pantau/pantau/ui/accounts"
)

// Login rate limits: this many failures per user name, and per client
// address, within the window, then 429 until the oldest ages out.
const (
	loginFailures    = 5
	loginWindow      = 15 * time.Minute
	maxLoginBody     = 4 << 10
	wrongCredentials = "wrong username or password"
)

// dummyHash is verified against when the user does not exist, so an
// unknown name costs the same time as a wrong password and response times
// do not tell which names exist.
var dummyHash = sync.OnceValue(func() string {
	h, err := accounts.HashPassword(newToken())
	if err != nil {
		panic("ui: hash the dummy password: " + err.Error())
	}
	return h
})

// login answers POST /api/login {"username","password"}.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	skipAudit(r) // audited in the session's own transaction
	if !s.loginMode() {
		writeError(w, http.StatusBadRequest, "login is off: the dashboard runs with http.auth: none")
		return
	}
	var in struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if status, err := readJSON(w, r, maxLoginBody, &in, `{"username": "...", "password": "..."}`); err != nil {
		writeError(w, status, err.Error())
		return
	}
	ip := clientIP(r)
	now := s.now()
	// Names are compared as stored (lower case); one spelled otherwise is
	// simply unknown, and counted under its lowered form.
	userKey := "user:" + strings.ToLower(clip(in.Username, accounts.MaxNameLen+1))
	ipKey := "ip:" + ip
	if wait := max(s.limiter.blocked(userKey, now), s.limiter.blocked(ipKey, now)); wait > 0 {
		secs := int(math.Ceil(wait.Seconds()))
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		s.log.Warn("login refused: too many failures", "ip", ip)
		writeError(w, http.StatusTooManyRequests, fmt.Sprintf("too many failed logins: try again in %d seconds", secs))
		return
	}

	// Hashing takes tens of milliseconds and megabytes: a few at a time.
	select {
	case s.hashSlots <- struct{}{}:
		defer func() { <-s.hashSlots }()
	case <-r.Context().Done():
		return
	}
	u, known := s.users.Lookup(in.Username)
	if accounts.ValidName(in.Username) != nil {
		known = false
	}
	hash := dummyHash()
	if known {
		hash = u.Hash
	}
	ok, err := accounts.VerifyPassword(hash, in.Password)
	if err != nil {
		// A damaged hash in the users file: the user cannot log in.
		s.log.Error("login: stored password hash unreadable", "user", u.Name, "err", err)
	}
	if !ok || !known {
		s.limiter.failed(userKey, now)
		s.limiter.failed(ipKey, now)
		// The name typed is recorded only when it is a real account: a
		// password typed into the name field must not land in the log.
		entry := store.AuditEntry{Action: "login.failed", Detail: "from " + ip}
		if known {
			entry.User, entry.Target = u.Name, "user:"+u.Name
			entry.Detail = "wrong password from " + ip
		} else {
			entry.Detail = "unknown user name (not recorded) from " + ip
		}
		if _, err := s.st.Audit(entry); err != nil {
			s.log.Error("audit failed login", "err", err)
		}
		s.log.Info("login failed", "user", entry.User, "ip", ip)
		writeError(w, http.StatusUnauthorized, wrongCredentials)
		return
	}
	s.limiter.reset(userKey)

	token, csrf := newToken(), newToken()
	hashKey, _ := tokenHash(token)
	sess := store.Session{User: u.Name, Stamp: u.Stamp, CSRF: csrf, Created: now, LastSeen: now}
	entry := store.AuditEntry{User: u.Name, Action: "login", Target: "user:" + u.Name, Detail: "from " + ip}
	if err := s.st.CreateSession(hashKey, sess, entry); err != nil {
		s.internalError(w, r, "create session", err)
		return
	}
	s.log.Info("login", "user", u.Name, "role", u.Role, "ip", ip)
	s.setSessionCookie(w, token)
	writeJSON(w, http.StatusOK, struct {
		User string        `json:"user"`
		Role accounts.Role `json:"role"`
		CSRF string        `json:"csrf"`
	}{u.Name, u.Role, csrf})
}

// logout answers POST /api/logout: the session ends and the cookie goes.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	skipAudit(r) // audited in the session's own transaction
	if id := who(r); id != nil && id.tokenHash != nil {
		entry := store.AuditEntry{User: id.user, Action: "logout", Target: "user:" + id.user}
		if _, err := s.st.DeleteSession(id.tokenHash, entry); err != nil {
			s.internalError(w, r, "end session", err)
			return
		}
		s.log.Info("logout", "user", id.user)
	}
	if s.loginMode() {
		s.setSessionCookie(w, "")
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// me answers GET /api/me: who is logged in, their role and the CSRF token
// their page must send with every change.
func (s *Server) me(w http.ResponseWriter, r *http.Request) {
	if _, err := parseParams(r); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	id := who(r)
	auth := AuthNone
	if s.loginMode() {
		auth = AuthLogin
	}
	writeJSON(w, http.StatusOK, struct {
		User string        `json:"user"`
		Role accounts.Role `json:"role"`
		CSRF string        `json:"csrf"`
		Auth string        `json:"auth"`
	}{id.user, id.role, id.csrf, auth})
}

// clientIP is the address the connection comes from. Forwarded headers
// are not trusted: anyone can send them. Behind a reverse proxy every
// client shares the proxy's address, so the per-address limit applies to
// all of them together (the per-user limit still holds).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// readJSON decodes a request body of at most limit bytes into v, refusing
// unknown fields and trailing data. The error names what was wrong; shape
// is the expected body, for the message.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64, v any, shape string) (int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, fmt.Errorf("request body: larger than %d bytes", limit)
		}
		return http.StatusBadRequest, fmt.Errorf("request body: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return http.StatusBadRequest, fmt.Errorf("request body: want JSON %s: %v", shape, err)
	}
	if dec.More() {
		return http.StatusBadRequest, errors.New("request body: more than one JSON value")
	}
	return 0, nil
}
