package ui

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/pantau/pantau/store"
)

// HandlingActions records what an agent did with a mention. The alerting
// pipeline implements it, so that the unanswered clock, the alerts and the
// events follow at once; without it the server writes to the store.
// Errors wrapping store.ErrNotFound are reported as 404.
type HandlingActions interface {
	SetHandling(key string, state store.ReplyState, assignee string, assign bool, by string) (store.Mention, error)
}

// WithHandlingActions routes the agents' mention actions through h.
func WithHandlingActions(h HandlingActions) Option {
	return func(s *Server) { s.handling = h }
}

const (
	maxNoteRunes     = 1000
	maxHandlingBody  = 8 << 10 // a 1000-rune note in 4-byte runes, and JSON
	handlingBodyHint = `{"action": "assign|unassign|answered|private|no_reply|resolved|reopen", "note": "..."}`
)

// handlingStates maps the actions that set a state to it; "reopen" clears
// the state, so the scorer's own clock decides again.
var handlingStates = map[string]store.ReplyState{
	"answered": store.ReplyAnswered,
	"private":  store.ReplyPrivate,
	"no_reply": store.ReplyNotNeeded,
	"resolved": store.ReplyResolved,
	"reopen":   "",
}

// handleMention answers POST /api/handling/{key...} with the mention as
// GET /api/mentions/{key...} shows it.
func (s *Server) handleMention(w http.ResponseWriter, r *http.Request) {
	if _, err := parseParams(r); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	key := r.PathValue("key")
	if key == "" || len(key) > maxKeyLen {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("mention key: must be 1 to %d bytes", maxKeyLen))
		return
	}
	var in struct {
		Action string `json:"action"`
		Note   string `json:"note"`
	}
	if status, err := readJSON(w, r, maxHandlingBody, &in, handlingBodyHint); err != nil {
		writeError(w, status, err.Error())
		return
	}
	if err := checkNote(in.Note); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	state, setsState := handlingStates[in.Action]
	if !setsState && in.Action != "assign" && in.Action != "unassign" {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("action %q: must be one of assign, unassign, answered, private, no_reply, resolved, reopen", clip(in.Action, 40)))
		return
	}
	by := who(r).user

	// Assigning keeps the state, which the store writes with it: read and
	// write under one lock so two agents' actions do not undo each other.
	s.handlingMu.Lock()
	_, err := func() (store.Mention, error) {
		if setsState {
			return s.handling.SetHandling(key, state, "", false, by)
		}
		cur, ok, err := s.st.Mention(key)
		if err != nil {
			return store.Mention{}, err
		}
		if !ok {
			return store.Mention{}, fmt.Errorf("mention %q: %w", key, store.ErrNotFound)
		}
		assignee := ""
		if in.Action == "assign" {
			assignee = by
		}
		return s.handling.SetHandling(key, cur.Handling, assignee, true, by)
	}()
	s.handlingMu.Unlock()
	switch {
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, fmt.Sprintf("no mention with key %q", clip(key, 200)))
		return
	case err != nil:
		s.internalError(w, r, "handle mention", err)
		return
	}
	// Audited now rather than after the response, so the notes in the
	// answer include this action.
	skipAudit(r)
	if _, err := s.st.Audit(store.AuditEntry{User: by, Action: "mention." + in.Action, Target: key, Detail: in.Note}); err != nil {
		s.log.Error("audit handling", "err", err)
	}
	s.getMention(w, r)
}

// checkNote allows any text a person types, line breaks and tabs
// included, but no other control characters and no invalid UTF-8.
func checkNote(n string) error {
	if !utf8.ValidString(n) {
		return errors.New("note: not valid UTF-8")
	}
	if utf8.RuneCountInString(n) > maxNoteRunes {
		return fmt.Errorf("note: longer than %d characters", maxNoteRunes)
	}
	if strings.IndexFunc(n, func(c rune) bool { return unicode.IsControl(c) && c != '\n' && c != '\t' && c != '\r' }) >= 0 {
		return errors.New("note: contains control characters")
	}
	return nil
}

// storeHandling writes handling to the store directly, for when no
// alerting pipeline is wired in.
type storeHandling struct{ st *store.Store }

func (h storeHandling) SetHandling(key string, state store.ReplyState, assignee string, assign bool, by string) (store.Mention, error) {
	return h.st.SetHandling(key, state, assignee, assign, by)
}
