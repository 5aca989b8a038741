package ui

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
)

// AlertOps are the on-call leads' actions beyond acknowledge and resolve:
// snooze and escalate an alert, silences, and who is on call. The
// alerting router implements them (the daemon adapts it); ui does not
// import alerting. Errors wrapping ErrInvalid are answered 400,
// store.ErrNotFound 404, store.ErrConflict 409.
type AlertOps interface {
	Snooze(id string, d time.Duration, by string) (store.Alert, error)
	Escalate(id, by string) (store.Alert, error)
	// Silences returns the silences that have not run out.
	Silences() ([]store.Silence, error)
	AddSilence(s store.Silence) (store.Silence, error)
	DeleteSilence(id, by string) error
	OnCall() (OnCall, error)
}

// ErrInvalid marks a request AlertOps refuses as invalid; its message
// says what is wrong.
var ErrInvalid = errors.New("invalid request")

// OnCall is who is on call now and who takes over next, per escalation
// level: the body of GET /api/oncall.
type OnCall struct {
	Now  []OnDuty   `json:"now"`
	Next []Handover `json:"next"`
}

// OnDuty is one person on call now.
type OnDuty struct {
	Level     int      `json:"level"`
	Name      string   `json:"name"`
	Receivers []string `json:"receivers"`
}

// Handover is the next person on call at a level, and from when.
type Handover struct {
	Level int       `json:"level"`
	Name  string    `json:"name"`
	From  time.Time `json:"from"`
}

// WithAlertOps serves the leads' endpoints through o; without it they
// answer 503.
func WithAlertOps(o AlertOps) Option {
	return func(s *Server) { s.ops = o }
}

// Limits of the leads' endpoints.
const (
	maxOpsBody    = 8 << 10 // a silence: ten matchers and a comment
	maxSnoozeMins = 7 * 24 * 60
)

// silenceJSON is a silence as the API shows and takes it.
type silenceJSON struct {
	ID       string          `json:"id"`
	Matchers []store.Matcher `json:"matchers"`
	Until    time.Time       `json:"until"`
	Comment  string          `json:"comment"`
	By       string          `json:"by"`
}

// actingUser is who does a leads' action: with login, the session's
// user (whatever the body claims); without login (the loopback demo), the
// name the request gives in its body ("by"), as for acknowledge and
// resolve.
func (s *Server) actingUser(r *http.Request, claimed string) (string, error) {
	by := strings.TrimSpace(claimed)
	if by == "" {
		return s.actor(r, defaultActedBy), nil
	}
	if utf8.RuneCountInString(by) > maxByLen {
		return "", fmt.Errorf("by: longer than %d characters", maxByLen)
	}
	for _, c := range by {
		if unicode.IsControl(c) || c == utf8.RuneError {
			return "", errors.New("by: contains control characters or invalid UTF-8")
		}
	}
	return s.actor(r, by), nil
}

// decodeBody reads one JSON object with only known fields into v.
func decodeBody(w http.ResponseWriter, r *http.Request, v any, want string) (int, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOpsBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, fmt.Errorf("request body: larger than %d bytes", maxOpsBody)
		}
		return http.StatusBadRequest, fmt.Errorf("request body: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return http.StatusBadRequest, fmt.Errorf("request body: want JSON %s: %v", want, err)
	}
	if dec.More() {
		return http.StatusBadRequest, errors.New("request body: more than one JSON value")
	}
	return 0, nil
}

// opsReady answers 503 when no router is wired in.
func (s *Server) opsReady(w http.ResponseWriter) bool {
	if s.ops == nil {
		writeError(w, http.StatusServiceUnavailable, "alert routing is not running")
		return false
	}
	return true
}

// opsError answers an AlertOps error with its status.
func (s *Server) opsError(w http.ResponseWriter, r *http.Request, what string, err error) {
	switch {
	case errors.Is(err, ErrInvalid):
		writeError(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, what+": not found")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, err.Error())
	default:
		s.internalError(w, r, what, err)
	}
}

func alertIDParam(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := r.PathValue("id")
	if id == "" || len(id) > maxKeyLen {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("alert id: must be 1 to %d bytes", maxKeyLen))
		return "", false
	}
	return id, true
}

// snoozeAlert answers POST /api/alerts/{id}/snooze {"minutes": N}.
func (s *Server) snoozeAlert(w http.ResponseWriter, r *http.Request) {
	if !s.opsReady(w) {
		return
	}
	id, ok := alertIDParam(w, r)
	if !ok {
		return
	}
	var in struct {
		Minutes *int   `json:"minutes"`
		By      string `json:"by"`
	}
	if status, err := decodeBody(w, r, &in, `{"minutes": N}`); err != nil {
		writeError(w, status, err.Error())
		return
	}
	if in.Minutes == nil || *in.Minutes < 1 || *in.Minutes > maxSnoozeMins {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("minutes: want 1 to %d", maxSnoozeMins))
		return
	}
	by, err := s.actingUser(r, in.By)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	d := time.Duration(*in.Minutes) * time.Minute
	a, err := s.ops.Snooze(id, d, by)
	if err != nil {
		s.opsError(w, r, "snooze alert", err)
		return
	}
	// Under the alert id, so the alert's timeline finds it.
	noteAudit(r, "alert.snooze", id, "for "+d.String())
	writeJSON(w, http.StatusOK, struct {
		Alert store.Alert `json:"alert"`
	}{a})
}

// escalateAlert answers POST /api/alerts/{id}/escalate.
func (s *Server) escalateAlert(w http.ResponseWriter, r *http.Request) {
	if !s.opsReady(w) {
		return
	}
	id, ok := alertIDParam(w, r)
	if !ok {
		return
	}
	claimed, status, err := readActor(w, r)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	by, err := s.actingUser(r, claimed)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	a, err := s.ops.Escalate(id, by)
	if err != nil {
		s.opsError(w, r, "escalate alert", err)
		return
	}
	noteAudit(r, "alert.escalate", id, fmt.Sprintf("to level %d", a.Level))
	writeJSON(w, http.StatusOK, struct {
		Alert store.Alert `json:"alert"`
	}{a})
}

// listSilences answers GET /api/silences.
func (s *Server) listSilences(w http.ResponseWriter, r *http.Request) {
	if _, err := parseParams(r); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.opsReady(w) {
		return
	}
	list, err := s.ops.Silences()
	if err != nil {
		s.opsError(w, r, "list silences", err)
		return
	}
	out := make([]silenceJSON, 0, len(list))
	for _, si := range list {
		out = append(out, silenceJSON{ID: si.ID, Matchers: nonNilMatchers(si.Matchers), Until: si.Until, Comment: si.Comment, By: si.By})
	}
	writeJSON(w, http.StatusOK, struct {
		Silences []silenceJSON `json:"silences"`
	}{out})
}

func nonNilMatchers(m []store.Matcher) []store.Matcher {
	if m == nil {
		return []store.Matcher{}
	}
	return m
}

// addSilence answers POST /api/silences {"matchers", "until", "comment"}.
func (s *Server) addSilence(w http.ResponseWriter, r *http.Request) {
	if !s.opsReady(w) {
		return
	}
	var in struct {
		Matchers []store.Matcher `json:"matchers"`
		Until    time.Time       `json:"until"`
		Comment  string          `json:"comment"`
		By       string          `json:"by"`
	}
	if status, err := decodeBody(w, r, &in, `{"matchers": [{"field", "value"}], "until": RFC 3339, "comment"}`); err != nil {
		writeError(w, status, err.Error())
		return
	}
	by, err := s.actingUser(r, in.By)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	si, err := s.ops.AddSilence(store.Silence{Matchers: in.Matchers, Until: in.Until, Comment: in.Comment, By: by})
	if err != nil {
		s.opsError(w, r, "add silence", err)
		return
	}
	writeJSON(w, http.StatusCreated, silenceJSON{ID: si.ID, Matchers: si.Matchers, Until: si.Until, Comment: si.Comment, By: si.By})
}

// deleteSilence answers DELETE /api/silences/{id}.
func (s *Server) deleteSilence(w http.ResponseWriter, r *http.Request) {
	if !s.opsReady(w) {
		return
	}
	id := r.PathValue("id")
	if id == "" || len(id) > 64 {
		writeError(w, http.StatusBadRequest, "silence id: must be 1 to 64 bytes")
		return
	}
	claimed, status, err := readActor(w, r)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	by, err := s.actingUser(r, claimed)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if err := s.ops.DeleteSilence(id, by); err != nil {
		s.opsError(w, r, "delete silence", err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// onCall answers GET /api/oncall.
func (s *Server) onCall(w http.ResponseWriter, r *http.Request) {
	if _, err := parseParams(r); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !s.opsReady(w) {
		return
	}
	oc, err := s.ops.OnCall()
	if err != nil {
		s.opsError(w, r, "on call", err)
		return
	}
	if oc.Now == nil {
		oc.Now = []OnDuty{}
	}
	if oc.Next == nil {
		oc.Next = []Handover{}
	}
	for i := range oc.Now {
		if oc.Now[i].Receivers == nil {
			oc.Now[i].Receivers = []string{}
		}
	}
	writeJSON(w, http.StatusOK, oc)
}
