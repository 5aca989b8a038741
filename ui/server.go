package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pantau/pantau/alerting/audit"
	"github.com/pantau/pantau/store"
)

// AlertActions changes an alert's state on a person's request. The alerting
// pipeline implements it so that a hand-made change goes through the same
// state machine as its own (and, for example, stops reminders). Errors that
// wrap store.ErrNotFound are reported as 404.
type AlertActions interface {
	Acknowledge(id, by string) (store.Alert, error)
	Resolve(id, by string) (store.Alert, error)
}

// Option configures a Server.
type Option func(*Server)

// WithAlertActions routes Ack and Resolve through a; without it the server
// changes the alert in the store directly.
func WithAlertActions(a AlertActions) Option {
	return func(s *Server) { s.actions = a }
}

// WithHandler mounts h at pattern (http.ServeMux syntax, such as
// "/hooks/{source}") next to the dashboard's own routes. It is meant for
// endpoints that authenticate every request themselves, such as the
// inbound webhook that other tools post mentions to: such requests come
// from other programs and other origins by nature, so they skip the
// browser-oriented guards (the Host check and the cross-origin POST
// check). Those guards exist because the dashboard has no login: they stop
// web pages from reaching its data. A self-authenticating handler gives a
// web page nothing without its secret, and a cross-origin page cannot set
// the Authorization or signature headers without a CORS preflight, which
// this server never grants. The security headers are still set, with a
// policy that allows no content at all.
//
// New panics, as http.ServeMux.Handle does, when pattern is invalid or
// conflicts with a dashboard route: that is a wiring mistake, not input.
func WithHandler(pattern string, h http.Handler) Option {
	return func(s *Server) { s.extra = append(s.extra, mounted{pattern, h}) }
}

// mounted is a handler added with WithHandler.
type mounted struct {
	pattern string
	h       http.Handler
}

// Limits on what a request may ask for or send.
const (
	maxBodyBytes   = 4 << 10 // an action's body is a name, nothing more
	maxParamLen    = 256     // one query parameter's value
	maxKeyLen      = 1024    // a mention key or alert id (the store's own bound)
	maxByLen       = 64      // runes in the name of who acted
	defaultLimit   = 100
	maxLimit       = 1000
	shutdownWait   = 10 * time.Second
	defaultActedBy = "demo"
)

// Server is the dashboard's HTTP server: the JSON API, the websocket hub
// and the embedded static files.
type Server struct {
	cfg     Config
	st      *store.Store
	log     *slog.Logger
	actions AlertActions
	ops     AlertOps // the leads' actions (alerts_api.go); nil: 503
	hub     *hub
	static  *staticFiles
	handler http.Handler
	// extra are the handlers mounted with WithHandler.
	extra []mounted

	// hosts are the host names (without port) accepted in the Host header
	// besides loopback ones; origins are the extra trusted browser origins.
	hosts   map[string]bool
	origins map[string]bool

	served atomic.Bool

	authState // accounts, sessions, handling: see authstate.go
}

// New builds a Server over st. cfg should have passed Validate; a nil
// logger discards logs.
func New(cfg Config, st *store.Store, logger *slog.Logger, opts ...Option) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:     cfg,
		st:      st,
		log:     logger,
		hosts:   map[string]bool{},
		origins: map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	if s.actions == nil {
		s.actions = storeActions{st: st}
	}
	// Invalid entries were reported by Validate; here they are just left out.
	if o, err := parseOrigin(cfg.PublicURL, true); err == nil {
		s.origins[o] = true
	}
	for _, raw := range cfg.AllowedOrigins {
		if o, err := parseOrigin(raw, false); err == nil {
			s.origins[o] = true
		}
	}
	for o := range s.origins {
		u, _ := url.Parse(o)
		s.hosts[strings.ToLower(u.Hostname())] = true
	}
	s.hub = newHub(st, logger.With("component", "ws"), s.originAllowed)
	s.initAuth()
	s.static = mustLoadStatic()
	s.handler = s.routes()
	return s
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/mentions", s.listMentions)
	// Keys contain ':' and '/' (at:// URIs, URLs): clients percent-encode
	// the key as one segment, which also keeps "//" from being cleaned away.
	mux.HandleFunc("GET /api/mentions/{key...}", s.getMention)
	mux.HandleFunc("GET /api/queue", s.listQueue)
	mux.HandleFunc("POST /api/reveal/{key...}", s.revealMention)
	mux.HandleFunc("GET /api/reply-report", s.replyReport)
	mux.HandleFunc("GET /api/alerts", s.listAlerts)
	mux.HandleFunc("GET /api/alerts/{id}", s.alertTimeline)
	mux.HandleFunc("POST /api/alerts/{id}/ack", s.alertAction("acknowledge", AlertActions.Acknowledge))
	mux.HandleFunc("POST /api/alerts/{id}/resolve", s.alertAction("resolve", AlertActions.Resolve))
	mux.HandleFunc("POST /api/alerts/{id}/snooze", s.snoozeAlert)
	mux.HandleFunc("POST /api/alerts/{id}/escalate", s.escalateAlert)
	mux.HandleFunc("GET /api/silences", s.listSilences)
	mux.HandleFunc("POST /api/silences", s.addSilence)
	mux.HandleFunc("DELETE /api/silences/{id}", s.deleteSilence)
	mux.HandleFunc("GET /api/oncall", s.onCall)
	mux.HandleFunc("GET /api/sources", s.listSources)
	mux.HandleFunc("GET /api/events", s.listEvents)
	mux.HandleFunc("GET /api/history", s.history)
	mux.HandleFunc("GET /api/history/export", s.historyExport)
	s.authRoutes(mux)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no API endpoint %s %s", r.Method, r.URL.Path))
	})
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /ws", s.hub.serveWS)
	mux.HandleFunc("GET /{$}", s.static.serveIndex)
	mux.HandleFunc("GET /assets/{name}", s.static.serveAsset)
	own := make(map[string]bool, len(s.extra))
	for _, e := range s.extra {
		mux.Handle(e.pattern, e.h)
		own[e.pattern] = true
	}

	csrf := http.NewCrossOriginProtection()
	for o := range s.origins {
		// parseOrigin produced these, so they are well-formed.
		_ = csrf.AddTrustedOrigin(o)
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusForbidden, "cross-origin request refused")
	}))
	guarded := s.guard(csrf.Handler(s.authenticate(mux)))
	if len(own) == 0 {
		return guarded
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The mux says which pattern the request would reach; only the
		// mounted patterns themselves skip the browser guards, so a
		// request for any dashboard route is guarded as before.
		if _, pattern := mux.Handler(r); own[pattern] {
			setSecurityHeaders(w.Header())
			// Nothing here is a page: allow no content at all.
			w.Header().Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			mux.ServeHTTP(w, r)
			return
		}
		guarded.ServeHTTP(w, r)
	})
}

// Handler is the server's whole HTTP handler. The websocket endpoint only
// works while Serve runs, because the hub runs with it.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve answers HTTP on ln until ctx is done, then shuts down gracefully:
// the listener closes, in-flight requests get up to 10 seconds, websocket
// clients get a close frame and the hub stops. It returns nil after a clean
// shutdown. A Server serves once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.served.CompareAndSwap(false, true) {
		return errors.New("ui: Serve called twice")
	}
	// The same guard as Config.Validate, for a listener made some other way:
	// without authentication the data must not leave this machine.
	if a, ok := ln.Addr().(*net.TCPAddr); ok && !a.IP.IsLoopback() && !s.loginMode() {
		return fmt.Errorf("ui: listening on %s: no authentication (http.auth: none): bind to a loopback address", a)
	}
	hubCtx, stopHub := context.WithCancel(context.Background())
	defer stopHub()
	hubDone := make(chan struct{})
	s.hub.start()
	go func() {
		defer close(hubDone)
		s.hub.run(hubCtx)
	}()
	usersDone := make(chan struct{})
	go func() {
		defer close(usersDone)
		if s.directory != nil {
			s.watchUsers(hubCtx)
		}
	}()

	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		// No WriteTimeout: it would also bound a hijacked websocket's
		// writes; the hub sets its own deadline on every write instead.
		IdleTimeout:    2 * time.Minute,
		MaxHeaderBytes: 64 << 10,
		ErrorLog:       slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Shutdown does not track hijacked connections: stop the hub with it,
	// which closes every websocket.
	srv.RegisterOnShutdown(stopHub)

	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	s.log.Info("dashboard listening", "addr", ln.Addr().String())

	var err error
	select {
	case err = <-serveErr:
		// The listener failed on its own; still stop what runs.
		stopHub()
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), shutdownWait)
		if serr := srv.Shutdown(sctx); serr != nil {
			s.log.Warn("dashboard shutdown", "err", serr)
			srv.Close()
		}
		cancel()
		if e := <-serveErr; !errors.Is(e, http.ErrServerClosed) {
			err = e
		}
	}
	<-hubDone
	<-usersDone // no reload may touch the store after Serve returns
	s.hub.wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// guard wraps every response: it refuses Host names that are not ours and
// sets the security headers.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		setSecurityHeaders(h)
		if !s.hostAllowed(r.Host) {
			// A page that rebinds its own DNS name to 127.0.0.1 reaches us
			// with its name as Host; without auth, that must get nothing.
			h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
			writeError(w, http.StatusMisdirectedRequest,
				"host not served here: open the dashboard by its loopback address or set http.public_url")
			return
		}
		// r.Host passed hostAllowed: a known name and a numeric port, so it
		// is safe to put into the policy.
		h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
			"img-src 'self'; font-src 'self'; connect-src 'self' ws://"+r.Host+" wss://"+r.Host+"; "+
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// setSecurityHeaders sets the headers every response carries, whatever
// handler answers it.
func setSecurityHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	// Links in the feed lead to the internet: send them no dashboard URL.
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
}

// hostAllowed accepts loopback hosts and the configured public ones, with
// an optional numeric port.
func (s *Server) hostAllowed(hostport string) bool {
	host, port := hostport, ""
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.Contains(hostport[i:], "]") {
		host, port = hostport[:i], hostport[i+1:]
		if port == "" {
			return false
		}
		for _, c := range port {
			if c < '0' || c > '9' {
				return false
			}
		}
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if host == "" {
		return false
	}
	return isLoopbackHost(host) || s.hosts[strings.ToLower(host)]
}

// originAllowed is the websocket's same-origin check: a browser's Origin
// must name the host it connects to, or be configured. Clients that send no
// Origin are not browsers, so cross-site scripting cannot be behind them.
func (s *Server) originAllowed(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return false
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	return s.origins[strings.ToLower(u.Scheme+"://"+u.Host)]
}

// mentionFilters reads the filters /api/mentions and /api/queue share:
// source, kind, brand, lang and min_complaint (0 to 1).
func mentionFilters(p *params) store.MentionQuery {
	return store.MentionQuery{
		Source:       p.str("source"),
		Kind:         p.str("kind"),
		Brand:        p.str("brand"),
		Lang:         p.str("lang"),
		MinComplaint: p.floatRange("min_complaint", 0, 0, 1),
	}
}

// listMentions answers GET /api/mentions.
func (s *Server) listMentions(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, "source", "kind", "brand", "lang", "min_complaint", "q", "before", "before_key", "limit")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	q := mentionFilters(p)
	q.Text = p.str("q")
	q.Before = p.time("before")
	// The key of the last mention of the previous page, so paging inside
	// one batch (one SeenAt) loses nothing.
	q.BeforeKey = p.str("before_key")
	q.Limit = p.intRange("limit", defaultLimit, 1, maxLimit)
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	// The sequence number read before the data tells the client where to
	// resume the event stream so that nothing after this snapshot is missed.
	seq, err := s.st.LastSeq()
	if err != nil {
		s.internalError(w, r, "read last event", err)
		return
	}
	ms, err := s.st.Mentions(q)
	if err != nil {
		s.internalError(w, r, "list mentions", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Seq      uint64          `json:"seq"`
		Mentions []store.Mention `json:"mentions"`
	}{seq, nonNil(maskMentions(ms))})
}

// getMention answers GET /api/mentions/{key...}.
func (s *Server) getMention(w http.ResponseWriter, r *http.Request) {
	if _, err := parseParams(r); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	key := r.PathValue("key")
	if key == "" || len(key) > maxKeyLen {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("mention key: must be 1 to %d bytes", maxKeyLen))
		return
	}
	seq, err := s.st.LastSeq()
	if err != nil {
		s.internalError(w, r, "read last event", err)
		return
	}
	m, ok, err := s.st.Mention(key)
	if err != nil {
		s.internalError(w, r, "read mention", err)
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no mention with key %q", clip(key, 200)))
		return
	}
	thread, err := s.st.Thread(key)
	if err != nil {
		s.internalError(w, r, "read thread", err)
		return
	}
	samples, err := s.st.Samples(key)
	if err != nil {
		s.internalError(w, r, "read samples", err)
		return
	}
	notes, err := s.mentionNotes(key)
	if err != nil {
		s.internalError(w, r, "read notes", err)
		return
	}
	maskMention(&m)
	writeJSON(w, http.StatusOK, struct {
		Seq     uint64          `json:"seq"`
		Mention store.Mention   `json:"mention"`
		Thread  []store.Mention `json:"thread"`
		Samples []store.Sample  `json:"samples"`
		Notes   []note          `json:"notes"`
	}{seq, m, nonNil(maskMentions(thread)), nonNil(samples), notes})
}

// listAlerts answers GET /api/alerts. state is open, acknowledged,
// resolved, or active (open and acknowledged: the agents' queue).
func (s *Server) listAlerts(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, "state", "source", "brand", "limit")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	q := store.AlertQuery{Source: p.str("source"), Brand: p.str("brand"), Limit: p.intRange("limit", defaultLimit, 1, maxLimit)}
	state := p.str("state")
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	var states []store.AlertState
	switch state {
	case "":
		states = []store.AlertState{""}
	case "active":
		states = []store.AlertState{store.AlertOpen, store.AlertAcknowledged}
	case string(store.AlertOpen), string(store.AlertAcknowledged), string(store.AlertResolved):
		states = []store.AlertState{store.AlertState(state)}
	default:
		writeError(w, http.StatusBadRequest, `query parameter "state": must be open, acknowledged, resolved or active`)
		return
	}
	seq, err := s.st.LastSeq()
	if err != nil {
		s.internalError(w, r, "read last event", err)
		return
	}
	var out []store.Alert
	for _, st := range states {
		q.State = st
		as, err := s.st.Alerts(q)
		if err != nil {
			s.internalError(w, r, "list alerts", err)
			return
		}
		out = append(out, as...)
	}
	if len(states) > 1 {
		// Keep the store's order (most recently updated first) across states.
		sortAlerts(out)
		if len(out) > q.Limit {
			out = out[:q.Limit]
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Seq    uint64        `json:"seq"`
		Alerts []store.Alert `json:"alerts"`
	}{seq, nonNil(out)})
}

// alertAction answers POST /api/alerts/{id}/ack and /resolve. The optional
// JSON body {"by": "name"} says who acted.
func (s *Server) alertAction(verb string, do func(AlertActions, string, string) (store.Alert, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if _, err := parseParams(r); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		id := r.PathValue("id")
		if id == "" || len(id) > maxKeyLen {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("alert id: must be 1 to %d bytes", maxKeyLen))
			return
		}
		by, status, err := readActor(w, r)
		if err != nil {
			writeError(w, status, err.Error())
			return
		}
		by = s.actor(r, by)
		noteAudit(r, "alert."+verb, id, "")
		a, err := do(s.actions, id, by)
		switch {
		case errors.Is(err, store.ErrNotFound):
			writeError(w, http.StatusNotFound, fmt.Sprintf("no alert with id %q", clip(id, 200)))
			return
		case errors.Is(err, errAlertResolved), errors.Is(err, store.ErrConflict):
			writeError(w, http.StatusConflict, "alert is already resolved")
			return
		case err != nil:
			s.internalError(w, r, verb+" alert", err)
			return
		}
		s.log.Info("alert "+verb, "id", id, "by", by)
		writeJSON(w, http.StatusOK, struct {
			Alert store.Alert `json:"alert"`
		}{a})
	}
}

// readActor reads the optional {"by": "..."} body of an alert action.
func readActor(w http.ResponseWriter, r *http.Request) (string, int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return "", http.StatusRequestEntityTooLarge, fmt.Errorf("request body: larger than %d bytes", maxBodyBytes)
		}
		return "", http.StatusBadRequest, fmt.Errorf("request body: %v", err)
	}
	if len(strings.TrimSpace(string(body))) == 0 {
		return defaultActedBy, 0, nil
	}
	var in struct {
		By string `json:"by"`
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return "", http.StatusBadRequest, fmt.Errorf(`request body: want JSON {"by": "name"}: %v`, err)
	}
	if dec.More() {
		return "", http.StatusBadRequest, errors.New("request body: more than one JSON value")
	}
	by := strings.TrimSpace(in.By)
	if by == "" {
		return defaultActedBy, 0, nil
	}
	if utf8.RuneCountInString(by) > maxByLen {
		return "", http.StatusBadRequest, fmt.Errorf("by: longer than %d characters", maxByLen)
	}
	for _, c := range by {
		if unicode.IsControl(c) || c == utf8.RuneError {
			return "", http.StatusBadRequest, errors.New("by: contains control characters or invalid UTF-8")
		}
	}
	return by, 0, nil
}

// listSources answers GET /api/sources.
func (s *Server) listSources(w http.ResponseWriter, r *http.Request) {
	if _, err := parseParams(r); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	seq, err := s.st.LastSeq()
	if err != nil {
		s.internalError(w, r, "read last event", err)
		return
	}
	ss, err := s.st.SourceStates()
	if err != nil {
		s.internalError(w, r, "list sources", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Seq     uint64              `json:"seq"`
		Sources []store.SourceState `json:"sources"`
	}{seq, nonNil(ss)})
}

// listEvents answers GET /api/events: the same events the websocket
// streams, for clients that poll. more says a further page is waiting.
func (s *Server) listEvents(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, "since", "limit")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	since := p.uint("since", 0)
	limit := p.intRange("limit", defaultLimit, 1, maxLimit)
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	evs, err := s.st.EventsSince(since, limit)
	if err != nil {
		s.internalError(w, r, "read events", err)
		return
	}
	more := len(evs) == limit
	// Retention deleted events after since that the client has not seen:
	// it must reload rather than go on over the gap (as /ws says with 4001).
	gap := since > 0 && len(evs) > 0 && evs[0].Seq > since+1
	// next is where to go on from even when every event read was one this
	// user may not see (and so left out).
	next := since
	if len(evs) > 0 {
		next = evs[len(evs)-1].Seq
	}
	evs = filterEvents(maskEvents(evs), eventsFor(who(r)))
	writeJSON(w, http.StatusOK, struct {
		Events []store.Event `json:"events"`
		More   bool          `json:"more"`
		Next   uint64        `json:"next"`
		Gap    bool          `json:"gap,omitempty"`
	}{nonNil(evs), more, next, gap})
}

// healthz answers GET /healthz: the store answers and the hub runs.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	seq, err := s.st.LastSeq()
	if err != nil {
		s.log.Error("health check: store", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "error", "error": "store unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok", "last_seq": seq, "live_clients": s.hub.clientCount()})
}

func (s *Server) internalError(w http.ResponseWriter, r *http.Request, what string, err error) {
	// The client learns that something failed, not the internals of what.
	s.log.Error(what, "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error: "+what)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		data = []byte(`{"error":"internal error: encode response"}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(data, '\n'))
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, struct {
		Error string `json:"error"`
	}{msg})
}

// params reads query parameters, keeping the first error; every error
// names its parameter.
type params struct {
	v   url.Values
	err error
}

// parseParams refuses unknown and repeated parameters, so a typo such as
// min_complain=0.8 fails loudly instead of silently not filtering.
func parseParams(r *http.Request, allowed ...string) (*params, error) {
	v, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("query: %v", err)
	}
	for name, vals := range v {
		known := false
		for _, a := range allowed {
			known = known || a == name
		}
		if !known {
			if len(allowed) == 0 {
				return nil, fmt.Errorf("query parameter %q: this endpoint takes none", clip(name, 50))
			}
			return nil, fmt.Errorf("query parameter %q: unknown (known: %s)", clip(name, 50), strings.Join(allowed, ", "))
		}
		if len(vals) > 1 {
			return nil, fmt.Errorf("query parameter %q: given more than once", name)
		}
		if len(vals[0]) > maxParamLen {
			return nil, fmt.Errorf("query parameter %q: longer than %d bytes", name, maxParamLen)
		}
	}
	return &params{v: v}, nil
}

func (p *params) fail(name, format string, args ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("query parameter %q: %s", name, fmt.Sprintf(format, args...))
	}
}

func (p *params) str(name string) string { return p.v.Get(name) }

func (p *params) intRange(name string, def, lo, hi int) int {
	s := p.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		p.fail(name, "must be a whole number from %d to %d", lo, hi)
		return def
	}
	return n
}

func (p *params) uint(name string, def uint64) uint64 {
	s := p.v.Get(name)
	if s == "" {
		return def
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		p.fail(name, "must be a whole number, 0 or more")
		return def
	}
	return n
}

func (p *params) floatRange(name string, def, lo, hi float64) float64 {
	s := p.v.Get(name)
	if s == "" {
		return def
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f < lo || f > hi {
		p.fail(name, "must be a number from %g to %g", lo, hi)
		return def
	}
	return f
}

func (p *params) time(name string) time.Time {
	s := p.v.Get(name)
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.fail(name, "must be an RFC 3339 time such as 2024-05-01T08:30:00Z")
		return time.Time{}
	}
	return t
}

// errAlertResolved is the direct store path's refusal to acknowledge an
// alert that is already resolved.
var errAlertResolved = errors.New("alert is resolved")

// storeActions changes alerts in the store directly, for when no alerting
// pipeline is wired in.
type storeActions struct{ st *store.Store }

func (a storeActions) Acknowledge(id, by string) (store.Alert, error) {
	cur, ok, err := a.st.Alert(id)
	if err != nil {
		return store.Alert{}, err
	}
	if !ok {
		return store.Alert{}, fmt.Errorf("alert %q: %w", id, store.ErrNotFound)
	}
	// Acknowledging would reopen a resolved alert, which is not what
	// someone clicking on a stale screen means.
	if cur.State == store.AlertResolved {
		return cur, errAlertResolved
	}
	return a.st.SetAlertState(id, store.AlertAcknowledged, by)
}

func (a storeActions) Resolve(id, by string) (store.Alert, error) {
	return a.st.SetAlertState(id, store.AlertResolved, by)
}

func sortAlerts(as []store.Alert) {
	// Same order as store.Alerts: most recently updated first, then by id.
	slices.SortFunc(as, func(a, b store.Alert) int {
		if c := b.UpdatedAt.Compare(a.UpdatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// clip shortens s for an error message without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}

// revealMention answers POST /api/reveal/{key...} with the mention's
// original, unmasked text, and logs who asked: personal data is shown only
// on purpose. (With login, the logged-in user; without, the "by" given.)
func (s *Server) revealMention(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	if key == "" || len(key) > maxKeyLen {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("mention key: must be 1 to %d bytes", maxKeyLen))
		return
	}
	by, status, err := readActor(w, r)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	by = s.actor(r, by)
	noteAudit(r, "mention.reveal", key, "personal data shown")
	if by == defaultActedBy && !s.loginMode() {
		// Revealing is personal: the default actor name will not do.
		writeError(w, http.StatusBadRequest, "by: say who reveals the personal data")
		return
	}
	m, ok, err := s.st.Mention(key)
	if err != nil {
		s.internalError(w, r, "read mention", err)
		return
	}
	if !ok {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no mention with key %q", clip(key, 200)))
		return
	}
	s.log.Warn("personal data revealed", "mention", key, "by", by)
	writeJSON(w, http.StatusOK, struct {
		Key   string `json:"key"`
		Title string `json:"title,omitempty"`
		Text  string `json:"text"`
	}{m.Key, m.Title, m.Text})
}

// replyReport answers GET /api/reply-report?from=&to= (RFC 3339; default
// the last 7 days): the reply audit's figures per brand account and per
// agent signature over the period, for the leads and marketing.
func (s *Server) replyReport(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, "from", "to")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	to := p.time("to")
	from := p.time("from")
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	if to.IsZero() {
		to = time.Now()
	}
	if from.IsZero() {
		from = to.Add(-7 * 24 * time.Hour)
	}
	if !from.Before(to) {
		writeError(w, http.StatusBadRequest, "from: must be before to")
		return
	}
	var replies []audit.AuditedReply
	q := store.MentionQuery{Before: to, Limit: 1000}
	for scanned := 0; scanned < maxReportScan; {
		ms, err := s.st.Mentions(q)
		if err != nil {
			s.internalError(w, r, "read mentions", err)
			return
		}
		for _, m := range ms {
			if m.SeenAt.Before(from) {
				ms = nil
				break
			}
			if m.ByBrand && m.Score != nil && m.Score.Audit != nil {
				replies = append(replies, audit.AuditedReply{Account: m.Author.Handle, Audit: *m.Score.Audit})
			}
		}
		if len(ms) < q.Limit {
			break
		}
		scanned += len(ms)
		last := ms[len(ms)-1]
		q.Before, q.BeforeKey = last.SeenAt, last.Key
	}
	writeJSON(w, http.StatusOK, struct {
		From   time.Time    `json:"from"`
		To     time.Time    `json:"to"`
		Report audit.Report `json:"report"`
	}{from, to, audit.BuildReport(replies)})
}

// maxReportScan bounds the mentions one report reads; rollups in the store
// will lift it (the history view).
const maxReportScan = 200000
