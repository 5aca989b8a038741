package ui

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/pantau/pantau/store"
)

// Every successful state-changing API request is audited: who, what (the
// method and route, or a name the handler gives), the target and a
// detail. Handlers that know better describe their change with noteAudit,
// and those that audit inside their own transaction (login, logout) opt
// out with skipAudit; routes that others add are covered without either.

// auditNote is what a handler says about its change.
type auditNote struct {
	action, target, detail string
	skip                   bool
}

type auditNoteKey struct{}

// noteAudit describes the request's change for the audit log.
func noteAudit(r *http.Request, action, target, detail string) {
	if n, ok := r.Context().Value(auditNoteKey{}).(*auditNote); ok {
		n.action, n.target, n.detail = action, target, detail
	}
}

// skipAudit says the handler audits its change itself.
func skipAudit(r *http.Request) {
	if n, ok := r.Context().Value(auditNoteKey{}).(*auditNote); ok {
		n.skip = true
	}
}

// statusRecorder remembers the status a handler answered with.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// audited serves a state-changing request and records it when it
// succeeded (2xx or 3xx).
func (s *Server) audited(mux *http.ServeMux, w http.ResponseWriter, r *http.Request, pattern string) {
	note := &auditNote{}
	r = r.WithContext(context.WithValue(r.Context(), auditNoteKey{}, note))
	rec := &statusRecorder{ResponseWriter: w}
	mux.ServeHTTP(rec, r)
	// A handler that wrote nothing answered 200.
	if note.skip || rec.status >= 400 {
		return
	}
	id := who(r)
	e := store.AuditEntry{Action: note.action, Target: note.target, Detail: note.detail}
	if id != nil {
		e.User = id.user
	}
	if e.Action == "" {
		e.Action = r.Method + " " + strings.TrimPrefix(ruleKey(pattern), r.Method+" ")
		e.Target = r.URL.Path
	}
	if _, err := s.st.Audit(e); err != nil {
		s.log.Error("audit", "action", e.Action, "err", err)
	}
}

// auditLog answers GET /api/audit?before=SEQ&limit=N, newest first.
func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) {
	p, err := parseParams(r, "before", "limit")
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	before := p.uint("before", 0)
	limit := p.intRange("limit", defaultLimit, 1, maxLimit)
	if p.err != nil {
		writeError(w, http.StatusBadRequest, p.err.Error())
		return
	}
	es, err := s.st.AuditLog(before, limit)
	if err != nil {
		s.internalError(w, r, "read audit log", err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		Entries []store.AuditEntry `json:"entries"`
	}{nonNil(es)})
}

// note is one entry of a mention's activity, from the audit log.
type note struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Action string    `json:"action"`
	Note   string    `json:"note"`
}

// maxNotes bounds the activity shown with one mention.
const maxNotes = 200

// mentionNotes returns what people did with a mention: the audit entries
// about it whose action is a mention action.
func (s *Server) mentionNotes(key string) ([]note, error) {
	es, err := s.st.AuditFor(key, maxNotes)
	if err != nil {
		return nil, err
	}
	out := []note{}
	for _, e := range es {
		action, ok := strings.CutPrefix(e.Action, "mention.")
		if !ok {
			continue
		}
		out = append(out, note{At: e.At, By: e.User, Action: action, Note: e.Detail})
	}
	return out, nil
}
